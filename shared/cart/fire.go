package cart

import (
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Action is what to do with a timer that fired.
type Action string

// Actions.
const (
	// ActionSend: send Content to the recipient, then store Cart.
	ActionSend Action = "send"
	// ActionSkip: do not send; store Cart if Changed (the message is recorded as
	// given up).
	ActionSkip Action = "skip"
	// ActionPostpone: arm Timer (same message, later due time) and store Cart.
	ActionPostpone Action = "postpone"
)

// FireDecision is the outcome of a timer firing.
type FireDecision struct {
	Action Action
	Reason Reason
	// Changed says whether Cart differs from the cart passed in and must be
	// stored; a stale or duplicate timer changes nothing.
	Changed bool
	Cart    Cart
	// Timer is the re-armed timer of a postponement.
	Timer Timer
	// Recipient is the platform user id on the active channel.
	Recipient string
	Content   Content
}

// OnTimerFired decides what a due reminder timer does. It re-checks everything
// the timer was armed for (DESIGN.md, Timers): the cart generation and the
// configuration epoch (re-armed, checked out, cleared or disabled since), that
// the message was not already handled (a redelivered timer), that the feature
// still runs on the same channel, that the cart still holds something, that the
// message is still turned on (001:L4956), and that the contact is still bound,
// subscribed and unblocked. Quiet hours are applied again, because the window
// may have changed since the timer was armed: a timer firing inside it is
// postponed to its end. On Messenger a message is sent only within 24 hours of
// the customer's last message; a postponement that would end outside the window
// is given up at once.
//
// When the last message of a sequence is resolved and at least one message of
// the sequence was sent, the sequence has ended and the restart cycle starts
// from the last send (001:L1922). A sequence whose messages were all given up
// sent nothing to restart from, so the next add-to-cart arms normally.
func OnTimerFired(cfg *Config, c Cart, contact *switchboard.Contact, t Timer, now time.Time, loc *time.Location) FireDecision {
	d := FireDecision{Cart: c}
	s := c.Sequence
	if t.Generation != c.Generation || s == nil || s.Generation != t.Generation || t.TeamID != c.TeamID || t.VisitorID != c.VisitorID {
		d.Action, d.Reason = ActionSkip, ReasonStale
		return d
	}
	pos := -1
	for i, m := range s.Messages {
		if m.Index == t.Index {
			pos = i
			break
		}
	}
	if pos < 0 {
		d.Action, d.Reason = ActionSkip, ReasonStale
		return d
	}
	if s.Messages[pos].resolved() {
		d.Action, d.Reason = ActionSkip, ReasonDuplicate
		return d
	}

	// skip gives the message up. A message given up because the whole sequence
	// is void (feature off, cart checked out or empty) does not end the
	// sequence: nothing should then hold back the next add-to-cart.
	skip := func(r Reason) FireDecision {
		out := c.clone()
		out.Sequence.Messages[pos].Skipped = r
		out.UpdatedAt = now
		switch r {
		case ReasonDisabled, ReasonCheckedOut, ReasonCartEmpty:
		default:
			endIfDone(&out)
		}
		return FireDecision{Action: ActionSkip, Reason: r, Changed: true, Cart: out}
	}
	switch {
	case cfg == nil || !cfg.Enabled || cfg.Epoch != t.ConfigEpoch || cfg.ChannelID != t.ChannelID || t.ConfigEpoch != s.ConfigEpoch:
		return skip(ReasonDisabled)
	case c.CheckedOut:
		return skip(ReasonCheckedOut)
	case len(c.Items) == 0:
		return skip(ReasonCartEmpty)
	}
	msg, on := cfg.message(t.Index)
	if !on {
		return skip(ReasonMessageDisabled)
	}
	if contact == nil || contact.ID != s.ContactID {
		return skip(ReasonUnbound)
	}
	if r := Recipient(cfg, c.VisitorID, contact); r != "" {
		return skip(r)
	}
	messenger := cfg.ChannelKind == switchboard.KindMessenger
	if until, quiet := cfg.DoNotDisturb.QuietUntil(now, loc); quiet {
		if messenger && !withinWindow(contact.LastCustomerInteractionAt, until) {
			return skip(ReasonMessagingWindow)
		}
		out := c.clone()
		out.Sequence.Messages[pos].DueAt = until
		out.UpdatedAt = now
		nt := timerFor(&out, out.Sequence, out.Sequence.Messages[pos])
		return FireDecision{Action: ActionPostpone, Changed: true, Cart: out, Timer: nt}
	}
	if messenger && !withinWindow(contact.LastCustomerInteractionAt, now) {
		return skip(ReasonMessagingWindow)
	}

	out := c.clone()
	out.Sequence.Messages[pos].SentAt = now
	out.UpdatedAt = now
	endIfDone(&out)
	return FireDecision{
		Action:    ActionSend,
		Changed:   true,
		Cart:      out,
		Recipient: contact.PlatformUserID,
		Content:   BuildContent(cfg.ChannelKind, t.Index, msg, out.Items),
	}
}

// endIfDone records the end of the sequence once every message is resolved.
func endIfDone(c *Cart) {
	if c.Sequence.pending() {
		return
	}
	var last time.Time
	for _, m := range c.Sequence.Messages {
		if m.SentAt.After(last) {
			last = m.SentAt
		}
	}
	c.LastSequenceEndedAt = last
}
