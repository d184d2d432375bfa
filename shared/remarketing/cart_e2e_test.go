package remarketing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/remarketing"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func timerBody(tm *switchboard.Timer) (string, error) {
	b, err := json.Marshal(tm)
	return string(b), err
}

// armed returns the timers stored for the minute of at.
func (w *world) armed(t *testing.T, at time.Time) []*switchboard.Timer {
	t.Helper()
	var out []*switchboard.Timer
	for shard := range dynamo.TimerShards {
		ts, _, err := w.store.DueTimers(context.Background(), at.Truncate(time.Minute), shard, "", 100)
		must(t, err)
		out = append(out, ts...)
	}
	return out
}

func (w *world) bind(t *testing.T, visitor string) {
	t.Helper()
	w.ok(t, "POST", "/v1/pixel/events", w.serverKey, fmt.Sprintf(
		`{"visitorId":%q,"events":[{"type":"bind","binding":{"channelId":%q,"platformUserId":"U1"}}]}`, visitor, w.channel.ID))
}

func (w *world) addToCart(t *testing.T, visitor, product string) remarketing.EventsResult {
	t.Helper()
	body := w.ok(t, "POST", "/v1/pixel/events", w.browserKey, fmt.Sprintf(`{"visitorId":%q,"events":[{"type":"add_to_cart","item":{
		"productId":%q,"name":"Ceramic Mug","price":"1,280","currency":"TWD",
		"url":"https://shop.example/p/%s","imageUrl":"https://shop.example/p/%s.jpg"}}]}`, visitor, product, product, product))
	var res remarketing.EventsResult
	must(t, json.Unmarshal([]byte(body), &res))
	return res
}

// TestCartReminderEndToEnd plays the whole cart flow through the pixel
// endpoint, the timer table, the dispatcher, the timer queue on the emulator
// and the consumer, with a fake LINE sender: the add-to-cart arms the two
// reminders, the first is delivered an hour later with tracked links, a click
// is counted, the checkout cancels the second (which then sends nothing, even
// when a copy of its timer fires), and the statistics and export see it all.
func TestCartReminderEndToEnd(t *testing.T) {
	start := local(t, "2026-03-02 13:00:00")
	w := newWorld(t, start)
	w.enableCart(t, nil)
	ctx := context.Background()

	w.bind(t, "v1")
	res := w.addToCart(t, "v1", "p1")
	if res.Applied != 1 || res.Armed != 2 {
		t.Fatalf("add to cart: %+v, want 1 applied and 2 armed", res)
	}
	second := w.armed(t, start.Add(24*time.Hour))
	if len(second) != 1 {
		t.Fatalf("%d timers stored for message 2, want 1", len(second))
	}

	w.tick(t, start.Add(57*time.Minute))
	if got := w.line.take(); len(got) != 0 {
		t.Fatalf("sent %d messages before the first reminder was due", len(got))
	}
	w.tick(t, start.Add(time.Hour+5*time.Second))
	sends := w.line.take()
	if len(sends) != 1 {
		t.Fatalf("sent %d messages when the first reminder was due, want 1", len(sends))
	}
	req := sends[0]
	if req.To.PlatformUserID != "U1" || req.Purpose != switchboard.PurposeMarketing || req.Channel.ID != w.channel.ID {
		t.Fatalf("send request = %+v", req)
	}
	if !strings.HasPrefix(req.IdempotencyKey, "cart/"+w.team+"/v1/") || !strings.HasSuffix(req.IdempotencyKey, "/1") {
		t.Fatalf("idempotency key = %q, want the cart timer key of message 1", req.IdempotencyKey)
	}
	text := req.Messages[len(req.Messages)-1]
	if !strings.Contains(text.Text, "Ceramic Mug NT$1,280") || len(text.Buttons) != 1 {
		t.Fatalf("reminder text = %q with %d buttons", text.Text, len(text.Buttons))
	}
	link := text.Buttons[0].URL
	if !strings.HasPrefix(link, baseURL+remarketing.ClickPath) {
		t.Fatalf("button link %q is not tracked", link)
	}

	// The customer taps the link twice: two clicks, one unique.
	path := strings.TrimPrefix(link, baseURL)
	for range 2 {
		resp := w.request(t, "GET", path, "", "")
		if resp.StatusCode != 302 || resp.Headers["location"] != "https://shop.example/p/p1" {
			t.Fatalf("click: status %d, location %q", resp.StatusCode, resp.Headers["location"])
		}
	}

	w.clock.Set(start.Add(3 * time.Hour))
	w.ok(t, "POST", "/v1/pixel/events", w.browserKey,
		`{"visitorId":"v1","events":[{"id":"co-1","type":"checkout","order":{"orderId":"o-77","total":1280,"currency":"twd","memberId":"M9"}}]}`)
	if got := w.armed(t, start.Add(24*time.Hour)); len(got) != 0 {
		t.Fatalf("the checkout left %d timers of message 2", len(got))
	}
	w.tick(t, start.Add(24*time.Hour+5*time.Second))
	if err := w.fire(t, second[0]); err != nil {
		t.Fatalf("a late copy of the cancelled timer: %v", err)
	}
	if got := w.line.take(); len(got) != 0 {
		t.Fatalf("sent %d messages after the checkout", len(got))
	}

	sum, err := w.svc.CartStats(ctx, w.team, w.channel.ID, start, start.Add(48*time.Hour))
	must(t, err)
	first := sum.ByIndex[0]
	if first.Sends != 1 || first.UniqueClicks != 1 || first.Orders != 1 || first.Revenue["TWD"] != 128000 || sum.ByIndex[1].Sends != 0 {
		t.Fatalf("statistics = %+v, want message 1 sent, clicked, converted for TWD 1280", sum)
	}
	var csv bytes.Buffer
	must(t, w.svc.ExportCartOrders(ctx, &csv, w.team, w.channel.ID, start, start.Add(48*time.Hour)))
	want := "Platform,Channel Name,Date,Order ID,Currency,Total,Message Index,Member ID\nLINE,Shop LINE,2026-03-02 16:00:00,o-77,TWD,1280.00,1,M9\n"
	if csv.String() != want {
		t.Fatalf("export =\n%s\nwant\n%s", csv.String(), want)
	}
	if err := w.svc.ExportCartOrders(ctx, &csv, w.team, w.channel.ID, start, start.AddDate(0, 0, 40)); switchboard.ErrorCode(err) != switchboard.EInvalid {
		t.Fatalf("a 40-day export: %v, want EInvalid", err)
	}
}

