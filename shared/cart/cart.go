package cart

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// MaxItems bounds how many distinct products a cart remembers; the oldest are
// dropped first. The carousel shows only the newest CarouselSize (001:L4971),
// so this only keeps the stored record small.
const MaxItems = 50

// MessengerWindow is Messenger's standard messaging window: a page may message a
// person only within 24 hours of that person's last message (001:L4967,
// 001:L5042).
const MessengerWindow = 24 * time.Hour

// BindingVisitor is the Binding kind that ties a contact to a website visitor
// (switchboard.Binding).
const BindingVisitor = "visitor"

// Item is one product a visitor added to the cart, as the pixel reports it.
type Item struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	ImageURL  string `json:"imageUrl,omitempty"`
	URL       string `json:"url,omitempty"`
	Price     Amount `json:"price"`
	// Currency is the ISO code of the catalogue's sale_price (001:L1281).
	Currency string    `json:"currency,omitempty"`
	Quantity int       `json:"quantity,omitempty"`
	AddedAt  time.Time `json:"addedAt"`
}

// Validate checks an item from the pixel, which is outside input.
func (it *Item) Validate() error {
	switch {
	case it.ProductID == "" || len(it.ProductID) > maxIDLen:
		return switchboard.Errorf(switchboard.EInvalid, "productId must be 1 to %d bytes", maxIDLen)
	case !utf8.ValidString(it.Name) || utf8.RuneCountInString(it.Name) > 300:
		return switchboard.Errorf(switchboard.EInvalid, "product name must be valid text of at most 300 characters")
	case len(it.ImageURL) > 2048 || len(it.URL) > 2048:
		return switchboard.Errorf(switchboard.EInvalid, "product URLs must be at most 2048 bytes")
	case it.Currency != "" && !isCurrencyCode(it.Currency):
		return switchboard.Errorf(switchboard.EInvalid, "currency must be a 3-letter code")
	case it.Price < 0:
		return switchboard.Errorf(switchboard.EInvalid, "price must not be negative")
	case it.Quantity < 0:
		return switchboard.Errorf(switchboard.EInvalid, "quantity must not be negative")
	}
	return nil
}

// Scheduled is one message of an armed sequence.
type Scheduled struct {
	// Index is the message number, 1 to 4, as operators and reports count it.
	Index int `json:"index"`
	// DueAt is when it should be sent, already moved out of the quiet window.
	DueAt time.Time `json:"dueAt"`
	// Delay is the delay it was armed with; a later change of the setting does
	// not move it (001:L3728).
	Delay Delay `json:"delay"`
	// SentAt is set when the message was handed over for sending.
	SentAt time.Time `json:"sentAt,omitzero"`
	// Skipped says why the message was given up without being sent.
	Skipped Reason `json:"skipped,omitempty"`
}

// resolved reports whether the message was sent or given up.
func (s Scheduled) resolved() bool { return !s.SentAt.IsZero() || s.Skipped != "" }

// Sequence is one armed run of reminder messages.
type Sequence struct {
	Generation int64 `json:"generation"`
	// ContactID and ChannelID name the recipient the sequence was armed for.
	ContactID   string      `json:"contactId"`
	ChannelID   string      `json:"channelId"`
	ConfigEpoch int64       `json:"configEpoch"`
	ArmedAt     time.Time   `json:"armedAt"`
	Messages    []Scheduled `json:"messages"`
}

// pending reports whether any message of the sequence is still to fire.
func (s *Sequence) pending() bool {
	if s == nil {
		return false
	}
	for _, m := range s.Messages {
		if !m.resolved() {
			return true
		}
	}
	return false
}

