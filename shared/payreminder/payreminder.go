// Package payreminder holds the rules of the SHOPLINE payment reminder (SPEC §6,
// seed 003 "19. 付款提醒"): a message sent to a customer whose order is still
// unpaid some days after it was placed. Like package cart it is pure: it says
// when a reminder is due, how a later change of the setting moves it, and what
// a firing timer does, and leaves storing and sending to its callers.
package payreminder

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Limits and defaults of the setting (003:L167, L171–L173).
const (
	MinDaysAfter     = 1
	MaxDaysAfter     = 7
	MaxMessageLength = 340 // characters, counted as Unicode code points
	MaxButtonLength  = 23
	DefaultDaysAfter = 2
	DefaultHour      = 14
)

// Placeholders the message may contain: the customer's name and the order
// amount, the two dynamic texts the seed offers (003:L169). The seed does not
// spell them; these are Switchboard's spelling.
const (
	PlaceholderCustomerName = "{{customer_name}}"
	PlaceholderOrderAmount  = "{{order_amount}}"
)

// Settings is a team's payment reminder setting.
type Settings struct {
	Enabled bool `json:"enabled"`
	// DaysAfter is how many calendar days after the order date, in the team's
	// time zone, the reminder goes out (003:L172).
	DaysAfter int `json:"daysAfter"`
	// Hour is the hour of that day, 0 to 23 (003:L173).
	Hour    int    `json:"hour"`
	Message string `json:"message"`
	Button  string `json:"button"`
	// The fields below are kept by the store.
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
	Version   int64     `json:"version"`
}

// DefaultSettings returns the setting a team starts with: off, two days after
// the order at 14:00 (003:L171), with a default text the team may change.
func DefaultSettings() Settings {
	return Settings{
		DaysAfter: DefaultDaysAfter,
		Hour:      DefaultHour,
		Message:   "Hi " + PlaceholderCustomerName + ", your order of " + PlaceholderOrderAmount + " is still waiting for payment.",
		Button:    "Pay now",
	}
}

// Validate checks a setting as an operator saves it. Lengths are counted in
// characters (Unicode code points), so 340 Chinese characters fit just as 340
// Latin letters do (003:L167).
func (s Settings) Validate() error {
	if s.DaysAfter < MinDaysAfter || s.DaysAfter > MaxDaysAfter {
		return switchboard.Errorf(switchboard.EInvalid, "days after the order must be %d to %d", MinDaysAfter, MaxDaysAfter)
	}
	if s.Hour < 0 || s.Hour > 23 {
		return switchboard.Errorf(switchboard.EInvalid, "hour must be 0 to 23")
	}
	if !utf8.ValidString(s.Message) || strings.TrimSpace(s.Message) == "" || utf8.RuneCountInString(s.Message) > MaxMessageLength {
		return switchboard.Errorf(switchboard.EInvalid, "message must be 1 to %d characters", MaxMessageLength)
	}
	if !utf8.ValidString(s.Button) || strings.TrimSpace(s.Button) == "" || utf8.RuneCountInString(s.Button) > MaxButtonLength {
		return switchboard.Errorf(switchboard.EInvalid, "button text must be 1 to %d characters", MaxButtonLength)
	}
	return nil
}

// PaymentStatus is an order's payment status as the shop reports it.
type PaymentStatus string

// Payment statuses. Only unpaid orders are reminded (003:L190).
const (
	PaymentUnpaid   PaymentStatus = "unpaid"
	PaymentPaid     PaymentStatus = "paid"
	PaymentFailed   PaymentStatus = "failed"
	PaymentRefunded PaymentStatus = "refunded"
)

// OrderSource is where the order was created.
type OrderSource string

// Order sources. Reminders cover orders created through live selling, the
// message center and post selling; orders of the social-commerce "create
// order" flow are not covered (003:L188).
const (
	SourceLive           OrderSource = "live"
	SourceMessageCenter  OrderSource = "message_center"
	SourcePostSales      OrderSource = "post_sales"
	SourceSocialCommerce OrderSource = "social_commerce"
)

