package cart

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestOnAddToCart(t *testing.T) {
	now := at(t, "2025-06-01 10:00")
	tests := []struct {
		name        string
		cfg         func(*Config) *Config
		cart        func() Cart
		contact     func() *switchboard.Contact
		now         time.Time
		wantDues    []string
		wantReason  Reason
		wantGen     int64
		wantCancel  int
		wantWarning []int
	}{
		{
			name:     "first add-to-cart arms every enabled message from now",
			now:      now,
			wantDues: []string{"2025-06-01 11:00", "2025-06-02 10:00"},
			wantGen:  1,
		},
		{
			name: "disabled messages are not armed",
			cfg: func(c *Config) *Config {
				c.Messages = append(c.Messages, MessageConfig{Enabled: false, Delay: Delay{Days: 2}, BotModuleID: "m3"},
					MessageConfig{Enabled: true, Delay: Delay{Days: 3}, BotModuleID: "m4"})
				return c
			},
			now:      now,
			wantDues: []string{"2025-06-01 11:00", "2025-06-02 10:00", "2025-06-04 10:00"},
			wantGen:  1,
		},
		{
			name:       "feature off arms nothing",
			cfg:        func(c *Config) *Config { c.Enabled = false; return c },
			now:        now,
			wantReason: ReasonDisabled,
		},
		{
			name:       "no configuration arms nothing",
			cfg:        func(*Config) *Config { return nil },
			now:        now,
			wantReason: ReasonDisabled,
		},
		{
			name:       "unbound visitor gets nothing",
			contact:    func() *switchboard.Contact { return nil },
			now:        now,
			wantReason: ReasonUnbound,
		},
		{
			name: "contact bound to another visitor gets nothing",
			contact: func() *switchboard.Contact {
				c := boundContact(now)
				c.Bindings = []switchboard.Binding{{Kind: BindingVisitor, ID: "v2"}}
				return c
			},
			now:        now,
			wantReason: ReasonUnbound,
		},
		{
			name: "contact of another channel gets nothing",
			contact: func() *switchboard.Contact {
				c := boundContact(now)
				c.ChannelID = "ch2"
				return c
			},
			now:        now,
			wantReason: ReasonUnbound,
		},
		{
			name: "unsubscribed contact gets nothing",
			contact: func() *switchboard.Contact {
				c := boundContact(now)
				c.Subscribed = false
				return c
			},
			now:        now,
			wantReason: ReasonUnsubscribed,
		},
		{
			name: "blocked contact gets nothing",
			contact: func() *switchboard.Contact {
				c := boundContact(now)
				c.Blocked = true
				return c
			},
			now:        now,
			wantReason: ReasonBlocked,
		},
		{
			name: "restart cycle not passed since the last message: items only",
			cart: func() Cart {
				c := newCart()
				c.Generation = 4
				c.LastSequenceEndedAt = now.Add(-71 * time.Hour)
				return c
			},
			now:        now,
			wantReason: ReasonRestartCycle,
			wantGen:    4,
		},
		{
			name: "restart cycle passed: a new add-to-cart starts a new sequence",
			cart: func() Cart {
				c := newCart()
				c.Generation = 4
				c.LastSequenceEndedAt = now.Add(-72 * time.Hour)
				return c
			},
			now:      now,
			wantDues: []string{"2025-06-01 11:00", "2025-06-02 10:00"},
			wantGen:  5,
		},
		{
			name: "restart cycle off: only a checkout restarts",
			cfg:  func(c *Config) *Config { c.RestartCycle = Delay{}; return c },
			cart: func() Cart {
				c := newCart()
				c.LastSequenceEndedAt = now.Add(-300 * 24 * time.Hour)
				return c
			},
			now:        now,
			wantReason: ReasonRestartOff,
		},
		{
			name: "a message due inside quiet hours waits until they end",
			cfg: func(c *Config) *Config {
				c.DoNotDisturb = DoNotDisturb{Enabled: true, Start: "00:00", End: "08:00"}
				return c
			},
			now:      at(t, "2025-06-01 23:30"),
			wantDues: []string{"2025-06-02 08:00", "2025-06-02 23:30"},
			wantGen:  1,
		},
		{
			name: "quiet hours spanning midnight, due before midnight",
			cfg: func(c *Config) *Config {
				c.DoNotDisturb = DoNotDisturb{Enabled: true, Start: "22:00", End: "08:00"}
				return c
			},
			now:      at(t, "2025-06-01 21:30"),
			wantDues: []string{"2025-06-02 08:00", "2025-06-02 21:30"},
			wantGen:  1,
		},
		{
			name: "quiet hours spanning midnight, due after midnight",
			cfg: func(c *Config) *Config {
				c.DoNotDisturb = DoNotDisturb{Enabled: true, Start: "22:00", End: "08:00"}
				return c
			},
			now:      at(t, "2025-06-01 02:00"),
			wantDues: []string{"2025-06-01 08:00", "2025-06-02 08:00"},
			wantGen:  1,
		},
		{
			name: "two messages pushed to the same quiet-hours end stay in order",
			cfg: func(c *Config) *Config {
				c.Messages[1].Delay = Delay{Hours: 3}
				c.DoNotDisturb = DoNotDisturb{Enabled: true, Start: "00:00", End: "08:00"}
				return c
			},
			now:      at(t, "2025-06-01 23:30"),
			wantDues: []string{"2025-06-02 08:00", "2025-06-02 08:01"},
			wantGen:  1,
		},
		{
			name: "messenger: a message due after the 24-hour window is armed with a warning",
			cfg:  func(c *Config) *Config { c.ChannelKind = switchboard.KindMessenger; return c },
			contact: func() *switchboard.Contact {
				c := boundContact(now.Add(-time.Hour))
				c.ChannelKind = switchboard.KindMessenger
				return c
			},
			now:         now,
			wantDues:    []string{"2025-06-01 11:00", "2025-06-02 10:00"},
			wantGen:     1,
			wantWarning: []int{2},
		},
		{
			name: "line has no messaging window",
			contact: func() *switchboard.Contact {
				return boundContact(time.Time{})
			},
			now:      now,
			wantDues: []string{"2025-06-01 11:00", "2025-06-02 10:00"},
			wantGen:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.cfg != nil {
				cfg = tt.cfg(cfg)
			}
			c := newCart()
			if tt.cart != nil {
				c = tt.cart()
			}
			ct := boundContact(tt.now)
			if tt.contact != nil {
				ct = tt.contact()
			}
			d := mustAdd(t, cfg, c, ct, item("p1", time.Time{}), tt.now)
			if got, want := dues(d.Arm), tt.wantDues; !equalStrings(got, want) {
				t.Errorf("armed %v, want %v", got, want)
			}
			if got, want := d.Reason, tt.wantReason; got != want {
				t.Errorf("reason %q, want %q", got, want)
			}
			if got, want := d.Cart.Generation, tt.wantGen; got != want {
				t.Errorf("generation %d, want %d", got, want)
			}
			if got, want := len(d.Cancel), tt.wantCancel; got != want {
				t.Errorf("cancelled %d, want %d", got, want)
			}
			var warned []int
			for _, w := range d.Warnings {
				warned = append(warned, w.Index)
			}
			if got, want := len(warned), len(tt.wantWarning); got != want {
				t.Fatalf("warnings %v, want %v", warned, tt.wantWarning)
			}
			for i := range warned {
				if warned[i] != tt.wantWarning[i] {
					t.Errorf("warnings %v, want %v", warned, tt.wantWarning)
				}
			}
			// The add-to-cart always records the item, armed or not.
			if got, want := len(d.Cart.Items), 1; got != want {
				t.Errorf("items %d, want %d", got, want)
			}
			for _, tm := range d.Arm {
				if tm.Generation != d.Cart.Generation || tm.ConfigEpoch != cfg.Epoch || tm.ContactID != "c1" || tm.VisitorID != "v1" || tm.ChannelID != "ch1" {
					t.Errorf("timer %+v does not carry the cart's numbers", tm)
				}
			}
			if len(d.Arm) > 0 {
				if !d.Cart.LastSequenceEndedAt.IsZero() {
					t.Errorf("a new sequence must clear LastSequenceEndedAt")
				}
				if got, want := len(d.Cart.Sequence.Messages), len(d.Arm); got != want {
					t.Errorf("sequence holds %d messages, armed %d", got, want)
				}
			}
		})
	}
}

