// Package platform is the machinery every fake channel platform shares: it
// records each request and the answer it got, injects failures on demand,
// counts rates per window, and serves the /__fake/ control endpoints, so each
// fake (LINE, Graph, WhatsApp, MoF) only implements its platform's rules.
package platform

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// MaxBody bounds what a fake reads of a request; every real platform refuses
// far smaller bodies, so more is a test bug.
const MaxBody = 10 << 20

// Request is one request a fake received and what it answered.
type Request struct {
	Time     time.Time   `json:"time"`
	Method   string      `json:"method"`
	Path     string      `json:"path"`
	Query    string      `json:"query,omitempty"`
	Header   http.Header `json:"header"`
	Body     string      `json:"body"`
	Status   int         `json:"status"`
	Response string      `json:"response"`
}

// JSON decodes the request body into v.
func (r Request) JSON(v any) error { return json.Unmarshal([]byte(r.Body), v) }

// Failure is an injected answer for the next Count platform requests.
type Failure struct {
	Count  int               `json:"count"`
	Status int               `json:"status"`
	Body   string            `json:"body"`
	Header map[string]string `json:"header,omitempty"`
	// DelayMillis holds the answer back this long (or until the caller goes
	// away), so a test can crash a function while its platform call hangs.
	DelayMillis int `json:"delayMs,omitempty"`
	// Match, when set, limits the failure to requests whose body contains it,
	// so a test can fail one particular call among several in flight.
	Match string `json:"match,omitempty"`
}

// Server wraps a fake platform's handler: every request to it is recorded,
// injected failures are answered before it sees the request, and paths under
// /__fake/ are control endpoints for tests and the local runner:
//
//	GET    /__fake/requests  the recorded requests, as JSON
//	DELETE /__fake/requests  forget them
//	POST   /__fake/fail      {"count":N,"status":S,"body":"..."}: the next N requests get it
//
// plus whatever the platform adds with Control.
type Server struct {
	name    string
	handler http.Handler
	control *http.ServeMux
	now     func() time.Time

	mu       sync.Mutex
	requests []Request
	failures []Failure
}

// NewServer wraps handler. now is the fake's clock (time.Now when nil).
func NewServer(name string, handler http.Handler, now func() time.Time) *Server {
	if now == nil {
		now = time.Now
	}
	s := &Server{name: name, handler: handler, control: http.NewServeMux(), now: now}
	s.control.HandleFunc("GET /__fake/requests", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, s.Requests())
	})
	s.control.HandleFunc("DELETE /__fake/requests", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	s.control.HandleFunc("POST /__fake/fail", func(w http.ResponseWriter, r *http.Request) {
		var f Failure
		if err := json.NewDecoder(io.LimitReader(r.Body, MaxBody)).Decode(&f); err != nil || f.Count < 1 || f.Status < 100 || f.Status > 599 {
			http.Error(w, `want {"count":N>0,"status":100..599,"body":"..."}`, http.StatusBadRequest)
			return
		}
		s.Fail(f)
		w.WriteHeader(http.StatusNoContent)
	})
	return s
}

// Name is the platform's name, for logs and errors.
func (s *Server) Name() string { return s.name }

// Now is the fake's clock.
func (s *Server) Now() time.Time { return s.now() }

// Control adds a control endpoint (pattern as for http.ServeMux, under
// /__fake/).
func (s *Server) Control(pattern string, h http.HandlerFunc) { s.control.HandleFunc(pattern, h) }

// Fail queues an injected answer: the next f.Count platform requests get
// f.Status and f.Body instead of reaching the fake.
func (s *Server) Fail(f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, f)
}

// FailNext is Fail for the common case.
func (s *Server) FailNext(n, status int, body string) {
	s.Fail(Failure{Count: n, Status: status, Body: body})
}

// Requests returns a copy of the recorded requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// Reset forgets recorded requests and pending failures.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.failures = nil
}

// ClearFailures drops injected answers not yet given, keeping the recorded
// requests.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = nil
}

// nextFailure takes one injected answer for a request with this body, if any
// is pending: the first whose Match is empty or found in the body.
func (s *Server) nextFailure(body []byte) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.failures {
		f := s.failures[i]
		if f.Match != "" && !bytes.Contains(body, []byte(f.Match)) {
			continue
		}
		s.failures[i].Count--
		if s.failures[i].Count <= 0 {
			s.failures = append(s.failures[:i], s.failures[i+1:]...)
		}
		return f, true
	}
	return Failure{}, false
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/__fake/") {
		s.control.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &recordingWriter{ResponseWriter: w, status: http.StatusOK}
	if f, ok := s.nextFailure(body); ok {
		if f.DelayMillis > 0 {
			select {
			case <-time.After(time.Duration(f.DelayMillis) * time.Millisecond):
			case <-r.Context().Done():
			}
		}
		for k, v := range f.Header {
			rec.Header().Set(k, v)
		}
		if rec.Header().Get("Content-Type") == "" {
			rec.Header().Set("Content-Type", "application/json")
		}
		rec.WriteHeader(f.Status)
		_, _ = io.WriteString(rec, f.Body)
	} else {
		s.handler.ServeHTTP(rec, r)
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Time: s.now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(),
		Body: string(body), Status: rec.status, Response: rec.body.String(),
	})
	s.mu.Unlock()
}

// recordingWriter keeps a copy of what the fake answered.
type recordingWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	body   bytes.Buffer
}

func (w *recordingWriter) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.wrote = true
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

// WriteJSON answers with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// DecodeJSON decodes a request body, as strictly as the platforms parse:
// unknown fields are allowed, trailing garbage is not.
func DecodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// RandomHex returns n random bytes in hex, for ids.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RateLimiter counts requests per key in one-second windows, the way the
// platforms state their limits ("2,000 requests per second").
type RateLimiter struct {
	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	second int64
	count  int
}

// Allow counts one request for key at now and reports whether it is within
// perSecond. A limit of zero or less means unlimited.
func (l *RateLimiter) Allow(key string, perSecond int, now time.Time) bool {
	if perSecond <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil {
		l.windows = map[string]*window{}
	}
	sec := now.Unix()
	w, ok := l.windows[key]
	if !ok || w.second != sec {
		w = &window{second: sec}
		l.windows[key] = w
	}
	w.count++
	return w.count <= perSecond
}

// Bucket is a token bucket per key: Burst requests at once, then one more
// every Interval. WhatsApp's per-recipient pair limit works this way.
type Bucket struct {
	Burst    int
	Interval time.Duration

	mu    sync.Mutex
	state map[string]*bucketState
}

type bucketState struct {
	tokens float64
	at     time.Time
}

// Take spends one token of key at now and reports whether there was one.
func (b *Bucket) Take(key string, now time.Time) bool {
	if b.Burst <= 0 || b.Interval <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == nil {
		b.state = map[string]*bucketState{}
	}
	s, ok := b.state[key]
	if !ok {
		s = &bucketState{tokens: float64(b.Burst), at: now}
		b.state[key] = s
	}
	if elapsed := now.Sub(s.at); elapsed > 0 {
		s.tokens = min(float64(b.Burst), s.tokens+float64(elapsed)/float64(b.Interval))
		s.at = now
	}
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	return true
}
