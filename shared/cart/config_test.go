package cart

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestConfigValidate(t *testing.T) {
	msg := func(enabled bool, d Delay, module string) MessageConfig {
		return MessageConfig{Enabled: enabled, Delay: d, BotModuleID: module}
	}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string // substring of the message; "" means valid
	}{
		{"valid", func(*Config) {}, ""},
		{"four messages", func(c *Config) {
			c.Messages = []MessageConfig{msg(true, Delay{Minutes: 30}, "a"), msg(true, Delay{Hours: 2}, "b"), msg(true, Delay{Days: 1}, "c"), msg(true, Delay{Days: 2}, "d")}
		}, ""},
		{"five messages", func(c *Config) {
			c.Messages = []MessageConfig{msg(true, Delay{Minutes: 1}, "a"), msg(true, Delay{Minutes: 2}, "b"), msg(true, Delay{Minutes: 3}, "c"), msg(true, Delay{Minutes: 4}, "d"), msg(true, Delay{Minutes: 5}, "e")}
		}, "at most 4"},
		{"no team", func(c *Config) { c.TeamID = "" }, "teamId"},
		{"no channel", func(c *Config) { c.ChannelID = "" }, "channelId"},
		{"instagram is not supported", func(c *Config) { c.ChannelKind = switchboard.KindInstagram }, "line, messenger or whatsapp"},
		{"negative delay", func(c *Config) { c.Messages[0].Delay = Delay{Hours: -1} }, "delay must be"},
		{"minutes over 59", func(c *Config) { c.Messages[0].Delay = Delay{Minutes: 60} }, "delay must be"},
		{"hours over 23", func(c *Config) { c.Messages[0].Delay = Delay{Hours: 24} }, "delay must be"},
		{"days over the bound", func(c *Config) { c.Messages[1].Delay = Delay{Days: MaxDelayDays + 1} }, "delay must be"},
		{"zero delay", func(c *Config) { c.Messages[0].Delay = Delay{} }, "at least one minute"},
		{"delays not increasing", func(c *Config) { c.Messages[1].Delay = Delay{Hours: 1} }, "longer than"},
		{"decreasing delay behind a disabled message is checked against the enabled one", func(c *Config) {
			c.Messages = []MessageConfig{msg(true, Delay{Hours: 5}, "a"), msg(false, Delay{Hours: 1}, "b"), msg(true, Delay{Hours: 3}, "c")}
		}, "longer than"},
		{"disabled message may have any ordering", func(c *Config) {
			c.Messages = []MessageConfig{msg(true, Delay{Hours: 5}, "a"), msg(false, Delay{Hours: 1}, ""), msg(true, Delay{Hours: 6}, "c")}
		}, ""},
		{"enabled without any enabled message", func(c *Config) { c.Messages[0].Enabled, c.Messages[1].Enabled = false, false }, "at least one message"},
		{"disabled config without messages", func(c *Config) { c.Enabled = false; c.Messages = nil }, ""},
		{"line message without bot module", func(c *Config) { c.Messages[0].BotModuleID = "" }, "botModuleId"},
		{"whatsapp needs a template language", func(c *Config) { c.ChannelKind = switchboard.KindWhatsApp }, "templateLanguage"},
		{"whatsapp with a template language", func(c *Config) {
			c.ChannelKind = switchboard.KindWhatsApp
			c.Messages[0].TemplateLanguage, c.Messages[1].TemplateLanguage = LangEnglish, LangTraditionalChinese
			c.Messages[0].CustomMessage = "還有商品在購物車喔"
		}, ""},
		{"custom message on line", func(c *Config) { c.Messages[0].CustomMessage = "hi" }, "whatsapp only"},
		{"custom message too long", func(c *Config) {
			c.ChannelKind = switchboard.KindWhatsApp
			c.Messages[0].TemplateLanguage, c.Messages[1].TemplateLanguage = LangEnglish, LangEnglish
			c.Messages[0].CustomMessage = strings.Repeat("貨", 1025)
		}, "at most 1024"},
		{"restart cycle off", func(c *Config) { c.RestartCycle = Delay{} }, ""},
		{"restart cycle too short", func(c *Config) { c.RestartCycle = Delay{Minutes: 59} }, "restart cycle"},
		{"restart cycle of one hour", func(c *Config) { c.RestartCycle = Delay{Hours: 1} }, ""},
		{"restart cycle of 90 days", func(c *Config) { c.RestartCycle = Delay{Days: 90} }, ""},
		{"restart cycle over 90 days", func(c *Config) { c.RestartCycle = Delay{Days: 90, Minutes: 1} }, "restart cycle"},
		{"quiet hours", func(c *Config) { c.DoNotDisturb = DoNotDisturb{Enabled: true, Start: "22:00", End: "08:00"} }, ""},
		{"quiet hours with a bad time", func(c *Config) { c.DoNotDisturb = DoNotDisturb{Enabled: true, Start: "24:00", End: "08:00"} }, "start"},
		{"quiet hours with one-digit hour", func(c *Config) { c.DoNotDisturb = DoNotDisturb{Enabled: true, Start: "0:00", End: "08:00"} }, "start"},
		{"quiet hours of zero length", func(c *Config) { c.DoNotDisturb = DoNotDisturb{Enabled: true, Start: "08:00", End: "08:00"} }, "differ"},
		{"disabled quiet hours still need readable times", func(c *Config) { c.DoNotDisturb = DoNotDisturb{Start: "x", End: "08:00"} }, "start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig()
			tt.edit(c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if got, want := switchboard.ErrorCode(err), switchboard.EInvalid; got != want {
				t.Fatalf("error code %q (%v), want %q", got, err, want)
			}
			if got := switchboard.ErrorMessage(err); !strings.Contains(got, tt.wantErr) {
				t.Errorf("message %q, want it to mention %q", got, tt.wantErr)
			}
		})
	}
}