func TestOnAddToCartRearms(t *testing.T) {
	cfg := testConfig()
	first := at(t, "2025-06-01 10:00")
	second := at(t, "2025-06-01 10:40")
	d1 := mustAdd(t, cfg, newCart(), boundContact(first), item("p1", time.Time{}), first)
	d2 := mustAdd(t, cfg, d1.Cart, boundContact(first), item("p2", time.Time{}), second)

	if got, want := dues(d2.Arm), []string{"2025-06-01 11:40", "2025-06-02 10:40"}; !equalStrings(got, want) {
		t.Errorf("re-armed %v, want %v", got, want)
	}
	if got, want := dues(d2.Cancel), dues(d1.Arm); !equalStrings(got, want) {
		t.Errorf("cancelled %v, want the first sequence %v", got, want)
	}
	if got, want := d2.Cart.Generation, d1.Cart.Generation+1; got != want {
		t.Errorf("generation %d, want %d", got, want)
	}
	if got, want := len(d2.Cart.Items), 2; got != want {
		t.Errorf("items %d, want %d", got, want)
	}
	// The first sequence's timers are now stale.
	for _, tm := range d1.Arm {
		fd := OnTimerFired(cfg, d2.Cart, boundContact(first), tm, tm.DueAt, taipei)
		if got, want := fd.Reason, ReasonStale; got != want || fd.Action != ActionSkip || fd.Changed {
			t.Errorf("old timer %d: %s/%s changed=%v, want skip/%s unchanged", tm.Index, fd.Action, got, fd.Changed, want)
		}
	}
	// The inputs were not modified.
	if got, want := len(d1.Cart.Items), 1; got != want {
		t.Errorf("first decision's cart was modified: %d items", got)
	}
}