// TestCartRestartCycle: after a sequence ran to its last message without a
// checkout, an add-to-cart arms nothing until the restart cycle has passed.
func TestCartRestartCycle(t *testing.T) {
	start := local(t, "2026-03-02 13:00:00")
	w := newWorld(t, start)
	w.enableCart(t, nil)
	w.bind(t, "v1")
	w.addToCart(t, "v1", "p1")
	w.tick(t, start.Add(time.Hour+5*time.Second))
	w.tick(t, start.Add(24*time.Hour+5*time.Second))
	if got := len(w.line.take()); got != 2 {
		t.Fatalf("the sequence sent %d messages, want 2", got)
	}
	steps := []struct {
		at      time.Time
		armed   int
		reasons []string
	}{
		{start.Add(25 * time.Hour), 0, []string{string(cart.ReasonRestartCycle)}},
		{start.Add(24*time.Hour + 72*time.Hour - time.Minute), 0, []string{string(cart.ReasonRestartCycle)}},
		{start.Add(24*time.Hour + 72*time.Hour + time.Minute), 2, nil},
	}
	for _, st := range steps {
		w.clock.Set(st.at)
		res := w.addToCart(t, "v1", "p2")
		if res.Armed != st.armed || strings.Join(res.Reasons, ",") != strings.Join(st.reasons, ",") {
			t.Fatalf("add to cart at %v: %+v, want %d armed, reasons %v", st.at, res, st.armed, st.reasons)
		}
	}
}

// TestCartQuietHoursAtFiring: quiet hours switched on after the reminder was
// armed hold it back when it fires; it is re-armed for the end of the window
// and sent then, and the earlier timer firing again does nothing.
func TestCartQuietHoursAtFiring(t *testing.T) {
	start := local(t, "2026-03-02 22:30:00")
	w := newWorld(t, start)
	w.enableCart(t, func(c *cart.Config) { c.Messages = c.Messages[:1] })
	w.bind(t, "v1")
	if res := w.addToCart(t, "v1", "p1"); res.Armed != 1 {
		t.Fatalf("armed %d, want 1", res.Armed)
	}
	original := w.armed(t, local(t, "2026-03-02 23:30:00"))
	if len(original) != 1 {
		t.Fatalf("%d timers at 23:30, want 1", len(original))
	}
	// The team turns quiet hours on; what is scheduled keeps its time.
	w.enableCart(t, func(c *cart.Config) {
		c.Messages = c.Messages[:1]
		c.DoNotDisturb = cart.DoNotDisturb{Enabled: true, Start: "23:00", End: "08:00"}
	})
	w.tick(t, local(t, "2026-03-02 23:30:05"))
	if got := w.line.take(); len(got) != 0 {
		t.Fatalf("sent %d messages inside the quiet hours", len(got))
	}
	if got := w.armed(t, local(t, "2026-03-03 08:00:00")); len(got) != 1 || got[0].ID != original[0].ID {
		t.Fatalf("re-armed timers at 08:00: %v, want the same reminder", got)
	}
	v, err := w.store.GetVisitor(context.Background(), w.team, "v1")
	must(t, err)
	if due := v.Cart.Sequence.Messages[0].DueAt; !due.Equal(local(t, "2026-03-03 08:00:00")) {
		t.Fatalf("stored due time = %v, want 08:00", due.In(taipei))
	}
	// The earlier timer firing again (a late copy) is recognised as overtaken
	// and changes nothing: no send, no write.
	w.clock.Set(local(t, "2026-03-03 07:00:00"))
	must(t, w.fire(t, original[0]))
	if got := w.line.take(); len(got) != 0 {
		t.Fatalf("the overtaken timer sent %d messages", len(got))
	}
	after, err := w.store.GetVisitor(context.Background(), w.team, "v1")
	must(t, err)
	if after.Version != v.Version {
		t.Fatalf("the overtaken timer rewrote the visitor (version %d, was %d)", after.Version, v.Version)
	}
	w.tick(t, local(t, "2026-03-03 08:00:05"))
	if got := w.line.take(); len(got) != 1 {
		t.Fatalf("sent %d messages when the quiet hours ended, want 1", len(got))
	}
}