func TestAdvisories(t *testing.T) {
	tests := []struct {
		kind switchboard.ChannelKind
		want int
	}{
		{switchboard.KindMessenger, 1},
		{switchboard.KindLINE, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			c := testConfig()
			c.ChannelKind = tt.kind
			if got := len(c.Advisories()); got != tt.want {
				t.Errorf("advisories %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSetActiveChannel(t *testing.T) {
	now := at(t, "2025-06-01 10:00")
	cfgFor := func(id string, kind switchboard.ChannelKind, enabled bool) Config {
		c := *testConfig()
		c.ChannelID, c.ChannelKind, c.Enabled = id, kind, enabled
		if kind == switchboard.KindWhatsApp {
			for i := range c.Messages {
				c.Messages[i].TemplateLanguage = LangEnglish
			}
		}
		return c
	}
	all := func() []Config {
		return []Config{
			cfgFor("line1", switchboard.KindLINE, true),
			cfgFor("fb1", switchboard.KindMessenger, false),
			cfgFor("wa1", switchboard.KindWhatsApp, false),
		}
	}
	tests := []struct {
		name        string
		channel     string
		configs     func() []Config
		wantEnabled []bool
		wantEpochUp []bool
		wantCode    string
	}{
		{"enabling one disables the others", "fb1", all, []bool{false, true, false}, []bool{true, false, false}, ""},
		{"enabling the active one changes nothing", "line1", all, []bool{true, false, false}, []bool{false, false, false}, ""},
		{"empty channel disables all", "", all, []bool{false, false, false}, []bool{true, false, false}, ""},
		{"unknown channel", "nope", all, nil, nil, switchboard.ENotFound},
		{"a configuration that cannot be enabled", "fb1", func() []Config {
			cs := all()
			cs[1].Messages = nil
			return cs
		}, nil, nil, switchboard.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.configs()
			out, err := SetActiveChannel(in, tt.channel, now)
			if got, want := switchboard.ErrorCode(err), tt.wantCode; got != want {
				t.Fatalf("error %q (%v), want %q", got, err, want)
			}
			if err != nil {
				return
			}
			enabledCount := 0
			for i, c := range out {
				if got, want := c.Enabled, tt.wantEnabled[i]; got != want {
					t.Errorf("%s enabled %v, want %v", c.ChannelID, got, want)
				}
				if got, want := c.Epoch > in[i].Epoch, tt.wantEpochUp[i]; got != want {
					t.Errorf("%s epoch raised %v, want %v", c.ChannelID, got, want)
				}
				if c.Enabled {
					enabledCount++
				}
			}
			if enabledCount > 1 {
				t.Errorf("%d channels enabled", enabledCount)
			}
		})
	}
}

func TestApplyConfigChange(t *testing.T) {
	now := at(t, "2025-06-01 10:00")
	tests := []struct {
		name      string
		edit      func(*Config)
		wantEpoch int64
		wantCode  string
	}{
		{"delay change keeps the epoch", func(c *Config) { c.Messages[0].Delay = Delay{Minutes: 30} }, 5, ""},
		{"turning off raises the epoch", func(c *Config) { c.Enabled = false }, 6, ""},
		{"an edited epoch is ignored", func(c *Config) { c.Epoch = 99 }, 5, ""},
		{"channel cannot change", func(c *Config) { c.ChannelID = "other" }, 0, switchboard.EInvalid},
		{"invalid edit", func(c *Config) { c.Messages[0].Delay = Delay{} }, 0, switchboard.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := *testConfig()
			edited := old.clone()
			tt.edit(&edited)
			got, err := ApplyConfigChange(old, edited, now)
			if code := switchboard.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("error %q (%v), want %q", code, err, tt.wantCode)
			}
			if err != nil {
				return
			}
			if got.Epoch != tt.wantEpoch {
				t.Errorf("epoch %d, want %d", got.Epoch, tt.wantEpoch)
			}
			if !got.UpdatedAt.Equal(now) {
				t.Errorf("updatedAt %v, want %v", got.UpdatedAt, now)
			}
		})
	}
}

func TestDisable(t *testing.T) {
	now := at(t, "2025-06-01 10:00")
	tests := []struct {
		name      string
		enabled   bool
		wantEpoch int64
	}{
		{"disabling an enabled config voids its timers", true, 6},
		{"disabling a disabled config changes no epoch", false, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *testConfig()
			c.Enabled = tt.enabled
			got := Disable(c, now)
			if got.Enabled {
				t.Errorf("still enabled")
			}
			if got.Epoch != tt.wantEpoch {
				t.Errorf("epoch %d, want %d", got.Epoch, tt.wantEpoch)
			}
		})
	}
}

