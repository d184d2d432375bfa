package meta_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/channel/meta"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

const (
	secret = "meta-app-secret"
	page   = "PAGE1"
	psid   = "PSID1"
)

func messengerChannel() *switchboard.Channel {
	return &switchboard.Channel{
		ID: "01JCHMSG", TeamID: "01JTEAM", Kind: switchboard.KindMessenger, PlatformID: page,
		Secrets: switchboard.ChannelSecrets{SigningSecret: secret, VerifyToken: "verify-me"},
	}
}

func instagramChannel() *switchboard.Channel {
	return &switchboard.Channel{
		ID: "01JCHIG", TeamID: "01JTEAM", Kind: switchboard.KindInstagram, PlatformID: page,
		Secrets: switchboard.ChannelSecrets{SigningSecret: secret, VerifyToken: "verify-me"},
	}
}

// sign is computed independently of meta.Sign so a bug there cannot hide.
func sign(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestSign(t *testing.T) {
	body := []byte(`{"object":"page","entry":[]}`)
	if got, want := meta.Sign(secret, body), sign(secret, body); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	raw := []byte(`{"object": "page", "entry": [ {"id": "PAGE1", "time": 1, "messaging": []} ]}`)
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	reserialised, _ := json.Marshal(v)
	if bytes.Equal(raw, reserialised) {
		t.Fatal("test body must change when re-serialised")
	}
	good := sign(secret, raw)
	bad := channel.ErrBadSignature(meta.SignatureHeader)
	tests := []struct {
		name    string
		ch      *switchboard.Channel
		headers map[string]string
		body    []byte
		wantErr error
	}{
		{"good", messengerChannel(), map[string]string{"x-hub-signature-256": good}, raw, nil},
		{"header as Meta spells it", messengerChannel(), map[string]string{"X-Hub-Signature-256": good}, raw, nil},
		{"header in upper case", messengerChannel(), map[string]string{"X-HUB-SIGNATURE-256": good}, raw, nil},
		{"instagram channel", instagramChannel(), map[string]string{"x-hub-signature-256": good}, raw, nil},
		{"signed raw bytes, verified over re-serialised JSON", messengerChannel(), map[string]string{"x-hub-signature-256": good}, reserialised, bad},
		{"wrong secret", messengerChannel(), map[string]string{"x-hub-signature-256": sign("other", raw)}, raw, bad},
		{"missing header", messengerChannel(), nil, raw, bad},
		{"only the sha1 header", messengerChannel(), map[string]string{"x-hub-signature": "sha1=" + strings.Repeat("ab", 20)}, raw, bad},
		{"no prefix", messengerChannel(), map[string]string{"x-hub-signature-256": strings.TrimPrefix(good, "sha256=")}, raw, bad},
		{"hex of wrong length", messengerChannel(), map[string]string{"x-hub-signature-256": good[:len(good)-2]}, raw, bad},
		{"base64 instead of hex", messengerChannel(), map[string]string{"x-hub-signature-256": "sha256=K8f3n0pNn5Zq1J0x9gk6yQ2mA2K8f3n0pNn5Zq1J0x8="}, raw, bad},
		{"no secret configured", &switchboard.Channel{Kind: switchboard.KindMessenger}, map[string]string{"x-hub-signature-256": sign("", raw)}, raw, channel.ErrNoSecret()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := meta.Webhook{Kind: tt.ch.Kind}.Verify(tt.ch, channel.Request{Method: "POST", Headers: tt.headers, Body: tt.body})
			if got, want := switchboard.ErrorCode(err), switchboard.ErrorCode(tt.wantErr); got != want {
				t.Fatalf("code = %q, want %q (err %v)", got, want, err)
			}
			if got, want := switchboard.ErrorMessage(err), switchboard.ErrorMessage(tt.wantErr); got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
		})
	}
}