func TestAddToCartItems(t *testing.T) {
	cfg := testConfig()
	now := at(t, "2025-06-01 10:00")
	c := newCart()
	for i := 0; i < MaxItems+5; i++ {
		id := string(rune('A'+i%26)) + string(rune('a'+i/26))
		c = mustAdd(t, cfg, c, nil, item(id, now.Add(time.Duration(i)*time.Minute)), now).Cart
	}
	if got, want := len(c.Items), MaxItems; got != want {
		t.Fatalf("items %d, want the cap %d", got, want)
	}
	if got, want := c.Items[0].ProductID, "Fa"; got != want {
		t.Errorf("oldest kept %q, want %q (the five oldest dropped)", got, want)
	}
	// Adding a product again moves it to the end instead of duplicating it.
	again := c.Items[3]
	again.AddedAt = now.Add(time.Hour)
	c2 := mustAdd(t, cfg, c, nil, again, now).Cart
	if got, want := len(c2.Items), MaxItems; got != want {
		t.Errorf("items %d, want %d", got, want)
	}
	if got, want := c2.Items[len(c2.Items)-1].ProductID, again.ProductID; got != want {
		t.Errorf("last item %q, want %q", got, want)
	}
}

func TestAddToCartRejectsBadItems(t *testing.T) {
	now := at(t, "2025-06-01 10:00")
	long := make([]byte, 3000)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name string
		it   Item
	}{
		{"no product id", Item{Name: "x"}},
		{"bad currency", Item{ProductID: "p", Currency: "NT$"}},
		{"negative price", Item{ProductID: "p", Price: -1}},
		{"negative quantity", Item{ProductID: "p", Quantity: -1}},
		{"long url", Item{ProductID: "p", URL: string(long)}},
		{"invalid utf-8 name", Item{ProductID: "p", Name: "\xff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OnAddToCart(testConfig(), newCart(), boundContact(now), tt.it, now, taipei)
			if got, want := switchboard.ErrorCode(err), switchboard.EInvalid; got != want {
				t.Errorf("error code %q, want %q", got, want)
			}
		})
	}
}

