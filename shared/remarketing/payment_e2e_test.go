package remarketing_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/payreminder"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func (w *world) orderBody(id string, created time.Time, paid bool) string {
	return fmt.Sprintf(`{"orderId":%q,"createdAt":%q,"total":"500","currency":"TWD","paymentMethod":"credit_card",
		"paid":%v,"channel":"live","contact":{"channelId":%q,"platformUserId":"U1"},"paymentUrl":"https://shop.example/pay/%s"}`,
		id, created.Format(time.RFC3339), paid, w.channel.ID, id)
}

// TestPaymentReminderEndToEnd: an unpaid order reported through the pixel is
// reminded at its due hour through the fake LINE sender, with the amount and
// the pay button; an order paid before its reminder was due gets nothing,
// even when a copy of its timer fires.
func TestPaymentReminderEndToEnd(t *testing.T) {
	ordered := local(t, "2026-03-02 13:20:00")
	w := newWorld(t, ordered)
	ctx := context.Background()
	settings := payreminder.DefaultSettings()
	settings.Enabled, settings.DaysAfter, settings.Hour = true, 1, 10
	_, err := w.svc.SavePayReminderSettings(ctx, w.team, settings)
	must(t, err)

	if body := w.ok(t, "POST", "/v1/pixel/orders", w.serverKey, w.orderBody("o-1", ordered, false)); !strings.Contains(body, `"reminderScheduled":true`) {
		t.Fatalf("reporting an unpaid order: %s", body)
	}
	w.ok(t, "POST", "/v1/pixel/orders", w.serverKey, w.orderBody("o-2", ordered, false))
	due := local(t, "2026-03-03 10:00:00")
	stale := w.armed(t, due)
	if len(stale) != 2 {
		t.Fatalf("%d reminder timers at the due hour, want 2", len(stale))
	}
	w.clock.Set(ordered.Add(time.Hour))
	if body := w.ok(t, "POST", "/v1/pixel/orders/o-2/paid", w.serverKey, ""); !strings.Contains(body, `"orderId":"o-2"`) {
		t.Fatalf("marking paid: %s", body)
	}
	// Reporting the same order again changes nothing.
	w.ok(t, "POST", "/v1/pixel/orders", w.serverKey, w.orderBody("o-1", ordered, false))

	w.tick(t, due.Add(5*time.Second))
	sends := w.line.take()
	if len(sends) != 1 {
		t.Fatalf("sent %d reminders, want 1 (o-1 only)", len(sends))
	}
	req := sends[0]
	msg := req.Messages[0]
	if req.IdempotencyKey != "payreminder/"+w.team+"/o-1" || req.Purpose != switchboard.PurposeSystem || req.To.PlatformUserID != "U1" {
		t.Fatalf("send request = %+v", req)
	}
	if !strings.Contains(msg.Text, "Hi Mei") || !strings.Contains(msg.Text, "NT$500") {
		t.Fatalf("reminder text = %q, want the customer's name and NT$500", msg.Text)
	}
	if len(msg.Buttons) != 1 || msg.Buttons[0].URL != "https://shop.example/pay/o-1" || msg.Buttons[0].Label != settings.Button {
		t.Fatalf("buttons = %+v", msg.Buttons)
	}
	for _, tm := range stale {
		must(t, w.fire(t, tm))
	}
	if got := w.line.take(); len(got) != 0 {
		t.Fatalf("late copies sent %d reminders", len(got))
	}
	o, err := w.store.GetPaymentOrder(ctx, w.team, "o-1")
	must(t, err)
	if o.Reminder.SentAt.IsZero() {
		t.Fatal("the sent reminder is not recorded")
	}
}

// TestPaymentReminderReschedule: a later hour moves pending reminders, an
// earlier one keeps the original, and turning the setting off cancels them.
func TestPaymentReminderReschedule(t *testing.T) {
	ordered := local(t, "2026-03-02 13:20:00")
	w := newWorld(t, ordered)
	ctx := context.Background()
	settings := payreminder.DefaultSettings()
	settings.Enabled, settings.DaysAfter, settings.Hour = true, 2, 10
	_, err := w.svc.SavePayReminderSettings(ctx, w.team, settings)
	must(t, err)
	w.ok(t, "POST", "/v1/pixel/orders", w.serverKey, w.orderBody("o-1", ordered, false))
	steps := []struct {
		name    string
		change  func(*payreminder.Settings)
		due     string
		stored  int
		pending bool
	}{
		{"later hour moves it", func(s *payreminder.Settings) { s.Hour = 15 }, "2026-03-04 15:00:00", 1, true},
		{"earlier keeps the original", func(s *payreminder.Settings) { s.Hour = 8 }, "2026-03-04 10:00:00", 1, true},
		{"off cancels it", func(s *payreminder.Settings) { s.Enabled = false }, "2026-03-04 10:00:00", 0, false},
		{"on again restores it", func(s *payreminder.Settings) { s.Enabled = true }, "2026-03-04 10:00:00", 1, true},
	}
	for _, st := range steps {
		st.change(&settings)
		_, err := w.svc.SavePayReminderSettings(ctx, w.team, settings)
		must(t, err)
		o, err := w.store.GetPaymentOrder(ctx, w.team, "o-1")
		must(t, err)
		if !o.Reminder.Due.Equal(local(t, st.due)) || o.Pending() != st.pending {
			t.Fatalf("%s: due %v pending %v, want %s pending %v", st.name, o.Reminder.Due.In(taipei), o.Pending(), st.due, st.pending)
		}
		total := len(w.armed(t, local(t, "2026-03-04 10:00:00"))) + len(w.armed(t, local(t, "2026-03-04 15:00:00")))
		if total != st.stored {
			t.Fatalf("%s: %d timers stored, want %d", st.name, total, st.stored)
		}
	}
}

// TestLateOrderReminderIsCancelledWhenPaid: an order reported after its
// reminder was already due is armed for now; paying it must delete that very
// timer, so the order has to remember the time it was armed for, not the due
// time the setting gave.
func TestLateOrderReminderIsCancelledWhenPaid(t *testing.T) {
	ordered := local(t, "2026-03-02 13:20:00")
	reported := ordered.Add(72 * time.Hour)
	w := newWorld(t, reported)
	ctx := context.Background()
	settings := payreminder.DefaultSettings()
	settings.Enabled, settings.DaysAfter, settings.Hour = true, 1, 10
	_, err := w.svc.SavePayReminderSettings(ctx, w.team, settings)
	must(t, err)

	w.ok(t, "POST", "/v1/pixel/orders", w.serverKey, w.orderBody("o-late", ordered, false))
	if got, want := len(w.armed(t, reported)), 1; got != want {
		t.Fatalf("timers armed for now = %d, want %d", got, want)
	}
	o, err := w.store.GetPaymentOrder(ctx, w.team, "o-late")
	must(t, err)
	if got, want := o.Reminder.Due, reported.Truncate(time.Second); !got.Equal(want) {
		t.Errorf("reminder due = %v, want the armed time %v", got, want)
	}
	w.ok(t, "POST", "/v1/pixel/orders/o-late/paid", w.serverKey, "")
	if got := len(w.armed(t, reported)); got != 0 {
		t.Fatalf("timers left after the order was paid = %d, want 0", got)
	}
}
