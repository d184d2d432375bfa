package meta_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/infra/fakes/graph"
	"github.com/switchboard-chat/switchboard/shared/channel/meta"
	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

const pageToken = "EAAB-PAGE-TOKEN-SECRET"

var sendNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newGraph(t *testing.T, cfg graph.Config) (*graph.Fake, *meta.Sender) {
	t.Helper()
	cfg.Now = func() time.Time { return sendNow }
	f := graph.New(cfg)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, &meta.Sender{
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

func sendChannel(kind sb.ChannelKind) *sb.Channel {
	ch := messengerChannel()
	if kind == sb.KindInstagram {
		ch = instagramChannel()
	}
	ch.Secrets.AccessToken = pageToken
	return ch
}

func metaReq(kind sb.ChannelKind, purpose sb.SendPurpose, age time.Duration, msgs ...sb.OutboundMessage) sb.SendRequest {
	last := time.Time{}
	if age >= 0 {
		last = sendNow.Add(-age)
	}
	return sb.SendRequest{Channel: sendChannel(kind), To: sb.Recipient{PlatformUserID: psid, LastCustomerAt: last}, Messages: msgs, Purpose: purpose, IdempotencyKey: "k1"}
}

func graphErr(code, subcode int, msg string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code, "error_subcode": subcode, "fbtrace_id": "Ax"}})
	return string(b)
}

type failure struct {
	n, status int
	body      string
}

