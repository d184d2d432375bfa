package dynamo_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/payreminder"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestVisitorStore(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	team := switchboard.NewID()

	_, err := s.GetVisitor(ctx, team, "v1")
	wantCode(t, err, switchboard.ENotFound)

	v, err := s.UpdateVisitor(ctx, team, "v1", func(v *cart.Visitor) (*cart.Visitor, error) {
		v.Cart.Items = append(v.Cart.Items, cart.Item{ProductID: "p1", Name: "Mug", Price: 1280, AddedAt: t0})
		v.Popup.AddToCarts++
		v.RememberEvent("e1")
		return v, nil
	})
	must(t, err)
	if v.Version != 1 || v.Cart.Version != 1 || v.Cart.TeamID != team || v.Cart.VisitorID != "v1" {
		t.Fatalf("created visitor = %+v, want version 1 and the cart's identity set", v)
	}
	got, err := s.GetVisitor(ctx, team, "v1")
	must(t, err)
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("read back %+v, want %+v", got, v)
	}
	if !got.SeenEvent("e1") || got.SeenEvent("e2") {
		t.Fatalf("seen events = %v, want e1 only", got.RecentEventIDs)
	}

	// The identity cannot be moved by an update function.
	v2, err := s.UpdateVisitor(ctx, team, "v1", func(v *cart.Visitor) (*cart.Visitor, error) {
		v.TeamID, v.VisitorID, v.Cart.VisitorID = "other", "other", "other"
		return v, nil
	})
	must(t, err)
	if v2.TeamID != team || v2.VisitorID != "v1" || v2.Cart.VisitorID != "v1" || v2.Version != 2 {
		t.Fatalf("update moved the visitor: %+v", v2)
	}

	ok := race(t, 6, func() error {
		_, err := s.UpdateVisitor(ctx, team, "v1", func(v *cart.Visitor) (*cart.Visitor, error) {
			v.Popup.AddToCarts++
			return v, nil
		})
		return err
	})
	got, err = s.GetVisitor(ctx, team, "v1")
	must(t, err)
	if got.Popup.AddToCarts != 1+ok {
		t.Fatalf("add-to-carts = %d after %d successful increments, want %d", got.Popup.AddToCarts, ok, 1+ok)
	}

	_, err = s.UpdateVisitor(ctx, team, "bad#id", func(v *cart.Visitor) (*cart.Visitor, error) { return v, nil })
	wantCode(t, err, switchboard.EInvalid)
}

func TestRememberEventKeepsTheLatest(t *testing.T) {
	var v cart.Visitor
	for i := range cart.MaxRecentEvents + 5 {
		v.RememberEvent(string(rune('a'+i%26)) + string(rune('0'+i/26)))
	}
	if got := len(v.RecentEventIDs); got != cart.MaxRecentEvents {
		t.Fatalf("remembered %d ids, want %d", got, cart.MaxRecentEvents)
	}
	if v.SeenEvent("a0") {
		t.Fatal("the oldest id is still remembered")
	}
}

func TestVisitorBinding(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	team := switchboard.NewID()
	c := &switchboard.Contact{ID: dynamo.ContactID(team, "ch1", "U1"), TeamID: team, ChannelID: "ch1"}
	_, err := s.VisitorContactID(ctx, team, "v1", "ch1")
	wantCode(t, err, switchboard.ENotFound)
	must(t, s.BindVisitorContact(ctx, team, "v1", c, t0))
	got, err := s.VisitorContactID(ctx, team, "v1", "ch1")
	must(t, err)
	if got != c.ID {
		t.Fatalf("bound contact = %q, want %q", got, c.ID)
	}
	_, err = s.VisitorContactID(ctx, team, "v1", "ch2")
	wantCode(t, err, switchboard.ENotFound)
	wantCode(t, s.BindVisitorContact(ctx, "other-team", "v1", c, t0), switchboard.EInvalid)
}

func lineConfig(team, channel string) *cart.Config {
	return &cart.Config{
		TeamID: team, ChannelID: channel, ChannelKind: switchboard.KindLINE,
		Messages: []cart.MessageConfig{{Enabled: true, Delay: cart.Delay{Hours: 1}, BotModuleID: "m1"}},
	}
}