// TestCartSendFailures: a platform error that may pass leaves the reminder
// to be retried; one that will not gives the message up.
func TestCartSendFailures(t *testing.T) {
	start := local(t, "2026-03-02 13:00:00")
	w := newWorld(t, start)
	w.enableCart(t, nil)
	w.bind(t, "v1")
	w.addToCart(t, "v1", "p1")
	due := w.armed(t, start.Add(time.Hour))
	if len(due) != 1 {
		t.Fatalf("%d timers for message 1", len(due))
	}
	w.clock.Set(start.Add(time.Hour + 5*time.Second))

	w.line.fail(switchboard.Errorf(switchboard.EUnavailable, "LINE is down"))
	if err := w.fire(t, due[0]); switchboard.ErrorCode(err) != switchboard.EUnavailable {
		t.Fatalf("firing while LINE is down: %v, want EUnavailable (retry)", err)
	}
	// The retry comes after the firing lease lapsed.
	w.clock.Set(start.Add(time.Hour + 4*time.Minute))
	w.line.fail(switchboard.Errorf(switchboard.EForbidden, "the user blocked the account"))
	if err := w.fire(t, due[0]); err != nil {
		t.Fatalf("firing a send refused for good: %v, want it given up", err)
	}
	v, err := w.store.GetVisitor(context.Background(), w.team, "v1")
	must(t, err)
	if got := v.Cart.Sequence.Messages[0].Skipped; got != remarketing.ReasonSendFailed {
		t.Fatalf("message 1 skipped = %q, want %q", got, remarketing.ReasonSendFailed)
	}
	w.line.fail(nil)
	w.clock.Set(start.Add(time.Hour + 8*time.Minute))
	must(t, w.fire(t, due[0]))
	if got := w.line.take(); len(got) != 0 {
		t.Fatalf("a given-up message was sent %d times", len(got))
	}
}

// TestSetActiveCartChannel: enabling remarketing on one channel disables it
// on the other and voids the other's pending reminders (new epoch).
func TestSetActiveCartChannel(t *testing.T) {
	w := newWorld(t, local(t, "2026-03-02 13:00:00"))
	ctx := context.Background()
	other := &switchboard.Channel{ID: switchboard.NewID(), TeamID: w.team, Kind: switchboard.KindMessenger, Name: "Page", Enabled: true}
	must(t, w.store.CreateChannel(ctx, other))
	w.enableCart(t, nil)
	_, err := w.svc.SaveCartConfig(ctx, cart.Config{
		TeamID: w.team, ChannelID: other.ID, Enabled: true,
		Messages: []cart.MessageConfig{{Enabled: true, Delay: cart.Delay{Hours: 2}, BotModuleID: "m"}},
	})
	must(t, err)
	cfgs, err := w.store.ListCartConfigs(ctx, w.team)
	must(t, err)
	got := map[string]string{}
	for _, c := range cfgs {
		got[c.ChannelID] = fmt.Sprintf("enabled=%v epoch=%d", c.Enabled, c.Epoch)
	}
	want := map[string]string{w.channel.ID: "enabled=false epoch=1", other.ID: "enabled=true epoch=0"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("configurations = %v, want %v", got, want)
	}
	if _, err := w.svc.SaveCartConfig(ctx, cart.Config{TeamID: w.team, ChannelID: "nope", Enabled: true}); switchboard.ErrorCode(err) != switchboard.ENotFound {
		t.Fatalf("configuration of an unknown channel: %v, want ENotFound", err)
	}
	if _, err := w.svc.SaveCartConfig(ctx, cart.Config{TeamID: w.team, ChannelID: w.channel.ID, Enabled: true}); switchboard.ErrorCode(err) != switchboard.EInvalid {
		t.Fatalf("enabling without messages: %v, want EInvalid", err)
	}
}
