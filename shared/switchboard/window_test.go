package switchboard_test

import (
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestCheckWindow(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	text := []sb.OutboundMessage{{Kind: sb.MsgText, Text: "hi"}}
	tmpl := []sb.OutboundMessage{{Template: &sb.Template{Name: "order_update", Language: "en"}}}
	mixed := append(append([]sb.OutboundMessage{}, tmpl...), text...)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	never := time.Time{}

	tests := []struct {
		name    string
		kind    sb.ChannelKind
		purpose sb.SendPurpose
		last    time.Time
		msgs    []sb.OutboundMessage
		want    sb.Window
		code    string // "" when allowed
		reason  string // substring of the refusal
	}{
		// Messenger inside 24 h.
		{"messenger response just now", sb.KindMessenger, sb.PurposeResponse, ago(0), text, sb.Window{MessagingType: sb.MessagingResponse}, "", ""},
		{"messenger response 23h59m", sb.KindMessenger, sb.PurposeResponse, ago(23*time.Hour + 59*time.Minute), text, sb.Window{MessagingType: sb.MessagingResponse}, "", ""},
		{"messenger agent 23h59m", sb.KindMessenger, sb.PurposeAgent, ago(23*time.Hour + 59*time.Minute), text, sb.Window{MessagingType: sb.MessagingResponse}, "", ""},
		{"messenger system 23h59m", sb.KindMessenger, sb.PurposeSystem, ago(23*time.Hour + 59*time.Minute), text, sb.Window{MessagingType: sb.MessagingUpdate}, "", ""},
		{"messenger marketing 23h59m", sb.KindMessenger, sb.PurposeMarketing, ago(23*time.Hour + 59*time.Minute), text, sb.Window{MessagingType: sb.MessagingUpdate}, "", ""},
		{"future last message counts as now", sb.KindMessenger, sb.PurposeResponse, now.Add(time.Minute), text, sb.Window{MessagingType: sb.MessagingResponse}, "", ""},
		// Messenger at and after 24 h.
		{"messenger agent 24h tagged", sb.KindMessenger, sb.PurposeAgent, ago(24 * time.Hour), text, sb.Window{MessagingType: sb.MessagingTag, Tag: sb.TagHumanAgent}, "", ""},
		{"messenger agent 30h tagged", sb.KindMessenger, sb.PurposeAgent, ago(30 * time.Hour), text, sb.Window{MessagingType: sb.MessagingTag, Tag: sb.TagHumanAgent}, "", ""},
		{"messenger agent 6d23h59m tagged", sb.KindMessenger, sb.PurposeAgent, ago(7*24*time.Hour - time.Minute), text, sb.Window{MessagingType: sb.MessagingTag, Tag: sb.TagHumanAgent}, "", ""},
		{"messenger response 24h refused", sb.KindMessenger, sb.PurposeResponse, ago(24 * time.Hour), text, sb.Window{}, sb.EForbidden, "only replies typed by an agent"},
		{"messenger system 30h refused", sb.KindMessenger, sb.PurposeSystem, ago(30 * time.Hour), text, sb.Window{}, sb.EForbidden, "30 hours"},
		{"messenger marketing 24h refused", sb.KindMessenger, sb.PurposeMarketing, ago(24 * time.Hour), text, sb.Window{}, sb.EForbidden, "marketing messages are refused"},
		{"messenger agent 7d refused", sb.KindMessenger, sb.PurposeAgent, ago(7 * 24 * time.Hour), text, sb.Window{}, sb.EForbidden, "the customer last wrote 7 days ago; Messenger allows agent replies for 7 days"},
		{"messenger agent 9d refused", sb.KindMessenger, sb.PurposeAgent, ago(9*24*time.Hour + 5*time.Hour), text, sb.Window{}, sb.EForbidden, "last wrote 9 days ago"},
		{"messenger never wrote", sb.KindMessenger, sb.PurposeAgent, never, text, sb.Window{}, sb.EForbidden, "never written"},
		// Instagram: same windows, no marketing at all.
		{"instagram agent 30h tagged", sb.KindInstagram, sb.PurposeAgent, ago(30 * time.Hour), text, sb.Window{MessagingType: sb.MessagingTag, Tag: sb.TagHumanAgent}, "", ""},
		{"instagram agent 7d refused", sb.KindInstagram, sb.PurposeAgent, ago(7 * 24 * time.Hour), text, sb.Window{}, sb.EForbidden, "Instagram allows agent replies for 7 days"},
		{"instagram marketing inside window refused", sb.KindInstagram, sb.PurposeMarketing, ago(time.Hour), text, sb.Window{}, sb.EForbidden, "Instagram does not allow broadcast"},
		// WhatsApp: templates only outside 24 h.
		{"whatsapp text 23h59m", sb.KindWhatsApp, sb.PurposeResponse, ago(23*time.Hour + 59*time.Minute), text, sb.Window{}, "", ""},
		{"whatsapp text 24h refused", sb.KindWhatsApp, sb.PurposeAgent, ago(24 * time.Hour), text, sb.Window{}, sb.EForbidden, "131047"},
		{"whatsapp text never wrote refused", sb.KindWhatsApp, sb.PurposeMarketing, never, text, sb.Window{}, sb.EForbidden, "never written"},
		{"whatsapp template 7d", sb.KindWhatsApp, sb.PurposeMarketing, ago(7 * 24 * time.Hour), tmpl, sb.Window{}, "", ""},
		{"whatsapp template never wrote", sb.KindWhatsApp, sb.PurposeMarketing, never, tmpl, sb.Window{}, "", ""},
		{"whatsapp template then text refused", sb.KindWhatsApp, sb.PurposeSystem, ago(30 * time.Hour), mixed, sb.Window{}, sb.EForbidden, "message 2 is not a template"},
		// No window.
		{"line never wrote", sb.KindLINE, sb.PurposeMarketing, never, text, sb.Window{}, "", ""},
		{"line 30 days", sb.KindLINE, sb.PurposeSystem, ago(30 * 24 * time.Hour), text, sb.Window{}, "", ""},
		{"widget 8 days", sb.KindWidget, sb.PurposeAgent, ago(8 * 24 * time.Hour), text, sb.Window{}, "", ""},
		// Bad input.
		{"unknown purpose", sb.KindLINE, "", ago(0), text, sb.Window{}, sb.EInvalid, "send purpose"},
		{"unknown kind", "wechat", sb.PurposeResponse, ago(0), text, sb.Window{}, sb.EInvalid, "wechat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sb.CheckWindow(tt.kind, tt.purpose, tt.last, now, tt.msgs)
			if code := sb.ErrorCode(err); code != tt.code {
				t.Fatalf("code = %q, want %q (err %v)", code, tt.code, err)
			}
			if got != tt.want {
				t.Errorf("window = %+v, want %+v", got, tt.want)
			}
			if msg := sb.ErrorMessage(err); !strings.Contains(msg, tt.reason) {
				t.Errorf("message %q does not contain %q", msg, tt.reason)
			}
		})
	}
}

