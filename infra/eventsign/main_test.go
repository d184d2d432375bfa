package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/events"
)

// copyEvents copies the embedded samples into a temporary events folder.
func copyEvents(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(events.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := events.Files.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRepositorySamplesAreCurrent(t *testing.T) {
	var out bytes.Buffer
	stale, err := run(copyEvents(t), true, &out)
	if err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Errorf("%d samples are stale (run `go run ./infra/eventsign`):\n%s", stale, out.String())
	}
}

func TestRunFixesEditedSamples(t *testing.T) {
	dir := copyEvents(t)
	edit := func(rel, old, new string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("%s does not contain %q", rel, old)
		}
		if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("webhooks/whatsapp-text.json", "Does it come in another color?", "Does it come in green?")
	edit("webhooks/widget-message.json", "Does the red dress run small?", "Does the red dress run large?")
	edit("sqs/inbound-fifo.json", `\"customerId\":\"16505551234\"`, `\"customerId\":\"886912345678\"`)

	var out bytes.Buffer
	stale, err := run(dir, true, &out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := stale, 3; got != want {
		t.Fatalf("check found %d stale files, want %d:\n%s", got, want, out.String())
	}
	if _, err := run(dir, false, &out); err != nil {
		t.Fatal(err)
	}
	stale, err = run(dir, true, &out)
	if err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Errorf("%d files still stale after fixing", stale)
	}
	b, err := os.ReadFile(filepath.Join(dir, "webhooks/whatsapp-text.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Does it come in green?") {
		t.Error("the edited body was lost")
	}
}

func TestSetHeader(t *testing.T) {
	tests := []struct {
		name, in, header, value, want, wantErr string
	}{
		{"replaces only the value", `{"headers": {"x-sig": "old", "a": "b"}}`, "x-sig", "new", `{"headers": {"x-sig": "new", "a": "b"}}`, ""},
		{"name in another case", `{"X-Sig":"old"}`, "x-sig", "new", `{"X-Sig":"new"}`, ""},
		{"missing", `{"a":"b"}`, "x-sig", "new", "", "no \"x-sig\" header"},
		{"twice", `{"x-sig":"1","X-SIG":"2"}`, "x-sig", "new", "", "appears 2 times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := setHeader([]byte(tt.in), tt.header, tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
