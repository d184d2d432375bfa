package whatsapp

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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

type answer struct {
	Product  string `json:"messaging_product"`
	Contacts []struct {
		Input string `json:"input"`
		WaID  string `json:"wa_id"`
	} `json:"contacts"`
	Messages []struct {
		ID     string `json:"id"`
		Status string `json:"message_status"`
	} `json:"messages"`
	Error struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		FBTraceID string `json:"fbtrace_id"`
		Data      struct {
			Product string `json:"messaging_product"`
			Details string `json:"details"`
		} `json:"error_data"`
	} `json:"error"`
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

func send(t *testing.T, srv *httptest.Server, number, token, body string) (int, answer) {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+"/v21.0/"+number+"/messages", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer is not JSON: %s", raw)
	}
	return res.StatusCode, a
}

func text(to string) string {
	return fmt.Sprintf(`{"messaging_product":"whatsapp","recipient_type":"individual","to":%q,"type":"text","text":{"body":"hi"}}`, to)
}

func template(to string) string {
	return fmt.Sprintf(`{"messaging_product":"whatsapp","to":%q,"type":"template","template":{"name":"hello_world","language":{"code":"zh_TW"}}}`, to)
}

func TestSendValidation(t *testing.T) {
	_, srv, _ := newFake(t, Config{Tokens: []string{"good"}})
	tests := []struct {
		name, token, body string
		status, code      int
	}{
		{"text", "good", text("+886 912-345-678"), 200, 0},
		{"template", "good", template("886912345678"), 200, 0},
		{"image by link", "good", `{"messaging_product":"whatsapp","to":"886912345678","type":"image","image":{"link":"https://x/y.jpg"}}`, 200, 0},
		{"interactive", "good", `{"messaging_product":"whatsapp","to":"886912345678","type":"interactive","interactive":{"type":"button","action":{"buttons":[]}}}`, 200, 0},
		{"contacts", "good", `{"messaging_product":"whatsapp","to":"886912345678","type":"contacts","contacts":[{"name":{"formatted_name":"A"}}]}`, 200, 0},
		{"type defaults to text", "good", `{"messaging_product":"whatsapp","to":"886912345678","text":{"body":"hi"}}`, 200, 0},
		{"no token", "", text("886912345678"), 401, CodeAuth},
		{"bad token", "bad", text("886912345678"), 401, CodeAuth},
		{"wrong product", "good", `{"messaging_product":"sms","to":"886912345678","type":"text","text":{"body":"hi"}}`, 400, CodeInvalidParameter},
		{"no recipient", "good", `{"messaging_product":"whatsapp","type":"text","text":{"body":"hi"}}`, 400, CodeInvalidParameter},
		{"bad recipient", "good", `{"messaging_product":"whatsapp","to":"call me","type":"text","text":{"body":"hi"}}`, 400, CodeInvalidParameter},
		{"empty text", "good", `{"messaging_product":"whatsapp","to":"886912345678","type":"text","text":{"body":""}}`, 400, CodeInvalidParameter},
		{"text too long", "good", `{"messaging_product":"whatsapp","to":"886912345678","type":"text","text":{"body":"` + strings.Repeat("a", MaxTextLength+1) + `"}}`, 400, CodeInvalidParameter},
		{"template without language", "good", `{"messaging_product":"whatsapp","to":"886912345678","type":"template","template":{"name":"x"}}`, 400, CodeInvalidParameter},
		{"image without media", "good", `{"messaging_product":"whatsapp","to":"886912345678","type":"image","image":{}}`, 400, CodeInvalidParameter},
		{"type without its object", "good", `{"messaging_product":"whatsapp","to":"886912345678","type":"video"}`, 400, CodeInvalidParameter},
		{"unknown type", "good", `{"messaging_product":"whatsapp","to":"886912345678","type":"fax","fax":{}}`, 400, CodeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := send(t, srv, "1055", tt.token, tt.body)
			if status != tt.status || got.Error.Code != tt.code {
				t.Fatalf("got %d code %d (%s %s), want %d code %d", status, got.Error.Code, got.Error.Message, got.Error.Data.Details, tt.status, tt.code)
			}
			if status != 200 {
				if got.Error.Type != "OAuthException" || got.Error.FBTraceID == "" {
					t.Errorf("error shape: %+v", got.Error)
				}
				return
			}
			if got.Product != "whatsapp" || len(got.Contacts) != 1 || got.Contacts[0].WaID != "886912345678" || len(got.Messages) != 1 || !strings.HasPrefix(got.Messages[0].ID, "wamid.") {
				t.Errorf("answer: %+v", got)
			}
		})
	}
}

