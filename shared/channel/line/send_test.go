package line_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	fakeline "github.com/switchboard-chat/switchboard/infra/fakes/line"
	"github.com/switchboard-chat/switchboard/shared/channel/line"
	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

const token = "line-CHANNEL-TOKEN-42"

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// harness is a Sender pointed at a fake LINE whose retries do not wait.
type harness struct {
	fake   *fakeline.Fake
	sender *line.Sender
	mu     sync.Mutex
	waits  []time.Duration
}

func newHarness(t *testing.T, cfg fakeline.Config, wrap func(http.Handler) http.Handler) *harness {
	t.Helper()
	cfg.Now = func() time.Time { return now }
	h := &harness{fake: fakeline.New(cfg)}
	var handler http.Handler = h.fake
	if wrap != nil {
		handler = wrap(handler)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	h.sender = &line.Sender{
		BaseURL: srv.URL,
		Clock:   func() time.Time { return now },
		Client: &apiclient.Client{
			HTTP:  srv.Client(),
			Clock: func() time.Time { return now },
			Sleep: func(_ context.Context, d time.Duration) error {
				h.mu.Lock()
				h.waits = append(h.waits, d)
				h.mu.Unlock()
				return nil
			},
			MaxAttempts:    3,
			AttemptTimeout: 500 * time.Millisecond,
		},
	}
	return h
}

func lineChannel() *sb.Channel {
	return &sb.Channel{ID: "ch_line", TeamID: "t1", Kind: sb.KindLINE, Name: "LINE", Secrets: sb.ChannelSecrets{AccessToken: token, SigningSecret: "line-secret"}}
}

func sendReq(to sb.Recipient, msgs ...sb.OutboundMessage) sb.SendRequest {
	return sb.SendRequest{Channel: lineChannel(), To: to, Messages: msgs, Purpose: sb.PurposeResponse, IdempotencyKey: "evt-1"}
}

var hello = sb.OutboundMessage{Kind: sb.MsgText, Text: "Hello!"}

func TestSend(t *testing.T) {
	user := sb.Recipient{PlatformUserID: "U1234"}
	withToken := sb.Recipient{PlatformUserID: "U1234", ReplyToken: "rt-good"}
	badToken := sb.Recipient{PlatformUserID: "U1234", ReplyToken: "rt-unknown"}
	tests := []struct {
		name      string
		req       sb.SendRequest
		fail      []fakeFailure
		wantCode  string
		wantVia   string
		wantIDs   int
		wantPaths []string // requests the fake received, in order
		wantKinds []string // deliveries the fake accepted
		wantInMsg string
	}{
		{"reply", sendReq(withToken, hello, hello), nil, "", "reply", 2, []string{"/v2/bot/message/reply"}, []string{"reply"}, ""},
		{"reply token refused then push", sendReq(badToken, hello), nil, "", "push", 1, []string{"/v2/bot/message/reply", "/v2/bot/message/push"}, []string{"push"}, ""},
		{"no reply token pushes", sendReq(user, hello), nil, "", "push", 1, []string{"/v2/bot/message/push"}, []string{"push"}, ""},
		{"429 then success", sendReq(user, hello), []fakeFailure{{1, 429, `{"message":"The API rate limit has been exceeded. Try again later."}`}}, "", "push", 1,
			[]string{"/v2/bot/message/push", "/v2/bot/message/push"}, []string{"push"}, ""},
		{"500 until attempts run out", sendReq(user, hello), []fakeFailure{{5, 500, `{"message":"Internal server error"}`}}, sb.EUnavailable, "", 0,
			[]string{"/v2/bot/message/push", "/v2/bot/message/push", "/v2/bot/message/push"}, nil, "LINE failed (HTTP 500)"},
		{"400 not retried", sendReq(user, hello), []fakeFailure{{1, 400, `{"message":"The request body has 1 error(s)","details":[{"message":"must be specified","property":"to"}]}`}}, sb.EInvalid, "", 0,
			[]string{"/v2/bot/message/push"}, nil, "to: must be specified"},
		{"reply 500 is not a token refusal", sendReq(withToken, hello), []fakeFailure{{3, 500, `{}`}}, sb.EUnavailable, "", 0,
			[]string{"/v2/bot/message/reply", "/v2/bot/message/reply", "/v2/bot/message/reply"}, nil, ""},
		{"monthly quota is permanent", sendReq(user, hello), []fakeFailure{{1, 429, `{"message":"You have reached your monthly limit."}`}}, sb.EForbidden, "", 0,
			[]string{"/v2/bot/message/push"}, nil, "monthly limit"},
		{"token echoed back is redacted", sendReq(user, hello), []fakeFailure{{1, 401, `{"message":"Authentication failed for token ` + token + `"}`}}, sb.EForbidden, "", 0,
			[]string{"/v2/bot/message/push"}, nil, "[redacted]"},
		{"image with text is two LINE messages", sendReq(withToken, sb.OutboundMessage{Kind: sb.MsgImage, MediaURL: "https://cdn.example.com/a.jpg", Text: "Our new bag"}, hello), nil, "", "reply", 2,
			[]string{"/v2/bot/message/reply"}, []string{"reply"}, ""},
		// Refused before any request.
		{"six messages", sendReq(user, hello, hello, hello, hello, hello, hello), nil, sb.EInvalid, "", 0, nil, nil, "1 to 5 messages"},
		{"expands past five", sendReq(user, hello, hello, hello, hello, sb.OutboundMessage{Kind: sb.MsgImage, MediaURL: "https://x.example/a.png", Text: "caption"}), nil, sb.EInvalid, "", 0, nil, nil, "make 6 LINE messages"},
		{"video without preview", sendReq(user, sb.OutboundMessage{Kind: sb.MsgVideo, MediaURL: "https://x.example/a.mp4"}), nil, sb.EInvalid, "", 0, nil, nil, "preview"},
		{"http image", sendReq(user, sb.OutboundMessage{Kind: sb.MsgImage, MediaURL: "http://x.example/a.png"}), nil, sb.EInvalid, "", 0, nil, nil, "https image"},
		{"audio", sendReq(user, sb.OutboundMessage{Kind: sb.MsgAudio, MediaURL: "https://x.example/a.m4a"}), nil, sb.EInvalid, "", 0, nil, nil, "duration"},
		{"template", sendReq(user, sb.OutboundMessage{Template: &sb.Template{Name: "t", Language: "en"}}), nil, sb.EInvalid, "", 0, nil, nil, "WhatsApp only"},
		{"long label", sendReq(user, sb.OutboundMessage{Kind: sb.MsgText, Text: "Pick", Buttons: []sb.Button{{Label: strings.Repeat("x", 21), Payload: "p"}}}), nil, sb.EInvalid, "", 0, nil, nil, "message 1: button 1: label"},
		{"14 quick replies", sendReq(user, sb.OutboundMessage{Kind: sb.MsgText, Text: "Pick", QuickReplies: make14()}), nil, sb.EInvalid, "", 0, nil, nil, "13"},
		{"text too long", sendReq(user, sb.OutboundMessage{Kind: sb.MsgText, Text: strings.Repeat("😀", 2501)}), nil, sb.EInvalid, "", 0, nil, nil, "5002 characters"},
		{"no purpose", sb.SendRequest{Channel: lineChannel(), To: user, Messages: []sb.OutboundMessage{hello}}, nil, sb.EInvalid, "", 0, nil, nil, "send purpose"},
		{"no recipient", sendReq(sb.Recipient{}, hello), nil, sb.EInvalid, "", 0, nil, nil, "recipient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, fakeline.Config{ChannelTokens: []string{token}, StrictReplyTokens: true}, nil)
			h.fake.IssueReplyToken("rt-good")
			for _, f := range tt.fail {
				h.fake.FailNext(f.n, f.status, f.body)
			}
			res, err := h.sender.Send(context.Background(), tt.req)
			if got := sb.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", got, tt.wantCode, err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantInMsg) {
					t.Errorf("error %q does not contain %q", err, tt.wantInMsg)
				}
				if strings.Contains(err.Error(), token) {
					t.Errorf("error leaks the channel access token: %q", err)
				}
			}
			if res.Via != tt.wantVia || len(res.PlatformMessageIDs) != tt.wantIDs {
				t.Errorf("result = %+v, want via %q with %d ids", res, tt.wantVia, tt.wantIDs)
			}
			var paths []string
			for _, r := range h.fake.Requests() {
				paths = append(paths, r.Path)
				if got, want := r.Header.Get("Authorization"), "Bearer "+token; got != want {
					t.Errorf("Authorization = %q, want %q", got, want)
				}
				if r.Path == "/v2/bot/message/push" {
					if got, want := r.Header.Get(line.RetryKeyHeader), line.RetryKey("ch_line", "U1234", "evt-1"); got != want {
						t.Errorf("retry key = %q, want %q", got, want)
					}
				}
			}
			if strings.Join(paths, ",") != strings.Join(tt.wantPaths, ",") {
				t.Errorf("requests = %v, want %v", paths, tt.wantPaths)
			}
			var kinds []string
			for _, d := range h.fake.Deliveries() {
				kinds = append(kinds, d.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tt.wantKinds, ",") {
				t.Errorf("deliveries = %v, want %v", kinds, tt.wantKinds)
			}
		})
	}
}