// Cart is the remarketing state of one website visitor of a team. It is keyed by
// the visitor, not the contact, because the pixel reports visitors, and a
// visitor's cart exists before the visitor is bound to any social identity
// (001:L5019). Each browser or device is its own visitor, which is why a
// customer who checks out on another device still gets reminders (001:L3737).
type Cart struct {
	TeamID    string `json:"teamId"`
	VisitorID string `json:"visitorId"`
	// Items are distinct products, oldest first; adding a product again moves it
	// to the end.
	Items []Item `json:"items,omitempty"`
	// Generation is incremented whenever a sequence is armed or cancelled, so a
	// timer of an earlier sequence is recognised as stale when it fires.
	Generation int64     `json:"generation"`
	Sequence   *Sequence `json:"sequence,omitempty"`
	// LastSequenceEndedAt is when the last message of the latest sequence that
	// sent anything was sent; the restart cycle counts from it (001:L1922). It
	// is cleared by a checkout and by the start of a new sequence.
	LastSequenceEndedAt time.Time `json:"lastSequenceEndedAt,omitzero"`
	CheckedOut          bool      `json:"checkedOut"`
	CheckedOutAt        time.Time `json:"checkedOutAt,omitzero"`
	UpdatedAt           time.Time `json:"updatedAt,omitzero"`
	Version             int64     `json:"version"`
}

// clone deep-copies c so rules never modify their inputs.
func (c Cart) clone() Cart {
	c.Items = append([]Item(nil), c.Items...)
	if c.Sequence != nil {
		s := *c.Sequence
		s.Messages = append([]Scheduled(nil), s.Messages...)
		c.Sequence = &s
	}
	return c
}

// Timer is what the timer service stores and hands back when it is due. It
// carries every number the firing re-checks.
type Timer struct {
	TeamID      string    `json:"teamId"`
	VisitorID   string    `json:"visitorId"`
	ContactID   string    `json:"contactId"`
	ChannelID   string    `json:"channelId"`
	Generation  int64     `json:"generation"`
	ConfigEpoch int64     `json:"configEpoch"`
	Index       int       `json:"index"`
	DueAt       time.Time `json:"dueAt"`
}

// Key identifies the one send this timer stands for: the same message of the
// same sequence, however often it is postponed or redelivered. Use it as the
// send's idempotency key (LINE X-Line-Retry-Key takes a UUID, so hash it there).
func (t Timer) Key() string {
	return "cart/" + t.TeamID + "/" + t.VisitorID + "/" + strconv.FormatInt(t.ConfigEpoch, 10) + "/" +
		strconv.FormatInt(t.Generation, 10) + "/" + strconv.Itoa(t.Index)
}

// Reason says why a rule did not arm or send.
type Reason string

// Reasons.
const (
	ReasonDisabled         Reason = "disabled"           // the feature is off, or runs on another channel
	ReasonUnbound          Reason = "unbound"            // the visitor has no social identity on the active channel
	ReasonUnsubscribed     Reason = "unsubscribed"       // the contact opted out of marketing
	ReasonBlocked          Reason = "blocked"            // the contact is blocked
	ReasonRestartCycle     Reason = "restart_cycle"      // the last sequence ended less than a restart cycle ago
	ReasonRestartOff       Reason = "restart_off"        // a sequence ended and only a checkout starts a new one
	ReasonStale            Reason = "stale"              // the timer belongs to a sequence that was re-armed or cancelled
	ReasonDuplicate        Reason = "duplicate"          // the message was already sent or given up
	ReasonCheckedOut       Reason = "checked_out"        // the customer checked out
	ReasonCartEmpty        Reason = "cart_empty"         // nothing left in the cart
	ReasonMessageDisabled  Reason = "message_disabled"   // that message was turned off after it was armed
	ReasonMessagingWindow  Reason = "messaging_window"   // Messenger: more than 24 h since the customer's last message
	ReasonNoEnabledMessage Reason = "no_enabled_message" // the configuration has no message turned on
)

// Warning notes something about an armed message the caller may want to log.
type Warning struct {
	Index  int    `json:"index"`
	Reason Reason `json:"reason"`
}

// Decision is the outcome of a cart event: the cart to store (under its
// optimistic version) and the timers to arm. Cancel lists the timers the event
// made stale; deleting them is optional, since a stale timer does nothing when
// it fires.
type Decision struct {
	Cart     Cart
	Arm      []Timer
	Cancel   []Timer
	Reason   Reason
	Warnings []Warning
}