// Order is the part of a shop order the reminder needs.
type Order struct {
	ID        string `json:"id"`
	TeamID    string `json:"teamId"`
	ContactID string `json:"contactId"`
	// ChannelKind is the channel the reminder would go out on.
	ChannelKind    switchboard.ChannelKind `json:"channelKind"`
	Source         OrderSource             `json:"source"`
	CashOnDelivery bool                    `json:"cashOnDelivery"`
	PaymentStatus  PaymentStatus           `json:"paymentStatus"`
	CreatedAt      time.Time               `json:"createdAt"`
	CustomerName   string                  `json:"customerName,omitempty"`
	// AmountText is the order amount as the shop formats it, for the message.
	AmountText string `json:"amountText,omitempty"`
}

// Reason says why no reminder is scheduled or sent.
type Reason string

// Reasons.
const (
	ReasonDisabled       Reason = "disabled"         // the setting is off
	ReasonNotUnpaid      Reason = "not_unpaid"       // paid (or failed, refunded) meanwhile (003:L190)
	ReasonCashOnDelivery Reason = "cash_on_delivery" // COD orders are paid on delivery (003:L189)
	ReasonSource         Reason = "source"           // created where reminders do not apply (003:L188)
	ReasonChannel        Reason = "channel"          // WhatsApp is not supported (003:L191)
	ReasonStale          Reason = "stale"            // the timer was superseded by a reschedule or cancel
	ReasonDuplicate      Reason = "duplicate"        // already sent
	ReasonExpired        Reason = "expired"          // re-enabled after the due time had passed
)

// Ineligible returns why o gets no reminder, or "" if it qualifies: an unpaid,
// non-cash-on-delivery order from a covered source, on Messenger, Instagram or
// LINE (003:L187–L191).
func Ineligible(o Order) Reason {
	switch {
	case o.PaymentStatus != PaymentUnpaid:
		return ReasonNotUnpaid
	case o.CashOnDelivery:
		return ReasonCashOnDelivery
	}
	switch o.Source {
	case SourceLive, SourceMessageCenter, SourcePostSales:
	default:
		return ReasonSource
	}
	switch o.ChannelKind {
	case switchboard.KindMessenger, switchboard.KindInstagram, switchboard.KindLINE:
	default:
		return ReasonChannel
	}
	return ""
}

// dueAt is DaysAfter calendar days after the order's date in loc, at Hour:00
// there (003:L174: ordered 6/1, 2 days, 10:00 → 6/3 10:00).
func dueAt(o Order, s Settings, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := o.CreatedAt.In(loc).Date()
	return time.Date(y, m, d+s.DaysAfter, s.Hour, 0, 0, 0, loc)
}

// Due returns when the reminder of o is due under s, or the reason it gets none
// (setting off, order not eligible).
func Due(o Order, s Settings, loc *time.Location) (time.Time, Reason) {
	if !s.Enabled {
		return time.Time{}, ReasonDisabled
	}
	if r := Ineligible(o); r != "" {
		return time.Time{}, r
	}
	return dueAt(o, s, loc), ""
}

// Reminder is the stored state of one order's reminder.
type Reminder struct {
	TeamID  string `json:"teamId"`
	OrderID string `json:"orderId"`
	// OriginalDue is the due time under the setting in force when the order was
	// placed; a later setting can move the reminder later, never earlier
	// (003:L175–L177).
	OriginalDue time.Time `json:"originalDue"`
	Due         time.Time `json:"due"`
	// Generation is incremented by every reschedule or cancel, so the timer of
	// an earlier due time is recognised as stale.
	Generation int64     `json:"generation"`
	Cancelled  bool      `json:"cancelled,omitempty"`
	SentAt     time.Time `json:"sentAt,omitzero"`
}

// Timer is what the timer service stores for a reminder.
type Timer struct {
	TeamID     string    `json:"teamId"`
	OrderID    string    `json:"orderId"`
	Generation int64     `json:"generation"`
	DueAt      time.Time `json:"dueAt"`
}

