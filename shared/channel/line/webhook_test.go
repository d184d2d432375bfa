package line_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/channel/line"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

const secret = "line-channel-secret"

func testChannel() *switchboard.Channel {
	return &switchboard.Channel{
		ID: "01JCHLINE", TeamID: "01JTEAM", Kind: switchboard.KindLINE, PlatformID: "Ubot",
		Secrets: switchboard.ChannelSecrets{SigningSecret: secret},
	}
}

// sign is computed independently of line.Sign so a bug there cannot hide.
func sign(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestSign(t *testing.T) {
	body := []byte(`{"destination":"U1","events":[]}`)
	if got, want := line.Sign(secret, body), sign(secret, body); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	// Spacing and key order as LINE sent them: re-serialising changes the bytes.
	raw := []byte(`{"destination": "Ubot", "events": [ {"type":"follow","mode":"active"} ]}`)
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	reserialised, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(raw, reserialised) {
		t.Fatal("test body must change when re-serialised")
	}
	good := sign(secret, raw)
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	long := base64.StdEncoding.EncodeToString(append(hmac.New(sha256.New, nil).Sum(nil), 0))

	tests := []struct {
		name    string
		ch      *switchboard.Channel
		headers map[string]string
		body    []byte
		wantErr error
	}{
		{"good", testChannel(), map[string]string{"x-line-signature": good}, raw, nil},
		{"header name in canonical case", testChannel(), map[string]string{"X-Line-Signature": good}, raw, nil},
		{"header name in upper case", testChannel(), map[string]string{"X-LINE-SIGNATURE": good}, raw, nil},
		{"signed raw bytes, verified over re-serialised JSON", testChannel(), map[string]string{"x-line-signature": good}, reserialised, channel.ErrBadSignature(line.SignatureHeader)},
		{"signature of re-serialised JSON, raw body", testChannel(), map[string]string{"x-line-signature": sign(secret, reserialised)}, raw, channel.ErrBadSignature(line.SignatureHeader)},
		{"wrong secret", testChannel(), map[string]string{"x-line-signature": sign("other", raw)}, raw, channel.ErrBadSignature(line.SignatureHeader)},
		{"missing header", testChannel(), nil, raw, channel.ErrBadSignature(line.SignatureHeader)},
		{"empty header", testChannel(), map[string]string{"x-line-signature": ""}, raw, channel.ErrBadSignature(line.SignatureHeader)},
		{"not base64", testChannel(), map[string]string{"x-line-signature": "!!!" + good[3:]}, raw, channel.ErrBadSignature(line.SignatureHeader)},
		{"base64 of 16 bytes", testChannel(), map[string]string{"x-line-signature": short}, raw, channel.ErrBadSignature(line.SignatureHeader)},
		{"base64 of 33 bytes", testChannel(), map[string]string{"x-line-signature": long}, raw, channel.ErrBadSignature(line.SignatureHeader)},
		{"hex instead of base64", testChannel(), map[string]string{"x-line-signature": "sha256=" + strings.Repeat("ab", 32)}, raw, channel.ErrBadSignature(line.SignatureHeader)},
		{"no secret configured", &switchboard.Channel{Kind: switchboard.KindLINE}, map[string]string{"x-line-signature": sign("", raw)}, raw, channel.ErrNoSecret()},
		{"nil channel", nil, map[string]string{"x-line-signature": good}, raw, channel.ErrNoSecret()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := line.Webhook{}.Verify(tt.ch, channel.Request{Method: "POST", Headers: tt.headers, Body: tt.body})
			if got, want := switchboard.ErrorCode(err), switchboard.ErrorCode(tt.wantErr); got != want {
				t.Fatalf("code = %q, want %q (err %v)", got, want, err)
			}
			if got, want := switchboard.ErrorMessage(err), switchboard.ErrorMessage(tt.wantErr); got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
		})
	}
}

// body wraps events in a callback request.
func body(events ...string) []byte {
	return []byte(`{"destination":"Ubot","events":[` + strings.Join(events, ",") + `]}`)
}

