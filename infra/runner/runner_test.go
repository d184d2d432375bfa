package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func TestHTTPAPI(t *testing.T) {
	o, _ := testOptions(t)
	o.Offline = true
	o.DisableSchedules = true
	rec := &recorder{}
	o.OnInvoke = rec.add
	r := startRunner(t, o)
	base := r.HTTPURL()

	type result struct {
		status int
		header http.Header
		body   []byte
	}
	do := func(t *testing.T, method, path, contentType string, body []byte) result {
		t.Helper()
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("X-Line-Signature", "c2ln")
		req.AddCookie(&http.Cookie{Name: "sid", Value: "1"})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return result{res.StatusCode, res.Header, b}
	}

	t.Run("structured response echoes the event", func(t *testing.T) {
		got := do(t, "POST", "/webhooks/line/ch_1?x=1", "application/json", []byte(`{"events":[]}`))
		if got.status != 201 {
			t.Fatalf("status: got %d, want 201 (%s)", got.status, got.body)
		}
		if got.header.Get("X-Echo") != "1" || got.header.Get("Content-Type") != "application/json" {
			t.Errorf("headers: got %v", got.header)
		}
		if v := got.header.Values("X-Multi"); !slices.Equal(v, []string{"a", "b"}) {
			t.Errorf("multiValueHeaders: got %q, want [a b]", v)
		}
		if v := got.header.Values("Set-Cookie"); !slices.Equal(v, []string{"session=abc; Path=/", "theme=dark"}) {
			t.Errorf("cookies: got %q", v)
		}
		if got.header.Get("Apigw-Requestid") == "" {
			t.Error("no apigw-requestid header")
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(got.body, &ev); err != nil {
			t.Fatal(err)
		}
		checks := []struct{ name, got, want string }{
			{"routeKey", ev.RouteKey, "POST /webhooks/{kind}/{channelId}"},
			{"body", ev.Body, `{"events":[]}`},
			{"kind", ev.PathParameters["kind"], "line"},
			{"channelId", ev.PathParameters["channelId"], "ch_1"},
			{"signature header", ev.Headers["x-line-signature"], "c2ln"},
			{"query", ev.QueryStringParameters["x"], "1"},
			{"apiId", ev.RequestContext.APIID, "api0000000"},
			{"cookie", strings.Join(ev.Cookies, ";"), "sid=1"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
			}
		}
		if ev.IsBase64Encoded {
			t.Error("a JSON body arrived base64-encoded")
		}
	})
	t.Run("binary body arrives base64-encoded", func(t *testing.T) {
		got := do(t, "PUT", "/v1/teams/t1", "application/octet-stream", []byte{0, 1, 2})
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(got.body, &ev); err != nil {
			t.Fatal(err)
		}
		if !ev.IsBase64Encoded || ev.Body != "AAEC" || ev.RouteKey != "ANY /v1/{proxy+}" || ev.PathParameters["proxy"] != "teams/t1" {
			t.Errorf("got body %q base64 %v route %q params %v", ev.Body, ev.IsBase64Encoded, ev.RouteKey, ev.PathParameters)
		}
	})
	t.Run("literal route beats greedy", func(t *testing.T) {
		got := do(t, "GET", "/v1/teams/special", "", nil)
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(got.body, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.RouteKey != "GET /v1/teams/special" {
			t.Errorf("routeKey: got %q", ev.RouteKey)
		}
	})
	tests := []struct {
		name, method, path string
		status             int
		body               string
		contentType        string
	}{
		{"simple object response", "GET", "/v1/x/simple", 200, `{"hello":"world"}`, "application/json"},
		{"simple string response", "GET", "/v1/x/string", 200, "plain text", "application/json"},
		{"base64 response body", "GET", "/v1/x/binary", 200, "\x00\x01\x02\xff", "application/octet-stream"},
		{"function error", "GET", "/v1/x/error", 500, `{"message":"Internal Server Error"}`, "application/json"},
		{"function crash", "GET", "/v1/x/crash", 500, `{"message":"Internal Server Error"}`, "application/json"},
		{"works after the crash", "GET", "/v1/x/simple", 200, `{"hello":"world"}`, "application/json"},
		{"integration timeout", "GET", "/slow/sleep", 503, `{"message":"Service Unavailable"}`, "application/json"},
		{"no route", "GET", "/nowhere", 404, `{"message":"Not Found"}`, "application/json"},
		{"method not routed", "DELETE", "/webhooks/line/ch_1", 404, `{"message":"Not Found"}`, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			got := do(t, tt.method, tt.path, "", nil)
			if got.status != tt.status || string(got.body) != tt.body {
				t.Errorf("got %d %q, want %d %q", got.status, got.body, tt.status, tt.body)
			}
			if ct := got.header.Get("Content-Type"); ct != tt.contentType {
				t.Errorf("content type: got %q, want %q", ct, tt.contentType)
			}
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("took %s", elapsed)
			}
		})
	}
	var http0 int
	for _, inv := range rec.all() {
		if inv.Source == SourceHTTP {
			http0++
		}
	}
	if http0 < 9 {
		t.Errorf("OnInvoke saw %d HTTP invocations, want at least 9", http0)
	}
}

