package remarketing

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/payreminder"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var parseNow = time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)

func TestParseEvents(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *EventBatch
		// reasons lists fragments the EInvalid message must contain.
		reasons []string
		code    string
	}{
		{
			name: "every type",
			body: `{"visitorId":"v-1.a:b_c","events":[
				{"id":"e1","type":"add_to_cart","at":"2026-03-02T04:59:00Z","item":{"productId":"p1","name":"Mug","price":"1,280.50","currency":"twd","url":"https://s.example/p1","imageUrl":"http://s.example/p1.jpg","quantity":2}},
				{"type":"remove","item":{"productId":"p1"}},
				{"type":"clear"},
				{"type":"checkout","order":{"orderId":"o1","total":99.5,"currency":"USD","memberId":"m1"}},
				{"type":"checkout"},
				{"type":"bind","binding":{"channelId":"ch1","platformUserId":"U1"}},
				{"type":"popup_click"}]}`,
			want: &EventBatch{VisitorID: "v-1.a:b_c", Events: []Event{
				{ID: "e1", Type: EventAddToCart, At: time.Date(2026, 3, 2, 4, 59, 0, 0, time.UTC), Item: &EventItem{
					ProductID: "p1", Name: "Mug", Price: 128050, Currency: "TWD", URL: "https://s.example/p1", ImageURL: "http://s.example/p1.jpg", Quantity: 2}},
				{Type: EventRemove, Item: &EventItem{ProductID: "p1"}},
				{Type: EventClear},
				{Type: EventCheckout, Order: &EventOrder{OrderID: "o1", Total: 9950, Currency: "USD", MemberID: "m1"}},
				{Type: EventCheckout},
				{Type: EventBind, Binding: &EventBinding{ChannelID: "ch1", PlatformUserID: "U1"}},
				{Type: EventPopupClick},
			}},
		},
		{"amount that is not a number", `{"visitorId":"v","events":[{"type":"add_to_cart","item":{"productId":"p","name":"n","price":"abc"}}]}`,
			nil, []string{"a price or total is not an amount"}, switchboard.EInvalid},
		{
			name: "field by field",
			body: `{"visitorId":"v","events":[
				{"type":"add_to_cart","item":{"productId":"","name":" ","price":-1,"currency":"TW","url":"javascript:alert(1)","quantity":-1}},
				{"type":"add_to_cart"},
				{"type":"clear","item":{"productId":"p"}},
				{"type":"wish"},
				{"type":"bind"},
				{"id":"x","type":"clear","at":"2020-01-01T00:00:00Z"},
				{"id":"x","type":"checkout","at":"2030-01-01T00:00:00Z","order":{"orderId":"a#b","currency":"usd"}}]}`,
			code: switchboard.EInvalid,
			reasons: []string{
				"events[0].item.productId", "events[0].item.name", "events[0].item.currency", "events[0].item.quantity", "events[0].item.url",
				"events[1].item is required", "events[2].item is not allowed", "events[3].type must be", "events[4].binding is required",
				"events[5].at is more than 7 days ago", "events[6].id repeats", "events[6].at is in the future",
			},
		},
		{"no events", `{"visitorId":"v","events":[]}`, nil, []string{"events must not be empty"}, switchboard.EInvalid},
		{"too many events", `{"visitorId":"v","events":[` + strings.Repeat(`{"type":"clear"},`, MaxPixelEvents) + `{"type":"clear"}]}`, nil, []string{"at most 50 events"}, switchboard.EInvalid},
		{"unknown field", `{"visitorId":"v","events":[{"type":"clear"}],"extra":1}`, nil, []string{`unknown field "extra"`}, switchboard.EInvalid},
		{"trailing data", `{"visitorId":"v","events":[{"type":"clear"}]} {}`, nil, []string{"after the JSON object"}, switchboard.EInvalid},
		{"not JSON", `visitor=v`, nil, []string{"not the expected JSON"}, switchboard.EInvalid},
		{"too large", `{"visitorId":"` + strings.Repeat("v", MaxPixelBody) + `"}`, nil, nil, switchboard.ETooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEvents([]byte(tt.body), parseNow)
			if code := switchboard.ErrorCode(err); code != tt.code {
				t.Fatalf("code = %q (%v), want %q", code, err, tt.code)
			}
			for _, r := range tt.reasons {
				if !strings.Contains(switchboard.ErrorMessage(err), r) {
					t.Errorf("message %q does not mention %q", switchboard.ErrorMessage(err), r)
				}
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				gb, _ := json.Marshal(got)
				wb, _ := json.Marshal(tt.want)
				t.Fatalf("parsed\n%s\nwant\n%s", gb, wb)
			}
		})
	}
}

