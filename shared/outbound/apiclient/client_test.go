package apiclient_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

const secret = "tok-SECRET-0123456789"

// script is a server answering each attempt from a list of (status, header,
// body) and recording what it received.
type script struct {
	mu      sync.Mutex
	answers []answer
	bodies  []string
	auth    []string
}

type answer struct {
	status int
	header map[string]string
	body   string
	stall  time.Duration
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.bodies)
	s.bodies = append(s.bodies, string(b))
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	a := s.answers[min(n, len(s.answers)-1)]
	s.mu.Unlock()
	if a.stall > 0 {
		select {
		case <-time.After(a.stall):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func (s *script) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

// recorder is an injected Sleep that only records the waits.
type recorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recorder) sleep(_ context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
	return nil
}

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newClient(rec *recorder) *apiclient.Client {
	return &apiclient.Client{
		Clock:          func() time.Time { return now },
		Sleep:          rec.sleep,
		Jitter:         func(time.Duration) time.Duration { return 0 },
		MaxAttempts:    3,
		AttemptTimeout: 2 * time.Second,
		BaseDelay:      100 * time.Millisecond,
		MaxDelay:       time.Second,
	}
}

func TestDo(t *testing.T) {
	ok := answer{status: 200, body: `{"ok":true}`}
	tests := []struct {
		name      string
		answers   []answer
		wantCode  string
		wantCalls int
		wantWaits []time.Duration
		wantInMsg string
	}{
		{"success", []answer{ok}, "", 1, nil, ""},
		{"429 then success", []answer{{status: 429, body: `{"message":"slow down"}`}, ok}, "", 2, []time.Duration{50 * time.Millisecond}, ""},
		{"429 honours Retry-After seconds", []answer{{status: 429, header: map[string]string{"Retry-After": "3"}}, ok}, "", 2, []time.Duration{3 * time.Second}, ""},
		{"503 honours Retry-After date", []answer{{status: 503, header: map[string]string{"Retry-After": now.Add(2 * time.Second).Format(http.TimeFormat)}}, ok}, "", 2, []time.Duration{2 * time.Second}, ""},
		{"Retry-After too long fails at once", []answer{{status: 429, header: map[string]string{"Retry-After": "3600"}, body: `{"message":"quota"}`}}, sb.ERateLimited, 1, nil, "retry after 1h0m0s"},
		{"500 every time", []answer{{status: 500, body: `{"message":"boom"}`}}, sb.EUnavailable, 3, []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}, "HTTP 500"},
		{"502 html body", []answer{{status: 502, body: `<html>bad gateway</html>`}}, sb.EUnavailable, 3, []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}, "bad gateway"},
		{"400 not retried", []answer{{status: 400, body: `{"message":"The request body has 1 error(s)","details":[{"message":"May not be empty","property":"messages[0].text"}]}`}}, sb.EInvalid, 1, nil, "messages[0].text: May not be empty"},
		{"401 forbidden not retried", []answer{{status: 401, body: `{"message":"Authentication failed"}`}}, sb.EForbidden, 1, nil, "Authentication failed"},
		{"404 invalid", []answer{{status: 404, body: `not here`}}, sb.EInvalid, 1, nil, "not here"},
		{"408 retried", []answer{{status: 408}, ok}, "", 2, []time.Duration{50 * time.Millisecond}, ""},
		{"timeout then success", []answer{{status: 200, stall: 5 * time.Second}, ok}, "", 2, []time.Duration{50 * time.Millisecond}, ""},
		{"token echoed in body is redacted", []answer{{status: 400, body: `{"error":{"message":"Invalid token ` + secret + ` and access_token=OTHERTOKEN","code":190}}`}}, sb.EInvalid, 1, nil, "[redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &script{answers: tt.answers}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			rec := &recorder{}
			c := newClient(rec)
			c.AttemptTimeout = 300 * time.Millisecond
			resp, err := c.Do(context.Background(), apiclient.Request{
				Platform: "Test", Method: http.MethodPost, URL: ts.URL + "/send",
				Header: http.Header{"Authorization": {"Bearer " + secret}}, Body: []byte(`{"a":1}`),
				Secrets: []string{secret},
			})
			if got := sb.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", got, tt.wantCode, err)
			}
			if got := srv.calls(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if got, want := len(rec.waits), len(tt.wantWaits); got != want {
				t.Fatalf("waits = %v, want %v", rec.waits, tt.wantWaits)
			}
			for i := range tt.wantWaits {
				if rec.waits[i] != tt.wantWaits[i] {
					t.Errorf("wait %d = %v, want %v", i, rec.waits[i], tt.wantWaits[i])
				}
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantInMsg) {
					t.Errorf("error %q does not contain %q", err, tt.wantInMsg)
				}
				if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "OTHERTOKEN") {
					t.Errorf("error leaks a token: %q", err)
				}
			} else if resp.Status != 200 || string(resp.Body) != `{"ok":true}` || resp.Attempts != tt.wantCalls {
				t.Errorf("resp = %d %q after %d attempts", resp.Status, resp.Body, resp.Attempts)
			}
			for i, b := range srv.bodies {
				if b != `{"a":1}` || srv.auth[i] != "Bearer "+secret {
					t.Errorf("attempt %d sent body %q auth %q", i+1, b, srv.auth[i])
				}
			}
		})
	}
}