// Recipient reports whether contact can receive the cart reminders of visitor
// under cfg: the contact must be on the active channel and bound to that very
// visitor (001:L1912). The caller passes the contact of the active channel the
// visitor is bound to, or nil when there is none.
func Recipient(cfg *Config, visitorID string, contact *switchboard.Contact) Reason {
	if contact == nil || cfg == nil || contact.ChannelID != cfg.ChannelID || contact.PlatformUserID == "" {
		return ReasonUnbound
	}
	bound := false
	for _, b := range contact.Bindings {
		if b.Kind == BindingVisitor && b.ID == visitorID && visitorID != "" {
			bound = true
			break
		}
	}
	switch {
	case !bound:
		return ReasonUnbound
	case contact.Blocked:
		return ReasonBlocked
	case !contact.Subscribed:
		return ReasonUnsubscribed
	}
	return ""
}

// addItem puts it at the end of items, replacing an earlier entry of the same
// product, and keeps at most MaxItems.
func addItem(items []Item, it Item) []Item {
	out := items[:0:0]
	for _, x := range items {
		if x.ProductID != it.ProductID {
			out = append(out, x)
		}
	}
	out = append(out, it)
	if len(out) > MaxItems {
		out = append([]Item(nil), out[len(out)-MaxItems:]...)
	}
	return out
}

// pendingTimers lists the timers of the cart's sequence that have not fired.
func pendingTimers(c *Cart) []Timer {
	s := c.Sequence
	if s == nil {
		return nil
	}
	var out []Timer
	for _, m := range s.Messages {
		if !m.resolved() {
			out = append(out, timerFor(c, s, m))
		}
	}
	return out
}

func timerFor(c *Cart, s *Sequence, m Scheduled) Timer {
	return Timer{
		TeamID: c.TeamID, VisitorID: c.VisitorID, ContactID: s.ContactID, ChannelID: s.ChannelID,
		Generation: s.Generation, ConfigEpoch: s.ConfigEpoch, Index: m.Index, DueAt: m.DueAt,
	}
}

// cancelPending voids the pending sequence, if any, by moving to a new
// generation, and returns the timers it made stale.
func cancelPending(c *Cart) []Timer {
	stale := pendingTimers(c)
	if len(stale) > 0 {
		c.Generation++
		c.Sequence = nil
	}
	return stale
}

