package whatsapp_test

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
	"github.com/switchboard-chat/switchboard/shared/channel/whatsapp"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

const (
	secret  = "meta-app-secret"
	phoneID = "106540352242922"
	waID    = "16505551234"
	ts      = int64(1772431500)
)

var at = time.Unix(ts, 0).UTC()

func testChannel() *switchboard.Channel {
	return &switchboard.Channel{
		ID: "01JCHWA", TeamID: "01JTEAM", Kind: switchboard.KindWhatsApp, PlatformID: phoneID,
		Secrets: switchboard.ChannelSecrets{SigningSecret: secret, VerifyToken: "verify-me"},
	}
}

// sign is computed independently of whatsapp.Sign so a bug there cannot hide.
func sign(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestSign(t *testing.T) {
	b := []byte(`{"object":"whatsapp_business_account"}`)
	if got, want := whatsapp.Sign(secret, b), sign(secret, b); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	raw := []byte(`{"object": "whatsapp_business_account", "entry": []}`)
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	reserialised, _ := json.Marshal(v)
	if bytes.Equal(raw, reserialised) {
		t.Fatal("test body must change when re-serialised")
	}
	good := sign(secret, raw)
	bad := channel.ErrBadSignature(whatsapp.SignatureHeader)
	tests := []struct {
		name    string
		ch      *switchboard.Channel
		headers map[string]string
		body    []byte
		wantErr error
	}{
		{"good", testChannel(), map[string]string{"x-hub-signature-256": good}, raw, nil},
		{"header as Meta spells it", testChannel(), map[string]string{"X-Hub-Signature-256": good}, raw, nil},
		{"signed raw bytes, verified over re-serialised JSON", testChannel(), map[string]string{"x-hub-signature-256": good}, reserialised, bad},
		{"wrong secret", testChannel(), map[string]string{"x-hub-signature-256": sign("x", raw)}, raw, bad},
		{"missing header", testChannel(), map[string]string{}, raw, bad},
		{"hex of wrong length", testChannel(), map[string]string{"x-hub-signature-256": good + "00"}, raw, bad},
		{"no secret configured", &switchboard.Channel{Kind: switchboard.KindWhatsApp}, map[string]string{"x-hub-signature-256": sign("", raw)}, raw, channel.ErrNoSecret()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := whatsapp.Webhook{}.Verify(tt.ch, channel.Request{Method: "POST", Headers: tt.headers, Body: tt.body})
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
	ok := map[string]string{"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"}
	got, err := whatsapp.Webhook{}.Handshake(testChannel(), ok)
	if err != nil || got != "42" {
		t.Errorf("Handshake = %q, %v; want %q, nil", got, err, "42")
	}
	wrong := map[string]string{"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"}
	_, err = whatsapp.Webhook{}.Handshake(testChannel(), wrong)
	if got, want := switchboard.ErrorCode(err), switchboard.EForbidden; got != want {
		t.Errorf("wrong token: code = %q, want %q", got, want)
	}
}

// value wraps a change value's messages/statuses/contacts JSON in a full body.
func value(phone, inner string) []byte {
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q}%s},"field":"messages"}]}]}`, phone, inner))
}

const contacts = `,"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}]`

// msgs builds a messages array from message objects' type-specific JSON.
func msgs(items ...string) string {
	var out []string
	for i, it := range items {
		out = append(out, fmt.Sprintf(`{"from":%q,"id":"wamid.%d","timestamp":"%d",%s}`, waID, i, ts, it))
	}
	return contacts + `,"messages":[` + strings.Join(out, ",") + `]`
}

func wantMsg(id string, f func(*switchboard.InboundEvent)) switchboard.InboundEvent {
	e := switchboard.InboundEvent{
		ID: id, TeamID: "01JTEAM", ChannelID: "01JCHWA", ChannelKind: switchboard.KindWhatsApp,
		Type: switchboard.InMessage, CustomerID: waID, CustomerName: "Sheena Nelson", OccurredAt: at,
	}
	f(&e)
	return e
}

