package widget_test

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
	"github.com/switchboard-chat/switchboard/shared/channel/widget"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

const (
	token = "widget-token"
	ts    = int64(1772431600000)
)

var at = time.UnixMilli(ts).UTC()

func testChannel() *switchboard.Channel {
	return &switchboard.Channel{
		ID: "01JCHWIDGET", TeamID: "01JTEAM", Kind: switchboard.KindWidget, PlatformID: "w1",
		Secrets: switchboard.ChannelSecrets{SigningSecret: token},
	}
}

// sign is computed independently of widget.Sign so a bug there cannot hide.
func sign(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestSign(t *testing.T) {
	b := []byte(`{"visitorId":"v"}`)
	if got, want := widget.Sign(token, b), sign(token, b); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	raw := []byte(`{"visitorId": "v1", "events": [ ]}`)
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	reserialised, _ := json.Marshal(v)
	if bytes.Equal(raw, reserialised) {
		t.Fatal("test body must change when re-serialised")
	}
	good := sign(token, raw)
	bad := channel.ErrBadSignature(widget.SignatureHeader)
	tests := []struct {
		name    string
		ch      *switchboard.Channel
		headers map[string]string
		body    []byte
		wantErr error
	}{
		{"good", testChannel(), map[string]string{"x-switchboard-signature": good}, raw, nil},
		{"header in canonical case", testChannel(), map[string]string{"X-Switchboard-Signature": good}, raw, nil},
		{"signed raw bytes, verified over re-serialised JSON", testChannel(), map[string]string{"x-switchboard-signature": good}, reserialised, bad},
		{"wrong token", testChannel(), map[string]string{"x-switchboard-signature": sign("other", raw)}, raw, bad},
		{"missing header", testChannel(), nil, raw, bad},
		{"hex of wrong length", testChannel(), map[string]string{"x-switchboard-signature": "sha256=abcd"}, raw, bad},
		{"meta header instead", testChannel(), map[string]string{"x-hub-signature-256": good}, raw, bad},
		{"no token configured", &switchboard.Channel{Kind: switchboard.KindWidget}, map[string]string{"x-switchboard-signature": sign("", raw)}, raw, channel.ErrNoSecret()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := widget.Webhook{}.Verify(tt.ch, channel.Request{Method: "POST", Headers: tt.headers, Body: tt.body})
			if got, want := switchboard.ErrorCode(err), switchboard.ErrorCode(tt.wantErr); got != want {
				t.Fatalf("code = %q, want %q (err %v)", got, want, err)
			}
			if got, want := switchboard.ErrorMessage(err), switchboard.ErrorMessage(tt.wantErr); got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
		})
	}
}

