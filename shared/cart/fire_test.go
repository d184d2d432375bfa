package cart

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestOnTimerFired(t *testing.T) {
	armedAt := at(t, "2025-06-01 10:00")
	type setup struct {
		cfg     *Config
		cart    Cart
		contact *switchboard.Contact
		timer   Timer
		now     time.Time
	}
	// arm builds the state right after an add-to-cart at armedAt with cfg, and
	// fires message index at its due time unless the case changes it.
	arm := func(t *testing.T, cfg *Config, contact *switchboard.Contact, index int) setup {
		d := mustAdd(t, cfg, newCart(), contact, item("p1", time.Time{}), armedAt)
		if len(d.Arm) < index {
			t.Fatalf("armed %d timers, need %d (%s)", len(d.Arm), index, d.Reason)
		}
		tm := d.Arm[index-1]
		return setup{cfg: cfg, cart: d.Cart, contact: contact, timer: tm, now: tm.DueAt}
	}
	messenger := func() (*Config, *switchboard.Contact) {
		cfg := testConfig()
		cfg.ChannelKind = switchboard.KindMessenger
		ct := boundContact(armedAt)
		ct.ChannelKind = switchboard.KindMessenger
		return cfg, ct
	}

	tests := []struct {
		name       string
		setup      func(t *testing.T) setup
		wantAction Action
		wantReason Reason
		wantDue    string // postponed due time
		wantEnded  bool   // LastSequenceEndedAt set
	}{
		{
			name:       "due message is sent",
			setup:      func(t *testing.T) setup { return arm(t, testConfig(), boundContact(armedAt), 1) },
			wantAction: ActionSend,
		},
		{
			name:       "message 2 sent while message 1 is unresolved does not end the sequence",
			setup:      func(t *testing.T) setup { return arm(t, testConfig(), boundContact(armedAt), 2) },
			wantAction: ActionSend,
			wantEnded:  false,
		},
		{
			name: "stale generation is ignored",
			setup: func(t *testing.T) setup {
				s := arm(t, testConfig(), boundContact(armedAt), 1)
				s.timer.Generation--
				return s
			},
			wantAction: ActionSkip, wantReason: ReasonStale,
		},
		{
			name: "timer of another visitor is ignored",
			setup: func(t *testing.T) setup {
				s := arm(t, testConfig(), boundContact(armedAt), 1)
				s.timer.VisitorID = "v9"
				return s
			},
			wantAction: ActionSkip, wantReason: ReasonStale,
		},
		{
			name: "redelivered timer of a sent message is a duplicate",
			setup: func(t *testing.T) setup {
				s := arm(t, testConfig(), boundContact(armedAt), 1)
				s.cart = OnTimerFired(s.cfg, s.cart, s.contact, s.timer, s.now, taipei).Cart
				return s
			},
			wantAction: ActionSkip, wantReason: ReasonDuplicate,
		},
		{
			name: "disabling the feature voids pending timers",
			setup: func(t *testing.T) setup {
				s := arm(t, testConfig(), boundContact(armedAt), 1)
				off := Disable(*s.cfg, armedAt.Add(time.Minute))
				s.cfg = &off
				return s
			},
			wantAction: ActionSkip, wantReason: ReasonDisabled,
		},
		{
			name: "disabled then re-enabled still voids timers armed before",
			setup: func(t *testing.T) setup {
				s := arm(t, testConfig(), boundContact(armedAt), 1)
				off := Disable(*s.cfg, armedAt.Add(time.Minute))
				off.Enabled = true
				s.cfg = &off
				return s
			},
			wantAction: ActionSkip, wantReason: ReasonDisabled,
		},
		{
			name: "message turned off after arming is not sent",
			setup: func(t *testing.T) setup {
				s := arm(t, testConfig(), boundContact(armedAt), 1)
				cfg := testConfig()
				cfg.Messages[0].Enabled = false
				s.cfg = cfg
				return s
			},
			wantAction: ActionSkip, wantReason: ReasonMessageDisabled,
		},
		{
			name: "contact unsubscribed after arming",
			setup: func(t *testing.T) setup {
				s := arm(t, testConfig(), boundContact(armedAt), 1)
				s.contact = boundContact(armedAt)
				s.contact.Subscribed = false
				return s
			},
			wantAction: ActionSkip, wantReason: ReasonUnsubscribed,
		},
		{
			name: "binding removed after arming",
			setup: func(t *testing.T) setup {
				s := arm(t, testConfig(), boundContact(armedAt), 1)
				s.contact = boundContact(armedAt)
				s.contact.Bindings = nil
				return s
			},
			wantAction: ActionSkip, wantReason: ReasonUnbound,
		},
		{
			name: "contact missing at firing",
			setup: func(t *testing.T) setup {
				s := arm(t, testConfig(), boundContact(armedAt), 1)
				s.contact = nil
				return s
			},
			wantAction: ActionSkip, wantReason: ReasonUnbound,
		},
		{
			name: "checked-out cart sends nothing",
			setup: func(t *testing.T) setup {
				s := arm(t, testConfig(), boundContact(armedAt), 1)
				s.cart.CheckedOut = true
				return s
			},
			wantAction: ActionSkip, wantReason: ReasonCheckedOut,
		},
		{
			name: "timer firing inside quiet hours set after arming is postponed",
			setup: func(t *testing.T) setup {
				s := arm(t, testConfig(), boundContact(armedAt), 1)
				cfg := testConfig()
				cfg.DoNotDisturb = DoNotDisturb{Enabled: true, Start: "00:00", End: "12:00"}
				s.cfg = cfg
				return s
			},
			wantAction: ActionPostpone, wantDue: "2025-06-01 12:00",
		},
		{
			name: "timer firing inside quiet hours spanning midnight waits until the next morning",
			setup: func(t *testing.T) setup {
				s := arm(t, testConfig(), boundContact(armedAt), 1)
				cfg := testConfig()
				cfg.DoNotDisturb = DoNotDisturb{Enabled: true, Start: "22:00", End: "08:00"}
				s.cfg = cfg
				s.now = at(t, "2025-06-01 23:15")
				return s
			},
			wantAction: ActionPostpone, wantDue: "2025-06-02 08:00",
		},
		{
			name: "messenger inside the 24-hour window is sent",
			setup: func(t *testing.T) setup {
				cfg, ct := messenger()
				return arm(t, cfg, ct, 1)
			},
			wantAction: ActionSend,
		},
		{
			name: "messenger outside the 24-hour window is given up",
			setup: func(t *testing.T) setup {
				cfg, ct := messenger()
				return arm(t, cfg, ct, 2)
			},
			wantAction: ActionSkip, wantReason: ReasonMessagingWindow,
		},
		{
			name: "messenger: a customer message after arming reopens the window",
			setup: func(t *testing.T) setup {
				cfg, ct := messenger()
				s := arm(t, cfg, ct, 2)
				later := *ct
				later.LastCustomerInteractionAt = s.now.Add(-23 * time.Hour)
				s.contact = &later
				return s
			},
			wantAction: ActionSend,
		},
		{
			name: "messenger: exactly 24 hours after the last message is outside",
			setup: func(t *testing.T) setup {
				cfg, ct := messenger()
				s := arm(t, cfg, ct, 1)
				later := *ct
				later.LastCustomerInteractionAt = s.now.Add(-24 * time.Hour)
				s.contact = &later
				return s
			},
			wantAction: ActionSkip, wantReason: ReasonMessagingWindow,
		},
		{
			name: "messenger: postponing past the window end gives up at once",
			setup: func(t *testing.T) setup {
				cfg, ct := messenger()
				s := arm(t, cfg, ct, 1)
				quiet := *cfg
				quiet.DoNotDisturb = DoNotDisturb{Enabled: true, Start: "10:30", End: "12:00"}
				s.cfg = &quiet
				later := *ct
				later.LastCustomerInteractionAt = at(t, "2025-05-31 11:30") // window ends 06-01 11:30
				s.contact = &later
				return s
			},
			wantAction: ActionSkip, wantReason: ReasonMessagingWindow,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.setup(t)
			before := s.cart.clone()
			d := OnTimerFired(s.cfg, s.cart, s.contact, s.timer, s.now, taipei)
			if got, want := d.Action, tt.wantAction; got != want {
				t.Fatalf("action %q (%s), want %q", got, d.Reason, want)
			}
			if got, want := d.Reason, tt.wantReason; got != want {
				t.Errorf("reason %q, want %q", got, want)
			}
			var pos = -1
			for i, m := range d.Cart.Sequence.Messages {
				if m.Index == s.timer.Index {
					pos = i
				}
			}
			switch d.Action {
			case ActionSend:
				if got, want := d.Recipient, "U1"; got != want {
					t.Errorf("recipient %q, want %q", got, want)
				}
				if got, want := d.Cart.Sequence.Messages[pos].SentAt, s.now; !got.Equal(want) {
					t.Errorf("sentAt %v, want %v", got, want)
				}
				if got, want := d.Content.Index, s.timer.Index; got != want {
					t.Errorf("content index %d, want %d", got, want)
				}
				if !d.Changed {
					t.Errorf("a send must change the cart")
				}
			case ActionPostpone:
				if got, want := fmtT(d.Timer.DueAt), tt.wantDue; got != want {
					t.Errorf("postponed to %s, want %s", got, want)
				}
				if got, want := d.Timer.Key(), s.timer.Key(); got != want {
					t.Errorf("postponed timer key %q, want %q", got, want)
				}
				if got, want := fmtT(d.Cart.Sequence.Messages[pos].DueAt), tt.wantDue; got != want {
					t.Errorf("stored due %s, want %s", got, want)
				}
			case ActionSkip:
				stale := tt.wantReason == ReasonStale || tt.wantReason == ReasonDuplicate
				if got, want := d.Changed, !stale; got != want {
					t.Errorf("changed %v, want %v", got, want)
				}
				if !stale {
					if got, want := d.Cart.Sequence.Messages[pos].Skipped, tt.wantReason; got != want {
						t.Errorf("recorded skip %q, want %q", got, want)
					}
				}
			}
			if got, want := !d.Cart.LastSequenceEndedAt.IsZero(), tt.wantEnded; got != want {
				t.Errorf("sequence ended %v, want %v", got, want)
			}
			// The cart passed in is untouched.
			if s.cart.Sequence != nil && before.Sequence != nil {
				for i := range before.Sequence.Messages {
					if s.cart.Sequence.Messages[i] != before.Sequence.Messages[i] {
						t.Errorf("input cart modified")
					}
				}
			}
		})
	}
}

