package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/infra/runner"
	"github.com/switchboard-chat/switchboard/shared/channel/widget"
)

const testTemplate = "../../testdata/template.yaml"

// buffer is a goroutine-safe output for run.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"help"}, 0, "usage:"},
		{[]string{"fly"}, 2, `unknown command "fly"`},
		{[]string{"invoke"}, 2, "invoke needs -fn NAME"},
		{[]string{"invoke", "-fn", "EchoFunction", "-event", "/no/such/file.json"}, 1, "no such file"},
		{[]string{"up", "-param", "novalue"}, 2, "want KEY=VALUE"},
		{[]string{"up", "extra"}, 1, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut buffer
			code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errOut)
			if code != tt.code {
				t.Errorf("exit code: got %d, want %d (stderr %s)", code, tt.code, errOut.String())
			}
			if all := out.String() + errOut.String(); !strings.Contains(all, tt.want) {
				t.Errorf("output does not contain %q:\n%s", tt.want, all)
			}
		})
	}
}

func TestInvokeCommand(t *testing.T) {
	var out, errOut buffer
	args := []string{"invoke", "-offline", "-template", testTemplate, "-fn", "echo", "-event", "-"}
	code := run(context.Background(), args, strings.NewReader(`{"mode":"env"}`), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got struct{ Env map[string]string }
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("stdout is not the function's JSON: %v\n%s", err, out.String())
	}
	// The fakes run for invoke too, so a function never reaches a real platform.
	for _, k := range []string{"LINE_API_BASE_URL", "LINE_DATA_API_BASE_URL", "GRAPH_API_BASE_URL", "WHATSAPP_API_BASE_URL", "MOF_API_BASE_URL"} {
		if !strings.HasPrefix(got.Env[k], "http://127.0.0.1:") {
			t.Errorf("%s = %q, want a local fake", k, got.Env[k])
		}
	}

	out, errOut = buffer{}, buffer{}
	args = []string{"invoke", "-offline", "-template", testTemplate, "-fn", "EchoFunction", "-fakes=false", "-event", "-"}
	code = run(context.Background(), args, strings.NewReader(`{"mode":"error"}`), &out, &errOut)
	if code != 1 || !strings.Contains(out.String(), `"errorMessage":"echofn failed on purpose"`) || !strings.Contains(errOut.String(), "function error") {
		t.Errorf("function error: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}

func TestMeasureCommand(t *testing.T) {
	var out, errOut buffer
	code := run(context.Background(), []string{"measure", "-template", testTemplate, "-n", "2", "-fn", "EchoFunction", "-json"}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rows []struct {
		Function    string  `json:"function"`
		BinaryBytes int64   `json:"binaryBytes"`
		Starts      int     `json:"starts"`
		Median      float64 `json:"medianMs"`
	}
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Function != "EchoFunction" || rows[0].Starts != 2 || rows[0].BinaryBytes < 1<<20 || rows[0].Median <= 0 {
		t.Errorf("rows: %+v", rows)
	}
}

func TestUpCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut buffer
	args := []string{"up", "-offline", "-no-schedules", "-template", testTemplate, "-http", "127.0.0.1:0",
		"-line-addr", "127.0.0.1:0", "-graph-addr", "127.0.0.1:0", "-whatsapp-addr", "127.0.0.1:0", "-mof-addr", "127.0.0.1:0", "-widget-site-addr", "127.0.0.1:0"}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, nil, &out, &errOut) }()
	apiURL := regexp.MustCompile(`HTTP API\s+(http://\S+)`)
	deadline := time.Now().Add(time.Minute)
	var base string
	for base == "" {
		if m := apiURL.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("up exited early with %d: %s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("up did not come up: %s", errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{"fake line", "fake mof", "ANY /v1/{proxy+} -> EchoFunction", "Ctrl-C"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	res, err := http.Get(base + "/v1/x/simple")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != `{"hello":"world"}` {
		t.Errorf("GET /v1/x/simple: %d %s", res.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after the signal: %s", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("up did not stop within 15 s of the signal")
	}
	// Everything it listened on is released.
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		t.Error("the HTTP API still accepts connections after stopping")
	}
}

func TestUpPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	var out, errOut buffer
	args := []string{"up", "-offline", "-template", testTemplate, "-fakes=false", "-http", busy.Addr().String()}
	start := time.Now()
	code := run(context.Background(), args, nil, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "already in use") {
		t.Errorf("exit %d, stderr %s", code, errOut.String())
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %s to fail", time.Since(start))
	}
}

// TestFakesAcceptTheDemoChannels: the fakes `up` starts must take what the
// demo channels send, or `make run` shows refusals instead of replies. The
// widget site checks the demo widget token's signature.
func TestFakesAcceptTheDemoChannels(t *testing.T) {
	ff := fakeFlags{enabled: true, line: "127.0.0.1:0", graph: "127.0.0.1:0", wa: "127.0.0.1:0", mof: "127.0.0.1:0", widgetSite: "127.0.0.1:0"}
	var o runner.Options
	set, err := startFakes(ff, &o)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	body := []byte(`{"channelId":"c","visitorId":"v","messages":[{"kind":"text","text":"hi"}]}`)
	tests := []struct {
		name   string
		secret string
		want   int
	}{
		{"signed with the demo secret", events.DemoSecret, http.StatusOK},
		{"signed with another secret", "not-the-demo-secret", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", set.URLs()["widgetsite"]+"/messages", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("x-switchboard-signature", widget.Sign(tt.secret, body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.StatusCode; got != tt.want {
				t.Errorf("widget site answered %d, want %d", got, tt.want)
			}
		})
	}
}
