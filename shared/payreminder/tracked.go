package payreminder

import "time"

// TrackedOrder is an order the shop reported, with the state of its reminder:
// the record the payment reminder service stores per order.
type TrackedOrder struct {
	TeamID string `json:"teamId"`
	Order  Order  `json:"order"`
	// ChannelID is the channel of the contact the reminder goes to.
	ChannelID string `json:"channelId"`
	// PaymentURL is where the reminder's button leads, if the shop gave one.
	PaymentURL string `json:"paymentUrl,omitempty"`
	// Reminder is nil when none was scheduled; NoReminder then says why.
	Reminder   *Reminder `json:"reminder,omitempty"`
	NoReminder Reason    `json:"noReminder,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	Version    int64     `json:"version"`
}

// Pending reports whether the order's reminder is still to be sent: scheduled,
// not sent, not cancelled, and the order still unpaid.
func (t *TrackedOrder) Pending() bool {
	r := t.Reminder
	return r != nil && r.SentAt.IsZero() && !r.Cancelled && t.Order.PaymentStatus == PaymentUnpaid
}

// Open reports whether the order's reminder may still go out or come back: it
// exists, was not sent, and the order is unpaid. A changed setting moves,
// cancels or restores open reminders (Reschedule), cancelled ones included.
func (t *TrackedOrder) Open() bool {
	r := t.Reminder
	return r != nil && r.SentAt.IsZero() && t.Order.PaymentStatus == PaymentUnpaid
}

// Timer returns the timer of the reminder's current due time and generation,
// the one armed for it, so it can be cancelled.
func (r Reminder) Timer() Timer { return r.timer() }