// OnAddToCart records an add-to-cart and decides whether it arms a sequence.
// Every add-to-cart that may arm re-arms the whole sequence from now with the
// current delays (001:L3728–L3730); each due time is moved out of the quiet
// window (001:L4965), and a later message is kept at least a minute after the
// one before it so that quiet hours never reorder or merge them.
//
// Nothing is armed when the feature is off or runs on another channel, when the
// visitor is not bound to a subscribed, unblocked contact of the active channel,
// or when a sequence already ran to its last message without a checkout and the
// restart cycle has not passed since that message (001:L1922, 001:L4962); the
// add-to-cart then only updates the items. An add-to-cart that cannot arm still
// cancels a sequence in progress, so pending reminders always belong to the
// latest add-to-cart.
//
// On Messenger every message is armed even when its due time lies more than 24
// hours after the customer's last message, because the customer may still write
// (or press the popup's Messenger button, 001:L5042) before it is due; the
// window is decided when the timer fires, and such messages are reported as
// warnings here.
func OnAddToCart(cfg *Config, c Cart, contact *switchboard.Contact, it Item, now time.Time, loc *time.Location) (Decision, error) {
	if err := it.Validate(); err != nil {
		return Decision{}, err
	}
	if it.AddedAt.IsZero() {
		it.AddedAt = now
	}
	out := c.clone()
	out.Items = addItem(out.Items, it)
	out.CheckedOut = false
	out.UpdatedAt = now
	d := Decision{}

	if cfg == nil || !cfg.Enabled {
		d.Reason = ReasonDisabled
	} else if r := Recipient(cfg, c.VisitorID, contact); r != "" {
		d.Reason = r
	} else if !out.LastSequenceEndedAt.IsZero() {
		rc := cfg.RestartCycle.Duration()
		switch {
		case rc == 0:
			d.Reason = ReasonRestartOff
		case now.Before(out.LastSequenceEndedAt.Add(rc)):
			d.Reason = ReasonRestartCycle
		}
	}
	if d.Reason != "" {
		d.Cancel = cancelPending(&out)
		d.Cart = out
		return d, nil
	}

	seq := &Sequence{
		ContactID: contact.ID, ChannelID: cfg.ChannelID, ConfigEpoch: cfg.Epoch, ArmedAt: now,
	}
	var prev time.Time
	for i, m := range cfg.Messages {
		if !m.Enabled {
			continue
		}
		due := now.Add(m.Delay.Duration())
		if !prev.IsZero() && due.Before(prev.Add(time.Minute)) {
			due = prev.Add(time.Minute)
		}
		due = cfg.DoNotDisturb.Defer(due, loc)
		prev = due
		seq.Messages = append(seq.Messages, Scheduled{Index: i + 1, DueAt: due, Delay: m.Delay})
		if cfg.ChannelKind == switchboard.KindMessenger && !withinWindow(contact.LastCustomerInteractionAt, due) {
			d.Warnings = append(d.Warnings, Warning{Index: i + 1, Reason: ReasonMessagingWindow})
		}
	}
	if len(seq.Messages) == 0 {
		d.Reason = ReasonNoEnabledMessage
		d.Cancel = cancelPending(&out)
		d.Cart = out
		return d, nil
	}
	// One new generation both voids the pending sequence and names the new one.
	d.Cancel = pendingTimers(&out)
	out.Generation++
	seq.Generation = out.Generation
	out.Sequence = seq
	out.LastSequenceEndedAt = time.Time{}
	for _, m := range seq.Messages {
		d.Arm = append(d.Arm, timerFor(&out, seq, m))
	}
	d.Cart = out
	return d, nil
}

// withinWindow reports whether a Messenger message may be sent at t given the
// customer's last message at last: strictly less than 24 hours later.
func withinWindow(last, t time.Time) bool {
	return !last.IsZero() && t.Before(last.Add(MessengerWindow))
}

// OnCheckout empties the cart and cancels pending reminders. A checkout also
// resets the restart cycle: the next add-to-cart starts a fresh sequence
// (001:L1921).
func OnCheckout(c Cart, now time.Time) Decision {
	out := c.clone()
	d := Decision{Cancel: cancelPending(&out)}
	out.Items = nil
	out.CheckedOut = true
	out.CheckedOutAt = now
	out.LastSequenceEndedAt = time.Time{}
	out.UpdatedAt = now
	d.Cart = out
	return d
}

// OnClear empties the cart (the clear-cart event only some platforms send,
// 001:L3732) and cancels pending reminders. Unlike a checkout it keeps the
// restart cycle running: emptying and refilling the cart is not a reason to
// remind a customer who ignored a whole sequence sooner.
func OnClear(c Cart, now time.Time) Decision {
	out := c.clone()
	d := Decision{Cancel: cancelPending(&out)}
	out.Items = nil
	out.UpdatedAt = now
	d.Cart = out
	return d
}

// OnRemove removes one product. Removing the last item is a clear (pending
// reminders are cancelled); removing another leaves the sequence as it is,
// since only an add-to-cart re-arms, and the reminder shows what is left when it
// is sent.
func OnRemove(c Cart, productID string, now time.Time) Decision {
	out := c.clone()
	kept := out.Items[:0:0]
	for _, it := range out.Items {
		if it.ProductID != productID {
			kept = append(kept, it)
		}
	}
	if len(kept) == 0 {
		return OnClear(c, now)
	}
	out.Items = kept
	out.UpdatedAt = now
	return Decision{Cart: out}
}