func TestHandshake(t *testing.T) {
	tests := []struct {
		name     string
		ch       *switchboard.Channel
		query    map[string]string
		want     string
		wantCode string
	}{
		{"subscribe with the right token", messengerChannel(),
			map[string]string{"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}, "1158201444", ""},
		{"wrong token", messengerChannel(),
			map[string]string{"hub.mode": "subscribe", "hub.verify_token": "verify-you", "hub.challenge": "1"}, "", switchboard.EForbidden},
		{"missing token", messengerChannel(),
			map[string]string{"hub.mode": "subscribe", "hub.challenge": "1"}, "", switchboard.EForbidden},
		{"wrong mode", messengerChannel(),
			map[string]string{"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"}, "", switchboard.EForbidden},
		{"channel without a verify token", &switchboard.Channel{Kind: switchboard.KindMessenger},
			map[string]string{"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, "", switchboard.EForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := meta.Webhook{Kind: switchboard.KindMessenger}.Handshake(tt.ch, tt.query)
			if code := switchboard.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", code, tt.wantCode, err)
			}
			if got != tt.want {
				t.Errorf("challenge = %q, want %q", got, tt.want)
			}
		})
	}
}

const ts = int64(1772431300000)

var at = time.UnixMilli(ts).UTC()

// body wraps messaging items in one entry of the page.
func body(object string, items ...string) []byte {
	return []byte(fmt.Sprintf(`{"object":%q,"entry":[{"id":%q,"time":%d,"messaging":[%s]}]}`, object, page, ts+500, strings.Join(items, ",")))
}

// item builds a messaging item from the customer with the given extra fields.
func item(extra string) string {
	return fmt.Sprintf(`{"sender":{"id":%q},"recipient":{"id":%q},"timestamp":%d,%s}`, psid, page, ts, extra)
}

func want(ch *switchboard.Channel, typ switchboard.InboundType, id string, f func(*switchboard.InboundEvent)) switchboard.InboundEvent {
	e := switchboard.InboundEvent{
		ID: id, TeamID: ch.TeamID, ChannelID: ch.ID, ChannelKind: ch.Kind,
		Type: typ, CustomerID: psid, OccurredAt: at,
	}
	if f != nil {
		f(&e)
	}
	return e
}

func msg(f func(*switchboard.InboundMessage)) *switchboard.InboundMessage {
	m := &switchboard.InboundMessage{ID: "m_1"}
	f(m)
	return m
}

func TestParse(t *testing.T) {
	ms, ig := messengerChannel(), instagramChannel()
	tests := []struct {
		name string
		ch   *switchboard.Channel
		body []byte
		want []switchboard.InboundEvent
	}{
		{
			name: "text",
			ch:   ms,
			body: body("page", item(`"message":{"mid":"m_1","text":"hello, world!"}`)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
				e.Message = msg(func(m *switchboard.InboundMessage) { m.Kind, m.Text = switchboard.MsgText, "hello, world!" })
			})},
		},
		{
			name: "quick reply",
			ch:   ms,
			body: body("page", item(`"message":{"mid":"m_1","text":"Size M","quick_reply":{"payload":"SIZE_M"}}`)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
				e.Message = msg(func(m *switchboard.InboundMessage) {
					m.Kind, m.Text, m.QuickReplyPayload = switchboard.MsgText, "Size M", "SIZE_M"
				})
			})},
		},
		{
			name: "reply to an earlier message",
			ch:   ms,
			body: body("page", item(`"message":{"mid":"m_1","text":"this one","reply_to":{"mid":"m_0","is_self_reply":false}}`)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
				e.Message = msg(func(m *switchboard.InboundMessage) {
					m.Kind, m.Text, m.ReplyToID = switchboard.MsgText, "this one", "m_0"
				})
			})},
		},
		{
			name: "every attachment kind, one event each",
			ch:   ms,
			body: body("page", item(`"message":{"mid":"m_1","attachments":[
				{"type":"image","payload":{"url":"https://cdn/i.jpg"}},
				{"type":"video","payload":{"url":"https://cdn/v.mp4"}},
				{"type":"audio","payload":{"url":"https://cdn/a.mp4"}},
				{"type":"file","payload":{"url":"https://cdn/f.pdf"}},
				{"type":"location","payload":{"coordinates":{"lat":25.03,"long":121.56}},"title":"Pinned Location"},
				{"type":"template","payload":{"template_type":"product","product":{"elements":[]}}},
				{"type":"reel","payload":{"url":"https://cdn/r.mp4","reel_video_id":"1"}}]}`)),
			want: []switchboard.InboundEvent{
				want(ms, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
					e.Message = msg(func(m *switchboard.InboundMessage) { m.Kind, m.MediaURL = switchboard.MsgImage, "https://cdn/i.jpg" })
				}),
				want(ms, switchboard.InMessage, "m_1:1", func(e *switchboard.InboundEvent) {
					e.Message = msg(func(m *switchboard.InboundMessage) { m.Kind, m.MediaURL = switchboard.MsgVideo, "https://cdn/v.mp4" })
				}),
				want(ms, switchboard.InMessage, "m_1:2", func(e *switchboard.InboundEvent) {
					e.Message = msg(func(m *switchboard.InboundMessage) { m.Kind, m.MediaURL = switchboard.MsgAudio, "https://cdn/a.mp4" })
				}),
				want(ms, switchboard.InMessage, "m_1:3", func(e *switchboard.InboundEvent) {
					e.Message = msg(func(m *switchboard.InboundMessage) { m.Kind, m.MediaURL = switchboard.MsgFile, "https://cdn/f.pdf" })
				}),
				want(ms, switchboard.InMessage, "m_1:4", func(e *switchboard.InboundEvent) {
					e.Message = msg(func(m *switchboard.InboundMessage) {
						m.Kind, m.Text, m.Latitude, m.Longitude = switchboard.MsgLocation, "Pinned Location", 25.03, 121.56
					})
				}),
				want(ms, switchboard.InMessage, "m_1:5", func(e *switchboard.InboundEvent) {
					e.Message = msg(func(m *switchboard.InboundMessage) { m.Kind = switchboard.MsgOther })
				}),
				want(ms, switchboard.InMessage, "m_1:6", func(e *switchboard.InboundEvent) {
					e.Message = msg(func(m *switchboard.InboundMessage) { m.Kind, m.MediaURL = switchboard.MsgOther, "https://cdn/r.mp4" })
				}),
			},
		},
		{
			name: "like button: an image with a sticker id",
			ch:   ms,
			body: body("page", item(`"message":{"mid":"m_1","sticker_id":369239263222822,"attachments":[{"type":"image","payload":{"url":"https://cdn/like.png","sticker_id":369239263222822}}]}`)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
				e.Message = msg(func(m *switchboard.InboundMessage) {
					m.Kind, m.StickerID, m.MediaURL = switchboard.MsgSticker, "369239263222822", "https://cdn/like.png"
				})
			})},
		},
		{
			name: "sticker sent both as image and as sticker is one sticker",
			ch:   ms,
			body: body("page", item(`"message":{"mid":"m_1","attachments":[{"type":"image","payload":{"url":"https://cdn/s.png","sticker_id":767226160478561}},{"type":"sticker","payload":{"url":"https://cdn/s.png","sticker_id":"767226160478561"}}]}`)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
				e.Message = msg(func(m *switchboard.InboundMessage) {
					m.Kind, m.StickerID, m.MediaURL = switchboard.MsgSticker, "767226160478561", "https://cdn/s.png"
				})
			})},
		},
		{
			name: "link preview next to text is dropped",
			ch:   ms,
			body: body("page", item(`"message":{"mid":"m_1","text":"look https://shop.example.com/p/1","attachments":[{"type":"fallback","payload":{"url":"https://shop.example.com/p/1","title":"Red dress"}}]}`)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
				e.Message = msg(func(m *switchboard.InboundMessage) {
					m.Kind, m.Text = switchboard.MsgText, "look https://shop.example.com/p/1"
				})
			})},
		},
		{
			name: "shared link alone is other",
			ch:   ms,
			body: body("page", item(`"message":{"mid":"m_1","attachments":[{"type":"fallback","title":"Red dress","url":"https://l.facebook.com/l.php?u=x","payload":null}]}`)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
				e.Message = msg(func(m *switchboard.InboundMessage) {
					m.Kind, m.Text, m.MediaURL = switchboard.MsgOther, "Red dress", "https://l.facebook.com/l.php?u=x"
				})
			})},
		},
		{
			name: "message through an ad keeps the referral",
			ch:   ms,
			body: body("page", item(`"message":{"mid":"m_1","text":"Is this in stock?","referral":{"ref":"summer","source":"ADS","type":"OPEN_THREAD","ad_id":"6045246247433"}}`)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
				e.Referral = &switchboard.Referral{Ref: "summer", Source: "ADS", Type: "OPEN_THREAD"}
				e.Message = msg(func(m *switchboard.InboundMessage) { m.Kind, m.Text = switchboard.MsgText, "Is this in stock?" })
			})},
		},
		{
			name: "get started postback with referral",
			ch:   ms,
			body: body("page", item(`"postback":{"mid":"m_pb","title":"Get Started","payload":"GET_STARTED","referral":{"ref":"spring_sale","source":"SHORTLINK","type":"OPEN_THREAD"}}`)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InPostback, "m_pb", func(e *switchboard.InboundEvent) {
				e.Postback = &switchboard.Postback{Payload: "GET_STARTED", Title: "Get Started",
					Referral: &switchboard.Referral{Ref: "spring_sale", Source: "SHORTLINK", Type: "OPEN_THREAD"}}
			})},
		},
		{
			name: "postback without mid gets a content id",
			ch:   ms,
			body: body("page", item(`"postback":{"title":"Menu","payload":"MENU"}`)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InPostback, contentID(psid, "postback", fmt.Sprint(ts), "MENU"), func(e *switchboard.InboundEvent) {
				e.Postback = &switchboard.Postback{Payload: "MENU", Title: "Menu"}
			})},
		},
		{
			name: "referral",
			ch:   ms,
			body: body("page", item(`"referral":{"ref":"coupon_2026","source":"SHORTLINK","type":"OPEN_THREAD"}`)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InReferral, contentID(psid, "referral", fmt.Sprint(ts), "coupon_2026", "SHORTLINK", "OPEN_THREAD"), func(e *switchboard.InboundEvent) {
				e.Referral = &switchboard.Referral{Ref: "coupon_2026", Source: "SHORTLINK", Type: "OPEN_THREAD"}
			})},
		},
		{
			name: "delivery without its own timestamp takes the entry time",
			ch:   ms,
			body: body("page", fmt.Sprintf(`{"sender":{"id":%q},"recipient":{"id":%q},"delivery":{"mids":["m_out1","m_out2"],"watermark":%d}}`, psid, page, ts-5000)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InStatus, contentID(psid, "delivery", fmt.Sprint(ts-5000), "m_out1\x00m_out2\x00"), func(e *switchboard.InboundEvent) {
				e.OccurredAt = at.Add(500 * time.Millisecond)
				e.Status = &switchboard.StatusUpdate{Status: switchboard.DeliveryReceived, MessageIDs: []string{"m_out1", "m_out2"},
					Watermark: at.Add(-5 * time.Second)}
			})},
		},
		{
			name: "read",
			ch:   ms,
			body: body("page", item(fmt.Sprintf(`"read":{"watermark":%d}`, ts-3000))),
			want: []switchboard.InboundEvent{want(ms, switchboard.InStatus, contentID(psid, "read", fmt.Sprint(ts-3000), ""), func(e *switchboard.InboundEvent) {
				e.Status = &switchboard.StatusUpdate{Status: switchboard.DeliveryRead, Watermark: at.Add(-3 * time.Second)}
			})},
		},
		{
			name: "echoes, deleted messages, user_ref senders and other items are skipped",
			ch:   ms,
			body: body("page",
				fmt.Sprintf(`{"sender":{"id":%q},"recipient":{"id":%q},"timestamp":%d,"message":{"is_echo":true,"app_id":1517776481860111,"mid":"m_echo","text":"our reply"}}`, page, psid, ts),
				item(`"message":{"mid":"m_del","is_deleted":true}`),
				fmt.Sprintf(`{"sender":{"user_ref":"ref1"},"recipient":{"id":%q},"timestamp":%d,"message":{"mid":"m_ref","text":"hi"}}`, page, ts),
				item(`"reaction":{"reaction":"love","emoji":"\u2764","action":"react","mid":"m_out"}`),
				item(`"optin":{"type":"notification_messages","payload":"x"}`),
				item(`"message_edit":{"mid":"m_1","text":"edited","num_edit":1}`)),
			want: nil,
		},
		{
			name: "instagram text",
			ch:   ig,
			body: body("instagram", item(`"message":{"mid":"m_1","text":"Is this shade in stock?"}`)),
			want: []switchboard.InboundEvent{want(ig, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
				e.Message = msg(func(m *switchboard.InboundMessage) { m.Kind, m.Text = switchboard.MsgText, "Is this shade in stock?" })
			})},
		},
		{
			name: "instagram story mention and share are other",
			ch:   ig,
			body: body("instagram", item(`"message":{"mid":"m_1","attachments":[{"type":"story_mention","payload":{"url":"https://cdn/story"}}]}`)),
			want: []switchboard.InboundEvent{want(ig, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
				e.Message = msg(func(m *switchboard.InboundMessage) { m.Kind, m.MediaURL = switchboard.MsgOther, "https://cdn/story" })
			})},
		},
		{
			name: "instagram unsupported message",
			ch:   ig,
			body: body("instagram", item(`"message":{"mid":"m_1","is_unsupported":true}`)),
			want: []switchboard.InboundEvent{want(ig, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
				e.Message = msg(func(m *switchboard.InboundMessage) { m.Kind = switchboard.MsgOther })
			})},
		},
		{
			name: "instagram postback",
			ch:   ig,
			body: body("instagram", item(`"postback":{"mid":"m_pb","title":"See new arrivals","payload":"NEW_ARRIVALS"}`)),
			want: []switchboard.InboundEvent{want(ig, switchboard.InPostback, "m_pb", func(e *switchboard.InboundEvent) {
				e.Postback = &switchboard.Postback{Payload: "NEW_ARRIVALS", Title: "See new arrivals"}
			})},
		},
		{
			name: "instagram seen names a mid",
			ch:   ig,
			body: body("instagram", item(`"read":{"mid":"m_out"}`)),
			want: []switchboard.InboundEvent{want(ig, switchboard.InStatus, contentID(psid, "read", "0", "m_out"), func(e *switchboard.InboundEvent) {
				e.Status = &switchboard.StatusUpdate{Status: switchboard.DeliveryRead, MessageIDs: []string{"m_out"}}
			})},
		},
		{
			name: "timestamps sent as strings",
			ch:   ms,
			body: []byte(fmt.Sprintf(`{"object":"page","entry":[{"id":%q,"time":"%d","messaging":[{"sender":{"id":%q},"timestamp":"%d","message":{"mid":"m_1","text":"hi"}}]}]}`, page, ts, psid, ts)),
			want: []switchboard.InboundEvent{want(ms, switchboard.InMessage, "m_1", func(e *switchboard.InboundEvent) {
				e.Message = msg(func(m *switchboard.InboundMessage) { m.Kind, m.Text = switchboard.MsgText, "hi" })
			})},
		},
		{
			name: "entries of another page are skipped",
			ch:   ms,
			body: []byte(fmt.Sprintf(`{"object":"page","entry":[{"id":"OTHER","time":%d,"messaging":[%s]}]}`, ts, item(`"message":{"mid":"m_1","text":"hi"}`))),
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := meta.Webhook{Kind: tt.ch.Kind}.Parse(tt.ch, tt.body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %s\nwant %s", dump(got), dump(tt.want))
			}
		})
	}
}

