package cart

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// MaxMessages is how many reminder messages one sequence may have (001:L4966).
const MaxMessages = 4

// Bounds of the configurable durations. The seed gives none, so these are
// Switchboard's own: a reminder more than 30 days after the add-to-cart is no
// longer a cart reminder, and a restart cycle shorter than an hour would defeat
// its purpose of not nagging a customer who ignored a whole sequence.
const (
	MaxDelayDays        = 30
	MinRestartCycle     = time.Hour
	MaxRestartCycle     = 90 * 24 * time.Hour
	maxBotModuleIDLen   = 128
	maxCustomMessageLen = 1024 // runes; WhatsApp's limit for a template body
	maxIDLen            = 128
)

// WhatsApp template languages the cart template is offered in (001:L4980):
// English, Traditional Chinese and Simplified Chinese.
const (
	LangEnglish            = "en"
	LangTraditionalChinese = "zh_TW"
	LangSimplifiedChinese  = "zh_CN"
)

// Delay is a duration given the way operators enter it: days, hours and
// minutes (001:L4957, 001:L1919). A day is 24 hours, so a delay is the same
// length whatever daylight-saving change it crosses.
type Delay struct {
	Days    int `json:"days"`
	Hours   int `json:"hours"`
	Minutes int `json:"minutes"`
}

// Duration converts the delay to a time.Duration.
func (d Delay) Duration() time.Duration {
	return time.Duration(d.Days)*24*time.Hour + time.Duration(d.Hours)*time.Hour + time.Duration(d.Minutes)*time.Minute
}

// IsZero reports whether the delay is empty.
func (d Delay) IsZero() bool { return d == Delay{} }

// validParts checks each unit is within the range a form would offer, so that a
// duration has exactly one spelling and cannot overflow.
func (d Delay) validParts(maxDays int) bool {
	return d.Days >= 0 && d.Days <= maxDays && d.Hours >= 0 && d.Hours <= 23 && d.Minutes >= 0 && d.Minutes <= 59
}

// MessageConfig is one of the up to four reminder messages.
type MessageConfig struct {
	// Enabled turns this one message on or off; an off message is never sent,
	// even if it was already scheduled (001:L4956).
	Enabled bool `json:"enabled"`
	// Delay is counted from the add-to-cart that armed the sequence, not from
	// the previous message (001:L4957).
	Delay Delay `json:"delay"`
	// BotModuleID is the "Abandoned Cart Messages" bot module that renders the
	// message on LINE and Messenger (001:L4958, 001:L4970).
	BotModuleID string `json:"botModuleId,omitempty"`
	// CustomMessage is the one editable part of the WhatsApp cart template
	// (001:L4977).
	CustomMessage string `json:"customMessage,omitempty"`
	// TemplateLanguage is the WhatsApp template language (001:L4980).
	TemplateLanguage string `json:"templateLanguage,omitempty"`
}

// DoNotDisturb is a daily quiet window in the team's time zone during which no
// reminder is sent; a reminder due inside it waits until it ends (001:L4964).
// Start and End are "HH:MM"; a window whose End is earlier than its Start spans
// midnight (22:00–08:00). The window is [Start, End).
type DoNotDisturb struct {
	Enabled bool   `json:"enabled"`
	Start   string `json:"start"`
	End     string `json:"end"`
}

