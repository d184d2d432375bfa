package line

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/infra/fakes/platform"
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

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func call(t *testing.T, srv *httptest.Server, method, path, token, body string, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return response{res.StatusCode, res.Header, m, raw}
}

func newFake(t *testing.T, cfg Config) (*Fake, *httptest.Server, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2025, 1, 6, 12, 0, 0, 0, time.UTC)}
	if cfg.Now == nil {
		cfg.Now = c.Now
	}
	f := New(cfg)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv, c
}

const text = `{"type":"text","text":"hi"}`

func messages(n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat(text+",", n), ",") + "]"
}

func TestAuthentication(t *testing.T) {
	_, srv, _ := newFake(t, Config{ChannelTokens: []string{"good"}})
	body := `{"to":"U1","messages":` + messages(1) + `}`
	tests := []struct {
		name, token string
		want        int
	}{
		{"no token", "", 401},
		{"wrong token", "bad", 401},
		{"good token", "good", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := call(t, srv, "POST", "/v2/bot/message/push", tt.token, body, nil)
			if got.status != tt.want {
				t.Errorf("status: got %d, want %d (%s)", got.status, tt.want, got.raw)
			}
			if got.header.Get("X-Line-Request-Id") == "" {
				t.Error("no x-line-request-id")
			}
			if got.status == 401 && !strings.HasPrefix(fmt.Sprint(got.body["message"]), "Authentication failed") {
				t.Errorf("message: got %v", got.body["message"])
			}
		})
	}
	// Without configured tokens any bearer token works, but one is needed.
	_, open, _ := newFake(t, Config{})
	if got := call(t, open, "POST", "/v2/bot/message/push", "anything", body, nil); got.status != 200 {
		t.Errorf("open fake, any token: got %d", got.status)
	}
	if got := call(t, open, "POST", "/v2/bot/message/push", "", body, nil); got.status != 401 {
		t.Errorf("open fake, no token: got %d", got.status)
	}
}

func TestReplyTokens(t *testing.T) {
	tests := []struct {
		name   string
		strict bool
		steps  func(f *Fake, c *clock)
		token  string
		want   []int // statuses of successive replies with the token
	}{
		{"issued token works once", true, func(f *Fake, c *clock) { f.IssueReplyToken("rt1") }, "rt1", []int{200, 400}},
		{"expired after a minute", true, func(f *Fake, c *clock) { f.IssueReplyToken("rt1"); c.Advance(61 * time.Second) }, "rt1", []int{400}},
		{"valid just within a minute", true, func(f *Fake, c *clock) { f.IssueReplyToken("rt1"); c.Advance(59 * time.Second) }, "rt1", []int{200}},
		{"unknown token refused when strict", true, nil, "nope", []int{400}},
		{"unknown token accepted once when lenient", false, nil, "free", []int{200, 400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv, c := newFake(t, Config{StrictReplyTokens: tt.strict})
			if tt.steps != nil {
				tt.steps(f, c)
			}
			for i, want := range tt.want {
				got := call(t, srv, "POST", "/v2/bot/message/reply", "tok", `{"replyToken":"`+tt.token+`","messages":`+messages(2)+`}`, nil)
				if got.status != want {
					t.Fatalf("reply %d: got %d, want %d (%s)", i+1, got.status, want, got.raw)
				}
				if want == 400 && got.body["message"] != "Invalid reply token" {
					t.Errorf("reply %d: message %v", i+1, got.body["message"])
				}
				if want == 200 {
					if sent, _ := got.body["sentMessages"].([]any); len(sent) != 2 {
						t.Errorf("sentMessages: got %v", got.body["sentMessages"])
					}
				}
			}
			replies := 0
			for _, d := range f.Deliveries() {
				if d.Kind == "reply" {
					replies++
				}
			}
			if want := countOK(tt.want); replies != want {
				t.Errorf("deliveries: got %d, want %d", replies, want)
			}
		})
	}
}

func countOK(statuses []int) int {
	n := 0
	for _, s := range statuses {
		if s == 200 {
			n++
		}
	}
	return n
}