// fakeClock is a Clock whose time moves only when the test says so.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{c.now.Add(d), ch})
	return ch
}

func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

func TestSchedules(t *testing.T) {
	clock := &fakeClock{now: time.Date(2025, 1, 6, 12, 0, 30, 0, time.UTC)}
	o, _ := testOptions(t)
	o.Offline = true
	o.Clock = clock
	rec := &recorder{}
	o.OnInvoke = rec.add
	r := startRunner(t, o)

	scheduled := func() []Invocation {
		var out []Invocation
		for _, inv := range rec.all() {
			if inv.Source == SourceSchedule {
				out = append(out, inv)
			}
		}
		return out
	}
	// Tick (rate) and Nightly (cron) wait on the clock; Off is disabled.
	waitFor(t, 5*time.Second, "two schedules to wait on the clock", func() bool { return clock.pending() == 2 })
	if n := len(scheduled()); n != 0 {
		t.Fatalf("%d scheduled invocations before the clock moved", n)
	}
	clock.Advance(30 * time.Second)
	waitFor(t, 5*time.Second, "the rate(1 minute) schedule to fire", func() bool { return len(scheduled()) == 1 })
	inv := scheduled()[0]
	if inv.Err != nil {
		t.Fatal(inv.Err)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(inv.Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || string(ev.Detail) != "{}" ||
		!ev.Time.Equal(time.Date(2025, 1, 6, 12, 1, 0, 0, time.UTC)) || ev.Region != DefaultRegion || ev.AccountID != DefaultAccountID {
		t.Errorf("scheduled event: got %+v", ev)
	}
	if len(ev.Resources) != 1 || !strings.HasPrefix(ev.Resources[0], "arn:aws:events:ap-northeast-1:123456789012:rule/") {
		t.Errorf("resources: got %q", ev.Resources)
	}
	if inv.Function != "TickFunction" {
		t.Errorf("function: got %s", inv.Function)
	}

	// The trigger hook fires a named schedule at once.
	resp, err := r.TriggerSchedule(context.Background(), "TickFunction", "Nightly")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(resp), `{"mode":"echo","nightly":true}`; got != want {
		t.Errorf("Nightly (Input) got %s, want %s", got, want)
	}
	if _, err := r.TriggerSchedule(context.Background(), "TickFunction", ""); err == nil {
		t.Error("TriggerSchedule without a name on a function with two schedules succeeded")
	}
	if _, err := r.TriggerSchedule(context.Background(), "TickFunction", "Off"); err == nil {
		t.Error("TriggerSchedule of a disabled schedule succeeded")
	}
}

func TestPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	o, _ := testOptions(t)
	o.Offline = true
	o.HTTPAddr = busy.Addr().String()
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := time.Now()
	err = r.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), o.HTTPAddr) {
		t.Fatalf("got %v, want an 'already in use' error naming %s", err, o.HTTPAddr)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("took %s to report a busy port", elapsed)
	}
}

func TestUnreachableEmulators(t *testing.T) {
	// A port nothing listens on, and one that accepts connections but never
	// answers: both must fail fast with the service named.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	o, _ := testOptions(t)
	o.DynamoDBEndpoint = "http://" + closedAddr
	o.SQSEndpoint = "http://" + silent.Addr().String()
	o.EventBridgeEndpoint = "http://" + silent.Addr().String()
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := time.Now()
	err = r.Prepare(context.Background())
	elapsed := time.Since(start)
	var ee *EmulatorError
	if !errors.As(err, &ee) {
		t.Fatalf("got %v, want an *EmulatorError", err)
	}
	for _, want := range []string{"DynamoDB Local is not answering at http://" + closedAddr, "SQS emulator is not answering", "EventBridge emulator", "SWITCHBOARD_DYNAMODB_ENDPOINT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
	if elapsed > 4*emulatorCheckTimeout {
		t.Errorf("took %s to give up", elapsed)
	}
}
