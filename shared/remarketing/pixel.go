package remarketing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/payreminder"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Limits of pixel requests. A page reports a handful of events at a time; a
// batch queued while the browser was offline is the most that is legitimate.
const (
	MaxPixelBody     = 64 << 10
	MaxPixelEvents   = 50
	maxPixelIDLen    = 128
	maxReasons       = 20
	maxEventAge      = 7 * 24 * time.Hour
	maxEventFuture   = 5 * time.Minute
	maxMemberIDLen   = 128
	maxPaymentMethod = 64
)

// EventType is the type of a pixel event.
type EventType string

// Pixel event types. popup_click is the visitor pressing the binding popup's
// button, which holds the popup back for a day (001:L5047).
const (
	EventAddToCart  EventType = "add_to_cart"
	EventRemove     EventType = "remove"
	EventClear      EventType = "clear"
	EventCheckout   EventType = "checkout"
	EventBind       EventType = "bind"
	EventPopupClick EventType = "popup_click"
)

// EventBatch is the body of POST /v1/pixel/events: one visitor's events, in
// the order they happened.
type EventBatch struct {
	VisitorID string  `json:"visitorId"`
	Events    []Event `json:"events"`
}

// Event is one pixel event. Only the part its type needs may be set.
type Event struct {
	// ID, when the pixel sends one, makes the event idempotent: the same id
	// for the same visitor is applied once.
	ID      string        `json:"id,omitempty"`
	Type    EventType     `json:"type"`
	At      time.Time     `json:"at,omitzero"`
	Item    *EventItem    `json:"item,omitempty"`
	Order   *EventOrder   `json:"order,omitempty"`
	Binding *EventBinding `json:"binding,omitempty"`
}

// EventItem is the product of an add_to_cart or remove event.
type EventItem struct {
	ProductID string      `json:"productId"`
	Name      string      `json:"name,omitempty"`
	ImageURL  string      `json:"imageUrl,omitempty"`
	URL       string      `json:"url,omitempty"`
	Price     cart.Amount `json:"-"`
	Currency  string      `json:"currency,omitempty"`
	Quantity  int         `json:"quantity,omitempty"`
}

// EventOrder is the order a checkout completed.
type EventOrder struct {
	OrderID  string      `json:"orderId"`
	Total    cart.Amount `json:"-"`
	Currency string      `json:"currency"`
	MemberID string      `json:"memberId,omitempty"`
}

// EventBinding names the social identity a bind event ties the visitor to.
type EventBinding struct {
	ChannelID      string `json:"channelId"`
	PlatformUserID string `json:"platformUserId"`
}

// amount decodes a price or total sent either as a JSON number or as a string
// ("1,280.50"); both go through cart.ParseAmount, so they round alike.
type amount struct {
	set bool
	v   cart.Amount
}

func (a *amount) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := cart.ParseAmount(s)
	if err != nil {
		return errors.New("a price or total is not an amount")
	}
	a.set, a.v = true, v
	return nil
}

// The wire forms carry amounts as amount, and are checked field by field.
type (
	wireBatch struct {
		VisitorID string      `json:"visitorId"`
		Events    []wireEvent `json:"events"`
	}
	wireEvent struct {
		ID      string        `json:"id"`
		Type    EventType     `json:"type"`
		At      *time.Time    `json:"at"`
		Item    *wireItem     `json:"item"`
		Order   *wireOrder    `json:"order"`
		Binding *EventBinding `json:"binding"`
	}
	wireItem struct {
		ProductID string `json:"productId"`
		Name      string `json:"name"`
		ImageURL  string `json:"imageUrl"`
		URL       string `json:"url"`
		Price     amount `json:"price"`
		Currency  string `json:"currency"`
		Quantity  int    `json:"quantity"`
	}
	wireOrder struct {
		OrderID  string `json:"orderId"`
		Total    amount `json:"total"`
		Currency string `json:"currency"`
		MemberID string `json:"memberId"`
	}
)

