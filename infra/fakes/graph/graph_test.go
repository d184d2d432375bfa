package graph

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type graphError struct {
	Error struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode"`
		FBTraceID string `json:"fbtrace_id"`
	} `json:"error"`
	RecipientID string `json:"recipient_id"`
	MessageID   string `json:"message_id"`
}

func post(t *testing.T, srv *httptest.Server, path, contentType, body string, header map[string]string) (int, graphError) {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var g graphError
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("answer is not JSON: %s", raw)
	}
	return res.StatusCode, g
}

func newFake(t *testing.T, cfg Config) (*Fake, *httptest.Server, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2025, 1, 6, 12, 0, 0, 0, time.UTC)}
	cfg.Now = c.Now
	f := New(cfg)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv, c
}

func TestSendValidation(t *testing.T) {
	f, srv, _ := newFake(t, Config{PageTokens: map[string]string{"tok-p1": "p1"}})
	const text = `"message":{"text":"hi"}`
	tests := []struct {
		name, path, body string
		header           map[string]string
		status, code     int
	}{
		{"response via query token", "/v21.0/p1/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},"messaging_type":"RESPONSE",` + text + `}`, nil, 200, 0},
		{"me via bearer", "/v21.0/me/messages", `{"recipient":{"id":"psid1"},"messaging_type":"UPDATE",` + text + `}`, map[string]string{"Authorization": "Bearer tok-p1"}, 200, 0},
		{"unversioned path", "/me/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},"messaging_type":"RESPONSE",` + text + `}`, nil, 200, 0},
		{"human agent tag", "/v21.0/p1/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT",` + text + `}`, nil, 200, 0},
		{"attachment", "/v21.0/p1/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},"messaging_type":"RESPONSE","message":{"attachment":{"type":"image","payload":{"url":"https://x/y.png"}}}}`, nil, 200, 0},
		{"sender action", "/v21.0/p1/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},"sender_action":"typing_on"}`, nil, 200, 0},
		{"no token", "/v21.0/p1/messages", `{"recipient":{"id":"psid1"},"messaging_type":"RESPONSE",` + text + `}`, nil, 401, 2500},
		{"bad token", "/v21.0/p1/messages?access_token=nope", `{"recipient":{"id":"psid1"},"messaging_type":"RESPONSE",` + text + `}`, nil, 401, CodeAuth},
		{"token of another page", "/v21.0/p2/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},"messaging_type":"RESPONSE",` + text + `}`, nil, 403, CodePermission},
		{"no recipient", "/v21.0/p1/messages?access_token=tok-p1", `{"messaging_type":"RESPONSE",` + text + `}`, nil, 400, CodeInvalidParameter},
		{"no messaging type", "/v21.0/p1/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},` + text + `}`, nil, 400, CodeInvalidParameter},
		{"bad messaging type", "/v21.0/p1/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},"messaging_type":"PROMO",` + text + `}`, nil, 400, CodeInvalidParameter},
		{"tag missing", "/v21.0/p1/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},"messaging_type":"MESSAGE_TAG",` + text + `}`, nil, 400, CodeInvalidParameter},
		{"unknown tag", "/v21.0/p1/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},"messaging_type":"MESSAGE_TAG","tag":"PROMO",` + text + `}`, nil, 400, CodeInvalidParameter},
		{"text and attachment", "/v21.0/p1/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},"messaging_type":"RESPONSE","message":{"text":"a","attachment":{"type":"image","payload":{}}}}`, nil, 400, CodeInvalidParameter},
		{"empty message", "/v21.0/p1/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},"messaging_type":"RESPONSE","message":{}}`, nil, 400, CodeInvalidParameter},
		{"text too long", "/v21.0/p1/messages?access_token=tok-p1", `{"recipient":{"id":"psid1"},"messaging_type":"RESPONSE","message":{"text":"` + strings.Repeat("a", MaxTextLength+1) + `"}}`, nil, 400, CodeInvalidParameter},
		{"wrong path", "/v21.0/p1/feed?access_token=tok-p1", `{}`, nil, 400, 2500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := post(t, srv, tt.path, "application/json", tt.body, tt.header)
			if status != tt.status || got.Error.Code != tt.code {
				t.Fatalf("got %d code %d (%s), want %d code %d", status, got.Error.Code, got.Error.Message, tt.status, tt.code)
			}
			if status != 200 && (got.Error.Type != "OAuthException" || got.Error.FBTraceID == "") {
				t.Errorf("error shape: %+v", got.Error)
			}
			if status == 200 && got.RecipientID != "psid1" {
				t.Errorf("recipient_id: got %q", got.RecipientID)
			}
		})
	}
	// Form-encoded requests carry the token and JSON values as fields.
	form := url.Values{"access_token": {"tok-p1"}, "recipient": {`{"id":"psid9"}`}, "messaging_type": {"RESPONSE"}, "message": {`{"text":"hi"}`}}
	if status, got := post(t, srv, "/v21.0/me/messages", "application/x-www-form-urlencoded", form.Encode(), nil); status != 200 || !strings.HasPrefix(got.MessageID, "m_") {
		t.Errorf("form request: %d %+v", status, got)
	}
	for _, s := range f.Sent() {
		if s.PageID != "p1" {
			t.Errorf("sent on page %q, want p1 (the token's page)", s.PageID)
		}
	}
}

func TestMessagingWindow(t *testing.T) {
	tests := []struct {
		name     string
		age      time.Duration // since the customer's last message; <0: none recorded
		strict   bool
		typ, tag string
		want     int
	}{
		{"within 24 h", 23 * time.Hour, false, "RESPONSE", "", 200},
		{"after 24 h without a tag", 25 * time.Hour, false, "RESPONSE", "", 400},
		{"after 24 h as human agent", 25 * time.Hour, false, "MESSAGE_TAG", "HUMAN_AGENT", 200},
		{"human agent at 6 days 23 h", 7*24*time.Hour - time.Hour, false, "MESSAGE_TAG", "HUMAN_AGENT", 200},
		{"human agent after 7 days", 7*24*time.Hour + time.Hour, false, "MESSAGE_TAG", "HUMAN_AGENT", 400},
		{"unknown recipient, lenient", -1, false, "RESPONSE", "", 200},
		{"unknown recipient, strict", -1, true, "RESPONSE", "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv, c := newFake(t, Config{StrictWindow: tt.strict})
			if tt.age >= 0 {
				f.SetLastInbound("p1", "psid1", c.Now())
				c.Advance(tt.age)
			}
			body := `{"recipient":{"id":"psid1"},"messaging_type":"` + tt.typ + `"`
			if tt.tag != "" {
				body += `,"tag":"` + tt.tag + `"`
			}
			body += `,"message":{"text":"hello"}}`
			status, got := post(t, srv, "/v21.0/p1/messages?access_token=t", "application/json", body, nil)
			if status != tt.want {
				t.Fatalf("got %d (%s), want %d", status, got.Error.Message, tt.want)
			}
			if status == 400 && (got.Error.Code != CodePermission || got.Error.Subcode != SubcodeOutsideWindow) {
				t.Errorf("error: got code %d subcode %d, want %d/%d", got.Error.Code, got.Error.Subcode, CodePermission, SubcodeOutsideWindow)
			}
		})
	}
}

func TestPageRateLimit(t *testing.T) {
	_, srv, c := newFake(t, Config{PageRateLimit: 5})
	body := `{"recipient":{"id":"psid1"},"messaging_type":"RESPONSE","message":{"text":"hi"}}`
	for i := range 5 {
		if status, _ := post(t, srv, "/v21.0/p1/messages?access_token=t", "application/json", body, nil); status != 200 {
			t.Fatalf("call %d: %d", i+1, status)
		}
	}
	status, got := post(t, srv, "/v21.0/p1/messages?access_token=t", "application/json", body, nil)
	if status != 400 || got.Error.Code != CodeRateLimit {
		t.Fatalf("over the limit: got %d code %d, want 400 code %d", status, got.Error.Code, CodeRateLimit)
	}
	if status, _ := post(t, srv, "/v21.0/p2/messages?access_token=t", "application/json", body, nil); status != 200 {
		t.Errorf("another page shares the limit: %d", status)
	}
	c.Advance(time.Second)
	if status, _ := post(t, srv, "/v21.0/p1/messages?access_token=t", "application/json", body, nil); status != 200 {
		t.Errorf("next second: %d", status)
	}
}
