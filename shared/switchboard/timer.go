package switchboard

import (
	"encoding/json"
	"strconv"
	"time"
)

// TimerKind says what a timer is for, and so which consumer handles it when it
// fires (DESIGN.md, Timers).
type TimerKind string

// Timer kinds. Cart and payment reminders are handled by the remarketing
// service; bot delays and auto-end re-enter their conversation's FIFO group;
// broadcast start and invoice re-verification belong to their own services.
const (
	TimerCartReminder    TimerKind = "cart_reminder"
	TimerPaymentReminder TimerKind = "payment_reminder"
	TimerBotDelay        TimerKind = "bot_delay"
	TimerAutoEnd         TimerKind = "auto_end"
	TimerBroadcastStart  TimerKind = "broadcast_start"
	TimerInvoiceRetry    TimerKind = "invoice_retry"
)

// TimerKinds lists every kind, in a stable order for validation messages.
var TimerKinds = []TimerKind{
	TimerCartReminder, TimerPaymentReminder, TimerBotDelay, TimerAutoEnd, TimerBroadcastStart, TimerInvoiceRetry,
}

// Valid reports whether k is a kind Switchboard knows.
func (k TimerKind) Valid() bool {
	for _, c := range TimerKinds {
		if k == c {
			return true
		}
	}
	return false
}

// MaxTimerPayload bounds a timer's payload. A timer is one DynamoDB item and
// one SQS message; a payload names the state to re-check, it never carries
// content, so a kilobyte is plenty.
const MaxTimerPayload = 4 << 10

// Timer is work due at a given second. It is armed by the service that owns the
// work, stored by the timer service until its minute comes, and handed back to
// that service's consumer when it is due. The consumer re-checks the state the
// timer was armed for, so a timer whose reason went away (a checkout, a paid
// order, a newer sequence) is harmless: cancelling is optional.
type Timer struct {
	// ID names what the timer is for and is deterministic (cart.Timer.Key(),
	// payreminder.Timer.Key()), so arming the same thing twice stores one timer.
	ID     string    `json:"id"`
	TeamID string    `json:"teamId"`
	Kind   TimerKind `json:"kind"`
	// DueAt has second precision: the queue's per-message delay counts seconds.
	DueAt time.Time `json:"dueAt"`
	// Generation is the version of the owner's state the timer was armed for;
	// the consumer compares it with the current one, and the firing's
	// idempotency claim includes it.
	Generation int64 `json:"generation"`
	// Payload is what the consumer needs to find and re-check its state.
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Validate checks a timer before it is armed.
func (t *Timer) Validate() error {
	switch {
	case t.ID == "" || len(t.ID) > 512:
		return Errorf(EInvalid, "timer id must be 1 to 512 bytes")
	case t.TeamID == "":
		return Errorf(EInvalid, "timer team is required")
	case !t.Kind.Valid():
		return Errorf(EInvalid, "timer kind %q is not a known kind", t.Kind)
	case t.DueAt.IsZero():
		return Errorf(EInvalid, "timer due time is required")
	case len(t.Payload) > MaxTimerPayload:
		return Errorf(ETooLarge, "timer payload is %d bytes; the limit is %d", len(t.Payload), MaxTimerPayload)
	case len(t.Payload) > 0 && !json.Valid(t.Payload):
		return Errorf(EInvalid, "timer payload is not JSON")
	}
	return nil
}

// FiringKey names one firing of the timer: the same timer re-armed at another
// time (a postponement) is another firing, a redelivery of the same message is
// the same one. Consumers claim it so two copies of a message do not act twice.
func (t *Timer) FiringKey() string {
	return "timer/" + t.TeamID + "/" + t.ID + "/" + strconv.FormatInt(t.Generation, 10) + "/" + strconv.FormatInt(t.DueAt.Unix(), 10)
}

// InTimer is the InboundType of a TimerEvent: a timer of a conversation that
// re-entered the conversation's FIFO group.
const InTimer InboundType = "timer"

// ConversationTimer is the payload of the timers that belong to a conversation
// (bot delay cards, auto-end): enough to find the conversation's FIFO group,
// plus the owner's own data.
type ConversationTimer struct {
	ChannelID   string      `json:"channelId"`
	ChannelKind ChannelKind `json:"channelKind,omitempty"`
	// CustomerID is the platform user id, as in InboundEvent.
	CustomerID     string `json:"customerId"`
	ConversationID string `json:"conversationId,omitempty"`
	// Data is the owner's state to re-check (bot session and step, the
	// conversation version auto-end was armed at), opaque to the timer service.
	Data json.RawMessage `json:"data,omitempty"`
}

// TimerEvent is how a conversation's timer re-enters the conversation: the
// timer consumer puts it on inbound.fifo (auto-end) or bot.fifo (bot delay)
// under the conversation's message group, so it is processed in order with the
// customer's messages (DESIGN.md, Timers). Its common fields have the JSON
// names of InboundEvent's, so a consumer of those queues decodes the envelope
// as an InboundEvent of type InTimer and then reads Timer.
type TimerEvent struct {
	// ID names the firing (Timer.FiringKey hashed), so a redelivered firing is
	// deduplicated like a redelivered webhook.
	ID          string      `json:"id"`
	TeamID      string      `json:"teamId"`
	ChannelID   string      `json:"channelId"`
	ChannelKind ChannelKind `json:"channelKind,omitempty"`
	Type        InboundType `json:"type"`
	CustomerID  string      `json:"customerId"`
	// OccurredAt is when the timer fired.
	OccurredAt time.Time  `json:"occurredAt"`
	Timer      FiredTimer `json:"timer"`
}

// FiredTimer is the timer part of a TimerEvent.
type FiredTimer struct {
	ID             string          `json:"id"`
	Kind           TimerKind       `json:"kind"`
	Generation     int64           `json:"generation"`
	DueAt          time.Time       `json:"dueAt"`
	ConversationID string          `json:"conversationId,omitempty"`
	Data           json.RawMessage `json:"data,omitempty"`
}

// NewTimerEvent builds the envelope of a conversation timer that fired at now.
func NewTimerEvent(t *Timer, ct ConversationTimer, now time.Time) (*TimerEvent, error) {
	if ct.ChannelID == "" || ct.CustomerID == "" {
		return nil, Errorf(EInvalid, "timer %s names no conversation (channel and customer)", t.ID)
	}
	return &TimerEvent{
		ID:          shortHash(t.FiringKey()),
		TeamID:      t.TeamID,
		ChannelID:   ct.ChannelID,
		ChannelKind: ct.ChannelKind,
		Type:        InTimer,
		CustomerID:  ct.CustomerID,
		OccurredAt:  now,
		Timer: FiredTimer{
			ID: t.ID, Kind: t.Kind, Generation: t.Generation, DueAt: t.DueAt,
			ConversationID: ct.ConversationID, Data: ct.Data,
		},
	}, nil
}

// GroupID is the FIFO message group of the conversation, the same as the
// group of its InboundEvents.
func (e *TimerEvent) GroupID() string { return shortHash(e.TeamID, e.ChannelID, e.CustomerID) }

// DedupID is the FIFO deduplication id: one per firing.
func (e *TimerEvent) DedupID() string { return shortHash(e.ChannelID, e.ID) }
