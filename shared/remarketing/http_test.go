package remarketing_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/remarketing"
)

// TestPixelHTTP checks the pixel endpoint's answers: authentication, site key
// kinds, validation, size limit, CORS, routing, and event idempotency.
func TestPixelHTTP(t *testing.T) {
	w := newWorld(t, local(t, "2026-03-02 13:00:00"))
	w.enableCart(t, nil)
	add := `{"visitorId":"v9","events":[{"id":"e-1","type":"add_to_cart","item":{"productId":"p1","name":"Mug","price":10}}]}`
	bind := fmt.Sprintf(`{"visitorId":"v9","events":[{"type":"bind","binding":{"channelId":%q,"platformUserId":"U1"}}]}`, w.channel.ID)
	tests := []struct {
		name, method, path, key, body string
		status                        int
		contains                      string
	}{
		{"no site key", "POST", "/v1/pixel/events", "", add, 401, "unauthorized"},
		{"unknown site key", "POST", "/v1/pixel/events", "sbk_browser_nope", add, 401, "unknown site key"},
		{"not a site key", "POST", "/v1/pixel/events", "Bearer x", add, 401, "x-switchboard-site-key"},
		{"invalid body names every problem", "POST", "/v1/pixel/events", w.browserKey,
			`{"visitorId":"a b","events":[{"type":"add_to_cart","item":{"productId":"","name":"M","price":"-1"}},{"type":"wish"}]}`,
			400, "visitorId must be"},
		{"unknown field", "POST", "/v1/pixel/events", w.browserKey, `{"visitorId":"v","events":[{"type":"clear","colour":"red"}]}`, 400, "colour"},
		{"too large", "POST", "/v1/pixel/events", w.browserKey, `{"visitorId":"v","events":[],"pad":"` + strings.Repeat("x", remarketing.MaxPixelBody) + `"}`, 413, "too_large"},
		{"bind needs a server key", "POST", "/v1/pixel/events", w.browserKey, bind, 403, "server site key"},
		{"orders need a server key", "POST", "/v1/pixel/orders", w.browserKey, w.orderBody("o1", w.clock.Now(), false), 403, "server site key"},
		{"order of an unknown contact", "POST", "/v1/pixel/orders", w.serverKey,
			strings.Replace(w.orderBody("o1", w.clock.Now(), false), `"U1"`, `"U404"`, 1), 400, "not a contact"},
		{"paid for an unknown order", "POST", "/v1/pixel/orders/o404/paid", w.serverKey, "", 404, "order not found"},
		{"preflight", "OPTIONS", "/v1/pixel/events", "", "", 204, ""},
		{"unknown route", "GET", "/v1/pixel/nothing", w.browserKey, "", 404, "no such route"},
		{"wrong method", "GET", "/v1/pixel/events", w.browserKey, "", 404, "no such route"},
		{"forged click token", "GET", "/v1/pixel/r/eyJ0IjoieCJ9.AAAA", "", "", 404, "link not found"},
		{"popup without a visitor id", "GET", "/v1/pixel/popup", w.browserKey, "", 400, "visitorId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := w.request(t, tt.method, tt.path, tt.key, tt.body)
			if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.contains) {
				t.Fatalf("status %d body %s; want %d containing %q", resp.StatusCode, resp.Body, tt.status, tt.contains)
			}
			if resp.Headers["access-control-allow-origin"] != "*" {
				t.Fatalf("no CORS header in %v", resp.Headers)
			}
		})
	}

	// The same event id twice is applied once.
	var first, again remarketing.EventsResult
	must(t, json.Unmarshal([]byte(w.ok(t, "POST", "/v1/pixel/events", w.browserKey, add)), &first))
	must(t, json.Unmarshal([]byte(w.ok(t, "POST", "/v1/pixel/events", w.browserKey, add)), &again))
	if first.Applied != 1 || again.Applied != 0 || again.Duplicates != 1 {
		t.Fatalf("first %+v, again %+v; want the repeat to be a duplicate", first, again)
	}
	if fmt.Sprint(first.Reasons) != "[unbound]" {
		t.Fatalf("reasons = %v, want [unbound] for a visitor bound to nobody", first.Reasons)
	}
}

// TestPopup follows the binding popup through its conditions: not before an
// add-to-cart, then up to the daily cap (three by default), then not for a
// day after its button was pressed, and never again once bound on LINE.
func TestPopup(t *testing.T) {
	w := newWorld(t, local(t, "2026-03-02 13:00:00"))
	popup := func() string {
		var d remarketing.PopupDecision
		must(t, json.Unmarshal([]byte(w.ok(t, "GET", "/v1/pixel/popup?visitorId=v1", w.browserKey, "")), &d))
		if d.Show {
			return "show"
		}
		return d.Reason
	}
	if got := popup(); got != "disabled" {
		t.Fatalf("popup with remarketing off: %q, want disabled", got)
	}
	w.enableCart(t, nil)
	if got := popup(); got != "not_yet" {
		t.Fatalf("popup before any add-to-cart: %q, want not_yet", got)
	}
	w.addToCart(t, "v1", "p1")
	var got []string
	for range 4 {
		got = append(got, popup())
	}
	if want := "show show show daily_limit"; strings.Join(got, " ") != want {
		t.Fatalf("popups = %v, want %s", got, want)
	}
	w.clock.Set(local(t, "2026-03-03 09:00:00"))
	if got := popup(); got != "show" {
		t.Fatalf("popup on the next day: %q, want show", got)
	}
	w.ok(t, "POST", "/v1/pixel/events", w.browserKey, `{"visitorId":"v1","events":[{"type":"popup_click"}]}`)
	if got := popup(); got != "button_pressed" {
		t.Fatalf("popup after its button was pressed: %q, want button_pressed", got)
	}
	w.clock.Set(local(t, "2026-03-04 09:30:00"))
	w.bind(t, "v1")
	if got := popup(); got != "bound" {
		t.Fatalf("popup once bound on LINE: %q, want bound", got)
	}
}
