package switchboard

import (
	"time"
	"unicode/utf8"
)

// MaxCommonMessageText bounds a common message. Instagram takes 1,000
// characters in a text message, the least of the platforms, and a common
// message is meant to fit every channel it may be copied to.
const MaxCommonMessageText = 1000

// GetStartedPayload is the payload to give Messenger's and Instagram's "Get
// Started" button (the page's get_started setting). A postback carrying it
// is a welcome, like a LINE follow, and is answered with the channel's welcome
// message, or the bot module a bot welcomes with on the channel.
const GetStartedPayload = "GET_STARTED"

// AutoText is one of a channel's common messages: a text sent automatically
// when it is on.
type AutoText struct {
	Enabled bool   `json:"enabled"`
	Text    string `json:"text"`
}

// CommonMessages are a channel's automatic messages that do not depend on what
// the customer wrote (SPEC §2, 001:L462). A manual unsubscribe does not stop
// them (001:L3317): they answer the customer's own action.
type CommonMessages struct {
	// Welcome answers a LINE follow, a Messenger or Instagram "Get Started"
	// tap (GetStartedPayload) and a widget being opened. When it is off, the
	// bot module a bot welcomes with on the channel answers instead.
	Welcome AutoText `json:"welcome"`
	// Instant answers a customer whose message starts a wait for a human
	// while the team is online (TeamOnline), so they know someone is coming.
	Instant AutoText `json:"instant"`
	// Offline answers the same message outside the team's online hours.
	Offline AutoText `json:"offline"`
}

// Validate checks the messages as an operator saves them.
func (m *CommonMessages) Validate() error {
	for _, t := range []struct {
		name string
		text AutoText
	}{{"welcome", m.Welcome}, {"instant", m.Instant}, {"offline", m.Offline}} {
		n := utf8.RuneCountInString(t.text.Text)
		switch {
		case !utf8.ValidString(t.text.Text):
			return Errorf(EInvalid, "%s message text is not valid UTF-8", t.name)
		case n > MaxCommonMessageText:
			return Errorf(EInvalid, "%s message text must be at most %d characters, not %d", t.name, MaxCommonMessageText, n)
		case t.text.Enabled && isBlank(t.text.Text):
			return Errorf(EInvalid, "%s message is on but has no text", t.name)
		}
	}
	return nil
}

// WaitText returns the text that answers a customer whose message starts a
// wait for a human: the instant message when the team is online, the offline
// message when not, or "" when that one is off.
func (m *CommonMessages) WaitText(online bool) string {
	t := m.Offline
	if online {
		t = m.Instant
	}
	if !t.Enabled {
		return ""
	}
	return t.Text
}

// TeamOnline reports whether a team counts as online at t (in the team's time
// zone) for the instant and offline messages: some active member who handles
// conversations has the online status and, if they set working hours, is
// within them. Away counts as not there: the customer would wait.
func TeamOnline(members []*Member, t time.Time) bool {
	for _, m := range members {
		if m == nil || !m.Active || !m.Role.HandlesConversations() || m.Status != MemberOnline {
			continue
		}
		if len(m.WorkingHours) == 0 || m.WithinWorkingHours(t) {
			return true
		}
	}
	return false
}

func isBlank(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' && r != '\u3000' {
			return false
		}
	}
	return true
}