// event builds one event JSON; extra holds the type-specific fields.
func event(typ, id string, ts int64, source, extra string) string {
	s := `{"type":"` + typ + `","mode":"active","timestamp":` + itoa(ts) +
		`,"webhookEventId":"` + id + `","deliveryContext":{"isRedelivery":false},"source":` + source
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

const (
	userSrc = `{"type":"user","userId":"Ucustomer"}`
	ts      = int64(1772431201000)
)

var at = time.UnixMilli(ts).UTC()

// want builds the expected event with the fields every case shares.
func want(typ switchboard.InboundType, id string, f func(*switchboard.InboundEvent)) switchboard.InboundEvent {
	e := switchboard.InboundEvent{
		ID: id, TeamID: "01JTEAM", ChannelID: "01JCHLINE", ChannelKind: switchboard.KindLINE,
		Type: typ, CustomerID: "Ucustomer", OccurredAt: at,
	}
	if f != nil {
		f(&e)
	}
	return e
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want []switchboard.InboundEvent
	}{
		{
			name: "connectivity check",
			body: body(),
			want: []switchboard.InboundEvent{},
		},
		{
			name: "text",
			body: body(event("message", "E1", ts, userSrc,
				`"replyToken":"rt1","message":{"type":"text","id":"M1","quoteToken":"q","text":"Do you have it in blue?"}`)),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "E1", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt1"
				e.Message = &switchboard.InboundMessage{ID: "M1", Kind: switchboard.MsgText, Text: "Do you have it in blue?"}
			})},
		},
		{
			name: "text quoting an earlier message",
			body: body(event("message", "E2", ts, userSrc,
				`"replyToken":"rt2","message":{"type":"text","id":"M2","quoteToken":"q","text":"this one","quotedMessageId":"M0"}`)),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "E2", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt2"
				e.Message = &switchboard.InboundMessage{ID: "M2", Kind: switchboard.MsgText, Text: "this one", ReplyToID: "M0"}
			})},
		},
		{
			name: "image hosted by LINE",
			body: body(event("message", "E3", ts, userSrc,
				`"replyToken":"rt3","message":{"type":"image","id":"M3","quoteToken":"q","contentProvider":{"type":"line"},"imageSet":{"id":"S","index":1,"total":2}}`)),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "E3", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt3"
				e.Message = &switchboard.InboundMessage{ID: "M3", Kind: switchboard.MsgImage, MediaID: "M3"}
			})},
		},
		{
			name: "video hosted elsewhere",
			body: body(event("message", "E4", ts, userSrc,
				`"replyToken":"rt4","message":{"type":"video","id":"M4","duration":60000,"contentProvider":{"type":"external","originalContentUrl":"https://example.com/v.mp4","previewImageUrl":"https://example.com/v.jpg"}}`)),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "E4", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt4"
				e.Message = &switchboard.InboundMessage{ID: "M4", Kind: switchboard.MsgVideo, MediaID: "M4", MediaURL: "https://example.com/v.mp4"}
			})},
		},
		{
			name: "audio",
			body: body(event("message", "E5", ts, userSrc,
				`"replyToken":"rt5","message":{"type":"audio","id":"M5","duration":6000,"contentProvider":{"type":"line"}}`)),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "E5", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt5"
				e.Message = &switchboard.InboundMessage{ID: "M5", Kind: switchboard.MsgAudio, MediaID: "M5"}
			})},
		},
		{
			name: "file",
			body: body(event("message", "E6", ts, userSrc,
				`"replyToken":"rt6","message":{"type":"file","id":"M6","fileName":"invoice.pdf","fileSize":2138}`)),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "E6", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt6"
				e.Message = &switchboard.InboundMessage{ID: "M6", Kind: switchboard.MsgFile, MediaID: "M6", FileName: "invoice.pdf"}
			})},
		},
		{
			name: "sticker",
			body: body(event("message", "E7", ts, userSrc,
				`"replyToken":"rt7","message":{"type":"sticker","id":"M7","quoteToken":"q","packageId":"11537","stickerId":"52002738","stickerResourceType":"ANIMATION","keywords":["hi"]}`)),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "E7", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt7"
				e.Message = &switchboard.InboundMessage{ID: "M7", Kind: switchboard.MsgSticker, StickerID: "11537/52002738"}
			})},
		},
		{
			name: "location",
			body: body(event("message", "E8", ts, userSrc,
				`"replyToken":"rt8","message":{"type":"location","id":"M8","title":"Taipei 101","address":"No. 7, Xinyi Rd.","latitude":25.033964,"longitude":121.564468}`)),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "E8", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt8"
				e.Message = &switchboard.InboundMessage{ID: "M8", Kind: switchboard.MsgLocation, Text: "Taipei 101",
					Address: "No. 7, Xinyi Rd.", Latitude: 25.033964, Longitude: 121.564468}
			})},
		},
		{
			name: "message type added after this code",
			body: body(event("message", "E9", ts, userSrc, `"replyToken":"rt9","message":{"type":"hologram","id":"M9"}`)),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "E9", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt9"
				e.Message = &switchboard.InboundMessage{ID: "M9", Kind: switchboard.MsgOther}
			})},
		},
		{
			name: "postback with params",
			body: body(event("postback", "E10", ts, userSrc,
				`"replyToken":"rt10","postback":{"data":"action=buy&itemid=111","params":{"datetime":"2026-03-05T10:00"}}`)),
			want: []switchboard.InboundEvent{want(switchboard.InPostback, "E10", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt10"
				e.Postback = &switchboard.Postback{Payload: "action=buy&itemid=111"}
			})},
		},
		{
			name: "follow",
			body: body(event("follow", "E11", ts, userSrc, `"replyToken":"rt11","follow":{"isUnblocked":true}`)),
			want: []switchboard.InboundEvent{want(switchboard.InFollow, "E11", func(e *switchboard.InboundEvent) { e.ReplyToken = "rt11" })},
		},
		{
			name: "unfollow",
			body: body(event("unfollow", "E12", ts, userSrc, "")),
			want: []switchboard.InboundEvent{want(switchboard.InUnfollow, "E12", nil)},
		},
		{
			name: "redelivery",
			body: body(strings.Replace(event("message", "E13", ts, userSrc,
				`"replyToken":"rt13","message":{"type":"text","id":"M13","text":"again"}`), `"isRedelivery":false`, `"isRedelivery":true`, 1)),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "E13", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt13"
				e.Redelivery = true
				e.Message = &switchboard.InboundMessage{ID: "M13", Kind: switchboard.MsgText, Text: "again"}
			})},
		},
		{
			name: "group message from a known user",
			body: body(event("message", "E14", ts, `{"type":"group","groupId":"Cgroup","userId":"Ucustomer"}`,
				`"replyToken":"rt14","message":{"type":"text","id":"M14","text":"hi all"}`)),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "E14", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt14"
				e.Message = &switchboard.InboundMessage{ID: "M14", Kind: switchboard.MsgText, Text: "hi all"}
			})},
		},
		{
			name: "room message from a known user",
			body: body(event("message", "E15", ts, `{"type":"room","roomId":"Rroom","userId":"Ucustomer"}`,
				`"replyToken":"rt15","message":{"type":"text","id":"M15","text":"hi room"}`)),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "E15", func(e *switchboard.InboundEvent) {
				e.ReplyToken = "rt15"
				e.Message = &switchboard.InboundMessage{ID: "M15", Kind: switchboard.MsgText, Text: "hi room"}
			})},
		},
		{
			name: "group and room messages without a user are skipped",
			body: body(
				event("message", "E16", ts, `{"type":"group","groupId":"Cgroup"}`, `"message":{"type":"text","id":"M16","text":"x"}`),
				event("message", "E17", ts, `{"type":"room","roomId":"Rroom"}`, `"message":{"type":"text","id":"M17","text":"x"}`)),
			want: []switchboard.InboundEvent{},
		},
		{
			name: "standby events are ignored",
			body: body(strings.Replace(event("message", "E18", ts, userSrc, `"message":{"type":"text","id":"M18","text":"x"}`),
				`"mode":"active"`, `"mode":"standby"`, 1)),
			want: []switchboard.InboundEvent{},
		},
		{
			name: "event types Switchboard does not act on are ignored",
			body: body(
				event("join", "E19", ts, `{"type":"group","groupId":"Cgroup"}`, `"replyToken":"rt"`),
				event("leave", "E20", ts, `{"type":"group","groupId":"Cgroup"}`, ""),
				event("memberJoined", "E21", ts, `{"type":"group","groupId":"Cgroup"}`, `"joined":{"members":[{"type":"user","userId":"U2"}]}`),
				event("beacon", "E22", ts, userSrc, `"beacon":{"hwid":"d41d8cd98f","type":"enter"}`),
				event("accountLink", "E23", ts, userSrc, `"link":{"result":"ok","nonce":"n"}`),
				event("things", "E24", ts, userSrc, `"things":{"deviceId":"t1","type":"link"}`),
				event("unsend", "E25", ts, userSrc, `"unsend":{"messageId":"M1"}`),
				event("videoPlayComplete", "E26", ts, userSrc, `"videoPlayComplete":{"trackingId":"v1"}`),
				event("somethingNew", "E27", ts, userSrc, `"great":"new-field"`)),
			want: []switchboard.InboundEvent{},
		},
		{
			name: "several events keep their order",
			body: body(
				event("follow", "E28", ts, userSrc, `"replyToken":"a"`),
				event("join", "E29", ts, `{"type":"group","groupId":"Cgroup"}`, ""),
				event("message", "E30", ts+1, userSrc, `"replyToken":"b","message":{"type":"text","id":"M30","text":"hello"}`)),
			want: []switchboard.InboundEvent{
				want(switchboard.InFollow, "E28", func(e *switchboard.InboundEvent) { e.ReplyToken = "a" }),
				want(switchboard.InMessage, "E30", func(e *switchboard.InboundEvent) {
					e.ReplyToken = "b"
					e.OccurredAt = at.Add(time.Millisecond)
					e.Message = &switchboard.InboundMessage{ID: "M30", Kind: switchboard.MsgText, Text: "hello"}
				}),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := line.Webhook{}.Parse(testChannel(), tt.body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %s\nwant %s", dump(got), dump(tt.want))
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // a fragment of the error message
	}{
		{"empty body", ``, "must be a JSON object"},
		{"not JSON", `hello`, "must be a JSON object"},
		{"array", `[]`, "must be a JSON object"},
		{"null", `null`, "must be a JSON object"},
		{"truncated", `{"destination":"U1","events":[`, "not a valid callback request"},
		{"trailing garbage", `{"destination":"U1","events":[]} x`, "not a valid callback request"},
		{"no destination", `{"events":[]}`, "no destination"},
		{"events not an array", `{"destination":"U1","events":{}}`, "not a valid callback request"},
		{"event without type", string(body(`{"mode":"active","timestamp":1,"webhookEventId":"E"}`)), "not a valid callback request"},
		{"event type not a string", string(body(`{"type":1}`)), "not a valid callback request"},
		{"timestamp not a number", string(body(`{"type":"follow","timestamp":"x"}`)), "not a valid callback request"},
		{"message event without message", string(body(event("message", "E", ts, userSrc, ""))), "no message"},
		{"message without id", string(body(event("message", "E", ts, userSrc, `"message":{"type":"text","text":"x"}`))), "no id"},
		{"postback without postback", string(body(event("postback", "E", ts, userSrc, ""))), "no postback"},
		{"event without webhookEventId", string(body(event("follow", "", ts, userSrc, ""))), "no webhookEventId"},
		{"event without timestamp", string(body(event("follow", "E", 0, userSrc, ""))), "no timestamp"},
		{"event without mode", string(body(strings.Replace(event("follow", "E", ts, userSrc, ""), `"mode":"active",`, "", 1))), "no mode"},
		{"event without source", string(body(`{"type":"follow","mode":"active","timestamp":1,"webhookEventId":"E"}`)), "no source"},
		{"user source without userId", string(body(event("follow", "E", ts, `{"type":"user"}`, ""))), "no userId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := line.Webhook{}.Parse(testChannel(), []byte(tt.body))
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
