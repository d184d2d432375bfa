package remarketing

import (
	"context"
	"log/slog"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// EventsResult says what a pixel request did.
type EventsResult struct {
	// Applied counts events applied now; Duplicates those applied before
	// (same id), which changed nothing.
	Applied    int `json:"applied"`
	Duplicates int `json:"duplicates"`
	// Armed counts reminder timers armed; Reasons lists why add-to-carts
	// armed nothing (cart.Reason), for the shop's debugging.
	Armed   int      `json:"armed"`
	Reasons []string `json:"reasons,omitempty"`
}

// ApplyEvents applies one visitor's pixel events in order (SPEC §6): bindings
// first tie the visitor to a contact, then each cart event goes through the
// cart rules, and the visitor (cart, popup counts, applied event ids) is
// stored with one conditional write. Timers the rules arm are armed before
// that write, so a stored sequence always has its timers (a timer armed for a
// write that then loses its race is stale and fires for nothing); timers the
// rules cancel are deleted after it, best-effort, since a stale timer is
// harmless anyway. Binding requires a server site key.
func (s *Service) ApplyEvents(ctx context.Context, key *switchboard.SiteKey, b *EventBatch) (EventsResult, error) {
	teamID := key.TeamID
	for _, ev := range b.Events {
		if ev.Type == EventBind && key.Kind != switchboard.SiteKeyServer {
			return EventsResult{}, switchboard.Errorf(switchboard.EForbidden, "bind events need a server site key")
		}
	}
	loc, err := s.location(ctx, teamID)
	if err != nil {
		return EventsResult{}, err
	}
	now := s.clock()
	for _, ev := range b.Events {
		if ev.Type == EventBind {
			if err := s.BindVisitor(ctx, teamID, b.VisitorID, ev.Binding.ChannelID, ev.Binding.PlatformUserID); err != nil {
				return EventsResult{}, err
			}
		}
	}
	cfg, err := s.activeConfig(ctx, teamID)
	if err != nil {
		return EventsResult{}, err
	}
	contact, err := s.visitorContact(ctx, teamID, b.VisitorID, cfg)
	if err != nil {
		return EventsResult{}, err
	}

	var (
		res    EventsResult
		cancel []cart.Timer
		orders []cart.OrderRecord
	)
	_, err = s.carts.UpdateVisitor(ctx, teamID, b.VisitorID, func(v *cart.Visitor) (*cart.Visitor, error) {
		res, cancel, orders = EventsResult{}, nil, nil
		var arm []cart.Timer
		for _, ev := range b.Events {
			if ev.ID != "" && v.SeenEvent(ev.ID) {
				res.Duplicates++
				continue
			}
			at := ev.At
			if at.IsZero() {
				at = now
			}
			var d cart.Decision
			switch ev.Type {
			case EventAddToCart:
				it := cart.Item{
					ProductID: ev.Item.ProductID, Name: ev.Item.Name, ImageURL: ev.Item.ImageURL, URL: ev.Item.URL,
					Price: ev.Item.Price, Currency: ev.Item.Currency, Quantity: ev.Item.Quantity, AddedAt: at,
				}
				var derr error
				if d, derr = cart.OnAddToCart(cfg, v.Cart, contact, it, now, loc); derr != nil {
					return nil, derr
				}
				v.Popup.AddToCarts++
				if len(d.Arm) == 0 && d.Reason != "" {
					res.Reasons = append(res.Reasons, string(d.Reason))
				}
				for _, w := range d.Warnings {
					s.log.InfoContext(ctx, "cart reminder armed outside the messaging window",
						slog.String("teamId", teamID), slog.Int("index", w.Index), slog.String("reason", string(w.Reason)))
				}
			case EventRemove:
				d = cart.OnRemove(v.Cart, ev.Item.ProductID, now)
			case EventClear:
				d = cart.OnClear(v.Cart, now)
			case EventCheckout:
				d = cart.OnCheckout(v.Cart, now)
				if ev.Order != nil && contact != nil {
					orders = append(orders, cart.OrderRecord{
						ID: ev.Order.OrderID, ContactID: contact.ID, MemberID: ev.Order.MemberID,
						Currency: ev.Order.Currency, Total: ev.Order.Total, PlacedAt: at,
					})
				}
			case EventPopupClick:
				v.Popup.ButtonPressedAt = now
				d.Cart = v.Cart
			case EventBind:
				d.Cart = v.Cart // applied above, before the cart
			}
			v.Cart = d.Cart
			arm = append(arm, d.Arm...)
			cancel = append(cancel, d.Cancel...)
			if ev.ID != "" {
				v.RememberEvent(ev.ID)
			}
			res.Applied++
		}
		if res.Applied == 0 {
			return nil, errUnchanged
		}
		cancel = notArmedHere(cancel, arm)
		arm = stillPending(v.Cart, arm)
		ts, err := cartTimers(arm)
		if err != nil {
			return nil, err
		}
		if err := s.timers.ArmTimers(ctx, ts...); err != nil {
			return nil, err
		}
		res.Armed = len(ts)
		return v, nil
	})
	if err := ignoreUnchanged(err); err != nil {
		return EventsResult{}, err
	}
	s.afterCommit(ctx, teamID, cancel, orders)
	s.metrics.Count(map[string]float64{"PixelEvents": float64(res.Applied), "PixelDuplicates": float64(res.Duplicates), "CartTimersArmed": float64(res.Armed)}, nil)
	return res, nil
}

// stillPending keeps the timers of the cart's current sequence: an
// add-to-cart followed by a checkout in one request armed timers the checkout
// already made stale, and there is no point storing them.
func stillPending(c cart.Cart, arm []cart.Timer) []cart.Timer {
	if c.Sequence == nil {
		return nil
	}
	out := arm[:0:0]
	for _, t := range arm {
		if t.Generation == c.Sequence.Generation && t.Generation == c.Generation {
			out = append(out, t)
		}
	}
	return out
}

// notArmedHere drops from cancel the timers armed earlier in the same
// request, which were never stored.
func notArmedHere(cancel, arm []cart.Timer) []cart.Timer {
	here := make(map[string]bool, len(arm))
	for _, t := range arm {
		here[t.Key()] = true
	}
	out := cancel[:0:0]
	for _, t := range cancel {
		if !here[t.Key()] {
			out = append(out, t)
		}
	}
	return out
}

// afterCommit deletes cancelled timers and records checkout orders. Neither
// can undo the stored cart, so failures are logged: a cancelled timer that
// stays fires for nothing, and an order the pixel reports again (same id and
// time) is stored then.
func (s *Service) afterCommit(ctx context.Context, teamID string, cancel []cart.Timer, orders []cart.OrderRecord) {
	if len(cancel) > 0 {
		ts, err := cartTimers(cancel)
		if err == nil {
			err = s.timers.CancelTimers(ctx, ts...)
		}
		if err != nil {
			s.log.WarnContext(ctx, "cancelled cart timers were not deleted; they will fire and find nothing to do",
				slog.String("teamId", teamID), slog.String("error", err.Error()))
		}
	}
	for _, o := range orders {
		if err := s.stats.PutCartOrder(ctx, teamID, o); err != nil {
			s.log.ErrorContext(ctx, "checkout order not recorded for cart statistics",
				slog.String("teamId", teamID), slog.String("error", err.Error()))
		}
	}
}

// activeConfig returns the team's enabled cart configuration, or nil when
// cart remarketing is off on every channel (001:L1907: at most one is on).
func (s *Service) activeConfig(ctx context.Context, teamID string) (*cart.Config, error) {
	cfgs, err := s.carts.ListCartConfigs(ctx, teamID)
	if err != nil {
		return nil, err
	}
	for _, c := range cfgs {
		if c.Enabled {
			return c, nil
		}
	}
	return nil, nil
}

// visitorContact returns the contact the visitor is bound to on the active
// channel, or nil when there is no active channel or no binding.
func (s *Service) visitorContact(ctx context.Context, teamID, visitorID string, cfg *cart.Config) (*switchboard.Contact, error) {
	if cfg == nil {
		return nil, nil
	}
	id, err := s.carts.VisitorContactID(ctx, teamID, visitorID, cfg.ChannelID)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := s.dir.GetContact(ctx, teamID, id)
	if isNotFound(err) {
		return nil, nil // deleted since it was bound
	}
	return c, err
}

// BindVisitor ties a website visitor to the contact of a platform user on a
// channel of the team (the binding popup's flow, 001:L5013): the contact gets
// a visitor binding and the visitor a lookup entry, so cart reminders find
// their recipient with one read. A contact that does not exist yet is created
// with only its identity and the binding; it receives reminders once the
// channel's own events make it subscribed. The router, which sees the bind
// referral in the customer's message, may call this too.
func (s *Service) BindVisitor(ctx context.Context, teamID, visitorID, channelID, platformUserID string) error {
	if !validPixelID(visitorID) {
		return switchboard.Errorf(switchboard.EInvalid, "visitor id is malformed")
	}
	ch, err := s.dir.GetChannel(ctx, teamID, channelID)
	if isNotFound(err) {
		return switchboard.Errorf(switchboard.EInvalid, "binding names channel %q, which the team does not have", channelID)
	}
	if err != nil {
		return err
	}
	now := s.clock()
	c, err := s.dir.UpsertContact(ctx, teamID, ch.ID, platformUserID, func(c *switchboard.Contact) (*switchboard.Contact, error) {
		for _, b := range c.Bindings {
			if b.Kind == cart.BindingVisitor && b.ID == visitorID {
				return nil, errUnchanged
			}
		}
		if c.ChannelKind == "" {
			c.ChannelKind = ch.Kind
		}
		c.Bindings = append(c.Bindings, switchboard.Binding{Kind: cart.BindingVisitor, ID: visitorID, ChannelID: ch.ID, BoundAt: now})
		return c, nil
	})
	if err == errUnchanged {
		c, err = s.dir.FindContact(ctx, teamID, ch.ID, platformUserID)
	}
	if err != nil {
		return err
	}
	if err := s.carts.BindVisitorContact(ctx, teamID, visitorID, c, now); err != nil {
		return err
	}
	s.count("VisitorsBound", map[string]string{"ChannelKind": string(ch.Kind)})
	return nil
}

// PopupDecision says whether the binding popup is shown to a visitor now.
type PopupDecision struct {
	Show bool `json:"show"`
	// Reason says why not (cart.PopupReason, or "disabled" when cart
	// remarketing is off).
	Reason      string                  `json:"reason,omitempty"`
	ChannelID   string                  `json:"channelId,omitempty"`
	ChannelKind switchboard.ChannelKind `json:"channelKind,omitempty"`
}

// Popup decides whether the visitor sees the binding popup now
// (cart.ShouldShowPopup, on the active channel) and, when it is shown,
// records the display against the daily cap.
func (s *Service) Popup(ctx context.Context, teamID, visitorID string) (PopupDecision, error) {
	if !validPixelID(visitorID) {
		return PopupDecision{}, switchboard.Errorf(switchboard.EInvalid, "visitorId must be 1 to %d letters, digits or ._:-", maxPixelIDLen)
	}
	cfg, err := s.activeConfig(ctx, teamID)
	if err != nil {
		return PopupDecision{}, err
	}
	if cfg == nil {
		return PopupDecision{Reason: string(cart.ReasonDisabled)}, nil
	}
	policy, err := s.carts.GetPopupPolicy(ctx, teamID)
	if err != nil {
		return PopupDecision{}, err
	}
	loc, err := s.location(ctx, teamID)
	if err != nil {
		return PopupDecision{}, err
	}
	_, err = s.carts.VisitorContactID(ctx, teamID, visitorID, cfg.ChannelID)
	bound := err == nil
	if err != nil && !isNotFound(err) {
		return PopupDecision{}, err
	}
	out := PopupDecision{ChannelID: cfg.ChannelID, ChannelKind: cfg.ChannelKind}
	now := s.clock()
	decide := func(v *cart.Visitor) (bool, cart.PopupReason) {
		st := v.Popup
		st.Bound = bound
		return cart.ShouldShowPopup(policy, cfg.ChannelKind, st, now, loc)
	}
	v, err := s.carts.GetVisitor(ctx, teamID, visitorID)
	if isNotFound(err) {
		out.Reason = string(cart.PopupNotYet)
		return out, nil
	}
	if err != nil {
		return PopupDecision{}, err
	}
	if show, why := decide(v); !show {
		out.Reason = string(why)
		return out, nil
	}
	_, err = s.carts.UpdateVisitor(ctx, teamID, visitorID, func(v *cart.Visitor) (*cart.Visitor, error) {
		show, why := decide(v)
		out.Show, out.Reason = show, string(why)
		if !show {
			return nil, errUnchanged
		}
		v.Popup = cart.RecordPopupDisplay(v.Popup, now, loc)
		return v, nil
	})
	if err := ignoreUnchanged(err); err != nil {
		return PopupDecision{}, err
	}
	return out, nil
}