func TestQuietUntil(t *testing.T) {
	night := DoNotDisturb{Enabled: true, Start: "00:00", End: "08:00"}
	spanning := DoNotDisturb{Enabled: true, Start: "22:00", End: "08:00"}
	tests := []struct {
		name      string
		dnd       DoNotDisturb
		t         string
		wantQuiet bool
		wantUntil string
	}{
		{"midnight is inside", night, "2025-06-01 00:00", true, "2025-06-01 08:00"},
		{"just before the end is inside", night, "2025-06-01 07:59", true, "2025-06-01 08:00"},
		{"the end itself is outside", night, "2025-06-01 08:00", false, ""},
		{"afternoon is outside", night, "2025-06-01 15:00", false, ""},
		{"spanning: before start is outside", spanning, "2025-06-01 21:59", false, ""},
		{"spanning: start is inside, ends next morning", spanning, "2025-06-01 22:00", true, "2025-06-02 08:00"},
		{"spanning: after midnight ends the same morning", spanning, "2025-06-02 03:00", true, "2025-06-02 08:00"},
		{"spanning: month end rolls over", spanning, "2025-06-30 23:30", true, "2025-07-01 08:00"},
		{"disabled window", DoNotDisturb{Start: "00:00", End: "08:00"}, "2025-06-01 03:00", false, ""},
		{"unusable window is treated as off", DoNotDisturb{Enabled: true, Start: "8", End: "9"}, "2025-06-01 03:00", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			until, quiet := tt.dnd.QuietUntil(at(t, tt.t), taipei)
			if quiet != tt.wantQuiet {
				t.Fatalf("quiet %v, want %v", quiet, tt.wantQuiet)
			}
			if quiet {
				if got := fmtT(until); got != tt.wantUntil {
					t.Errorf("until %s, want %s", got, tt.wantUntil)
				}
			}
			if got, want := tt.dnd.Defer(at(t, tt.t), taipei), at(t, tt.t); !quiet && !got.Equal(want) {
				t.Errorf("Defer moved a time outside the window to %v", got)
			}
		})
	}
}

func TestQuietUntilUsesTeamZone(t *testing.T) {
	// 23:30 UTC is 07:30 in Taipei: inside 00:00-08:00 there, not in UTC.
	dnd := DoNotDisturb{Enabled: true, Start: "00:00", End: "08:00"}
	utc := time.Date(2025, 6, 1, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		name      string
		loc       *time.Location
		wantQuiet bool
	}{
		{"taipei", taipei, true},
		{"utc", time.UTC, false},
		{"nil means utc", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := dnd.QuietUntil(utc, tt.loc); got != tt.wantQuiet {
				t.Errorf("quiet %v, want %v", got, tt.wantQuiet)
			}
		})
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:00", 0, true},
		{"08:30", 8*time.Hour + 30*time.Minute, true},
		{"23:59", 23*time.Hour + 59*time.Minute, true},
		{"24:00", 0, false},
		{"12:60", 0, false},
		{"8:00", 0, false},
		{"08-00", 0, false},
		{"ab:cd", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseClock(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