// body encodes a widget body from the package's own types.
func body(t testing.TB, events ...widget.Event) []byte {
	b, err := json.Marshal(widget.Body{VisitorID: "v1", VisitorName: "Guest 4821", Events: events})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func want(typ switchboard.InboundType, id string, f func(*switchboard.InboundEvent)) switchboard.InboundEvent {
	e := switchboard.InboundEvent{
		ID: id, TeamID: "01JTEAM", ChannelID: "01JCHWIDGET", ChannelKind: switchboard.KindWidget,
		Type: typ, CustomerID: "v1", CustomerName: "Guest 4821", OccurredAt: at,
	}
	f(&e)
	return e
}

func TestParse(t *testing.T) {
	page := "https://shop.example.com/p/1"
	tests := []struct {
		name string
		body []byte
		want []switchboard.InboundEvent
	}{
		{
			name: "text message",
			body: body(t, widget.Event{ID: "e1", Type: "message", Timestamp: ts, PageURL: page, Text: "Does it run small?"}),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "e1", func(e *switchboard.InboundEvent) {
				e.Message = &switchboard.InboundMessage{ID: "e1", Kind: switchboard.MsgText, Text: "Does it run small?"}
			})},
		},
		{
			name: "reply to an earlier message",
			body: body(t, widget.Event{ID: "e2", Type: "message", Timestamp: ts, Text: "yes", ReplyToID: "out1"}),
			want: []switchboard.InboundEvent{want(switchboard.InMessage, "e2", func(e *switchboard.InboundEvent) {
				e.Message = &switchboard.InboundMessage{ID: "e2", Kind: switchboard.MsgText, Text: "yes", ReplyToID: "out1"}
			})},
		},
		{
			name: "attachments",
			body: body(t,
				widget.Event{ID: "e3", Type: "message", Timestamp: ts, Text: "my receipt",
					Attachment: &widget.Attachment{Type: "image", URL: "https://u/r.png", MimeType: "image/png", FileName: "r.png"}},
				widget.Event{ID: "e4", Type: "message", Timestamp: ts, Attachment: &widget.Attachment{Type: "video", URL: "https://u/v.mp4"}},
				widget.Event{ID: "e5", Type: "message", Timestamp: ts, Attachment: &widget.Attachment{Type: "audio", URL: "https://u/a.m4a"}},
				widget.Event{ID: "e6", Type: "message", Timestamp: ts, Attachment: &widget.Attachment{Type: "file", URL: "https://u/f.pdf", FileName: "f.pdf"}},
				widget.Event{ID: "e7", Type: "message", Timestamp: ts, Attachment: &widget.Attachment{Type: "hologram", URL: "https://u/h"}}),
			want: []switchboard.InboundEvent{
				want(switchboard.InMessage, "e3", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "e3", Kind: switchboard.MsgImage, Text: "my receipt", MediaURL: "https://u/r.png", MimeType: "image/png", FileName: "r.png"}
				}),
				want(switchboard.InMessage, "e4", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "e4", Kind: switchboard.MsgVideo, MediaURL: "https://u/v.mp4"}
				}),
				want(switchboard.InMessage, "e5", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "e5", Kind: switchboard.MsgAudio, MediaURL: "https://u/a.m4a"}
				}),
				want(switchboard.InMessage, "e6", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "e6", Kind: switchboard.MsgFile, MediaURL: "https://u/f.pdf", FileName: "f.pdf"}
				}),
				want(switchboard.InMessage, "e7", func(e *switchboard.InboundEvent) {
					e.Message = &switchboard.InboundMessage{ID: "e7", Kind: switchboard.MsgOther, MediaURL: "https://u/h"}
				}),
			},
		},
		{
			name: "postback",
			body: body(t, widget.Event{ID: "e8", Type: "postback", Timestamp: ts, Payload: "TALK_TO_AGENT", Title: "Talk to a person"}),
			want: []switchboard.InboundEvent{want(switchboard.InPostback, "e8", func(e *switchboard.InboundEvent) {
				e.Postback = &switchboard.Postback{Payload: "TALK_TO_AGENT", Title: "Talk to a person"}
			})},
		},
		{
			name: "open with and without ref",
			body: body(t,
				widget.Event{ID: "e9", Type: "open", Timestamp: ts, PageURL: page, Ref: "spring_sale"},
				widget.Event{ID: "e10", Type: "open", Timestamp: ts}),
			want: []switchboard.InboundEvent{
				want(switchboard.InFollow, "e9", func(e *switchboard.InboundEvent) {
					e.Referral = &switchboard.Referral{Ref: "spring_sale", Source: "WIDGET", Type: "OPEN_THREAD"}
				}),
				want(switchboard.InFollow, "e10", func(e *switchboard.InboundEvent) {}),
			},
		},
		{
			name: "unknown event types are ignored",
			body: body(t, widget.Event{ID: "e11", Type: "typing", Timestamp: ts}, widget.Event{Type: "close"}),
			want: []switchboard.InboundEvent{},
		},
		{
			name: "no events",
			body: []byte(`{"visitorId":"v1"}`),
			want: []switchboard.InboundEvent{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := widget.Webhook{}.Parse(testChannel(), tt.body)
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
	long := strings.Repeat("x", widget.MaxIDBytes+1)
	many := make([]string, widget.MaxEvents+1)
	for i := range many {
		many[i] = fmt.Sprintf(`{"id":"e%d","type":"open","timestamp":1}`, i)
	}
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty", ``, "must be a JSON object"},
		{"array", `[]`, "must be a JSON object"},
		{"truncated", `{"visitorId":"v1","events":[`, "not valid"},
		{"timestamp as string", `{"visitorId":"v1","events":[{"id":"e","type":"open","timestamp":"1"}]}`, "not valid"},
		{"no visitor", `{"events":[]}`, "visitorId must be"},
		{"visitor id too long", `{"visitorId":"` + long + `"}`, "visitorId must be"},
		{"too many events", `{"visitorId":"v","events":[` + strings.Join(many, ",") + `]}`, "at most 100 events"},
		{"event without id", `{"visitorId":"v","events":[{"type":"open","timestamp":1}]}`, "events[0]: id must be"},
		{"event id too long", `{"visitorId":"v","events":[{"id":"` + long + `","type":"open","timestamp":1}]}`, "id must be"},
		{"event without timestamp", `{"visitorId":"v","events":[{"id":"e","type":"open"}]}`, "timestamp is missing"},
		{"page url too long", `{"visitorId":"v","events":[{"id":"e","type":"open","timestamp":1,"pageUrl":"` + strings.Repeat("u", widget.MaxURLLen+1) + `"}]}`, "pageUrl is longer"},
		{"empty message", `{"visitorId":"v","events":[{"id":"e","type":"message","timestamp":1}]}`, "neither text nor attachment"},
		{"attachment without url", `{"visitorId":"v","events":[{"id":"e","type":"message","timestamp":1,"attachment":{"type":"image"}}]}`, "attachment.url"},
		{"postback without payload", `{"visitorId":"v","events":[{"id":"e","type":"postback","timestamp":1}]}`, "no payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := widget.Webhook{}.Parse(testChannel(), []byte(tt.body))
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