func TestSendMeta(t *testing.T) {
	hi := sb.OutboundMessage{Kind: sb.MsgText, Text: "Hi there"}
	pic := sb.OutboundMessage{Kind: sb.MsgImage, MediaURL: "https://cdn.example.com/p.jpg", Text: "New in"}
	const never = time.Duration(-1)
	tests := []struct {
		name      string
		req       sb.SendRequest
		fakeLast  time.Duration // when the fake thinks the customer last wrote; 0 = unknown
		fail      []failure
		wantCode  string
		wantCalls int
		wantSent  int
		wantIDs   int
		wantType  string // messaging_type of the sent messages
		wantTag   string
		wantPath  string
		wantInMsg string
	}{
		{"response inside window", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, hi), 0, nil, "", 1, 1, 1, "RESPONSE", "", "/v21.0/PAGE1/messages", ""},
		{"system inside window is UPDATE", metaReq(sb.KindMessenger, sb.PurposeSystem, time.Hour, hi), 0, nil, "", 1, 1, 1, "UPDATE", "", "/v21.0/PAGE1/messages", ""},
		{"agent at 30h tagged HUMAN_AGENT", metaReq(sb.KindMessenger, sb.PurposeAgent, 30*time.Hour, hi), 30 * time.Hour, nil, "", 1, 1, 1, "MESSAGE_TAG", "HUMAN_AGENT", "/v21.0/PAGE1/messages", ""},
		{"instagram agent at 30h via me", metaReq(sb.KindInstagram, sb.PurposeAgent, 30*time.Hour, hi), 30 * time.Hour, nil, "", 1, 1, 1, "MESSAGE_TAG", "HUMAN_AGENT", "/v21.0/me/messages", ""},
		{"image with text is two calls, one id", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, pic, hi), 0, nil, "", 3, 3, 2, "RESPONSE", "", "/v21.0/PAGE1/messages", ""},
		// Refused before any call.
		{"response at 30h", metaReq(sb.KindMessenger, sb.PurposeResponse, 30*time.Hour, hi), 0, nil, sb.EForbidden, 0, 0, 0, "", "", "", "only replies typed by an agent"},
		{"agent after 7 days", metaReq(sb.KindMessenger, sb.PurposeAgent, 8*24*time.Hour, hi), 0, nil, sb.EForbidden, 0, 0, 0, "", "", "", "the customer last wrote 8 days ago; Messenger allows agent replies for 7 days"},
		{"never wrote", metaReq(sb.KindMessenger, sb.PurposeAgent, never, hi), 0, nil, sb.EForbidden, 0, 0, 0, "", "", "", "never written"},
		{"instagram broadcast", metaReq(sb.KindInstagram, sb.PurposeMarketing, time.Hour, hi), 0, nil, sb.EForbidden, 0, 0, 0, "", "", "", "Instagram does not allow broadcast"},
		{"instagram file", metaReq(sb.KindInstagram, sb.PurposeResponse, time.Hour, sb.OutboundMessage{Kind: sb.MsgFile, MediaURL: "https://x.example/a.pdf"}), 0, nil, sb.EInvalid, 0, 0, 0, "", "", "", "cannot send files"},
		{"four buttons", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, sb.OutboundMessage{Kind: sb.MsgText, Text: "Pick", Buttons: []sb.Button{{Label: "a", Payload: "a"}, {Label: "b", Payload: "b"}, {Label: "c", Payload: "c"}, {Label: "d", Payload: "d"}}}), 0, nil, sb.EInvalid, 0, 0, 0, "", "", "", "at most 3"},
		{"URL quick reply", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, sb.OutboundMessage{Kind: sb.MsgText, Text: "Pick", QuickReplies: []sb.Button{{Label: "Site", URL: "https://x.example"}}}), 0, nil, sb.EInvalid, 0, 0, 0, "", "", "", "cannot open a URL"},
		{"text too long", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, sb.OutboundMessage{Kind: sb.MsgText, Text: strings.Repeat("a", 2001)}), 0, nil, sb.EInvalid, 0, 0, 0, "", "", "", "2001 characters"},
		{"whatsapp template", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, sb.OutboundMessage{Template: &sb.Template{Name: "x", Language: "en"}}), 0, nil, sb.EInvalid, 0, 0, 0, "", "", "", "WhatsApp only"},
		// Graph's answers.
		{"rate limit 613 retried", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, hi), 0, []failure{{1, 400, graphErr(613, 0, "(#613) Calls to this api have exceeded the rate limit.")}}, "", 2, 1, 1, "RESPONSE", "", "/v21.0/PAGE1/messages", ""},
		{"rate limit 4 until attempts run out", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, hi), 0, []failure{{5, 403, graphErr(4, 0, "(#4) Application request limit reached")}}, sb.ERateLimited, 3, 0, 0, "", "", "", "(#4) Application request limit reached"},
		{"500 until attempts run out", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, hi), 0, []failure{{5, 500, graphErr(2, 0, "Service temporarily unavailable")}}, sb.EUnavailable, 3, 0, 0, "", "", "", "Service temporarily unavailable"},
		{"invalid parameter not retried", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, hi), 0, []failure{{1, 400, graphErr(100, 0, "(#100) The parameter recipient is required")}}, sb.EInvalid, 1, 0, 0, "", "", "", "error 100"},
		{"user unavailable", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, hi), 0, []failure{{1, 400, graphErr(551, 1545041, "This person isn't available right now.")}}, sb.EForbidden, 1, 0, 0, "", "", "", "isn't available"},
		{"fake says outside window", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, hi), 9 * 24 * time.Hour, nil, sb.EForbidden, 1, 0, 0, "", "", "", "error 10/2018278"},
		{"token echoed is redacted", metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, hi), 0, []failure{{1, 400, graphErr(190, 0, "Invalid OAuth access token "+pageToken)}}, sb.EForbidden, 1, 0, 0, "", "", "", "[redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, s := newGraph(t, graph.Config{PageTokens: map[string]string{pageToken: page}})
			if tt.fakeLast > 0 {
				f.SetLastInbound(page, psid, sendNow.Add(-tt.fakeLast))
			}
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
				if strings.Contains(err.Error(), pageToken) {
					t.Errorf("error leaks the page token: %q", err)
				}
			}
			if got := len(f.Requests()); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if got := len(res.PlatformMessageIDs); got != tt.wantIDs {
				t.Errorf("ids = %v, want %d", res.PlatformMessageIDs, tt.wantIDs)
			}
			sent := f.Sent()
			if len(sent) != tt.wantSent {
				t.Fatalf("sent = %d, want %d", len(sent), tt.wantSent)
			}
			for i, m := range sent {
				if m.MessagingType != tt.wantType || m.Tag != tt.wantTag || m.RecipientID != psid {
					t.Errorf("sent %d: type %q tag %q to %q, want %q %q %q", i, m.MessagingType, m.Tag, m.RecipientID, tt.wantType, tt.wantTag, psid)
				}
			}
			for i, id := range res.PlatformMessageIDs {
				if !strings.HasPrefix(id, "m_") {
					t.Errorf("id %d = %q, want a Graph message id", i, id)
				}
			}
			if tt.wantPath == "" {
				tt.wantPath = "/v21.0/PAGE1/messages"
			}
			for _, r := range f.Requests() {
				if r.Path != tt.wantPath {
					t.Errorf("path = %q, want %q", r.Path, tt.wantPath)
				}
				if r.Query != "" || r.Header.Get("Authorization") != "Bearer "+pageToken {
					t.Errorf("token not sent as a bearer header only: query %q", r.Query)
				}
			}
		})
	}
}