func TestCancellingEvents(t *testing.T) {
	cfg := testConfig()
	armedAt := at(t, "2025-06-01 10:00")
	eventAt := at(t, "2025-06-01 10:30")
	armed := mustAdd(t, cfg, newCart(), boundContact(armedAt), item("p1", time.Time{}), armedAt)
	armed.Cart.Items = append(armed.Cart.Items, item("p2", armedAt))
	armed.Cart.LastSequenceEndedAt = time.Time{}

	tests := []struct {
		name          string
		event         func(Cart) Decision
		wantCancel    int
		wantItems     int
		wantCheckout  bool
		wantGenerated int64
	}{
		{"checkout cancels and empties", func(c Cart) Decision { return OnCheckout(c, eventAt) }, 2, 0, true, 1},
		{"clear cancels and empties", func(c Cart) Decision { return OnClear(c, eventAt) }, 2, 0, false, 1},
		{"removing one of two items keeps the sequence", func(c Cart) Decision { return OnRemove(c, "p1", eventAt) }, 0, 1, false, 0},
		{"removing the last item is a clear", func(c Cart) Decision {
			return OnRemove(OnRemove(c, "p1", eventAt).Cart, "p2", eventAt)
		}, 2, 0, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.event(armed.Cart)
			if got, want := len(d.Cancel), tt.wantCancel; got != want {
				t.Errorf("cancelled %d, want %d", got, want)
			}
			if got, want := len(d.Cart.Items), tt.wantItems; got != want {
				t.Errorf("items %d, want %d", got, want)
			}
			if got, want := d.Cart.CheckedOut, tt.wantCheckout; got != want {
				t.Errorf("checked out %v, want %v", got, want)
			}
			if got, want := d.Cart.Generation, armed.Cart.Generation+tt.wantGenerated; got != want {
				t.Errorf("generation %d, want %d", got, want)
			}
			// A timer of the sequence sends only if the event left it alive.
			fd := OnTimerFired(cfg, d.Cart, boundContact(armedAt), armed.Arm[0], armed.Arm[0].DueAt, taipei)
			wantAction := ActionSkip
			if tt.wantCancel == 0 {
				wantAction = ActionSend
			}
			if got, want := fd.Action, wantAction; got != want {
				t.Errorf("first timer %s (%s), want %s", got, fd.Reason, want)
			}
		})
	}
}

func TestCheckoutResetsRestartCycleButClearDoesNot(t *testing.T) {
	cfg := testConfig()
	now := at(t, "2025-06-10 10:00")
	ended := newCart()
	ended.LastSequenceEndedAt = now.Add(-24 * time.Hour)
	ended.Items = []Item{item("p1", now.Add(-48*time.Hour))}

	tests := []struct {
		name       string
		event      func(Cart) Decision
		wantReason Reason
		wantArmed  int
	}{
		{"after checkout the next add-to-cart arms", func(c Cart) Decision { return OnCheckout(c, now) }, "", 2},
		{"after clear the restart cycle still holds", func(c Cart) Decision { return OnClear(c, now) }, ReasonRestartCycle, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.event(ended).Cart
			d := mustAdd(t, cfg, c, boundContact(now), item("p2", time.Time{}), now.Add(time.Minute))
			if got, want := d.Reason, tt.wantReason; got != want {
				t.Errorf("reason %q, want %q", got, want)
			}
			if got, want := len(d.Arm), tt.wantArmed; got != want {
				t.Errorf("armed %d, want %d", got, want)
			}
			if d.Cart.CheckedOut {
				t.Errorf("an add-to-cart after checkout must clear CheckedOut")
			}
		})
	}
}

func TestAddToCartThatCannotArmCancelsPending(t *testing.T) {
	cfg := testConfig()
	now := at(t, "2025-06-01 10:00")
	armed := mustAdd(t, cfg, newCart(), boundContact(now), item("p1", time.Time{}), now)
	unsub := boundContact(now)
	unsub.Subscribed = false
	d := mustAdd(t, cfg, armed.Cart, unsub, item("p2", time.Time{}), now.Add(time.Minute))
	if got, want := d.Reason, ReasonUnsubscribed; got != want {
		t.Errorf("reason %q, want %q", got, want)
	}
	if got, want := len(d.Cancel), 2; got != want {
		t.Errorf("cancelled %d, want %d", got, want)
	}
	if d.Cart.Sequence != nil {
		t.Errorf("sequence still pending")
	}
}

func TestTimerKeyStableAcrossPostponement(t *testing.T) {
	base := Timer{TeamID: "t1", VisitorID: "v1", Generation: 3, ConfigEpoch: 2, Index: 1, DueAt: at(t, "2025-06-01 02:00")}
	later := base
	later.DueAt = at(t, "2025-06-01 08:00")
	other := base
	other.Generation = 4
	if got, want := later.Key(), base.Key(); got != want {
		t.Errorf("postponed key %q, want %q", got, want)
	}
	if base.Key() == other.Key() {
		t.Errorf("keys of different generations collide: %q", base.Key())
	}
}