func TestCartConfigStore(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	team := switchboard.NewID()
	a, b := lineConfig(team, "chA"), lineConfig(team, "chB")
	must(t, s.PutCartConfigs(ctx, a))
	if a.Version != 1 {
		t.Fatalf("version after create = %d, want 1", a.Version)
	}
	stale := *a
	a.Enabled = true
	must(t, s.PutCartConfigs(ctx, a))
	wantCode(t, s.PutCartConfigs(ctx, &stale), switchboard.EConflict)
	wantCode(t, s.PutCartConfigs(ctx, lineConfig(team, "chA")), switchboard.EConflict) // version 0: must not exist

	// Switching the active channel writes both or neither.
	must(t, s.PutCartConfigs(ctx, b))
	a.Enabled, b.Enabled = false, true
	staleB := *b
	staleB.Version = 0
	wantCode(t, s.PutCartConfigs(ctx, a, &staleB), switchboard.EConflict)
	got, err := s.GetCartConfig(ctx, team, "chA")
	must(t, err)
	if !got.Enabled {
		t.Fatal("a failed transaction still disabled chA")
	}
	must(t, s.PutCartConfigs(ctx, a, b))
	all, err := s.ListCartConfigs(ctx, team)
	must(t, err)
	var enabled []string
	for _, c := range all {
		if c.Enabled {
			enabled = append(enabled, c.ChannelID)
		}
	}
	if len(all) != 2 || !reflect.DeepEqual(enabled, []string{"chB"}) {
		t.Fatalf("configs = %d, enabled %v; want 2 with chB enabled", len(all), enabled)
	}
	_, err = s.GetCartConfig(ctx, team, "chC")
	wantCode(t, err, switchboard.ENotFound)
}

func TestPopupPolicyStore(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	team := switchboard.NewID()
	got, err := s.GetPopupPolicy(ctx, team)
	must(t, err)
	if got != dynamo.DefaultPopupPolicy {
		t.Fatalf("policy never saved = %+v, want the default %+v", got, dynamo.DefaultPopupPolicy)
	}
	want := cart.PopupPolicy{MaxDisplaysPerDay: 5, ShowAfterNthAddToCart: 2}
	must(t, s.PutPopupPolicy(ctx, team, want))
	got, err = s.GetPopupPolicy(ctx, team)
	must(t, err)
	if got != want {
		t.Fatalf("policy = %+v, want %+v", got, want)
	}
	wantCode(t, s.PutPopupPolicy(ctx, team, cart.PopupPolicy{}), switchboard.EInvalid)
}

func TestCartStatsStore(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	team := switchboard.NewID()
	jan31 := time.Date(2026, 1, 31, 23, 0, 0, 0, time.UTC)
	feb1 := time.Date(2026, 2, 1, 1, 0, 0, 0, time.UTC)
	mar1 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range []cart.SendRecord{
		{ID: "s1", ContactID: "c1", Index: 1, SentAt: jan31},
		{ID: "s2", ContactID: "c1", Index: 2, SentAt: feb1},
		{ID: "s3", ContactID: "c2", Index: 1, SentAt: mar1},
	} {
		must(t, s.PutCartSend(ctx, team, "ch1", r))
	}
	// Recording a send again is one record.
	must(t, s.PutCartSend(ctx, team, "ch1", cart.SendRecord{ID: "s2", ContactID: "c1", Index: 2, SentAt: feb1}))
	must(t, s.PutCartSend(ctx, team, "ch2", cart.SendRecord{ID: "s9", Index: 1, SentAt: feb1}))
	must(t, s.PutCartClick(ctx, team, "ch1", switchboard.NewID(), cart.ClickRecord{SendID: "s2", ContactID: "c1", Index: 2, ClickedAt: feb1.Add(time.Minute)}))
	must(t, s.PutCartOrder(ctx, team, cart.OrderRecord{ID: "o1", ContactID: "c1", Currency: "TWD", Total: 99900, PlacedAt: feb1.Add(time.Hour)}))
	must(t, s.PutCartOrder(ctx, team, cart.OrderRecord{ID: "o1", ContactID: "c1", Currency: "TWD", Total: 99900, PlacedAt: feb1.Add(time.Hour)}))

	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"across a month boundary", jan31, mar1, []string{"s1", "s2"}},
		{"end is exclusive", jan31, feb1, []string{"s1"}},
		{"three months", jan31.AddDate(0, -1, 0), mar1.Add(time.Second), []string{"s1", "s2", "s3"}},
		{"empty period", feb1, feb1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := s.CartSends(ctx, team, "ch1", tt.from, tt.to)
			must(t, err)
			var got []string
			for _, r := range rs {
				got = append(got, r.ID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("sends = %v, want %v", got, tt.want)
			}
		})
	}
	clicks, err := s.CartClicks(ctx, team, "ch1", feb1, mar1)
	must(t, err)
	orders, err := s.CartOrders(ctx, team, feb1, mar1)
	must(t, err)
	if len(clicks) != 1 || clicks[0].SendID != "s2" || len(orders) != 1 || orders[0].Total != 99900 {
		t.Fatalf("clicks %+v, orders %+v; want one of each", clicks, orders)
	}
	_, err = s.CartSends(ctx, team, "ch1", jan31.AddDate(-5, 0, 0), mar1)
	wantCode(t, err, switchboard.EInvalid)
}

