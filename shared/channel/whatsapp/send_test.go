package whatsapp_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	fakewa "github.com/switchboard-chat/switchboard/infra/fakes/whatsapp"
	"github.com/switchboard-chat/switchboard/shared/channel/whatsapp"
	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

const waToken = "EAAG-SYSTEM-USER-TOKEN-SECRET"

var sendNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newWA(t *testing.T, cfg fakewa.Config) (*fakewa.Fake, *whatsapp.Sender) {
	t.Helper()
	cfg.Now = func() time.Time { return sendNow }
	f := fakewa.New(cfg)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, &whatsapp.Sender{
		BaseURL: srv.URL,
		Clock:   func() time.Time { return sendNow },
		Client: &apiclient.Client{
			HTTP:           srv.Client(),
			Clock:          func() time.Time { return sendNow },
			Sleep:          func(context.Context, time.Duration) error { return nil },
			MaxAttempts:    3,
			AttemptTimeout: time.Second,
		},
	}
}

func waReq(purpose sb.SendPurpose, age time.Duration, msgs ...sb.OutboundMessage) sb.SendRequest {
	ch := testChannel()
	ch.Secrets.AccessToken = waToken
	return sb.SendRequest{Channel: ch, To: sb.Recipient{PlatformUserID: waID, LastCustomerAt: sendNow.Add(-age)}, Messages: msgs, Purpose: purpose, IdempotencyKey: "k"}
}

func waErr(code int, title, details string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": title, "type": "OAuthException", "code": code,
		"error_data": map[string]string{"messaging_product": "whatsapp", "details": details}, "fbtrace_id": "Ax",
	}})
	return string(b)
}

type waFailure struct {
	n, status int
	body      string
}