func wantStatus(id, status string, st switchboard.DeliveryStatus, f func(*switchboard.StatusUpdate)) switchboard.InboundEvent {
	u := &switchboard.StatusUpdate{Status: st, MessageIDs: []string{id}}
	if f != nil {
		f(u)
	}
	return switchboard.InboundEvent{
		ID: id + ":" + status, TeamID: "01JTEAM", ChannelID: "01JCHWA", ChannelKind: switchboard.KindWhatsApp,
		Type: switchboard.InStatus, CustomerID: waID, OccurredAt: at, Status: u,
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want []switchboard.InboundEvent
	}{
		{
			name: "text",
			body: value(phoneID, msgs(`"type":"text","text":{"body":"Does it come in another color?"}`)),
			want: []switchboard.InboundEvent{wantMsg("wamid.0", func(e *switchboard.InboundEvent) {
				e.Message = &switchboard.InboundMessage{ID: "wamid.0", Kind: switchboard.MsgText, Text: "Does it come in another color?"}
			})},
		},
		{
			name: "unsub is passed through as text",
			body: value(phoneID, msgs(`"type":"text","text":{"body":"unsub"}`)),
			want: []switchboard.InboundEvent{wantMsg("wamid.0", func(e *switchboard.InboundEvent) {
				e.Message = &switchboard.InboundMessage{ID: "wamid.0", Kind: switchboard.MsgText, Text: "unsub"}
			})},
		},
		{
			name: "text replying to our message",
			body: value(phoneID, msgs(`"context":{"from":"15550783881","id":"wamid.ours"},"type":"text","text":{"body":"yes"}`)),
			want: []switchboard.InboundEvent{wantMsg("wamid.0", func(e *switchboard.InboundEvent) {
				e.Message = &switchboard.InboundMessage{ID: "wamid.0", Kind: switchboard.MsgText, Text: "yes", ReplyToID: "wamid.ours"}
			})},
		},
		{
			name: "media of every kind",
			body: value(phoneID, msgs(
				`"type":"image","image":{"caption":"This one","mime_type":"image/jpeg","sha256":"x","id":"IMG"}`,
				`"type":"video","video":{"mime_type":"video/mp4","sha256":"x","id":"VID"}`,
				`"type":"audio","audio":{"mime_type":"audio/ogg; codecs=opus","sha256":"x","id":"AUD","voice":true}`,
				`"type":"document","document":{"caption":"invoice","filename":"inv.pdf","mime_type":"application/pdf","sha256":"x","id":"DOC"}`,
				`"type":"sticker","sticker":{"mime_type":"image/webp","sha256":"x","id":"STK","animated":false}`,
				`"type":"location","location":{"latitude":25.033964,"longitude":121.564468,"name":"Taipei 101","address":"No. 7, Xinyi Rd."}`)),
			want: []switchboard.InboundEvent{
				wantMsg("wamid.0", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "wamid.0", Kind: switchboard.MsgImage, Text: "This one", MediaID: "IMG", MimeType: "image/jpeg"}
				}),
				wantMsg("wamid.1", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "wamid.1", Kind: switchboard.MsgVideo, MediaID: "VID", MimeType: "video/mp4"}
				}),
				wantMsg("wamid.2", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "wamid.2", Kind: switchboard.MsgAudio, MediaID: "AUD", MimeType: "audio/ogg; codecs=opus"}
				}),
				wantMsg("wamid.3", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "wamid.3", Kind: switchboard.MsgFile, Text: "invoice", MediaID: "DOC",
						MimeType: "application/pdf", FileName: "inv.pdf"}
				}),
				wantMsg("wamid.4", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "wamid.4", Kind: switchboard.MsgSticker, MediaID: "STK", MimeType: "image/webp"}
				}),
				wantMsg("wamid.5", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "wamid.5", Kind: switchboard.MsgLocation, Text: "Taipei 101",
						Address: "No. 7, Xinyi Rd.", Latitude: 25.033964, Longitude: 121.564468}
				}),
			},
		},
		{
			name: "voice typed as voice",
			body: value(phoneID, msgs(`"type":"voice","voice":{"mime_type":"audio/ogg","id":"VOI"}`)),
			want: []switchboard.InboundEvent{wantMsg("wamid.0", func(e *switchboard.InboundEvent) {
				e.Message = &switchboard.InboundMessage{ID: "wamid.0", Kind: switchboard.MsgAudio, MediaID: "VOI", MimeType: "audio/ogg"}
			})},
		},
		{
			name: "template quick-reply button",
			body: value(phoneID, msgs(`"context":{"from":"15550783881","id":"wamid.tpl"},"type":"button","button":{"payload":"STOP_PROMOTIONS","text":"Stop promotions"}`)),
			want: []switchboard.InboundEvent{wantMsg("wamid.0", func(e *switchboard.InboundEvent) {
				e.Type = switchboard.InPostback
				e.Postback = &switchboard.Postback{Payload: "STOP_PROMOTIONS", Title: "Stop promotions"}
			})},
		},
		{
			name: "interactive button and list replies",
			body: value(phoneID, msgs(
				`"type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"CHANGE","title":"Change"}}`,
				`"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"SHIP_EXPRESS","title":"Express","description":"1 day"}}`)),
			want: []switchboard.InboundEvent{
				wantMsg("wamid.0", func(e *switchboard.InboundEvent) {
					e.Type = switchboard.InPostback
					e.Postback = &switchboard.Postback{Payload: "CHANGE", Title: "Change"}
				}),
				wantMsg("wamid.1", func(e *switchboard.InboundEvent) {
					e.Type = switchboard.InPostback
					e.Postback = &switchboard.Postback{Payload: "SHIP_EXPRESS", Title: "Express"}
				}),
			},
		},
		{
			name: "flow reply and unsupported messages are other",
			body: value(phoneID, msgs(
				`"type":"interactive","interactive":{"type":"nfm_reply","nfm_reply":{"name":"flow","response_json":"{}"}}`,
				`"type":"unsupported","errors":[{"code":131051,"title":"Message type unknown"}]`,
				`"type":"contacts","contacts":[{"name":{"formatted_name":"Kim"}}]`)),
			want: []switchboard.InboundEvent{
				wantMsg("wamid.0", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "wamid.0", Kind: switchboard.MsgOther}
				}),
				wantMsg("wamid.1", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "wamid.1", Kind: switchboard.MsgOther}
				}),
				wantMsg("wamid.2", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "wamid.2", Kind: switchboard.MsgOther}
				}),
			},
		},
		{
			name: "reactions, system notices and welcome requests are ignored",
			body: value(phoneID, msgs(
				`"type":"reaction","reaction":{"message_id":"wamid.ours","emoji":"\u2764"}`,
				`"type":"system","system":{"body":"changed number","type":"user_changed_number"}`,
				`"type":"request_welcome"`)),
			want: []switchboard.InboundEvent{},
		},
		{
			name: "sender without a contact entry has no name",
			body: value(phoneID, `,"messages":[{"from":"886912345678","id":"wamid.x","timestamp":"1772431500","type":"text","text":{"body":"hi"}}]`),
			want: []switchboard.InboundEvent{{
				ID: "wamid.x", TeamID: "01JTEAM", ChannelID: "01JCHWA", ChannelKind: switchboard.KindWhatsApp,
				Type: switchboard.InMessage, CustomerID: "886912345678", OccurredAt: at,
				Message: &switchboard.InboundMessage{ID: "wamid.x", Kind: switchboard.MsgText, Text: "hi"},
			}},
		},
		{
			name: "statuses",
			body: value(phoneID, fmt.Sprintf(`,"statuses":[
				{"id":"wamid.out","status":"sent","timestamp":"%[1]d","recipient_id":%[2]q,"conversation":{"id":"c","expiration_timestamp":"1772517900","origin":{"type":"service"}},"pricing":{"billable":true,"pricing_model":"PMP","category":"service"}},
				{"id":"wamid.out","status":"delivered","timestamp":"%[1]d","recipient_id":%[2]q},
				{"id":"wamid.out","status":"read","timestamp":"%[1]d","recipient_id":%[2]q},
				{"id":"wamid.out2","status":"failed","timestamp":"%[1]d","recipient_id":%[2]q,"errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message","error_data":{"details":"More than 24 hours have passed"}}]},
				{"id":"wamid.out","status":"deleted","timestamp":"%[1]d","recipient_id":%[2]q}]`, ts, waID)),
			want: []switchboard.InboundEvent{
				wantStatus("wamid.out", "sent", switchboard.DeliverySent, nil),
				wantStatus("wamid.out", "delivered", switchboard.DeliveryReceived, nil),
				wantStatus("wamid.out", "read", switchboard.DeliveryRead, nil),
				wantStatus("wamid.out2", "failed", switchboard.DeliveryFailed, func(u *switchboard.StatusUpdate) {
					u.ErrorCode, u.ErrorTitle = "131047", "Re-engagement message"
				}),
			},
		},
		{
			name: "another phone number's change is skipped",
			body: value("999999999999999", msgs(`"type":"text","text":{"body":"hi"}`)),
			want: []switchboard.InboundEvent{},
		},
		{
			name: "fields other than messages are ignored",
			body: []byte(`{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"value":{"event":"APPROVED","message_template_id":1,"message_template_name":"x","messages":"not an array"},"field":"message_template_status_update"}]}]}`),
			want: []switchboard.InboundEvent{},
		},
		{
			name: "timestamp as a number",
			body: value(phoneID, contacts+fmt.Sprintf(`,"messages":[{"from":%q,"id":"wamid.0","timestamp":%d,"type":"text","text":{"body":"hi"}}]`, waID, ts)),
			want: []switchboard.InboundEvent{wantMsg("wamid.0", func(e *switchboard.InboundEvent) {
				e.Message = &switchboard.InboundMessage{ID: "wamid.0", Kind: switchboard.MsgText, Text: "hi"}
			})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := whatsapp.Webhook{}.Parse(testChannel(), tt.body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got == nil {
				got = []switchboard.InboundEvent{}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %s\nwant %s", dump(got), dump(tt.want))
			}
		})
	}
}