func TestChannelValidateOutboundURL(t *testing.T) {
	tests := []struct {
		url  string
		want string
	}{
		{"", ""},
		{"https://widget.example.com/switchboard/messages", ""},
		{"https://widget.example.com:8443/in?site=3", ""},
		{"http://127.0.0.1:9000/in", ""},
		{"http://localhost/in", ""},
		{"http://[::1]:8080/in", ""},
		{"http://widget.example.com/in", sb.EInvalid},
		{"http://10.0.0.5/in", sb.EInvalid},
		{"ftp://widget.example.com/in", sb.EInvalid},
		{"https://user:pass@widget.example.com/in", sb.EInvalid},
		{"https:///nohost", sb.EInvalid},
		{"widget.example.com/in", sb.EInvalid},
		{"https://widget.example.com/" + strings.Repeat("a", 2048), sb.EInvalid},
	}
	for _, tt := range tests {
		c := &sb.Channel{Kind: sb.KindWidget, Name: "site", OutboundURL: tt.url}
		if got := sb.ErrorCode(c.Validate()); got != tt.want {
			t.Errorf("Validate(outboundUrl %q) code = %q, want %q", tt.url, got, tt.want)
		}
	}
	line := &sb.Channel{Kind: sb.KindLINE, Name: "line", OutboundURL: "https://widget.example.com/in"}
	if got, want := sb.ErrorCode(line.Validate()), sb.EInvalid; got != want {
		t.Errorf("Validate(LINE channel with outboundUrl) code = %q, want %q", got, want)
	}
}
