package platform

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRateLimiter(t *testing.T) {
	var l RateLimiter
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		key   string
		at    time.Duration
		limit int
		want  bool
	}{
		{"a", 0, 2, true},
		{"a", 100 * time.Millisecond, 2, true},
		{"a", 900 * time.Millisecond, 2, false},
		{"b", 900 * time.Millisecond, 2, true}, // keys are independent
		{"a", time.Second, 2, true},            // a new window
		{"a", time.Second, 0, true},            // no limit
	}
	for i, s := range steps {
		if got := l.Allow(s.key, s.limit, t0.Add(s.at)); got != s.want {
			t.Errorf("step %d (%s at %s): got %v, want %v", i+1, s.key, s.at, got, s.want)
		}
	}
}

func TestBucket(t *testing.T) {
	b := &Bucket{Burst: 2, Interval: 6 * time.Second}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {0, true}, {time.Second, false}, {6 * time.Second, true}, {7 * time.Second, false}, {18 * time.Second, true}, {18 * time.Second, true}, {18 * time.Second, false},
	}
	for i, s := range steps {
		if got := b.Take("k", t0.Add(s.at)); got != s.want {
			t.Errorf("step %d at %s: got %v, want %v", i+1, s.at, got, s.want)
		}
	}
	if !(&Bucket{}).Take("k", t0) {
		t.Error("a zero bucket limits")
	}
}

func TestServer(t *testing.T) {
	hits := 0
	var mu sync.Mutex
	s := NewServer("test", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		b, _ := io.ReadAll(r.Body)
		WriteJSON(w, http.StatusCreated, map[string]string{"echo": string(b)})
	}), nil)
	srv := httptest.NewServer(s)
	defer srv.Close()
	post := func(path, body string) (int, string) {
		res, err := srv.Client().Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	s.FailNext(1, 500, `{"x":1}`)
	s.Fail(Failure{Count: 2, Status: 429, Body: "slow down", Header: map[string]string{"Retry-After": "1"}})
	var got []string
	for i := range 4 {
		status, _ := post("/p", fmt.Sprintf("b%d", i))
		got = append(got, fmt.Sprint(status))
	}
	if strings.Join(got, ",") != "500,429,429,201" {
		t.Errorf("statuses: got %v, want 500,429,429,201", got)
	}
	if hits != 1 {
		t.Errorf("handler saw %d requests, want 1", hits)
	}
	reqs := s.Requests()
	if len(reqs) != 4 || reqs[3].Body != "b3" || reqs[3].Status != 201 || !strings.Contains(reqs[3].Response, `"echo":"b3"`) || reqs[1].Status != 429 {
		t.Errorf("recorded: %+v", reqs)
	}
	if status, _ := post("/__fake/fail", `{"count":0,"status":500}`); status != 400 {
		t.Errorf("bad failure spec: got %d, want 400", status)
	}
	res, err := srv.Client().Get(srv.URL + "/__fake/requests")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `"body":"b3"`) {
		t.Errorf("GET /__fake/requests: %s", b)
	}
	// Concurrent requests are all recorded.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { post("/p", "x") })
	}
	wg.Wait()
	if n := len(s.Requests()); n != 24 {
		t.Errorf("recorded %d requests, want 24", n)
	}
}

func TestDecodeJSONAndBearer(t *testing.T) {
	for body, ok := range map[string]bool{`{"a":1}`: true, `{"a":1} {"b":2}`: false, `{"a":`: false} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		var v map[string]any
		if err := DecodeJSON(r, &v); (err == nil) != ok {
			t.Errorf("DecodeJSON(%q): err %v, want ok=%v", body, err, ok)
		}
	}
	for header, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "": "", "Bearer": ""} {
		r := httptest.NewRequest("GET", "/", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		if got := BearerToken(r); got != want {
			t.Errorf("BearerToken(%q) = %q, want %q", header, got, want)
		}
	}
}