func TestSequenceEndAndRestart(t *testing.T) {
	cfg := testConfig()
	t0 := at(t, "2025-06-01 10:00")
	ct := boundContact(t0)
	d := mustAdd(t, cfg, newCart(), ct, item("p1", time.Time{}), t0)
	c := d.Cart
	for _, tm := range d.Arm {
		fd := OnTimerFired(cfg, c, ct, tm, tm.DueAt, taipei)
		if fd.Action != ActionSend {
			t.Fatalf("message %d: %s (%s)", tm.Index, fd.Action, fd.Reason)
		}
		c = fd.Cart
	}
	lastSent := d.Arm[len(d.Arm)-1].DueAt
	if got, want := c.LastSequenceEndedAt, lastSent; !got.Equal(want) {
		t.Fatalf("sequence ended at %v, want the last send %v", got, want)
	}

	tests := []struct {
		name      string
		addAt     time.Time
		wantArmed int
		want      Reason
	}{
		{"one minute before the cycle passes", lastSent.Add(72*time.Hour - time.Minute), 0, ReasonRestartCycle},
		{"when the cycle has passed", lastSent.Add(72 * time.Hour), 2, ""},
		{"long after the cycle passed", lastSent.Add(30 * 24 * time.Hour), 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nd := mustAdd(t, cfg, c, ct, item("p2", time.Time{}), tt.addAt)
			if got, want := len(nd.Arm), tt.wantArmed; got != want {
				t.Errorf("armed %d, want %d", got, want)
			}
			if got, want := nd.Reason, tt.want; got != want {
				t.Errorf("reason %q, want %q", got, want)
			}
		})
	}
}