func TestSiteKeyStore(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	team := switchboard.NewID()
	plain, hash := switchboard.NewSiteKeySecret(switchboard.SiteKeyServer)
	k := &switchboard.SiteKey{ID: switchboard.NewID(), TeamID: team, Name: "shop", Kind: switchboard.SiteKeyServer, Hash: hash}
	must(t, s.CreateSiteKey(ctx, k))
	wantCode(t, s.CreateSiteKey(ctx, k), switchboard.EConflict)
	got, err := s.FindSiteKeyByHash(ctx, switchboard.HashToken(plain))
	must(t, err)
	if got.ID != k.ID || got.TeamID != team || got.Kind != switchboard.SiteKeyServer {
		t.Fatalf("found %+v, want %+v", got, k)
	}
	_, err = s.FindSiteKeyByHash(ctx, switchboard.HashToken(plain+"x"))
	wantCode(t, err, switchboard.ENotFound)
	bad := &switchboard.SiteKey{ID: switchboard.NewID(), TeamID: team, Name: "x", Kind: "public", Hash: "h"}
	wantCode(t, s.CreateSiteKey(ctx, bad), switchboard.EInvalid)

	wantCode(t, s.DeleteSiteKey(ctx, "other", k.ID), switchboard.ENotFound)
	must(t, s.DeleteSiteKey(ctx, team, k.ID))
	_, err = s.FindSiteKeyByHash(ctx, hash)
	wantCode(t, err, switchboard.ENotFound)
}

func TestPaymentOrderStore(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	team := switchboard.NewID()
	due := t0.Add(48 * time.Hour)
	open := func(id string, status payreminder.PaymentStatus, sent time.Time) {
		_, err := s.UpdatePaymentOrder(ctx, team, id, func(o *payreminder.TrackedOrder) (*payreminder.TrackedOrder, error) {
			o.Order.PaymentStatus = status
			o.Reminder = &payreminder.Reminder{TeamID: team, OrderID: id, OriginalDue: due, Due: due, Generation: 1, SentAt: sent}
			return o, nil
		})
		must(t, err)
	}
	open("o1", payreminder.PaymentUnpaid, time.Time{})
	open("o2", payreminder.PaymentPaid, time.Time{})
	open("o3", payreminder.PaymentUnpaid, t0)
	open("o4", payreminder.PaymentUnpaid, time.Time{})
	got, err := s.GetPaymentOrder(ctx, team, "o1")
	must(t, err)
	if got.Order.ID != "o1" || got.Order.TeamID != team || got.Version != 1 || !got.Reminder.Due.Equal(due) {
		t.Fatalf("order = %+v", got)
	}
	var ids []string
	cursor := ""
	for {
		page, next, err := s.ListPendingPaymentReminders(ctx, team, cursor, 1)
		must(t, err)
		for _, p := range page {
			ids = append(ids, p.Order.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if want := []string{"o1", "o4"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("open reminders = %v, want %v (paid and sent ones are not listed)", ids, want)
	}

	settings, err := s.GetPayReminderSettings(ctx, team)
	must(t, err)
	if want := payreminder.DefaultSettings(); !reflect.DeepEqual(settings, want) {
		t.Fatalf("settings never saved = %+v, want the default %+v", settings, want)
	}
	saved, err := s.UpdatePayReminderSettings(ctx, team, func(cur payreminder.Settings) (payreminder.Settings, error) {
		cur.Enabled, cur.DaysAfter = true, 3
		return cur, nil
	})
	must(t, err)
	got2, err := s.GetPayReminderSettings(ctx, team)
	must(t, err)
	if !got2.Enabled || got2.DaysAfter != 3 || got2.Version != 1 || !reflect.DeepEqual(got2, saved) {
		t.Fatalf("saved settings = %+v (returned %+v)", got2, saved)
	}
	again, err := s.UpdatePayReminderSettings(ctx, team, func(cur payreminder.Settings) (payreminder.Settings, error) {
		cur.Hour = 9
		return cur, nil
	})
	must(t, err)
	if again.Version != 2 || again.Hour != 9 || again.DaysAfter != 3 {
		t.Fatalf("second update = %+v, want version 2 with both changes", again)
	}
}
