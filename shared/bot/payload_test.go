package bot

import (
	"strings"
	"testing"
)

func TestPayload(t *testing.T) {
	tests := []struct {
		bot, module string
		button      int
		want        string
	}{
		{"01JBOT", "menu", 2, "bot:01JBOT:menu:2"},
		{"01JBOT", "menu", 0, "bot:01JBOT:menu:0"},
		{"01JBOT", "menu", -1, "bot:01JBOT:menu"},
	}
	for _, tt := range tests {
		got := Payload(tt.bot, tt.module, tt.button)
		if got != tt.want {
			t.Errorf("Payload(%s, %s, %d) = %q, want %q", tt.bot, tt.module, tt.button, got, tt.want)
		}
		ref, ok := ParsePayload(got)
		if !ok || ref.BotID != tt.bot || ref.ModuleID != tt.module || ref.Button != tt.button {
			t.Errorf("ParsePayload(%q) = %+v, %t; want the same bot, module and button", got, ref, ok)
		}
	}
}

func TestParsePayloadRefuses(t *testing.T) {
	for _, p := range []string{
		"", "GET_STARTED", "bot:", "bot:B1", "bot::m", "bot:B1:", "bot:B1:m:", "bot:B1:m:x", "bot:B1:m:-1",
		"bot:B1:m:01", "bot:B1:m:1:2", "bot:B 1:m", "bot:B1:m#1", "BOT:B1:m", "bot:B1:m:99999",
		"bot:" + strings.Repeat("a", 65) + ":m", "switchboard:human",
	} {
		if ref, ok := ParsePayload(p); ok {
			t.Errorf("ParsePayload(%q) = %+v, want refused", p, ref)
		}
	}
}

// FuzzParsePayload: a payload comes back from the customer's platform, so
// anything may arrive. Whatever parses must render back to itself.
func FuzzParsePayload(f *testing.F) {
	f.Add("bot:01JBOT:menu:3")
	f.Add("bot:01JBOT:menu")
	f.Add("bot:a:b:0")
	f.Add("bot:::")
	f.Fuzz(func(t *testing.T, s string) {
		ref, ok := ParsePayload(s)
		if !ok {
			return
		}
		if got := Payload(ref.BotID, ref.ModuleID, ref.Button); got != s {
			t.Fatalf("ParsePayload(%q) = %+v, which renders as %q", s, ref, got)
		}
	})
}