func TestSequenceWithNothingSentDoesNotHoldBackTheNext(t *testing.T) {
	cfg := testConfig()
	t0 := at(t, "2025-06-01 10:00")
	ct := boundContact(t0)
	d := mustAdd(t, cfg, newCart(), ct, item("p1", time.Time{}), t0)
	unsub := boundContact(t0)
	unsub.Subscribed = false
	c := d.Cart
	for _, tm := range d.Arm {
		fd := OnTimerFired(cfg, c, unsub, tm, tm.DueAt, taipei)
		if got, want := fd.Reason, ReasonUnsubscribed; got != want {
			t.Fatalf("message %d: %q, want %q", tm.Index, got, want)
		}
		c = fd.Cart
	}
	if !c.LastSequenceEndedAt.IsZero() {
		t.Fatalf("a sequence that sent nothing must not start the restart cycle")
	}
	nd := mustAdd(t, cfg, c, ct, item("p2", time.Time{}), d.Arm[1].DueAt.Add(time.Hour))
	if got, want := len(nd.Arm), 2; got != want {
		t.Errorf("armed %d, want %d (%s)", got, want, nd.Reason)
	}
}

func TestDelayChangeKeepsScheduledTimes(t *testing.T) {
	// 001:L3728-L3730: first message after 1 hour; a minute later the setting
	// becomes 30 minutes.
	old := testConfig()
	t0 := at(t, "2025-06-01 10:00")
	ct := boundContact(t0)
	d := mustAdd(t, old, newCart(), ct, item("p1", time.Time{}), t0)

	edited := old.clone()
	edited.Messages[0].Delay = Delay{Minutes: 30}
	newCfg, err := ApplyConfigChange(*old, edited, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := newCfg.Epoch, old.Epoch; got != want {
		t.Errorf("epoch %d, want %d: a delay change must not void pending timers", got, want)
	}

	t.Run("no new add-to-cart: the message keeps its time", func(t *testing.T) {
		tm := d.Arm[0]
		if got, want := fmtT(tm.DueAt), "2025-06-01 11:00"; got != want {
			t.Fatalf("armed for %s, want %s", got, want)
		}
		if got, want := d.Cart.Sequence.Messages[0].Delay, (Delay{Hours: 1}); got != want {
			t.Errorf("scheduled with delay %+v, want %+v", got, want)
		}
		fd := OnTimerFired(&newCfg, d.Cart, ct, tm, tm.DueAt, taipei)
		if got, want := fd.Action, ActionSend; got != want {
			t.Errorf("at the old time: %s (%s), want %s", got, fd.Reason, want)
		}
	})
	t.Run("a new add-to-cart uses the new delay", func(t *testing.T) {
		nd := mustAdd(t, &newCfg, d.Cart, ct, item("p2", time.Time{}), at(t, "2025-06-01 10:20"))
		if got, want := dues(nd.Arm), []string{"2025-06-01 10:50", "2025-06-02 10:20"}; !equalStrings(got, want) {
			t.Errorf("armed %v, want %v", got, want)
		}
	})
}
