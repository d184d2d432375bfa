package startup_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/config"
	"github.com/switchboard-chat/switchboard/shared/startup"
)

func env(vars map[string]string) config.Env {
	return config.From(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
}

// isolate keeps the developer's AWS files and variables out of the test.
func isolate(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "ap-northeast-1")
}

func TestNew(t *testing.T) {
	isolate(t)
	logger := slog.New(slog.DiscardHandler)
	tests := []struct {
		name     string
		vars     map[string]string
		required []string
		wantErr  string
	}{
		{"everything set", map[string]string{"TABLE_NAME": "t", "BOT_QUEUE_URL": "q"}, []string{"BOT_QUEUE_URL"}, ""},
		{"every missing one named at once", map[string]string{"BOT_QUEUE_URL": " "}, []string{"BOT_QUEUE_URL", "INBOUND_QUEUE_URL"},
			"missing environment variables: TABLE_NAME, BOT_QUEUE_URL, INBOUND_QUEUE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := startup.New(context.Background(), "router", env(tt.vars), logger, tt.required...)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := f.Vars["BOT_QUEUE_URL"], "q"; got != want {
				t.Errorf("BOT_QUEUE_URL = %q, want %q", got, want)
			}
			if got, want := f.AWS.Region, "ap-northeast-1"; got != want {
				t.Errorf("region = %q, want %q", got, want)
			}
			if f.Store == nil || f.SQS() == nil || f.Metrics() == nil || f.Name != "router" {
				t.Errorf("function = %+v, want its store, clients and name", f)
			}
		})
	}
}