func TestSendMetaPartialFailure(t *testing.T) {
	// The second Graph call is refused: the error names it, and the result
	// still carries the id of the message that went out.
	f, s := newGraph(t, graph.Config{})
	hi := sb.OutboundMessage{Kind: sb.MsgText, Text: "Hi"}
	ctx := context.Background()
	before := len(f.Sent())
	// The fake's injected failures hit the next request: queue one just
	// before the second call goes out.
	calls := 0
	s.Client.HTTP.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		if calls == 2 {
			f.FailNext(1, 400, graphErr(100, 0, "(#100) Param message[text] must be non-empty."))
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	res, err := s.Send(ctx, metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, hi, hi, hi))
	if got, want := sb.ErrorCode(err), sb.EInvalid; got != want {
		t.Fatalf("code = %q, want %q (err %v)", got, want, err)
	}
	if !strings.Contains(sb.ErrorMessage(err), "message 2 of 3") {
		t.Errorf("error %q does not name message 2 of 3", err)
	}
	if got := len(res.PlatformMessageIDs); got != 1 {
		t.Errorf("ids = %v, want the one sent", res.PlatformMessageIDs)
	}
	if got := len(f.Sent()) - before; got != 1 {
		t.Errorf("sent = %d, want 1", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSendMetaRendering(t *testing.T) {
	yes := sb.Button{Label: "Yes", Payload: "YES"}
	link := sb.Button{Label: "Shop", URL: "https://shop.example.com"}
	tests := []struct {
		name string
		kind sb.ChannelKind
		msg  sb.OutboundMessage
		want []string
	}{
		{"text with quick replies", sb.KindMessenger, sb.OutboundMessage{Kind: sb.MsgText, Text: "Size?", QuickReplies: []sb.Button{{Label: "S", Payload: "SIZE_S"}, {Label: "M", Payload: "SIZE_M"}}},
			[]string{`{"quick_replies":[{"content_type":"text","payload":"SIZE_S","title":"S"},{"content_type":"text","payload":"SIZE_M","title":"M"}],"text":"Size?"}`}},
		{"messenger button template", sb.KindMessenger, sb.OutboundMessage{Kind: sb.MsgText, Text: "Interested?", Buttons: []sb.Button{yes, link}},
			[]string{`{"attachment":{"payload":{"buttons":[{"payload":"YES","title":"Yes","type":"postback"},{"title":"Shop","type":"web_url","url":"https://shop.example.com"}],"template_type":"button","text":"Interested?"},"type":"template"}}`}},
		{"instagram generic template", sb.KindInstagram, sb.OutboundMessage{Kind: sb.MsgText, Text: "Interested?", Buttons: []sb.Button{yes}},
			[]string{`{"attachment":{"payload":{"elements":[{"buttons":[{"payload":"YES","title":"Yes","type":"postback"}],"title":"Interested?"}],"template_type":"generic"},"type":"template"}}`}},
		{"video then text with quick replies on the text", sb.KindMessenger, sb.OutboundMessage{Kind: sb.MsgVideo, MediaURL: "https://c.example/v.mp4", Text: "Watch", QuickReplies: []sb.Button{yes}},
			[]string{`{"attachment":{"payload":{"is_reusable":true,"url":"https://c.example/v.mp4"},"type":"video"}}`,
				`{"quick_replies":[{"content_type":"text","payload":"YES","title":"Yes"}],"text":"Watch"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, s := newGraph(t, graph.Config{})
			if _, err := s.Send(context.Background(), metaReq(tt.kind, sb.PurposeResponse, time.Hour, tt.msg)); err != nil {
				t.Fatal(err)
			}
			sent := f.Sent()
			if len(sent) != len(tt.want) {
				t.Fatalf("sent %d messages, want %d", len(sent), len(tt.want))
			}
			for i, m := range sent {
				var v any
				_ = json.Unmarshal(m.Message, &v)
				got, _ := json.Marshal(v)
				if string(got) != tt.want[i] {
					t.Errorf("message %d =\n%s\nwant\n%s", i, got, tt.want[i])
				}
			}
		})
	}
}