type fakeFailure struct {
	n, status int
	body      string
}

func make14() []sb.Button {
	bs := make([]sb.Button, 14)
	for i := range bs {
		bs[i] = sb.Button{Label: "b", Payload: "p"}
	}
	return bs
}

func TestSendRetriedPushDeliveredOnce(t *testing.T) {
	h := newHarness(t, fakeline.Config{ChannelTokens: []string{token}}, nil)
	var logs bytes.Buffer
	h.sender.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	req := sendReq(sb.Recipient{PlatformUserID: "U1234"}, hello)
	first, err := h.sender.Send(context.Background(), req)
	if err != nil || first.Via != "push" || len(first.PlatformMessageIDs) != 1 {
		t.Fatalf("first send = %+v, %v", first, err)
	}
	// The caller retries the whole send (its queue redelivered it): the same
	// idempotency key gives the same retry key, LINE answers 409, and the
	// send succeeds without a second delivery.
	again, err := h.sender.Send(context.Background(), req)
	if err != nil || again.Via != "push" {
		t.Fatalf("second send = %+v, %v", again, err)
	}
	reqs := h.fake.Requests()
	if got, want := reqs[len(reqs)-1].Status, http.StatusConflict; got != want {
		t.Errorf("second push answered %d, want %d", got, want)
	}
	if got := h.fake.Recipients(); len(got) != 1 {
		t.Errorf("delivered to %v, want once", got)
	}
	// The log names the request LINE accepted first, and never the token.
	if id := h.fake.Deliveries()[0].RequestID; !strings.Contains(logs.String(), `"acceptedRequestId":"`+id+`"`) {
		t.Errorf("log %q does not name the accepted request %q", logs.String(), id)
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("log leaks the token: %q", logs.String())
	}
	// A different idempotency key is a different send.
	req.IdempotencyKey = "evt-2"
	if _, err := h.sender.Send(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := h.fake.Recipients(); len(got) != 2 {
		t.Errorf("delivered to %v, want twice after a new key", got)
	}
}

func TestSendLostAnswerRetriedOnce(t *testing.T) {
	// The first push reaches LINE, which accepts it, but its answer is lost
	// (the attempt times out): the in-process retry carries the same key, gets
	// 409, and the send succeeds with one delivery.
	var mu sync.Mutex
	lost := false
	h := newHarness(t, fakeline.Config{ChannelTokens: []string{token}}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			drop := !lost
			lost = true
			mu.Unlock()
			if drop {
				next.ServeHTTP(httptest.NewRecorder(), r)
				<-r.Context().Done()
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	res, err := h.sender.Send(context.Background(), sendReq(sb.Recipient{PlatformUserID: "U1234"}, hello))
	if err != nil || res.Via != "push" {
		t.Fatalf("send = %+v, %v", res, err)
	}
	statuses := []int{}
	for _, r := range h.fake.Requests() {
		statuses = append(statuses, r.Status)
	}
	if len(statuses) != 2 || statuses[0] != 200 || statuses[1] != http.StatusConflict {
		t.Errorf("fake answered %v, want [200 409]", statuses)
	}
	if got := h.fake.Recipients(); len(got) != 1 {
		t.Errorf("delivered to %v, want once", got)
	}
}

func TestSendRendering(t *testing.T) {
	link := sb.Button{Label: "Shop", URL: "https://shop.example.com"}
	yes := sb.Button{Label: "Yes", Payload: "YES"}
	tests := []struct {
		name string
		msg  sb.OutboundMessage
		want []string // JSON of each LINE message, keys sorted
	}{
		{"text", hello, []string{`{"text":"Hello!","type":"text"}`}},
		{"image uses itself as preview", sb.OutboundMessage{Kind: sb.MsgImage, MediaURL: "https://c.example/a.jpg"},
			[]string{`{"originalContentUrl":"https://c.example/a.jpg","previewImageUrl":"https://c.example/a.jpg","type":"image"}`}},
		{"video with text", sb.OutboundMessage{Kind: sb.MsgVideo, MediaURL: "https://c.example/v.mp4", PreviewURL: "https://c.example/v.jpg", Text: "Watch"},
			[]string{`{"originalContentUrl":"https://c.example/v.mp4","previewImageUrl":"https://c.example/v.jpg","type":"video"}`, `{"text":"Watch","type":"text"}`}},
		{"buttons template", sb.OutboundMessage{Kind: sb.MsgText, Text: "Interested?", Buttons: []sb.Button{yes, link}},
			[]string{`{"altText":"Interested?","template":{"actions":[{"data":"YES","displayText":"Yes","label":"Yes","type":"postback"},{"label":"Shop","type":"uri","uri":"https://shop.example.com"}],"text":"Interested?","type":"buttons"},"type":"template"}`}},
		{"five buttons become flex", sb.OutboundMessage{Kind: sb.MsgText, Text: "Pick", Buttons: []sb.Button{yes, yes, yes, yes, link}},
			[]string{`flex`}},
		{"quick replies on the last part", sb.OutboundMessage{Kind: sb.MsgImage, MediaURL: "https://c.example/a.jpg", Text: "Like it?", QuickReplies: []sb.Button{yes, link}},
			[]string{`{"originalContentUrl":"https://c.example/a.jpg","previewImageUrl":"https://c.example/a.jpg","type":"image"}`,
				`{"quickReply":{"items":[{"action":{"data":"YES","displayText":"Yes","label":"Yes","type":"postback"},"type":"action"},{"action":{"label":"Shop","type":"uri","uri":"https://shop.example.com"},"type":"action"}]},"text":"Like it?","type":"text"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, fakeline.Config{}, nil)
			if _, err := h.sender.Send(context.Background(), sendReq(sb.Recipient{PlatformUserID: "U1", ReplyToken: "rt"}, tt.msg)); err != nil {
				t.Fatal(err)
			}
			ds := h.fake.Deliveries()
			if len(ds) != 1 || len(ds[0].Messages) != len(tt.want) {
				t.Fatalf("deliveries = %+v, want one of %d messages", ds, len(tt.want))
			}
			for i, raw := range ds[0].Messages {
				got := canonical(t, raw)
				if tt.want[i] == "flex" {
					var m struct {
						Type     string `json:"type"`
						Contents struct {
							Footer struct {
								Contents []json.RawMessage `json:"contents"`
							} `json:"footer"`
						} `json:"contents"`
					}
					_ = json.Unmarshal(raw, &m)
					if m.Type != "flex" || len(m.Contents.Footer.Contents) != 5 {
						t.Errorf("message %d = %s, want a flex bubble with 5 footer buttons", i, got)
					}
					continue
				}
				if got != tt.want[i] {
					t.Errorf("message %d =\n%s\nwant\n%s", i, got, tt.want[i])
				}
			}
		})
	}
}

// canonical re-encodes JSON with sorted keys, for comparison.
func canonical(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestRetryKey(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a := line.RetryKey("c", "U1", "k")
	tests := []struct {
		name  string
		key   string
		same  bool
		other string
	}{
		{"deterministic", a, true, line.RetryKey("c", "U1", "k")},
		{"other key", a, false, line.RetryKey("c", "U1", "k2")},
		{"other recipient", a, false, line.RetryKey("c", "U2", "k")},
		{"other channel", a, false, line.RetryKey("c2", "U1", "k")},
		{"random without key", line.RetryKey("c", "U1", ""), false, line.RetryKey("c", "U1", "")},
	}
	for _, tt := range tests {
		if !uuid.MatchString(tt.key) || !uuid.MatchString(tt.other) {
			t.Errorf("%s: %q / %q are not UUIDs", tt.name, tt.key, tt.other)
		}
		if got := tt.key == tt.other; got != tt.same {
			t.Errorf("%s: equal = %v, want %v", tt.name, got, tt.same)
		}
	}
	if a[14] != '5' {
		t.Errorf("derived key %q is not version 5", a)
	}
}