func TestParseAnyPhoneWithoutPlatformID(t *testing.T) {
	ch := testChannel()
	ch.PlatformID = ""
	got, err := whatsapp.Webhook{}.Parse(ch, value("999999999999999", msgs(`"type":"text","text":{"body":"hi"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Errorf("parsed %d events, want 1", len(got))
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty", ``, "must be a JSON object"},
		{"array", `[]`, "must be a JSON object"},
		{"truncated", `{"object":"whatsapp_business_account","entry":[`, "not valid"},
		{"page object", `{"object":"page","entry":[]}`, `webhook object is "page"`},
		{"value not an object", `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":[]}]}]}`, "value is not valid"},
		{"message without id", string(value(phoneID, `,"messages":[{"from":"1","timestamp":"1","type":"text"}]`)), "messages[0]: id is missing"},
		{"message without from", string(value(phoneID, `,"messages":[{"id":"w","timestamp":"1","type":"text"}]`)), "messages[0]: from is missing"},
		{"message without timestamp", string(value(phoneID, `,"messages":[{"from":"1","id":"w","type":"text"}]`)), "timestamp is missing"},
		{"timestamp not a number", string(value(phoneID, `,"messages":[{"from":"1","id":"w","timestamp":"yesterday","type":"text"}]`)), "value is not valid"},
		{"button without button", string(value(phoneID, `,"messages":[{"from":"1","id":"w","timestamp":"1","type":"button"}]`)), "no button"},
		{"status without id", string(value(phoneID, `,"statuses":[{"status":"read","timestamp":"1","recipient_id":"1"}]`)), "statuses[0]: id is missing"},
		{"status without recipient", string(value(phoneID, `,"statuses":[{"id":"w","status":"read","timestamp":"1"}]`)), "recipient_id is missing"},
		{"error code not a number", string(value(phoneID, `,"statuses":[{"id":"w","status":"failed","timestamp":"1","recipient_id":"1","errors":[{"code":"x"}]}]`)), "value is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := whatsapp.Webhook{}.Parse(testChannel(), []byte(tt.body))
			if code := switchboard.ErrorCode(err); code != switchboard.EInvalid {
				t.Fatalf("code = %q, want %q (err %v, events %v)", code, switchboard.EInvalid, err, got)
			}
			if msg := switchboard.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
