package bot

import (
	"maps"
	"time"
)

// WaitKind says what a session is waiting for.
type WaitKind string

// What a session waits for: nothing (the flow ended or runs again only on a
// trigger), a reply to a user input card, a tap on a quick reply, or a tap on
// the buttons of the last card shown.
const (
	WaitNone       WaitKind = ""
	WaitInput      WaitKind = "user_input"
	WaitQuickReply WaitKind = "quick_reply"
	WaitButtons    WaitKind = "buttons"
)

// Default durations of the engine.
const (
	// DefaultSessionTTL is how long a session lives after its last step, so
	// nothing stays stuck waiting: a customer who comes back a day later
	// starts afresh.
	DefaultSessionTTL = 24 * time.Hour
	// DefaultInputWindow is how long a user input card waits: a reply after
	// more than an hour does not advance the flow (001:L3830).
	DefaultInputWindow = time.Hour
)

// Session is where one conversation stands in a bot: the module and card it
// reached, what it waits for, and the delay card it armed. There is one per
// conversation, stored with an optimistic version.
type Session struct {
	TeamID         string `json:"teamId"`
	ConversationID string `json:"conversationId"`
	// BotID and BotVersion name the bot (and the definition) of the flow;
	// empty when no flow is running.
	BotID      string `json:"botId,omitempty"`
	BotVersion int64  `json:"botVersion,omitempty"`
	ModuleID   string `json:"moduleId,omitempty"`
	// CardIndex is the card that waits (the last card shown).
	CardIndex    int       `json:"cardIndex,omitempty"`
	Waiting      WaitKind  `json:"waiting,omitempty"`
	WaitingSince time.Time `json:"waitingSince,omitzero"`
	// Vars holds values the flow produced (the last answer, the last API
	// call's status), for logs and later cards.
	Vars map[string]string `json:"vars,omitempty"`
	// Delay is the delay card waiting to continue, if any. It outlives the
	// flow that armed it: a later button tap does not cancel it (the card's
	// skip option decides), only a later delay card replaces it.
	Delay *PendingDelay `json:"delay,omitempty"`
	// Seq counts the session's steps; a delay's timer carries the Seq it was
	// armed at, so a timer of a replaced delay finds nothing to do.
	Seq int64 `json:"seq"`
	// LastInteractionAt is when the customer last acted on the bot.
	LastInteractionAt time.Time `json:"lastInteractionAt,omitzero"`
	ExpiresAt         time.Time `json:"expiresAt,omitzero"`
	CreatedAt         time.Time `json:"createdAt,omitzero"`
	UpdatedAt         time.Time `json:"updatedAt,omitzero"`
	// Version is the stored version the session was read at (0: new).
	Version int64 `json:"version"`
}

// PendingDelay is an armed delay card.
type PendingDelay struct {
	Seq              int64     `json:"seq"`
	BotID            string    `json:"botId"`
	ModuleID         string    `json:"moduleId"`
	DueAt            time.Time `json:"dueAt"`
	ArmedAt          time.Time `json:"armedAt"`
	SkipIfInteracted bool      `json:"skipIfInteracted,omitempty"`
}

// Active reports whether a flow is running and the session has not expired.
func (s *Session) Active(now time.Time) bool {
	return s != nil && s.BotID != "" && (s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt))
}

// WaitingFor reports what the session waits for at now: nothing once it
// expired. The router can read it to hand a free-text reply to the bot.
func (s *Session) WaitingFor(now time.Time) WaitKind {
	if !s.Active(now) {
		return WaitNone
	}
	return s.Waiting
}

// Clone returns a deep copy, so a step never changes the session it read.
func (s *Session) Clone() *Session {
	c := *s
	c.Vars = maps.Clone(s.Vars)
	if s.Delay != nil {
		d := *s.Delay
		c.Delay = &d
	}
	return &c
}

// endFlow forgets the running flow; the pending delay and the counters stay.
func (s *Session) endFlow() {
	s.BotID, s.BotVersion, s.ModuleID, s.CardIndex = "", 0, "", 0
	s.Waiting, s.WaitingSince = WaitNone, time.Time{}
}