func TestSendWhatsApp(t *testing.T) {
	hi := sb.OutboundMessage{Kind: sb.MsgText, Text: "Hi!"}
	tmpl := sb.OutboundMessage{Template: &sb.Template{Name: "order_shipped", Language: "zh_TW", Params: []string{"Amy", "#1234"}}}
	tests := []struct {
		name      string
		req       sb.SendRequest
		fakeLast  time.Duration // when the fake thinks the customer last wrote; 0 = unknown
		fail      []waFailure
		wantCode  string
		wantCalls int
		wantTypes []string // types of the messages the fake accepted
		wantIDs   int
		wantInMsg string
	}{
		{"text inside window", waReq(sb.PurposeResponse, time.Hour, hi), time.Hour, nil, "", 1, []string{"text"}, 1, ""},
		{"template outside window", waReq(sb.PurposeMarketing, 30*time.Hour, tmpl), 30 * time.Hour, nil, "", 1, []string{"template"}, 1, ""},
		{"audio with text is two requests", waReq(sb.PurposeAgent, time.Hour, sb.OutboundMessage{Kind: sb.MsgAudio, MediaURL: "https://c.example/a.ogg", Text: "Listen"}), time.Hour, nil, "", 2, []string{"audio", "text"}, 1, ""},
		// Refused before any request.
		{"text outside window", waReq(sb.PurposeAgent, 30*time.Hour, hi), 30 * time.Hour, nil, sb.EForbidden, 0, nil, 0, "131047"},
		{"template then text outside window", waReq(sb.PurposeMarketing, 30*time.Hour, tmpl, hi), 30 * time.Hour, nil, sb.EForbidden, 0, nil, 0, "message 2 is not a template"},
		{"bad template name", waReq(sb.PurposeMarketing, time.Hour, sb.OutboundMessage{Template: &sb.Template{Name: "Order Shipped", Language: "en"}}), 0, nil, sb.EInvalid, 0, nil, 0, "lower-case"},
		{"empty template parameter", waReq(sb.PurposeMarketing, time.Hour, sb.OutboundMessage{Template: &sb.Template{Name: "x", Language: "en", Params: []string{"a", " "}}}), 0, nil, sb.EInvalid, 0, nil, 0, "{{2}}"},
		{"link and reply mixed", waReq(sb.PurposeResponse, time.Hour, sb.OutboundMessage{Kind: sb.MsgText, Text: "Go", Buttons: []sb.Button{{Label: "Site", URL: "https://x.example"}, {Label: "Yes", Payload: "Y"}}}), 0, nil, sb.EInvalid, 0, nil, 0, "one link button alone"},
		{"eleven buttons", waReq(sb.PurposeResponse, time.Hour, sb.OutboundMessage{Kind: sb.MsgText, Text: "Go", Buttons: buttons(11)}), 0, nil, sb.EInvalid, 0, nil, 0, "at most 10"},
		{"long reply title", waReq(sb.PurposeResponse, time.Hour, sb.OutboundMessage{Kind: sb.MsgText, Text: "Go", QuickReplies: []sb.Button{{Label: strings.Repeat("x", 21), Payload: "p"}}}), 0, nil, sb.EInvalid, 0, nil, 0, "over 20 characters"},
		{"sticker", waReq(sb.PurposeResponse, time.Hour, sb.OutboundMessage{Kind: sb.MsgSticker}), 0, nil, sb.EInvalid, 0, nil, 0, "sticker"},
		// The Cloud API's answers.
		{"throughput 130429 retried", waReq(sb.PurposeResponse, time.Hour, hi), 0, []waFailure{{1, 400, waErr(130429, "(#130429) Rate limit hit", "Cloud API message throughput has been reached.")}}, "", 2, []string{"text"}, 1, ""},
		{"pair limit 131056 until attempts run out", waReq(sb.PurposeResponse, time.Hour, hi), 0, []waFailure{{5, 400, waErr(131056, "(#131056) pair rate limit hit", "too many messages")}}, sb.ERateLimited, 3, nil, 0, "131056"},
		{"fake says outside window", waReq(sb.PurposeResponse, time.Hour, hi), 48 * time.Hour, nil, sb.EForbidden, 1, nil, 0, "error 131047"},
		{"undeliverable 131026", waReq(sb.PurposeResponse, time.Hour, hi), 0, []waFailure{{1, 400, waErr(131026, "(#131026) Message Undeliverable", "")}}, sb.EInvalid, 1, nil, 0, "Message Undeliverable"},
		{"500 until attempts run out", waReq(sb.PurposeResponse, time.Hour, hi), 0, []waFailure{{5, 500, waErr(131000, "(#131000) Something went wrong", "")}}, sb.EUnavailable, 3, nil, 0, "Something went wrong"},
		{"token echoed is redacted", waReq(sb.PurposeResponse, time.Hour, hi), 0, []waFailure{{1, 401, waErr(190, "Error validating access token "+waToken, "")}}, sb.EForbidden, 1, nil, 0, "[redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, s := newWA(t, fakewa.Config{Tokens: []string{waToken}, StrictWindow: true})
			last := tt.fakeLast
			if last == 0 {
				last = time.Minute
			}
			f.SetLastInbound(waID, sendNow.Add(-last))
			for _, fl := range tt.fail {
				f.FailNext(fl.n, fl.status, fl.body)
			}
			res, err := s.Send(context.Background(), tt.req)
			if got := sb.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", got, tt.wantCode, err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantInMsg) {
					t.Errorf("error %q does not contain %q", err, tt.wantInMsg)
				}
				if strings.Contains(err.Error(), waToken) {
					t.Errorf("error leaks the token: %q", err)
				}
			}
			reqs := f.Requests()
			if len(reqs) != tt.wantCalls {
				t.Errorf("calls = %d, want %d", len(reqs), tt.wantCalls)
			}
			for _, r := range reqs {
				if r.Path != "/v21.0/"+phoneID+"/messages" || r.Header.Get("Authorization") != "Bearer "+waToken {
					t.Errorf("request to %q with auth %q", r.Path, r.Header.Get("Authorization"))
				}
			}
			var types []string
			for _, m := range f.Sent() {
				types = append(types, m.Type)
			}
			if strings.Join(types, ",") != strings.Join(tt.wantTypes, ",") {
				t.Errorf("sent types = %v, want %v", types, tt.wantTypes)
			}
			if len(res.PlatformMessageIDs) != tt.wantIDs {
				t.Fatalf("ids = %v, want %d", res.PlatformMessageIDs, tt.wantIDs)
			}
			for i, id := range res.PlatformMessageIDs {
				if id != f.Sent()[i].ID {
					t.Errorf("id %d = %q, want the fake's wamid %q", i, id, f.Sent()[i].ID)
				}
			}
		})
	}
}

