package payreminder

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var taipei = func() *time.Location {
	loc, err := time.LoadLocation(switchboard.DefaultTimeZone)
	if err != nil {
		panic(err)
	}
	return loc
}()

func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, taipei)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func fmtT(v time.Time) string { return v.In(taipei).Format("2006-01-02 15:04") }

func settings(days, hour int) Settings {
	s := DefaultSettings()
	s.Enabled, s.DaysAfter, s.Hour = true, days, hour
	return s
}

func order(created time.Time) Order {
	return Order{
		ID: "o1", TeamID: "t1", ContactID: "c1", ChannelKind: switchboard.KindLINE, Source: SourceMessageCenter,
		PaymentStatus: PaymentUnpaid, CreatedAt: created, CustomerName: "王小明", AmountText: "NT$1,280",
	}
}

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Settings)
		ok   bool
	}{
		{"defaults", func(*Settings) {}, true},
		{"1 day", func(s *Settings) { s.DaysAfter = 1 }, true},
		{"7 days", func(s *Settings) { s.DaysAfter = 7 }, true},
		{"0 days", func(s *Settings) { s.DaysAfter = 0 }, false},
		{"8 days", func(s *Settings) { s.DaysAfter = 8 }, false},
		{"hour 0", func(s *Settings) { s.Hour = 0 }, true},
		{"hour 23", func(s *Settings) { s.Hour = 23 }, true},
		{"hour 24", func(s *Settings) { s.Hour = 24 }, false},
		{"hour -1", func(s *Settings) { s.Hour = -1 }, false},
		{"340 Chinese characters", func(s *Settings) { s.Message = strings.Repeat("款", 340) }, true},
		{"341 Chinese characters", func(s *Settings) { s.Message = strings.Repeat("款", 341) }, false},
		{"340 letters", func(s *Settings) { s.Message = strings.Repeat("a", 340) }, true},
		{"empty message", func(s *Settings) { s.Message = " \n" }, false},
		{"invalid utf-8 message", func(s *Settings) { s.Message = "\xff" }, false},
		{"23-character button", func(s *Settings) { s.Button = strings.Repeat("付", 23) }, true},
		{"24-character button", func(s *Settings) { s.Button = strings.Repeat("付", 24) }, false},
		{"empty button", func(s *Settings) { s.Button = "" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := settings(2, 14)
			tt.edit(&s)
			err := s.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if err != nil && switchboard.ErrorCode(err) != switchboard.EInvalid {
				t.Errorf("code %q, want invalid", switchboard.ErrorCode(err))
			}
		})
	}
}