func TestServiceWindow(t *testing.T) {
	tests := []struct {
		name   string
		age    time.Duration // <0: no inbound recorded
		strict bool
		body   string
		status int
	}{
		{"text within 24 h", 23 * time.Hour, false, text("886900000001"), 200},
		{"text after 24 h", 25 * time.Hour, false, text("886900000001"), 400},
		{"template after 24 h", 25 * time.Hour, false, template("886900000001"), 200},
		{"text to an unknown customer, lenient", -1, false, text("886900000001"), 200},
		{"text to an unknown customer, strict", -1, true, text("886900000001"), 400},
		{"template to an unknown customer, strict", -1, true, template("886900000001"), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv, c := newFake(t, Config{StrictWindow: tt.strict})
			if tt.age >= 0 {
				f.SetLastInbound("+886 900 000 001", c.Now())
				c.Advance(tt.age)
			}
			status, got := send(t, srv, "1055", "tok", tt.body)
			if status != tt.status {
				t.Fatalf("got %d (%s), want %d", status, got.Error.Message, tt.status)
			}
			if status == 400 && (got.Error.Code != CodeReEngagement || got.Error.Data.Details == "") {
				t.Errorf("error: %+v, want code %d with details", got.Error, CodeReEngagement)
			}
		})
	}
}

func TestRateLimits(t *testing.T) {
	t.Run("throughput per number", func(t *testing.T) {
		_, srv, c := newFake(t, Config{Throughput: 3, PairBurst: -1})
		for i := range 3 {
			if status, got := send(t, srv, "1055", "tok", text(fmt.Sprintf("8869000000%02d", i))); status != 200 {
				t.Fatalf("message %d: %d %s", i+1, status, got.Error.Message)
			}
		}
		if status, got := send(t, srv, "1055", "tok", text("886900000099")); status != 400 || got.Error.Code != CodeThroughput {
			t.Fatalf("over throughput: got %d code %d, want 400 code %d", status, got.Error.Code, CodeThroughput)
		}
		if status, _ := send(t, srv, "2066", "tok", text("886900000099")); status != 200 {
			t.Errorf("another number: %d", status)
		}
		c.Advance(time.Second)
		if status, _ := send(t, srv, "1055", "tok", text("886900000099")); status != 200 {
			t.Errorf("next second: %d", status)
		}
	})
	t.Run("pair limit", func(t *testing.T) {
		_, srv, c := newFake(t, Config{PairBurst: 1})
		steps := []struct {
			advance time.Duration
			to      string
			status  int
		}{
			{0, "886900000001", 200},
			{time.Second, "886900000001", 400}, // 1 s later: too soon
			{0, "886900000002", 200},           // another recipient is fine
			{5 * time.Second, "886900000001", 200},
			{time.Second, "886900000001", 400},
		}
		for i, s := range steps {
			c.Advance(s.advance)
			status, got := send(t, srv, "1055", "tok", text(s.to))
			if status != s.status {
				t.Fatalf("step %d: got %d (%s), want %d", i+1, status, got.Error.Message, s.status)
			}
			if status == 400 && got.Error.Code != CodePairRate {
				t.Errorf("step %d: code %d, want %d", i+1, got.Error.Code, CodePairRate)
			}
		}
	})
	t.Run("pair burst by default", func(t *testing.T) {
		_, srv, _ := newFake(t, Config{})
		for i := range DefaultPairBurst {
			if status, got := send(t, srv, "1055", "tok", text("886900000001")); status != 200 {
				t.Fatalf("message %d of a burst: %d %s", i+1, status, got.Error.Message)
			}
		}
		if status, got := send(t, srv, "1055", "tok", text("886900000001")); status != 400 || got.Error.Code != CodePairRate {
			t.Fatalf("after the burst: got %d code %d", status, got.Error.Code)
		}
	})
}