func buttons(n int) []sb.Button {
	bs := make([]sb.Button, n)
	for i := range bs {
		bs[i] = sb.Button{Label: "Option " + string(rune('A'+i)), Payload: "OPT_" + string(rune('A'+i))}
	}
	return bs
}

func TestSendWhatsAppRendering(t *testing.T) {
	tests := []struct {
		name string
		msg  sb.OutboundMessage
		want string // the message's JSON, keys sorted
	}{
		{"text with link preview", sb.OutboundMessage{Kind: sb.MsgText, Text: "See https://shop.example.com"},
			`{"messaging_product":"whatsapp","recipient_type":"individual","text":{"body":"See https://shop.example.com","preview_url":true},"to":"16505551234","type":"text"}`},
		{"image with caption", sb.OutboundMessage{Kind: sb.MsgImage, MediaURL: "https://c.example/a.jpg", Text: "New"},
			`{"image":{"caption":"New","link":"https://c.example/a.jpg"},"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"image"}`},
		{"file as document", sb.OutboundMessage{Kind: sb.MsgFile, MediaURL: "https://c.example/docs/invoice.pdf"},
			`{"document":{"filename":"invoice.pdf","link":"https://c.example/docs/invoice.pdf"},"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"document"}`},
		{"template with params", sb.OutboundMessage{Template: &sb.Template{Name: "order_shipped", Language: "en_US", Params: []string{"Amy", "#1234"}}},
			`{"messaging_product":"whatsapp","recipient_type":"individual","template":{"components":[{"parameters":[{"text":"Amy","type":"text"},{"text":"#1234","type":"text"}],"type":"body"}],"language":{"code":"en_US"},"name":"order_shipped"},"to":"16505551234","type":"template"}`},
		{"reply buttons", sb.OutboundMessage{Kind: sb.MsgText, Text: "Size?", Buttons: buttons(2)},
			`{"interactive":{"action":{"buttons":[{"reply":{"id":"OPT_A","title":"Option A"},"type":"reply"},{"reply":{"id":"OPT_B","title":"Option B"},"type":"reply"}]},"body":{"text":"Size?"},"type":"button"},"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"interactive"}`},
		{"quick replies on an image", sb.OutboundMessage{Kind: sb.MsgImage, MediaURL: "https://c.example/a.jpg", Text: "Like it?", QuickReplies: buttons(1)},
			`{"interactive":{"action":{"buttons":[{"reply":{"id":"OPT_A","title":"Option A"},"type":"reply"}]},"body":{"text":"Like it?"},"header":{"image":{"link":"https://c.example/a.jpg"},"type":"image"},"type":"button"},"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"interactive"}`},
		{"list", sb.OutboundMessage{Kind: sb.MsgText, Text: "Pick", Buttons: buttons(4)},
			`{"interactive":{"action":{"button":"Options","sections":[{"rows":[{"id":"OPT_A","title":"Option A"},{"id":"OPT_B","title":"Option B"},{"id":"OPT_C","title":"Option C"},{"id":"OPT_D","title":"Option D"}]}]},"body":{"text":"Pick"},"type":"list"},"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"interactive"}`},
		{"link button", sb.OutboundMessage{Kind: sb.MsgText, Text: "Track it", Buttons: []sb.Button{{Label: "Track", URL: "https://t.example/1"}}},
			`{"interactive":{"action":{"name":"cta_url","parameters":{"display_text":"Track","url":"https://t.example/1"}},"body":{"text":"Track it"},"type":"cta_url"},"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"interactive"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, s := newWA(t, fakewa.Config{})
			if _, err := s.Send(context.Background(), waReq(sb.PurposeResponse, time.Hour, tt.msg)); err != nil {
				t.Fatal(err)
			}
			sent := f.Sent()
			if len(sent) != 1 {
				t.Fatalf("sent %d messages, want 1", len(sent))
			}
			var v any
			_ = json.Unmarshal(sent[0].Message, &v)
			got, _ := json.Marshal(v)
			if string(got) != tt.want {
				t.Errorf("message =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