func TestDefaultSettings(t *testing.T) {
	s := DefaultSettings()
	// 003:L171: two days after the order, at 14:00; off until the team turns it on.
	if got, want := [3]any{s.Enabled, s.DaysAfter, s.Hour}, [3]any{false, 2, 14}; got != want {
		t.Errorf("defaults %v, want %v", got, want)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestDue(t *testing.T) {
	tests := []struct {
		name     string
		order    func() Order
		settings Settings
		want     string
		reason   Reason
	}{
		{"seed example: 6/1, 2 days, 10:00 is 6/3 10:00 (003:L174)",
			func() Order { return order(at(t, "2025-06-01 09:30")) }, settings(2, 10), "2025-06-03 10:00", ""},
		{"an order late in the day counts from its date",
			func() Order { return order(at(t, "2025-06-01 23:59")) }, settings(1, 0), "2025-06-02 00:00", ""},
		{"the date is the team's: 20:00 UTC on 5/31 is 6/1 in Taipei",
			func() Order {
				o := order(time.Date(2025, 5, 31, 20, 0, 0, 0, time.UTC))
				return o
			}, settings(2, 10), "2025-06-03 10:00", ""},
		{"month end rolls over",
			func() Order { return order(at(t, "2025-06-28 12:00")) }, settings(7, 23), "2025-07-05 23:00", ""},
		{"setting off", func() Order { return order(at(t, "2025-06-01 09:30")) },
			func() Settings { s := settings(2, 10); s.Enabled = false; return s }(), "", ReasonDisabled},
		{"paid order", func() Order { o := order(at(t, "2025-06-01 09:30")); o.PaymentStatus = PaymentPaid; return o },
			settings(2, 10), "", ReasonNotUnpaid},
		{"cash on delivery", func() Order { o := order(at(t, "2025-06-01 09:30")); o.CashOnDelivery = true; return o },
			settings(2, 10), "", ReasonCashOnDelivery},
		{"social commerce create-order", func() Order { o := order(at(t, "2025-06-01 09:30")); o.Source = SourceSocialCommerce; return o },
			settings(2, 10), "", ReasonSource},
		{"whatsapp", func() Order {
			o := order(at(t, "2025-06-01 09:30"))
			o.ChannelKind = switchboard.KindWhatsApp
			return o
		},
			settings(2, 10), "", ReasonChannel},
		{"instagram is covered", func() Order {
			o := order(at(t, "2025-06-01 09:30"))
			o.ChannelKind = switchboard.KindInstagram
			return o
		},
			settings(2, 10), "2025-06-03 10:00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, reason := Due(tt.order(), tt.settings, taipei)
			if reason != tt.reason {
				t.Fatalf("reason %q, want %q", reason, tt.reason)
			}
			if reason == "" {
				if got := fmtT(due); got != tt.want {
					t.Errorf("due %s, want %s", got, tt.want)
				}
			}
		})
	}
}

func TestReschedule(t *testing.T) {
	placed := at(t, "2025-06-01 09:30")
	changedAt := at(t, "2025-06-02 12:00")
	o := order(placed)
	// Seed 003:L179-L182: the order was placed under "3 days, 10:00" (due 6/4 10:00).
	r, _, why := Schedule(o, settings(3, 10), taipei)
	if why != "" {
		t.Fatalf("not scheduled: %s", why)
	}
	off := settings(3, 10)
	off.Enabled = false

	tests := []struct {
		name      string
		reminder  func() Reminder
		settings  Settings
		now       time.Time
		wantDue   string
		wantTimer bool
		wantCanc  bool
	}{
		{"case 1: an earlier time keeps the original (003:L180)", func() Reminder { return r }, settings(2, 10), changedAt, "2025-06-04 10:00", false, false},
		{"case 2: a later time moves it (003:L182)", func() Reminder { return r }, settings(5, 10), changedAt, "2025-06-06 10:00", true, false},
		{"an earlier hour keeps the original", func() Reminder { return r }, settings(3, 9), changedAt, "2025-06-04 10:00", false, false},
		{"a later hour moves it", func() Reminder { return r }, settings(3, 15), changedAt, "2025-06-04 15:00", true, false},
		{"a second change is compared with the original, not the moved time", func() Reminder {
			moved, _ := Reschedule(r, settings(5, 10), o, taipei, changedAt)
			return moved
		}, settings(4, 10), changedAt, "2025-06-05 10:00", true, false},
		{"a second change below the original returns to the original", func() Reminder {
			moved, _ := Reschedule(r, settings(5, 10), o, taipei, changedAt)
			return moved
		}, settings(1, 10), changedAt, "2025-06-04 10:00", true, false},
		{"turning off cancels", func() Reminder { return r }, off, changedAt, "2025-06-04 10:00", false, true},
		{"turning on again before the due time restores it", func() Reminder {
			c, _ := Reschedule(r, off, o, taipei, changedAt)
			return c
		}, settings(3, 10), changedAt, "2025-06-04 10:00", true, false},
		{"turning on again after the due time leaves it cancelled", func() Reminder {
			c, _ := Reschedule(r, off, o, taipei, changedAt)
			return c
		}, settings(3, 10), at(t, "2025-06-10 00:00"), "2025-06-04 10:00", false, true},
		{"a sent reminder is never moved", func() Reminder {
			s := r
			s.SentAt = at(t, "2025-06-04 10:00")
			return s
		}, settings(5, 10), changedAt, "2025-06-04 10:00", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.reminder()
			got, timer := Reschedule(in, tt.settings, o, taipei, tt.now)
			if d := fmtT(got.Due); d != tt.wantDue {
				t.Errorf("due %s, want %s", d, tt.wantDue)
			}
			if (timer != nil) != tt.wantTimer {
				t.Fatalf("timer %v, want armed=%v", timer, tt.wantTimer)
			}
			if got.Cancelled != tt.wantCanc {
				t.Errorf("cancelled %v, want %v", got.Cancelled, tt.wantCanc)
			}
			if timer != nil {
				if got.Generation != in.Generation+1 || timer.Generation != got.Generation || !timer.DueAt.Equal(got.Due) {
					t.Errorf("timer %+v does not match reminder %+v (was generation %d)", timer, got, in.Generation)
				}
			}
			if !got.OriginalDue.Equal(r.OriginalDue) {
				t.Errorf("original due changed to %s", fmtT(got.OriginalDue))
			}
		})
	}
}

