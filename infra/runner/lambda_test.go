package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// offlineRunner is a runner of the test template that needs no emulators:
// direct invocations, the HTTP API and schedules all work offline.
func offlineRunner(t *testing.T, edit func(*Options)) (*Runner, *recorder) {
	t.Helper()
	o, _ := testOptions(t)
	o.Offline = true
	rec := &recorder{}
	o.OnInvoke = rec.add
	if edit != nil {
		edit(&o)
	}
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r, rec
}

func TestInvokeEcho(t *testing.T) {
	r, rec := offlineRunner(t, nil)
	ctx := context.Background()
	for _, name := range []string{"EchoFunction", "echofn", "Echo"} {
		got, err := r.Invoke(ctx, name, []byte(`{"hello":"world"}`))
		if err != nil {
			t.Fatalf("Invoke(%s): %v", name, err)
		}
		if want := `{"hello":"world"}`; string(got) != want {
			t.Errorf("Invoke(%s) = %s, want %s", name, got, want)
		}
	}
	invs := rec.all()
	if len(invs) != 3 || invs[0].Source != SourceInvoke || invs[0].Function != "EchoFunction" {
		t.Errorf("OnInvoke reports: got %+v, want three invocations of EchoFunction", invs)
	}
	if _, err := r.Invoke(ctx, "NoSuchFunction", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "EchoFunction") {
		t.Errorf("unknown function: got %v, want an error listing the functions", err)
	}
}

func TestInvokeFailures(t *testing.T) {
	r, _ := offlineRunner(t, nil)
	ctx := context.Background()
	tests := []struct {
		name     string
		payload  string
		wantType string
		wantMsg  string
		maxTime  time.Duration
	}{
		{"returned error", `{"mode":"error"}`, "errorString", "echofn failed on purpose", 5 * time.Second},
		{"panic", `{"mode":"panic"}`, "", "echofn panicked on purpose", 5 * time.Second},
		{"crash", `{"mode":"crash"}`, ErrorTypeExit, "exit status 3", 5 * time.Second},
		{"timeout", `{"mode":"sleep","sleepMs":5000}`, ErrorTypeTimeout, "Task timed out after 2.00 seconds", 4 * time.Second},
		{"request too large", `{"pad":"` + strings.Repeat("x", maxPayload) + `"}`, ErrorTypeRequestTooLarge, "exceeds", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := r.Invoke(ctx, "EchoFunction", []byte(tt.payload))
			elapsed := time.Since(start)
			var fe *FunctionError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *FunctionError", err)
			}
			if tt.wantType != "" && fe.Type != tt.wantType {
				t.Errorf("type: got %q, want %q", fe.Type, tt.wantType)
			}
			if !strings.Contains(fe.Message, tt.wantMsg) {
				t.Errorf("message: got %q, want it to contain %q", fe.Message, tt.wantMsg)
			}
			if !json.Valid(fe.Payload) {
				t.Errorf("payload is not JSON: %s", fe.Payload)
			}
			if elapsed > tt.maxTime {
				t.Errorf("took %s, want at most %s", elapsed, tt.maxTime)
			}
			// Lambda replaces a crashed or timed-out environment: the
			// next invocation works.
			got, err := r.Invoke(ctx, "EchoFunction", []byte(`{"after":1}`))
			if err != nil || string(got) != `{"after":1}` {
				t.Fatalf("invocation after the failure: got %s, %v", got, err)
			}
		})
	}
	// Every crash, panic exit and timeout cost a cold start; the first
	// start is one more.
	if got, want := len(r.ColdStarts()), 4; got != want {
		t.Errorf("cold starts: got %d, want %d (first start, then panic, crash and timeout)", got, want)
	}
}