// contentID mirrors the package's documented hash: sha256 over the parts, each
// followed by a NUL, first 20 bytes in hex, prefixed "h:".
func contentID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "h:" + hex.EncodeToString(h.Sum(nil)[:20])
}

func TestParseBatch(t *testing.T) {
	ch := messengerChannel()
	ch.PlatformID = "" // a channel without a page id takes every entry
	var entries []string
	var wantIDs []string
	for e := range 3 {
		var items []string
		for i := range e + 1 {
			mid := fmt.Sprintf("m_%d_%d", e, i)
			items = append(items, fmt.Sprintf(`{"sender":{"id":"P%d"},"recipient":{"id":"PAGE%d"},"timestamp":%d,"message":{"mid":%q,"text":"t"}}`, i, e, ts+int64(e*10+i), mid))
			wantIDs = append(wantIDs, mid)
		}
		entries = append(entries, fmt.Sprintf(`{"id":"PAGE%d","time":%d,"messaging":[%s]}`, e, ts, strings.Join(items, ",")))
	}
	b := []byte(`{"object":"page","entry":[` + strings.Join(entries, ",") + `]}`)
	got, err := meta.Webhook{Kind: switchboard.KindMessenger}.Parse(ch, b)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, e := range got {
		gotIDs = append(gotIDs, e.ID)
	}
	if !reflect.DeepEqual(gotIDs, wantIDs) {
		t.Errorf("ids = %v, want %v", gotIDs, wantIDs)
	}
	if got, want := got[5].CustomerID, "P2"; got != want {
		t.Errorf("last event customer = %q, want %q", got, want)
	}
	if got, want := got[5].OccurredAt, at.Add(22*time.Millisecond); !got.Equal(want) {
		t.Errorf("last event time = %v, want %v", got, want)
	}
}

