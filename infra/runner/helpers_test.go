package runner

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
)

// echoBinary is testdata/echofn built once for the whole test binary.
var (
	echoOnce sync.Once
	echoPath string
	echoErr  error
	echoDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if echoDir != "" {
		_ = os.RemoveAll(echoDir)
	}
	os.Exit(code)
}

func echoBinary(t testing.TB) string {
	t.Helper()
	echoOnce.Do(func() {
		echoDir, echoErr = os.MkdirTemp("", "runner-echofn-")
		if echoErr != nil {
			return
		}
		abs, err := filepath.Abs("testdata/echofn")
		if err != nil {
			echoErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		echoPath, echoErr = buildBootstrap(ctx, "echofn", abs, echoDir)
	})
	if echoErr != nil {
		t.Fatalf("build echofn: %v", echoErr)
	}
	return echoPath
}

// syncBuffer collects the runner's and functions' output; it is printed when
// a test fails, since background goroutines may outlive t.Log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// recorder collects OnInvoke reports.
type recorder struct {
	mu   sync.Mutex
	invs []Invocation
}

func (r *recorder) add(i Invocation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.invs = append(r.invs, i)
}

func (r *recorder) all() []Invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Invocation(nil), r.invs...)
}

// patience stretches every waitFor limit: the emulators (moto above all) slow
// down a lot when the whole suite runs with -race on two cores, and a wait that
// ends early costs nothing, while one that gives up early fails a correct runner.
const patience = 4

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	within *= patience
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// testOptions returns options for the test template with every function
// using the prebuilt echofn, output captured, and a unique stack name.
func testOptions(t *testing.T) (Options, *syncBuffer) {
	t.Helper()
	bin := echoBinary(t)
	out := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runner output:\n%s", out.String())
		}
	})
	return Options{
		TemplatePath: "testdata/template.yaml",
		StackName:    "rt" + strings.ToLower(fmt.Sprint(time.Now().UnixNano()%1e9)),
		HTTPAddr:     "127.0.0.1:0",
		Binaries: map[string]string{
			"EchoFunction": bin, "ConsumerFunction": bin, "WorkerFunction": bin, "TickFunction": bin,
		},
		Output: out,
		Logger: slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, out
}

// emulatorOptions points o at the emulators, or skips the test.
func emulatorOptions(t *testing.T, o Options) Options {
	t.Helper()
	o.DynamoDBEndpoint = awstest.Endpoint(t, awstest.EnvDynamoDB)
	o.SQSEndpoint = awstest.Endpoint(t, awstest.EnvSQS)
	o.EventBridgeEndpoint = awstest.Endpoint(t, awstest.EnvEventBridge)
	return o
}

func startRunner(t *testing.T, o Options) *Runner {
	t.Helper()
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return r
}