func TestMessageValidation(t *testing.T) {
	_, srv, _ := newFake(t, Config{})
	tests := []struct {
		name, body string
		want       int
		property   string
	}{
		{"one message", `{"to":"U1","messages":` + messages(1) + `}`, 200, ""},
		{"five messages", `{"to":"U1","messages":` + messages(5) + `}`, 200, ""},
		{"no messages", `{"to":"U1","messages":[]}`, 400, "messages"},
		{"six messages", `{"to":"U1","messages":` + messages(6) + `}`, 400, "messages"},
		{"missing to", `{"messages":` + messages(1) + `}`, 400, "to"},
		{"empty text", `{"to":"U1","messages":[{"type":"text","text":""}]}`, 400, "messages[0].text"},
		{"text too long", `{"to":"U1","messages":[{"type":"text","text":"` + strings.Repeat("字", MaxTextLength+1) + `"}]}`, 400, "messages[0].text"},
		{"text at the limit", `{"to":"U1","messages":[{"type":"text","text":"` + strings.Repeat("字", MaxTextLength) + `"}]}`, 200, ""},
		{"unknown type", `{"to":"U1","messages":[{"type":"fax"}]}`, 400, "messages[0].type"},
		{"flex without altText", `{"to":"U1","messages":[` + text + `,{"type":"flex","contents":{}}]}`, 400, "messages[1].altText"},
		{"sticker", `{"to":"U1","messages":[{"type":"sticker","packageId":"1","stickerId":"2"}]}`, 200, ""},
		{"not JSON", `{"to":`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := call(t, srv, "POST", "/v2/bot/message/push", "tok", tt.body, nil)
			if got.status != tt.want {
				t.Fatalf("status: got %d, want %d (%s)", got.status, tt.want, got.raw)
			}
			if tt.property == "" {
				return
			}
			details, _ := got.body["details"].([]any)
			if len(details) == 0 {
				t.Fatalf("no details: %s", got.raw)
			}
			if d, _ := details[0].(map[string]any); d["property"] != tt.property {
				t.Errorf("property: got %v, want %s", d["property"], tt.property)
			}
		})
	}
}

func TestRetryKey(t *testing.T) {
	f, srv, _ := newFake(t, Config{})
	key := "123e4567-e89b-12d3-a456-426614174000"
	body := `{"to":"U1","messages":` + messages(1) + `}`
	first := call(t, srv, "POST", "/v2/bot/message/push", "tok", body, map[string]string{"X-Line-Retry-Key": key})
	if first.status != 200 {
		t.Fatalf("first: %d %s", first.status, first.raw)
	}
	again := call(t, srv, "POST", "/v2/bot/message/push", "tok", body, map[string]string{"X-Line-Retry-Key": key})
	if again.status != 409 {
		t.Fatalf("retry: got %d, want 409", again.status)
	}
	if got, want := again.header.Get("X-Line-Accepted-Request-Id"), first.header.Get("X-Line-Request-Id"); got != want || got == "" {
		t.Errorf("x-line-accepted-request-id: got %q, want the first request's id %q", got, want)
	}
	mc := `{"to":["U1","U2"],"messages":` + messages(1) + `}`
	if got := call(t, srv, "POST", "/v2/bot/message/multicast", "tok", mc, map[string]string{"X-Line-Retry-Key": key}); got.status != 409 {
		t.Errorf("multicast reusing the key: got %d, want 409", got.status)
	}
	if got := call(t, srv, "POST", "/v2/bot/message/push", "tok", body, map[string]string{"X-Line-Retry-Key": "not-a-uuid"}); got.status != 400 {
		t.Errorf("bad retry key: got %d, want 400", got.status)
	}
	if got, want := strings.Join(f.Recipients(), ","), "U1"; got != want {
		t.Errorf("delivered to %q, want %q once", got, want)
	}
}

func TestRetryKeyConcurrent(t *testing.T) {
	f, srv, _ := newFake(t, Config{RateLimits: map[string]int{"push": -1}})
	key := "123e4567-e89b-12d3-a456-426614174001"
	body := `{"to":"U1","messages":` + messages(1) + `}`
	var wg sync.WaitGroup
	statuses := make(chan int, 40)
	for range 40 {
		wg.Go(func() {
			statuses <- call(t, srv, "POST", "/v2/bot/message/push", "tok", body, map[string]string{"X-Line-Retry-Key": key}).status
		})
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if counts[200] != 1 || counts[409] != 39 {
		t.Errorf("40 concurrent pushes with one retry key: got %v, want one 200 and 39 409", counts)
	}
	if n := len(f.Deliveries()); n != 1 {
		t.Errorf("deliveries: got %d, want 1", n)
	}
}

func TestMulticastLimit(t *testing.T) {
	_, srv, _ := newFake(t, Config{})
	to := func(n int) string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf(`"U%d"`, i)
		}
		return "[" + strings.Join(ids, ",") + "]"
	}
	tests := []struct {
		n, want int
	}{{1, 200}, {500, 200}, {501, 400}, {0, 400}}
	for _, tt := range tests {
		got := call(t, srv, "POST", "/v2/bot/message/multicast", "tok", `{"to":`+to(tt.n)+`,"messages":`+messages(1)+`}`, nil)
		if got.status != tt.want {
			t.Errorf("%d recipients: got %d, want %d", tt.n, got.status, tt.want)
		}
	}
}