// Key identifies the one reminder of an order; use it as the send's
// idempotency key so a redelivered timer never reminds twice.
func (t Timer) Key() string { return "payreminder/" + t.TeamID + "/" + t.OrderID }

func (r Reminder) timer() Timer {
	return Timer{TeamID: r.TeamID, OrderID: r.OrderID, Generation: r.Generation, DueAt: r.Due}
}

// Schedule creates the reminder of a newly placed order and its timer, or
// returns why there is none. A due time already past (an order reported late)
// fires at once.
func Schedule(o Order, s Settings, loc *time.Location) (Reminder, Timer, Reason) {
	due, why := Due(o, s, loc)
	if why != "" {
		return Reminder{}, Timer{}, why
	}
	r := Reminder{TeamID: o.TeamID, OrderID: o.ID, OriginalDue: due, Due: due, Generation: 1}
	return r, r.timer(), ""
}

// Reschedule applies a changed setting to a pending reminder (003:L175–L182).
// The new due time is compared with the time set when the order was placed: if
// it is earlier (or the same), the original time stands; if it is later, the
// reminder moves to it. Comparing with the original, not with the current due
// time, means a second change back towards the original moves the reminder
// back, never before the original. Turning the setting off cancels the
// reminder; turning it on again restores it unless its due time has passed by
// now. A reminder already sent is never touched. It returns the reminder to
// store and, when a timer must be armed, that timer (the previous one becomes
// stale).
func Reschedule(r Reminder, s Settings, o Order, loc *time.Location, now time.Time) (Reminder, *Timer) {
	if !r.SentAt.IsZero() {
		return r, nil
	}
	if !s.Enabled {
		if !r.Cancelled {
			r.Cancelled = true
			r.Generation++
		}
		return r, nil
	}
	due := dueAt(o, s, loc)
	if !due.After(r.OriginalDue) {
		due = r.OriginalDue
	}
	if r.Cancelled && due.Before(now) {
		return r, nil
	}
	if !r.Cancelled && due.Equal(r.Due) {
		return r, nil
	}
	r.Due = due
	r.Cancelled = false
	r.Generation++
	t := r.timer()
	return r, &t
}

// Action is what a fired timer does.
type Action string

// Actions.
const (
	ActionSend Action = "send"
	ActionSkip Action = "skip"
)

// FireDecision is the outcome of a reminder timer firing.
type FireDecision struct {
	Action Action
	Reason Reason
	// Changed says whether Reminder must be stored.
	Changed  bool
	Reminder Reminder
	// Message and Button are what to send, placeholders filled in.
	Message string
	Button  string
}

// OnFire decides what a due reminder timer does. It re-checks that the timer is
// the reminder's current one and not yet sent, that the setting is still on,
// and that the order still qualifies, above all that it is still unpaid
// (003:L190): a customer who paid in the meantime gets nothing. The text is
// taken from the setting in force now.
func OnFire(r Reminder, t Timer, o Order, s Settings, now time.Time) FireDecision {
	d := FireDecision{Reminder: r}
	switch {
	case t.Generation != r.Generation || t.OrderID != r.OrderID || t.TeamID != r.TeamID || r.Cancelled:
		d.Action, d.Reason = ActionSkip, ReasonStale
		return d
	case !r.SentAt.IsZero():
		d.Action, d.Reason = ActionSkip, ReasonDuplicate
		return d
	case !s.Enabled:
		d.Action, d.Reason = ActionSkip, ReasonDisabled
		return d
	}
	if why := Ineligible(o); why != "" {
		d.Action, d.Reason = ActionSkip, why
		return d
	}
	d.Reminder.SentAt = now
	d.Action, d.Changed = ActionSend, true
	d.Message = Render(s.Message, o)
	d.Button = s.Button
	return d
}

// Render fills the placeholders of a message with the order's customer name and
// amount.
func Render(message string, o Order) string {
	return strings.NewReplacer(PlaceholderCustomerName, o.CustomerName, PlaceholderOrderAmount, o.AmountText).Replace(message)
}