// reasons collects validation failures, so one response names all of them
// (up to a bound).
type reasons []string

func (r *reasons) add(format string, args ...any) {
	if len(*r) < maxReasons {
		*r = append(*r, fmt.Sprintf(format, args...))
	}
}

func (r reasons) err() error {
	if len(r) == 0 {
		return nil
	}
	return switchboard.Errorf(switchboard.EInvalid, "invalid pixel request: %s", strings.Join(r, "; "))
}

// decodeStrict decodes exactly one JSON value, refusing unknown fields, so a
// misspelt field is reported rather than silently ignored.
func decodeStrict(body []byte, v any) error {
	if len(body) > MaxPixelBody {
		return switchboard.Errorf(switchboard.ETooLarge, "body is %d bytes; the limit is %d", len(body), MaxPixelBody)
	}
	if !utf8.Valid(body) {
		return switchboard.Errorf(switchboard.EInvalid, "body is not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return switchboard.Errorf(switchboard.EInvalid, "body is not the expected JSON: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return switchboard.Errorf(switchboard.EInvalid, "body has data after the JSON object")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing large inputs.
func jsonProblem(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return strings.ToValidUTF8(msg, "")
}

// ParseEvents decodes and validates the body of POST /v1/pixel/events. now
// bounds the events' times: an event from more than a week ago or more than
// five minutes ahead is refused. Every problem is reported in one EInvalid.
func ParseEvents(body []byte, now time.Time) (*EventBatch, error) {
	var w wireBatch
	if err := decodeStrict(body, &w); err != nil {
		return nil, err
	}
	var rs reasons
	if !validPixelID(w.VisitorID) {
		rs.add("visitorId must be 1 to %d letters, digits or ._:-", maxPixelIDLen)
	}
	switch {
	case len(w.Events) == 0:
		rs.add("events must not be empty")
	case len(w.Events) > MaxPixelEvents:
		rs.add("at most %d events per request", MaxPixelEvents)
	}
	out := &EventBatch{VisitorID: w.VisitorID, Events: make([]Event, 0, len(w.Events))}
	seen := map[string]bool{}
	for i, we := range w.Events {
		if i >= MaxPixelEvents {
			break
		}
		p := "events[" + strconv.Itoa(i) + "]"
		ev := Event{ID: we.ID, Type: we.Type}
		if we.ID != "" {
			if !validPixelID(we.ID) {
				rs.add("%s.id must be 1 to %d letters, digits or ._:-", p, maxPixelIDLen)
			} else if seen[we.ID] {
				rs.add("%s.id repeats an earlier event's id", p)
			}
			seen[we.ID] = true
		}
		if we.At != nil {
			switch {
			case we.At.Before(now.Add(-maxEventAge)):
				rs.add("%s.at is more than 7 days ago", p)
			case we.At.After(now.Add(maxEventFuture)):
				rs.add("%s.at is in the future", p)
			default:
				ev.At = we.At.UTC()
			}
		}
		want := map[EventType]string{
			EventAddToCart: "item", EventRemove: "item", EventBind: "binding",
		}[we.Type]
		switch we.Type {
		case EventAddToCart, EventRemove, EventClear, EventCheckout, EventBind, EventPopupClick:
		default:
			rs.add("%s.type must be add_to_cart, remove, clear, checkout, bind or popup_click", p)
		}
		if (we.Item != nil) != (want == "item") {
			rs.add("%s.item %s", p, map[bool]string{true: "is required for " + string(we.Type), false: "is not allowed for " + string(we.Type)}[want == "item"])
		}
		if we.Binding != nil && we.Type != EventBind || we.Binding == nil && we.Type == EventBind {
			rs.add("%s.binding %s", p, map[bool]string{true: "is required for bind", false: "is allowed for bind only"}[we.Type == EventBind])
		}
		if we.Order != nil && we.Type != EventCheckout {
			rs.add("%s.order is allowed for checkout only", p)
		}
		if we.Item != nil {
			ev.Item = checkItem(&rs, p+".item", we.Item, we.Type == EventAddToCart)
		}
		if we.Order != nil {
			ev.Order = checkEventOrder(&rs, p+".order", we.Order)
		}
		if we.Binding != nil {
			b := *we.Binding
			if !validKeyID(b.ChannelID) {
				rs.add("%s.binding.channelId is required", p)
			}
			if b.PlatformUserID == "" || len(b.PlatformUserID) > 256 {
				rs.add("%s.binding.platformUserId must be 1 to 256 bytes", p)
			}
			ev.Binding = &b
		}
		out.Events = append(out.Events, ev)
	}
	if err := rs.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func checkItem(rs *reasons, p string, w *wireItem, adding bool) *EventItem {
	it := &EventItem{
		ProductID: w.ProductID, Name: w.Name, ImageURL: w.ImageURL, URL: w.URL,
		Price: w.Price.v, Currency: strings.ToUpper(w.Currency), Quantity: w.Quantity,
	}
	if w.ProductID == "" || len(w.ProductID) > maxPixelIDLen || strings.ContainsAny(w.ProductID, "\x00") {
		rs.add("%s.productId must be 1 to %d bytes", p, maxPixelIDLen)
	}
	if !adding {
		return it
	}
	switch {
	case strings.TrimSpace(w.Name) == "" || utf8.RuneCountInString(w.Name) > 300:
		rs.add("%s.name must be 1 to 300 characters", p)
	case !w.Price.set:
		rs.add("%s.price is required", p)
	case w.Price.v < 0:
		rs.add("%s.price must not be negative", p)
	}
	if w.Currency != "" && !isCurrency(w.Currency) {
		rs.add("%s.currency must be a 3-letter code", p)
	}
	if w.Quantity < 0 || w.Quantity > 1_000_000 {
		rs.add("%s.quantity must be 0 to 1000000", p)
	}
	if w.ImageURL != "" && !webURL(w.ImageURL) {
		rs.add("%s.imageUrl must be an http or https URL of at most 2048 bytes", p)
	}
	if w.URL != "" && !webURL(w.URL) {
		rs.add("%s.url must be an http or https URL of at most 2048 bytes", p)
	}
	return it
}

func checkEventOrder(rs *reasons, p string, w *wireOrder) *EventOrder {
	o := &EventOrder{OrderID: w.OrderID, Total: w.Total.v, Currency: strings.ToUpper(w.Currency), MemberID: w.MemberID}
	if !validKeyID(w.OrderID) {
		rs.add("%s.orderId must be 1 to %d bytes without #", p, maxPixelIDLen)
	}
	if !w.Total.set || w.Total.v < 0 {
		rs.add("%s.total is required and must not be negative", p)
	}
	if !isCurrency(w.Currency) {
		rs.add("%s.currency must be a 3-letter code", p)
	}
	if len(w.MemberID) > maxMemberIDLen {
		rs.add("%s.memberId must be at most %d bytes", p, maxMemberIDLen)
	}
	return o
}

// OrderReport is the body of POST /v1/pixel/orders: a shop order for the
// payment reminder.
type OrderReport struct {
	OrderID   string    `json:"orderId"`
	CreatedAt time.Time `json:"createdAt"`
	Total     cart.Amount
	Currency  string `json:"currency"`
	// PaymentMethod is the shop's name for it; "cod" and
	// "cash_on_delivery" (any case) mean cash on delivery.
	PaymentMethod string `json:"paymentMethod"`
	Paid          bool   `json:"paid"`
	// Channel is where the order was created: live, message_center,
	// post_sales or social_commerce (payreminder.OrderSource).
	Channel      payreminder.OrderSource `json:"channel"`
	Contact      EventBinding            `json:"contact"`
	CustomerName string                  `json:"customerName,omitempty"`
	PaymentURL   string                  `json:"paymentUrl,omitempty"`
}

// CashOnDelivery reports whether the payment method is cash on delivery.
func (r *OrderReport) CashOnDelivery() bool {
	switch strings.ToLower(strings.TrimSpace(r.PaymentMethod)) {
	case "cod", "cash_on_delivery", "cash-on-delivery":
		return true
	}
	return false
}

type wireOrderReport struct {
	OrderID       string                  `json:"orderId"`
	CreatedAt     *time.Time              `json:"createdAt"`
	Total         amount                  `json:"total"`
	Currency      string                  `json:"currency"`
	PaymentMethod string                  `json:"paymentMethod"`
	Paid          *bool                   `json:"paid"`
	Channel       payreminder.OrderSource `json:"channel"`
	Contact       *EventBinding           `json:"contact"`
	CustomerName  string                  `json:"customerName"`
	PaymentURL    string                  `json:"paymentUrl"`
}

// ParseOrder decodes and validates the body of POST /v1/pixel/orders.
func ParseOrder(body []byte, now time.Time) (*OrderReport, error) {
	var w wireOrderReport
	if err := decodeStrict(body, &w); err != nil {
		return nil, err
	}
	var rs reasons
	if !validKeyID(w.OrderID) {
		rs.add("orderId must be 1 to %d bytes without #", maxPixelIDLen)
	}
	if w.CreatedAt == nil || w.CreatedAt.IsZero() {
		rs.add("createdAt is required")
	} else if w.CreatedAt.After(now.Add(maxEventFuture)) {
		rs.add("createdAt is in the future")
	}
	if !w.Total.set || w.Total.v < 0 {
		rs.add("total is required and must not be negative")
	}
	if !isCurrency(w.Currency) {
		rs.add("currency must be a 3-letter code")
	}
	if len(w.PaymentMethod) > maxPaymentMethod {
		rs.add("paymentMethod must be at most %d bytes", maxPaymentMethod)
	}
	if w.Paid == nil {
		rs.add("paid is required")
	}
	switch w.Channel {
	case payreminder.SourceLive, payreminder.SourceMessageCenter, payreminder.SourcePostSales, payreminder.SourceSocialCommerce:
	default:
		rs.add("channel must be live, message_center, post_sales or social_commerce")
	}
	if w.Contact == nil || !validKeyID(w.Contact.ChannelID) || w.Contact.PlatformUserID == "" || len(w.Contact.PlatformUserID) > 256 {
		rs.add("contact must name a channelId and a platformUserId")
	}
	if utf8.RuneCountInString(w.CustomerName) > 100 {
		rs.add("customerName must be at most 100 characters")
	}
	if w.PaymentURL != "" && !webURL(w.PaymentURL) {
		rs.add("paymentUrl must be an http or https URL of at most 2048 bytes")
	}
	if err := rs.err(); err != nil {
		return nil, err
	}
	return &OrderReport{
		OrderID: w.OrderID, CreatedAt: w.CreatedAt.UTC(), Total: w.Total.v, Currency: strings.ToUpper(w.Currency),
		PaymentMethod: w.PaymentMethod, Paid: *w.Paid, Channel: w.Channel, Contact: *w.Contact,
		CustomerName: w.CustomerName, PaymentURL: w.PaymentURL,
	}, nil
}

// validPixelID accepts the ids a pixel generates (visitor and event ids):
// short, and of a safe alphabet, since they become parts of storage keys.
func validPixelID(s string) bool {
	if s == "" || len(s) > maxPixelIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// validKeyID accepts ids the shop or Switchboard chose (channel and order
// ids): present, short, printable, and free of the '#' storage keys use.
func validKeyID(s string) bool {
	if s == "" || len(s) > maxPixelIDLen || strings.Contains(s, "#") || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// webURL accepts absolute http(s) URLs of reasonable length: they end up in
// messages as links and images.
func webURL(s string) bool {
	if len(s) > 2048 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