// Config is a team's cart remarketing setting for one channel. A team has one
// per channel it could run remarketing on, and at most one of them is enabled
// (001:L1907).
type Config struct {
	TeamID      string                  `json:"teamId"`
	ChannelID   string                  `json:"channelId"`
	ChannelKind switchboard.ChannelKind `json:"channelKind"`
	Enabled     bool                    `json:"enabled"`
	Messages    []MessageConfig         `json:"messages"`
	// RestartCycle is how long after the last message of a sequence a customer
	// who still has not checked out must wait before a new add-to-cart starts a
	// new sequence (001:L1920–L1922). Zero means never: the sequence restarts
	// only after a checkout, the behaviour before the restart cycle existed
	// (001:L1921).
	RestartCycle Delay        `json:"restartCycle"`
	DoNotDisturb DoNotDisturb `json:"doNotDisturb"`
	// Epoch is incremented each time the feature is turned off (or moved to
	// another channel), which voids every timer armed before, across all carts,
	// without touching them (001:L3726).
	Epoch     int64     `json:"epoch"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
	Version   int64     `json:"version"`
}

// Kinds on which cart remarketing runs: LINE, Facebook Messenger and WhatsApp
// (001:L3704).
var remarketingKinds = []switchboard.ChannelKind{switchboard.KindLINE, switchboard.KindMessenger, switchboard.KindWhatsApp}

// SupportsKind reports whether cart remarketing can run on channels of kind k.
func SupportsKind(k switchboard.ChannelKind) bool {
	for _, c := range remarketingKinds {
		if k == c {
			return true
		}
	}
	return false
}

// Validate checks a configuration as an operator saves it. Delays of enabled
// messages must strictly increase with the message number: each is counted from
// the add-to-cart, and "the last message" of a sequence, from which the restart
// cycle is counted, must be the last one sent.
func (c *Config) Validate() error {
	if c.TeamID == "" || len(c.TeamID) > maxIDLen {
		return switchboard.Errorf(switchboard.EInvalid, "teamId is required")
	}
	if c.ChannelID == "" || len(c.ChannelID) > maxIDLen {
		return switchboard.Errorf(switchboard.EInvalid, "channelId is required")
	}
	if !SupportsKind(c.ChannelKind) {
		return switchboard.Errorf(switchboard.EInvalid, "cart remarketing runs on line, messenger or whatsapp channels")
	}
	if len(c.Messages) > MaxMessages {
		return switchboard.Errorf(switchboard.EInvalid, "at most %d cart messages", MaxMessages)
	}
	var prev time.Duration
	enabled := 0
	for i, m := range c.Messages {
		n := i + 1
		if !m.Delay.validParts(MaxDelayDays) {
			return switchboard.Errorf(switchboard.EInvalid, "message %d: delay must be 0-%d days, 0-23 hours and 0-59 minutes", n, MaxDelayDays)
		}
		if len(m.BotModuleID) > maxBotModuleIDLen {
			return switchboard.Errorf(switchboard.EInvalid, "message %d: botModuleId is too long", n)
		}
		if utf8.RuneCountInString(m.CustomMessage) > maxCustomMessageLen || !utf8.ValidString(m.CustomMessage) {
			return switchboard.Errorf(switchboard.EInvalid, "message %d: custom message must be valid text of at most %d characters", n, maxCustomMessageLen)
		}
		if m.TemplateLanguage != "" && c.ChannelKind != switchboard.KindWhatsApp {
			return switchboard.Errorf(switchboard.EInvalid, "message %d: templateLanguage applies to whatsapp only", n)
		}
		if m.CustomMessage != "" && c.ChannelKind != switchboard.KindWhatsApp {
			return switchboard.Errorf(switchboard.EInvalid, "message %d: customMessage applies to whatsapp only", n)
		}
		if !m.Enabled {
			continue
		}
		enabled++
		d := m.Delay.Duration()
		if d < time.Minute {
			return switchboard.Errorf(switchboard.EInvalid, "message %d: delay must be at least one minute", n)
		}
		if d <= prev {
			return switchboard.Errorf(switchboard.EInvalid, "message %d: delay must be longer than the delay of the enabled message before it", n)
		}
		prev = d
		switch c.ChannelKind {
		case switchboard.KindWhatsApp:
			switch m.TemplateLanguage {
			case LangEnglish, LangTraditionalChinese, LangSimplifiedChinese:
			default:
				return switchboard.Errorf(switchboard.EInvalid, "message %d: templateLanguage must be en, zh_TW or zh_CN", n)
			}
		default:
			if m.BotModuleID == "" {
				return switchboard.Errorf(switchboard.EInvalid, "message %d: botModuleId is required", n)
			}
		}
	}
	if c.Enabled && enabled == 0 {
		return switchboard.Errorf(switchboard.EInvalid, "enable at least one message before enabling cart remarketing")
	}
	if !c.RestartCycle.validParts(int(MaxRestartCycle / (24 * time.Hour))) {
		return switchboard.Errorf(switchboard.EInvalid, "restart cycle must be 0-90 days, 0-23 hours and 0-59 minutes")
	}
	if rc := c.RestartCycle.Duration(); rc != 0 && (rc < MinRestartCycle || rc > MaxRestartCycle) {
		return switchboard.Errorf(switchboard.EInvalid, "restart cycle must be zero (off) or between 1 hour and 90 days")
	}
	if err := c.DoNotDisturb.validate(); err != nil {
		return err
	}
	return nil
}

// Advisories returns non-blocking warnings about a valid configuration, for the
// settings page: on Messenger, a message due more than 24 hours after the
// add-to-cart will usually fall outside the messaging window (001:L4967).
func (c *Config) Advisories() []string {
	var out []string
	if c.ChannelKind != switchboard.KindMessenger {
		return nil
	}
	for i, m := range c.Messages {
		if m.Enabled && m.Delay.Duration() >= MessengerWindow {
			out = append(out, fmt.Sprintf(
				"message %d is due 24 hours or more after the add-to-cart; Messenger delivers it only if the customer interacted since", i+1))
		}
	}
	return out
}

// message returns the configuration of message number n (1-based) and whether
// it exists and is enabled.
func (c *Config) message(n int) (MessageConfig, bool) {
	if c == nil || n < 1 || n > len(c.Messages) {
		return MessageConfig{}, false
	}
	m := c.Messages[n-1]
	return m, m.Enabled
}

// clone copies c so rules never modify their inputs.
func (c Config) clone() Config {
	c.Messages = append([]MessageConfig(nil), c.Messages...)
	return c
}

// Disable turns the feature off and voids every pending reminder of every cart
// (001:L3726): the new Epoch no longer matches the one the timers carry.
func Disable(c Config, now time.Time) Config {
	out := c.clone()
	if out.Enabled {
		out.Epoch++
	}
	out.Enabled = false
	out.UpdatedAt = now
	return out
}

// ApplyConfigChange validates an edited configuration and returns what to
// store. It never re-arms anything: reminders already scheduled keep their time
// and the next add-to-cart uses the new delays (001:L3728–L3730). Only turning
// the feature off voids the pending reminders (new Epoch). The team and channel
// of a configuration cannot change; enabling a channel while another is enabled
// goes through SetActiveChannel.
func ApplyConfigChange(old, updated Config, now time.Time) (Config, error) {
	if updated.TeamID != old.TeamID || updated.ChannelID != old.ChannelID || updated.ChannelKind != old.ChannelKind {
		return Config{}, switchboard.Errorf(switchboard.EInvalid, "the team and channel of a cart configuration cannot change")
	}
	out := updated.clone()
	out.Epoch = old.Epoch
	out.Version = old.Version
	if old.Enabled && !out.Enabled {
		out.Epoch++
	}
	out.UpdatedAt = now
	if err := out.Validate(); err != nil {
		return Config{}, err
	}
	return out, nil
}

// SetActiveChannel enables cart remarketing on channelID and disables it on
// every other channel of the team, since only one channel runs it at a time
// (001:L1907, 001:L5021). It returns every configuration with the ones that
// changed updated; a disabled one gets a new Epoch so its pending reminders are
// void. An empty channelID disables them all.
func SetActiveChannel(configs []Config, channelID string, now time.Time) ([]Config, error) {
	found := channelID == ""
	out := make([]Config, len(configs))
	for i, c := range configs {
		if c.ChannelID != channelID {
			if c.Enabled {
				out[i] = Disable(c, now)
			} else {
				out[i] = c.clone()
			}
			continue
		}
		if found {
			return nil, switchboard.Errorf(switchboard.EInvalid, "channel %q has two cart configurations", channelID)
		}
		found = true
		on := c.clone()
		if !on.Enabled {
			on.Enabled = true
			on.UpdatedAt = now
		}
		if err := on.Validate(); err != nil {
			return nil, err
		}
		out[i] = on
	}
	if !found {
		return nil, switchboard.Errorf(switchboard.ENotFound, "no cart configuration for channel %q", channelID)
	}
	return out, nil
}