func TestParseThousandEntries(t *testing.T) {
	var entries []string
	for e := range 1000 {
		entries = append(entries, fmt.Sprintf(`{"id":%q,"time":%d,"messaging":[{"sender":{"id":"P%d"},"timestamp":%d,"message":{"mid":"m_%d","text":"t"}}]}`, page, ts, e, ts, e))
	}
	b := []byte(`{"object":"page","entry":[` + strings.Join(entries, ",") + `]}`)
	got, err := meta.Webhook{Kind: switchboard.KindMessenger}.Parse(messengerChannel(), b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000 {
		t.Fatalf("parsed %d events, want 1000", len(got))
	}
	if got, want := got[999].ID, "m_999"; got != want {
		t.Errorf("last id = %q, want %q", got, want)
	}
}

func TestContentIDs(t *testing.T) {
	parse := func(b []byte) string {
		t.Helper()
		evs, err := meta.Webhook{Kind: switchboard.KindMessenger}.Parse(messengerChannel(), b)
		if err != nil || len(evs) != 1 {
			t.Fatalf("Parse = %v, %v", evs, err)
		}
		return evs[0].ID
	}
	withSender := func(sender, extra string) []byte {
		return body("page", fmt.Sprintf(`{"sender":{"id":%q},"timestamp":%d,%s}`, sender, ts, extra))
	}
	withTime := func(t int64, extra string) []byte {
		return body("page", fmt.Sprintf(`{"sender":{"id":%q},"timestamp":%d,%s}`, psid, t, extra))
	}
	tests := []struct {
		name string
		a, b []byte
		same bool
	}{
		{"same postback twice", withSender("A", `"postback":{"payload":"X"}`), withSender("A", `"postback":{"payload":"X"}`), true},
		{"postback redelivered with other spacing", withSender("A", `"postback":{"payload":"X"}`), withSender("A", `"postback": { "payload" : "X", "title":"T" }`), true},
		{"postback of another sender", withSender("A", `"postback":{"payload":"X"}`), withSender("B", `"postback":{"payload":"X"}`), false},
		{"postback at another time", withTime(ts, `"postback":{"payload":"X"}`), withTime(ts+1, `"postback":{"payload":"X"}`), false},
		{"postback with another payload", withSender("A", `"postback":{"payload":"X"}`), withSender("A", `"postback":{"payload":"Y"}`), false},
		{"same referral twice", withSender("A", `"referral":{"ref":"r"}`), withSender("A", `"referral":{"ref":"r"}`), true},
		{"referral with another ref", withSender("A", `"referral":{"ref":"r"}`), withSender("A", `"referral":{"ref":"s"}`), false},
		{"same read twice", withSender("A", `"read":{"watermark":5}`), withSender("A", `"read":{"watermark":5}`), true},
		{"read with another watermark", withSender("A", `"read":{"watermark":5}`), withSender("A", `"read":{"watermark":6}`), false},
		{"read and delivery of one watermark", withSender("A", `"read":{"watermark":5}`), withSender("A", `"delivery":{"watermark":5}`), false},
		{"same delivery twice", withSender("A", `"delivery":{"watermark":5,"mids":["m"]}`), withSender("A", `"delivery":{"watermark":5,"mids":["m"]}`), true},
		{"postback and referral with the same text", withSender("A", `"postback":{"payload":"r"}`), withSender("A", `"referral":{"ref":"r"}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := parse(tt.a), parse(tt.b)
			if got := a == b; got != tt.same {
				t.Errorf("ids %q and %q: same = %v, want %v", a, b, got, tt.same)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	ms, ig := messengerChannel(), instagramChannel()
	tests := []struct {
		name string
		ch   *switchboard.Channel
		body string
		want string
	}{
		{"empty", ms, ``, "must be a JSON object"},
		{"array", ms, `[{"object":"page"}]`, "must be a JSON object"},
		{"null", ms, `null`, "must be a JSON object"},
		{"truncated", ms, `{"object":"page","entry":[`, "not valid"},
		{"entry not an array", ms, `{"object":"page","entry":{}}`, "not valid"},
		{"no object", ms, `{"entry":[]}`, `webhook object is "" but a messenger channel receives "page"`},
		{"instagram body to a messenger channel", ms, string(body("instagram")), `webhook object is "instagram" but a messenger channel receives "page"`},
		{"page body to an instagram channel", ig, string(body("page")), `webhook object is "page" but a instagram channel receives "instagram"`},
		{"whatsapp body", ms, `{"object":"whatsapp_business_account","entry":[]}`, "webhook object"},
		{"no sender", ms, string(body("page", `{"timestamp":1,"message":{"mid":"m","text":"x"}}`)), "sender.id is missing"},
		{"no mid", ms, string(body("page", item(`"message":{"text":"x"}`))), "message.mid is missing"},
		{"no timestamp anywhere", ms, `{"object":"page","entry":[{"id":"PAGE1","messaging":[{"sender":{"id":"P"},"message":{"mid":"m"}}]}]}`, "timestamp is missing"},
		{"timestamp not a number", ms, string(body("page", `{"sender":{"id":"P"},"timestamp":"soon","message":{"mid":"m"}}`)), "not valid"},
		{"empty delivery", ms, string(body("page", item(`"delivery":{}`))), "neither watermark nor mids"},
		{"empty read", ms, string(body("page", item(`"read":{}`))), "neither watermark nor mid"},
		{"sticker id not a number", ms, string(body("page", item(`"message":{"mid":"m","attachments":[{"type":"image","payload":{"sticker_id":true}}]}`))), "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := meta.Webhook{Kind: tt.ch.Kind}.Parse(tt.ch, []byte(tt.body))
			if code := switchboard.ErrorCode(err); code != switchboard.EInvalid {
				t.Fatalf("code = %q, want %q (err %v, events %v)", code, switchboard.EInvalid, err, got)
			}
			if msg := switchboard.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}

func TestKindFromChannel(t *testing.T) {
	// A zero Webhook takes the kind from the channel.
	got, err := meta.Webhook{}.Parse(instagramChannel(), body("instagram", item(`"message":{"mid":"m_1","text":"hi"}`)))
	if err != nil || len(got) != 1 {
		t.Fatalf("Parse = %v, %v", got, err)
	}
	_, err = meta.Webhook{}.Parse(&switchboard.Channel{Kind: switchboard.KindLINE}, body("page"))
	if got, want := switchboard.ErrorCode(err), switchboard.EInternal; got != want {
		t.Errorf("code for a LINE channel = %q, want %q", got, want)
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
