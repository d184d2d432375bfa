package widget_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/channel/widget"
	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

// site is a widget backend: it verifies each post with the widget token as a
// site would, records it, and answers from a script.
type site struct {
	mu       sync.Mutex
	ch       *sb.Channel
	answers  []siteAnswer
	bodies   [][]byte
	verified []error
}

type siteAnswer struct {
	status int
	body   string
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	headers := map[string]string{}
	for k := range r.Header {
		headers[strings.ToLower(k)] = r.Header.Get(k)
	}
	err := channel.VerifySHA256Hex(s.ch, channel.Request{Method: r.Method, Headers: headers, Body: body}, widget.SignatureHeader)
	s.mu.Lock()
	n := len(s.bodies)
	s.bodies = append(s.bodies, body)
	s.verified = append(s.verified, err)
	a := siteAnswer{200, `{"messageIds":["w1"]}`}
	if n < len(s.answers) {
		a = s.answers[n]
	}
	s.mu.Unlock()
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func newSite(t *testing.T, answers ...siteAnswer) (*site, *httptest.Server, *widget.Sender) {
	t.Helper()
	st := &site{ch: testChannel(), answers: answers}
	srv := httptest.NewServer(st)
	t.Cleanup(srv.Close)
	return st, srv, &widget.Sender{
		Clock: func() time.Time { return time.Unix(ts/1000, 0) },
		NewID: func() string { return "generated-key" },
		Client: &apiclient.Client{
			HTTP:        srv.Client(),
			Sleep:       func(context.Context, time.Duration) error { return nil },
			MaxAttempts: 3,
		},
	}
}

func widgetReq(url string, msgs ...sb.OutboundMessage) sb.SendRequest {
	ch := testChannel()
	ch.OutboundURL = url
	return sb.SendRequest{Channel: ch, To: sb.Recipient{PlatformUserID: "v_1"}, Messages: msgs, Purpose: sb.PurposeAgent, IdempotencyKey: "send-1"}
}

func TestSendWidget(t *testing.T) {
	hi := sb.OutboundMessage{Kind: sb.MsgText, Text: "Hi!", QuickReplies: []sb.Button{{Label: "Yes", Payload: "YES"}}}
	tests := []struct {
		name      string
		url       func(base string) string
		msgs      []sb.OutboundMessage
		token     string
		answers   []siteAnswer
		wantCode  string
		wantPosts int
		wantIDs   []string
		wantInMsg string
	}{
		{"delivered and signed", func(b string) string { return b + "/in" }, []sb.OutboundMessage{hi}, token, nil, "", 1, []string{"w1"}, ""},
		{"429 then accepted", func(b string) string { return b + "/in" }, []sb.OutboundMessage{hi}, token, []siteAnswer{{429, `{"error":"slow down"}`}}, "", 2, []string{"w1"}, ""},
		{"accepted without ids", func(b string) string { return b + "/in" }, []sb.OutboundMessage{hi}, token, []siteAnswer{{204, ``}}, "", 1, nil, ""},
		{"500 until attempts run out", func(b string) string { return b + "/in" }, []sb.OutboundMessage{hi}, token, []siteAnswer{{500, `oops`}, {500, `oops`}, {500, `oops`}}, sb.EUnavailable, 3, nil, "widget failed (HTTP 500): oops"},
		{"400 not retried", func(b string) string { return b + "/in" }, []sb.OutboundMessage{hi}, token, []siteAnswer{{400, `{"error":"unknown visitor"}`}}, sb.EInvalid, 1, nil, "unknown visitor"},
		{"token echoed is redacted", func(b string) string { return b + "/in" }, []sb.OutboundMessage{hi}, token, []siteAnswer{{403, `{"error":"bad signature for token ` + token + `"}`}}, sb.EForbidden, 1, nil, "[redacted]"},
		{"no outboundUrl", func(string) string { return "" }, []sb.OutboundMessage{hi}, token, nil, sb.EInvalid, 0, nil, "widget channel has no outboundUrl"},
		{"clear-text URL", func(string) string { return "http://widget.example.com/in" }, []sb.OutboundMessage{hi}, token, nil, sb.EInvalid, 0, nil, "https"},
		{"no token", func(b string) string { return b + "/in" }, []sb.OutboundMessage{hi}, "", nil, sb.EInvalid, 0, nil, "no widget token"},
		{"template", func(b string) string { return b + "/in" }, []sb.OutboundMessage{{Template: &sb.Template{Name: "x", Language: "en"}}}, token, nil, sb.EInvalid, 0, nil, "WhatsApp only"},
		{"button with both", func(b string) string { return b + "/in" }, []sb.OutboundMessage{{Kind: sb.MsgText, Text: "x", Buttons: []sb.Button{{Label: "a", Payload: "p", URL: "https://x.example"}}}}, token, nil, sb.EInvalid, 0, nil, "button 1"},
		{"image without URL", func(b string) string { return b + "/in" }, []sb.OutboundMessage{{Kind: sb.MsgImage}}, token, nil, sb.EInvalid, 0, nil, "media URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, srv, s := newSite(t, tt.answers...)
			req := widgetReq(tt.url(srv.URL), tt.msgs...)
			req.Channel.Secrets.SigningSecret = tt.token
			res, err := s.Send(context.Background(), req)
			if got := sb.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", got, tt.wantCode, err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantInMsg) {
					t.Errorf("error %q does not contain %q", err, tt.wantInMsg)
				}
				if strings.Contains(err.Error(), token) {
					t.Errorf("error leaks the widget token: %q", err)
				}
			}
			if got := len(st.bodies); got != tt.wantPosts {
				t.Fatalf("posts = %d, want %d", got, tt.wantPosts)
			}
			if strings.Join(res.PlatformMessageIDs, ",") != strings.Join(tt.wantIDs, ",") {
				t.Errorf("ids = %v, want %v", res.PlatformMessageIDs, tt.wantIDs)
			}
			for i, b := range st.bodies {
				if st.verified[i] != nil {
					t.Errorf("post %d: signature does not verify: %v", i, st.verified[i])
				}
				if string(b) != string(st.bodies[0]) {
					t.Errorf("post %d differs from the first: a retry must repeat the same bytes", i)
				}
				var got widget.OutboundBody
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatal(err)
				}
				if got.ChannelID != req.Channel.ID || got.VisitorID != "v_1" || got.IdempotencyKey != "send-1" || len(got.Messages) != len(tt.msgs) {
					t.Errorf("post %d = %+v", i, got)
				}
			}
		})
	}
}

func TestSendWidgetBody(t *testing.T) {
	st, srv, s := newSite(t)
	req := widgetReq(srv.URL+"/in", sb.OutboundMessage{Text: "Hello", Buttons: []sb.Button{{Label: "Shop", URL: "https://shop.example.com"}}},
		sb.OutboundMessage{Kind: sb.MsgImage, MediaURL: "https://c.example/a.png"})
	req.IdempotencyKey = ""
	if _, err := s.Send(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	want := `{"channelId":"01JCHWIDGET","visitorId":"v_1","messages":[{"kind":"text","text":"Hello","buttons":[{"label":"Shop","url":"https://shop.example.com"}]},{"kind":"image","mediaUrl":"https://c.example/a.png"}],"idempotencyKey":"generated-key"}`
	if got := string(st.bodies[0]); got != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
	// A forged body does not verify against the same signature.
	ch := testChannel()
	forged := channel.Request{Headers: map[string]string{widget.SignatureHeader: channel.SignSHA256Hex("other-token", st.bodies[0])}, Body: st.bodies[0]}
	if err := channel.VerifySHA256Hex(ch, forged, widget.SignatureHeader); err == nil {
		t.Error("a body signed with another token verified")
	}
}