func TestRateLimits(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		path     string
		body     string
		limits   map[string]int
		allowed  int
	}{
		{"push at a configured 3/s", "push", "/v2/bot/message/push", `{"to":"U1","messages":` + messages(1) + `}`, map[string]int{"push": 3}, 3},
		{"multicast at LINE's 200/s", "multicast", "/v2/bot/message/multicast", `{"to":["U1"],"messages":` + messages(1) + `}`, nil, MulticastRateLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv, c := newFake(t, Config{RateLimits: tt.limits})
			for i := range tt.allowed {
				if got := call(t, srv, "POST", tt.path, "tok", tt.body, nil); got.status != 200 {
					t.Fatalf("request %d: got %d", i+1, got.status)
				}
			}
			got := call(t, srv, "POST", tt.path, "tok", tt.body, nil)
			if got.status != 429 || !strings.Contains(fmt.Sprint(got.body["message"]), "rate limit") {
				t.Fatalf("request over the limit: got %d %s, want 429", got.status, got.raw)
			}
			c.Advance(time.Second)
			if got := call(t, srv, "POST", tt.path, "tok", tt.body, nil); got.status != 200 {
				t.Errorf("next second: got %d, want 200", got.status)
			}
		})
	}
}

func TestProfileAndContent(t *testing.T) {
	f, srv, _ := newFake(t, Config{})
	f.SetProfile(Profile{UserID: "U1", DisplayName: "小明"})
	f.SetContent("m1", "image/jpeg", []byte{0xff, 0xd8})
	tests := []struct {
		path   string
		want   int
		expect string
	}{
		{"/v2/bot/profile/U1", 200, "小明"},
		{"/v2/bot/profile/U2", 404, "Not found"},
		{"/v2/bot/message/m1/content", 200, "\xff\xd8"},
		{"/v2/bot/message/m2/content", 404, "Not found"},
	}
	for _, tt := range tests {
		got := call(t, srv, "GET", tt.path, "tok", "", nil)
		if got.status != tt.want || !bytes.Contains(got.raw, []byte(tt.expect)) {
			t.Errorf("%s: got %d %q, want %d containing %q", tt.path, got.status, got.raw, tt.want, tt.expect)
		}
	}
	_, gen, _ := newFake(t, Config{GenerateProfiles: true})
	if got := call(t, gen, "GET", "/v2/bot/profile/Uabcdef1234", "tok", "", nil); got.status != 200 || got.body["userId"] != "Uabcdef1234" {
		t.Errorf("generated profile: got %d %s", got.status, got.raw)
	}
}

func TestFailureInjectionAndRecording(t *testing.T) {
	f, srv, _ := newFake(t, Config{})
	body := `{"to":"U1","messages":` + messages(1) + `}`
	if got := call(t, srv, "POST", "/__fake/fail", "", `{"count":2,"status":503,"body":"{\"message\":\"down\"}"}`, nil); got.status != 204 {
		t.Fatalf("inject: %d %s", got.status, got.raw)
	}
	var statuses []int
	for range 3 {
		statuses = append(statuses, call(t, srv, "POST", "/v2/bot/message/push", "tok", body, nil).status)
	}
	if fmt.Sprint(statuses) != "[503 503 200]" {
		t.Errorf("statuses: got %v, want [503 503 200]", statuses)
	}
	if n := len(f.Deliveries()); n != 1 {
		t.Errorf("failed requests delivered: %d deliveries, want 1", n)
	}
	got := call(t, srv, "GET", "/__fake/requests", "", "", nil)
	var reqs []platform.Request
	if err := json.Unmarshal(got.raw, &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 3 || reqs[0].Status != 503 || reqs[2].Status != 200 || reqs[2].Path != "/v2/bot/message/push" || reqs[2].Body != body {
		t.Errorf("recorded: %+v", reqs)
	}
	if got := call(t, srv, "DELETE", "/__fake/requests", "", "", nil); got.status != 204 || len(f.Requests()) != 0 {
		t.Errorf("reset: %d, %d requests left", got.status, len(f.Requests()))
	}
	if got := call(t, srv, "POST", "/__fake/reply-tokens", "", `{"tokens":["via-control"]}`, nil); got.status != 204 {
		t.Fatalf("register reply token: %d", got.status)
	}
	f2 := call(t, srv, "POST", "/v2/bot/message/reply", "tok", `{"replyToken":"via-control","messages":`+messages(1)+`}`, nil)
	if f2.status != 200 {
		t.Errorf("reply with a token registered over HTTP: %d", f2.status)
	}
}