func TestOnFire(t *testing.T) {
	placed := at(t, "2025-06-01 09:30")
	s := settings(2, 10)
	s.Message = "親愛的 " + PlaceholderCustomerName + ",訂單 " + PlaceholderOrderAmount + " 尚未付款"
	r, tm, _ := Schedule(order(placed), s, taipei)
	fireAt := tm.DueAt
	off := s
	off.Enabled = false

	tests := []struct {
		name     string
		reminder func() Reminder
		timer    func() Timer
		order    func() Order
		settings Settings
		want     Action
		reason   Reason
	}{
		{"unpaid order is reminded", func() Reminder { return r }, func() Timer { return tm }, func() Order { return order(placed) }, s, ActionSend, ""},
		{"paid meanwhile", func() Reminder { return r }, func() Timer { return tm },
			func() Order { o := order(placed); o.PaymentStatus = PaymentPaid; return o }, s, ActionSkip, ReasonNotUnpaid},
		{"switched to cash on delivery", func() Reminder { return r }, func() Timer { return tm },
			func() Order { o := order(placed); o.CashOnDelivery = true; return o }, s, ActionSkip, ReasonCashOnDelivery},
		{"setting turned off", func() Reminder { return r }, func() Timer { return tm }, func() Order { return order(placed) }, off, ActionSkip, ReasonDisabled},
		{"timer of an earlier due time", func() Reminder {
			moved, _ := Reschedule(r, settings(5, 10), order(placed), taipei, placed)
			return moved
		}, func() Timer { return tm }, func() Order { return order(placed) }, s, ActionSkip, ReasonStale},
		{"timer of another order", func() Reminder { return r }, func() Timer { x := tm; x.OrderID = "o2"; return x },
			func() Order { return order(placed) }, s, ActionSkip, ReasonStale},
		{"cancelled reminder", func() Reminder { c, _ := Reschedule(r, off, order(placed), taipei, placed); return c },
			func() Timer { return tm }, func() Order { return order(placed) }, s, ActionSkip, ReasonStale},
		{"redelivered after sending", func() Reminder { x := r; x.SentAt = fireAt; return x }, func() Timer { return tm },
			func() Order { return order(placed) }, s, ActionSkip, ReasonDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := OnFire(tt.reminder(), tt.timer(), tt.order(), tt.settings, fireAt)
			if d.Action != tt.want || d.Reason != tt.reason {
				t.Fatalf("got %s %q, want %s %q", d.Action, d.Reason, tt.want, tt.reason)
			}
			if got, want := d.Changed, tt.want == ActionSend; got != want {
				t.Errorf("changed %v, want %v", got, want)
			}
			if d.Action == ActionSend {
				if got, want := d.Message, "親愛的 王小明,訂單 NT$1,280 尚未付款"; got != want {
					t.Errorf("message %q, want %q", got, want)
				}
				if got, want := d.Button, s.Button; got != want {
					t.Errorf("button %q, want %q", got, want)
				}
				if !d.Reminder.SentAt.Equal(fireAt) {
					t.Errorf("sentAt %v, want %v", d.Reminder.SentAt, fireAt)
				}
				again := OnFire(d.Reminder, tt.timer(), tt.order(), tt.settings, fireAt.Add(time.Minute))
				if again.Action != ActionSkip || again.Reason != ReasonDuplicate {
					t.Errorf("second firing: %s %q, want skip duplicate", again.Action, again.Reason)
				}
			}
		})
	}
}

func TestTimerKey(t *testing.T) {
	a := Timer{TeamID: "t1", OrderID: "o1", Generation: 1}
	b := Timer{TeamID: "t1", OrderID: "o1", Generation: 2}
	c := Timer{TeamID: "t1", OrderID: "o2", Generation: 1}
	if a.Key() != b.Key() {
		t.Errorf("a moved reminder must keep its send key: %q vs %q", a.Key(), b.Key())
	}
	if a.Key() == c.Key() {
		t.Errorf("different orders share a key %q", a.Key())
	}
}

// FuzzSettings decodes a setting as the operators' API would; validation must
// never panic and must hold to the seed's limits.
func FuzzSettings(f *testing.F) {
	for _, s := range []string{
		`{"enabled":true,"daysAfter":2,"hour":14,"message":"請付款","button":"付款"}`,
		`{"daysAfter":8,"hour":-1}`,
		`{"daysAfter":1,"hour":23,"message":"\u00ff","button":"` + strings.Repeat("x", 30) + `"}`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Settings
		if json.Unmarshal(data, &s) != nil || s.Validate() != nil {
			return
		}
		if utf8.RuneCountInString(s.Message) > MaxMessageLength || utf8.RuneCountInString(s.Button) > MaxButtonLength ||
			s.DaysAfter < MinDaysAfter || s.DaysAfter > MaxDaysAfter || s.Hour < 0 || s.Hour > 23 {
			t.Fatalf("accepted %+v", s)
		}
		s.Enabled = true
		due, why := Due(order(time.Date(2025, 6, 1, 1, 0, 0, 0, taipei)), s, taipei)
		if why != "" || due.Hour() != s.Hour {
			t.Fatalf("due %v (%s) for %+v", due, why, s)
		}
	})
}