func TestDoCodesOverrideStatus(t *testing.T) {
	srv := &script{answers: []answer{
		{status: 400, body: `{"error":{"message":"(#4) Application request limit reached","code":4}}`},
		{status: 400, body: `{"error":{"message":"(#100) bad param","code":100}}`},
	}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	rec := &recorder{}
	_, err := newClient(rec).Do(context.Background(), apiclient.Request{
		Platform: "Messenger", Method: http.MethodPost, URL: ts.URL, Body: []byte(`{}`),
		Codes: func(p apiclient.PlatformError) (string, bool) {
			if p.Code == 4 {
				return sb.ERateLimited, true
			}
			return "", false
		},
	})
	if got, want := sb.ErrorCode(err), sb.EInvalid; got != want {
		t.Fatalf("code = %q, want %q (err %v)", got, want, err)
	}
	if got, want := srv.calls(), 2; got != want {
		t.Errorf("calls = %d, want %d: a mapped rate limit must be retried", got, want)
	}
	if !strings.Contains(err.Error(), "error 100") {
		t.Errorf("error %q lacks the platform code", err)
	}
}

func TestDoNetworkErrorKeepsURLOut(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL + "/v21.0/me/messages?access_token=" + secret
	ts.Close() // nothing listens any more
	rec := &recorder{}
	_, err := newClient(rec).Do(context.Background(), apiclient.Request{Platform: "Messenger", Method: http.MethodPost, URL: url, Body: []byte(`{}`)})
	if got, want := sb.ErrorCode(err), sb.EUnavailable; got != want {
		t.Fatalf("code = %q, want %q (err %v)", got, want, err)
	}
	if got, want := len(rec.waits), 2; got != want {
		t.Errorf("waits = %d, want %d (network errors are retried)", got, want)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "/v21.0/") {
		t.Errorf("error quotes the URL: %q", err)
	}
}

func TestDoStopsOnCancelledContext(t *testing.T) {
	srv := &script{answers: []answer{{status: 503}}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c := newClient(nil)
	c.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	_, err := c.Do(ctx, apiclient.Request{Platform: "Test", Method: http.MethodPost, URL: ts.URL, Body: []byte(`{}`)})
	if got, want := sb.ErrorCode(err), sb.EUnavailable; got != want {
		t.Fatalf("code = %q, want %q (err %v)", got, want, err)
	}
	if got, want := srv.calls(), 1; got != want {
		t.Errorf("calls = %d, want %d after cancel", got, want)
	}
}

func TestDoSkipsWaitPastDeadline(t *testing.T) {
	srv := &script{answers: []answer{{status: 429, header: map[string]string{"Retry-After": "5"}}}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	rec := &recorder{}
	_, err := newClient(rec).Do(ctx, apiclient.Request{Platform: "Test", Method: http.MethodPost, URL: ts.URL, Body: []byte(`{}`)})
	if got, want := sb.ErrorCode(err), sb.ERateLimited; got != want {
		t.Fatalf("code = %q, want %q", got, want)
	}
	if len(rec.waits) != 0 || srv.calls() != 1 {
		t.Errorf("waited %v over %d calls; want no wait past the deadline", rec.waits, srv.calls())
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	srv := &script{answers: []answer{{status: 500}}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	rec := &recorder{}
	c := newClient(rec)
	c.MaxAttempts = 6
	c.Jitter = func(d time.Duration) time.Duration { return d - 1 } // the top of the range
	_, err := c.Do(context.Background(), apiclient.Request{Platform: "Test", Method: http.MethodPost, URL: ts.URL, Body: []byte(`{}`)})
	if sb.ErrorCode(err) != sb.EUnavailable {
		t.Fatalf("err = %v", err)
	}
	want := []time.Duration{100*time.Millisecond - 1, 200*time.Millisecond - 1, 400*time.Millisecond - 1, 800*time.Millisecond - 1, time.Second - 1}
	if len(rec.waits) != len(want) {
		t.Fatalf("waits = %v, want %v", rec.waits, want)
	}
	for i := range want {
		if rec.waits[i] != want[i] {
			t.Errorf("wait %d = %v, want %v", i, rec.waits[i], want[i])
		}
	}
}

func TestDoLogsRetriesWithoutSecrets(t *testing.T) {
	srv := &script{answers: []answer{{status: 429, body: `{"message":"slow down, ` + secret + `"}`}, {status: 200}}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var logs bytes.Buffer
	c := newClient(&recorder{})
	c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	_, err := c.Do(context.Background(), apiclient.Request{
		Platform: "Test", Method: http.MethodPost, URL: ts.URL + "/hook?key=" + secret, Body: []byte(`{}`), Secrets: []string{secret},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, `"attempt":1`) || !strings.Contains(out, `"status":429`) || !strings.Contains(out, "slow down") {
		t.Errorf("log %q lacks the retried attempt", out)
	}
	if strings.Contains(out, secret) || strings.Contains(out, "/hook") {
		t.Errorf("log %q leaks the secret or the URL", out)
	}
}