func TestInvokeEnvironment(t *testing.T) {
	r, _ := offlineRunner(t, func(o *Options) {
		o.StackName = "envstack"
		o.DynamoDBEndpoint = "http://127.0.0.1:48990"
		o.Env = map[string]string{"LINE_API_BASE_URL": "http://127.0.0.1:3101", "QUEUE_NAME": "overridden"}
	})
	resp, err := r.Invoke(context.Background(), "EchoFunction", []byte(`{"mode":"env"}`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Env        map[string]string `json:"env"`
		RequestID  string            `json:"requestId"`
		ARN        string            `json:"arn"`
		DeadlineMs int64             `json:"deadlineMs"`
		TraceID    string            `json:"traceId"`
		Cwd        string            `json:"cwd"`
	}
	if err := json.Unmarshal(resp, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "envstack-EchoFunction",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"_HANDLER":                        "bootstrap",
		"TZ":                              "UTC",
		"AWS_REGION":                      "ap-northeast-1",
		"AWS_ACCESS_KEY_ID":               "test",
		"AWS_SECRET_ACCESS_KEY":           "test",
		"DYNAMODB_ENDPOINT":               "http://127.0.0.1:48990",
		"SQS_ENDPOINT":                    DefaultSQSEndpoint,
		"EVENTBRIDGE_ENDPOINT":            DefaultEventBridgeEndpoint,
		"LINE_API_BASE_URL":               "http://127.0.0.1:3101",
		"QUEUE_NAME":                      "overridden",
		"TABLE_NAME":                      "envstack-Table",
		"STAGE":                           "function-wins",
		"AWS_LAMBDA_LOG_FORMAT":           "JSON",
		"LAMBDA_TASK_ROOT":                got.Cwd,
	}
	for k, w := range want {
		if got.Env[k] != w {
			t.Errorf("env %s: got %q, want %q", k, got.Env[k], w)
		}
	}
	if !strings.HasPrefix(got.Env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q", got.Env["AWS_LAMBDA_RUNTIME_API"])
	}
	if got.RequestID == "" || !strings.HasPrefix(got.TraceID, "Root=1-") {
		t.Errorf("request id %q, trace id %q", got.RequestID, got.TraceID)
	}
	if want := "arn:aws:lambda:ap-northeast-1:123456789012:function:envstack-EchoFunction"; got.ARN != want {
		t.Errorf("invoked function ARN: got %q, want %q", got.ARN, want)
	}
	left := time.Until(time.UnixMilli(got.DeadlineMs))
	if left <= 0 || left > 2*time.Second {
		t.Errorf("deadline %s from now, want within the 2 s timeout", left)
	}
}

func TestInitFailure(t *testing.T) {
	r, _ := offlineRunner(t, func(o *Options) { o.Env = map[string]string{"ECHO_INIT": "exit"} })
	start := time.Now()
	_, err := r.Invoke(context.Background(), "EchoFunction", []byte(`{}`))
	if err == nil {
		t.Fatal("invocation of a function that exits at start-up succeeded")
	}
	for _, want := range []string{"EchoFunction", "initialisation", "exit status 4"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %s to report an init failure", elapsed)
	}
}

func TestInvocationsAreSerialisedPerInstance(t *testing.T) {
	tests := []struct {
		instances int
		min, max  time.Duration
	}{
		{1, 900 * time.Millisecond, 1800 * time.Millisecond},
		{3, 300 * time.Millisecond, 800 * time.Millisecond},
	}
	for _, tt := range tests {
		r, _ := offlineRunner(t, func(o *Options) { o.Instances = tt.instances })
		ctx := context.Background()
		if _, err := r.Invoke(ctx, "EchoFunction", []byte(`{}`)); err != nil { // warm up
			t.Fatal(err)
		}
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		for range 3 {
			wg.Go(func() {
				_, err := r.Invoke(ctx, "EchoFunction", []byte(`{"mode":"sleep","sleepMs":300}`))
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if elapsed := time.Since(start); elapsed < tt.min || elapsed > tt.max {
			t.Errorf("%d instance(s): three 300 ms invocations took %s, want %s..%s", tt.instances, elapsed, tt.min, tt.max)
		}
	}
}

func TestCallerGivesUp(t *testing.T) {
	r, _ := offlineRunner(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.Invoke(ctx, "EchoFunction", []byte(`{"mode":"sleep","sleepMs":800}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's error", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("caller waited %s after giving up", elapsed)
	}
	// The abandoned invocation still owns the instance until it ends; the
	// next one then runs normally.
	got, err := r.Invoke(context.Background(), "EchoFunction", []byte(`{"next":true}`))
	if err != nil || string(got) != `{"next":true}` {
		t.Fatalf("next invocation: got %s, %v", got, err)
	}
	if elapsed := time.Since(start); elapsed < 800*time.Millisecond {
		t.Errorf("next invocation finished after %s, before the abandoned one could have", elapsed)
	}
}

func TestBuildFailureNamesFunction(t *testing.T) {
	out := &syncBuffer{}
	r, err := New(Options{TemplatePath: "testdata/broken.yaml", Offline: true, Output: out, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Invoke(context.Background(), "BadFunction", []byte(`{}`))
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("got %v, want a *BuildError", err)
	}
	if be.Function != "BadFunction" {
		t.Errorf("function: got %q, want BadFunction", be.Function)
	}
	if !strings.Contains(be.Output, `cannot use "not a number"`) {
		t.Errorf("output does not show the compiler error:\n%s", be.Output)
	}
	if !strings.Contains(err.Error(), "BadFunction") || !strings.Contains(err.Error(), "badfn") {
		t.Errorf("error %q does not name the function and its folder", err)
	}
}

func TestBuildSharesPackages(t *testing.T) {
	o, _ := testOptions(t)
	o.Offline = true
	o.Binaries = nil
	o.DisableSchedules = true
	r := startRunner(t, o)
	binaries := map[string]bool{}
	for id, fn := range r.functions {
		binaries[fn.binary] = true
		if !strings.HasSuffix(fn.binary, "/bootstrap") {
			t.Errorf("%s runs %s, want a bootstrap", id, fn.binary)
		}
	}
	if len(r.functions) != 4 || len(binaries) != 1 {
		t.Errorf("four functions of one package: got %d functions and %d binaries, want 4 and 1", len(r.functions), len(binaries))
	}
	if got, want := len(r.ColdStarts()), 4; got != want {
		t.Errorf("cold starts: got %d, want %d (every function starts with the stack)", got, want)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestOutputIsPrefixed(t *testing.T) {
	var buf syncBuffer
	w := &lineWriter{dst: &lockedWriter{w: &buf}, prefix: []byte("[F] ")}
	for _, chunk := range []string{"one\ntw", "o\n", "three"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := buf.String(), "[F] one\n[F] two\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	long := bytes.Repeat([]byte("x"), maxLine+10)
	_, _ = w.Write(long)
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Errorf("a line longer than %d bytes was not cut: %d lines", maxLine, n)
	}
}