func TestParseOrder(t *testing.T) {
	valid := `{"orderId":"o1","createdAt":"2026-03-01T10:00:00+08:00","total":"1,000","currency":"twd","paymentMethod":"COD",
		"paid":false,"channel":"live","contact":{"channelId":"ch1","platformUserId":"U1"},"customerName":"Mei","paymentUrl":"https://s.example/pay"}`
	got, err := ParseOrder([]byte(valid), parseNow)
	if err != nil {
		t.Fatal(err)
	}
	want := &OrderReport{
		OrderID: "o1", CreatedAt: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), Total: 100000, Currency: "TWD", PaymentMethod: "COD",
		Channel: payreminder.SourceLive, Contact: EventBinding{ChannelID: "ch1", PlatformUserID: "U1"}, CustomerName: "Mei", PaymentURL: "https://s.example/pay",
	}
	if !reflect.DeepEqual(got, want) || !got.CashOnDelivery() {
		t.Fatalf("parsed %+v, want %+v (cash on delivery)", got, want)
	}
	tests := []struct {
		name, body, reason string
	}{
		{"missing everything", `{}`, "orderId must be"},
		{"paid is required", strings.Replace(valid, `"paid":false,`, "", 1), "paid is required"},
		{"unknown source", strings.Replace(valid, `"live"`, `"shop"`, 1), "channel must be"},
		{"future order", strings.Replace(valid, "2026-03-01", "2027-03-01", 1), "createdAt is in the future"},
		{"no contact", strings.Replace(valid, `"contact":{"channelId":"ch1","platformUserId":"U1"},`, "", 1), "contact must name"},
		{"bad pay URL", strings.Replace(valid, "https://s.example/pay", "ftp://x", 1), "paymentUrl must be"},
		{"negative total", strings.Replace(valid, `"1,000"`, `-5`, 1), "total is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOrder([]byte(tt.body), parseNow)
			if switchboard.ErrorCode(err) != switchboard.EInvalid || !strings.Contains(switchboard.ErrorMessage(err), tt.reason) {
				t.Fatalf("error %v, want EInvalid mentioning %q", err, tt.reason)
			}
		})
	}
	methods := map[string]bool{"cod": true, "Cash_On_Delivery": true, " cod ": true, "credit_card": false, "": false}
	for m, want := range methods {
		if got := (&OrderReport{PaymentMethod: m}).CashOnDelivery(); got != want {
			t.Errorf("CashOnDelivery(%q) = %v, want %v", m, got, want)
		}
	}
}

// FuzzParseEvents: any body either parses into events that satisfy every
// rule the service relies on, or fails with EInvalid or ETooLarge.
func FuzzParseEvents(f *testing.F) {
	f.Add(`{"visitorId":"v1","events":[{"id":"e1","type":"add_to_cart","item":{"productId":"p","name":"n","price":"1.5","currency":"TWD"}}]}`)
	f.Add(`{"visitorId":"v1","events":[{"type":"checkout","order":{"orderId":"o","total":1,"currency":"USD"}},{"type":"bind","binding":{"channelId":"c","platformUserId":"u"}}]}`)
	f.Add(`{"visitorId":"v1","events":[{"type":"remove","item":{"productId":"p"}},{"type":"clear"},{"type":"popup_click","at":"2026-03-02T04:00:00Z"}]}`)
	f.Add(`{"visitorId":"","events":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		b, err := ParseEvents([]byte(body), parseNow)
		if err != nil {
			if c := switchboard.ErrorCode(err); c != switchboard.EInvalid && c != switchboard.ETooLarge {
				t.Fatalf("error code %q, want invalid or too_large", c)
			}
			return
		}
		if !validPixelID(b.VisitorID) || len(b.Events) == 0 || len(b.Events) > MaxPixelEvents {
			t.Fatalf("accepted batch %+v", b)
		}
		for _, ev := range b.Events {
			switch ev.Type {
			case EventAddToCart:
				it := cart.Item{ProductID: ev.Item.ProductID, Name: ev.Item.Name, ImageURL: ev.Item.ImageURL, URL: ev.Item.URL, Price: ev.Item.Price, Currency: ev.Item.Currency, Quantity: ev.Item.Quantity}
				if err := it.Validate(); err != nil {
					t.Fatalf("accepted an item the cart rules refuse: %v", err)
				}
			case EventRemove:
				if ev.Item == nil || ev.Item.ProductID == "" {
					t.Fatal("accepted a remove without a product")
				}
			case EventBind:
				if ev.Binding == nil || !validKeyID(ev.Binding.ChannelID) || ev.Binding.PlatformUserID == "" {
					t.Fatal("accepted a bind without a binding")
				}
			case EventCheckout:
				if ev.Order != nil && (!validKeyID(ev.Order.OrderID) || ev.Order.Total < 0) {
					t.Fatalf("accepted order %+v", ev.Order)
				}
			case EventClear, EventPopupClick:
			default:
				t.Fatalf("accepted type %q", ev.Type)
			}
			if !ev.At.IsZero() && (ev.At.Before(parseNow.Add(-maxEventAge)) || ev.At.After(parseNow.Add(maxEventFuture))) {
				t.Fatalf("accepted time %v", ev.At)
			}
		}
	})
}

// FuzzParseOrder: any body either parses into a complete order or fails with
// EInvalid or ETooLarge.
func FuzzParseOrder(f *testing.F) {
	f.Add(`{"orderId":"o1","createdAt":"2026-03-01T10:00:00Z","total":"1,000","currency":"twd","paymentMethod":"cod","paid":false,"channel":"live","contact":{"channelId":"c","platformUserId":"U"}}`)
	f.Add(`{"orderId":"o#1","total":-1}`)
	f.Fuzz(func(t *testing.T, body string) {
		o, err := ParseOrder([]byte(body), parseNow)
		if err != nil {
			if c := switchboard.ErrorCode(err); c != switchboard.EInvalid && c != switchboard.ETooLarge {
				t.Fatalf("error code %q, want invalid or too_large", c)
			}
			return
		}
		if !validKeyID(o.OrderID) || o.CreatedAt.IsZero() || o.Total < 0 || !isCurrency(o.Currency) || o.Contact.PlatformUserID == "" {
			t.Fatalf("accepted order %+v", o)
		}
	})
}
