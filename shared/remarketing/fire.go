package remarketing

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Reasons this package adds to the cart rules' own.
const (
	// ReasonSendFailed: the platform refused the message for good (window
	// closed, user blocked the account); it is given up, not retried.
	ReasonSendFailed cart.Reason = "send_failed"
	// ReasonNoVisitor: the visitor's record is gone.
	ReasonNoVisitor cart.Reason = "no_visitor"
)

// FireCartReminder handles a due cart reminder timer (the timer consumer's
// handler for switchboard.TimerCartReminder). It loads the visitor, the
// configuration of the timer's channel and the contact, and lets
// cart.OnTimerFired decide:
//
//   - send: the reminder goes out through the channel's sender as a marketing
//     message whose idempotency key is the timer's key, then the cart records
//     it (re-deciding on the stored cart, so a concurrent copy records it once)
//     and the send is counted for statistics;
//   - postpone (quiet hours): the cart records the new due time and the same
//     message is re-armed for it, before the write, like any arming;
//   - skip: the cart records the reason when the rules changed it.
//
// A timer due earlier than the stored due time of its message was overtaken
// by a postponement and is skipped as stale. A send refused for good is given
// up with ReasonSendFailed; any other send error is returned, so the timer is
// retried.
func (s *Service) FireCartReminder(ctx context.Context, t *switchboard.Timer) error {
	var ct cart.Timer
	if err := json.Unmarshal(t.Payload, &ct); err != nil || ct.TeamID != t.TeamID || ct.VisitorID == "" {
		return switchboard.Errorf(switchboard.EInvalid, "timer %s does not carry a cart timer of its team", t.ID)
	}
	log := s.log.With(slog.String("teamId", ct.TeamID), slog.Int("index", ct.Index), slog.Int64("generation", ct.Generation))
	v, err := s.carts.GetVisitor(ctx, ct.TeamID, ct.VisitorID)
	if isNotFound(err) {
		s.skipped(ctx, log, ReasonNoVisitor)
		return nil
	}
	if err != nil {
		return err
	}
	cfg, err := s.carts.GetCartConfig(ctx, ct.TeamID, ct.ChannelID)
	if isNotFound(err) {
		cfg, err = nil, nil
	}
	if err != nil {
		return err
	}
	contact, err := s.dir.GetContact(ctx, ct.TeamID, ct.ContactID)
	if isNotFound(err) {
		contact, err = nil, nil
	}
	if err != nil {
		return err
	}
	loc, err := s.location(ctx, ct.TeamID)
	if err != nil {
		return err
	}
	now := s.clock()
	decide := func(c cart.Cart) cart.FireDecision {
		if overtaken(c, ct) {
			return cart.FireDecision{Action: cart.ActionSkip, Reason: cart.ReasonStale, Cart: c}
		}
		return cart.OnTimerFired(cfg, c, contact, ct, now, loc)
	}
	d := decide(v.Cart)
	switch d.Action {
	case cart.ActionSend:
		return s.sendCartReminder(ctx, log, ct, cfg, contact, d, decide)
	case cart.ActionPostpone:
		err := s.commitCart(ctx, ct, func(v *cart.Visitor) error {
			d2 := decide(v.Cart)
			if d2.Action != cart.ActionPostpone {
				return errUnchanged
			}
			nt, err := cartTimer(d2.Timer)
			if err != nil {
				return err
			}
			if err := s.timers.ArmTimers(ctx, nt); err != nil {
				return err
			}
			v.Cart = d2.Cart
			return nil
		})
		if err != nil {
			return err
		}
		log.InfoContext(ctx, "cart reminder postponed to the end of the quiet hours", slog.Time("dueAt", d.Timer.DueAt))
		s.count("CartRemindersPostponed", nil)
		return nil
	}
	if d.Reason == cart.ReasonDuplicate {
		// A copy that sent and stored the message may have failed before it
		// counted the send; counting again overwrites the same record.
		if err := s.recordSend(ctx, v.Cart, ct); err != nil {
			return err
		}
	}
	if d.Changed {
		err := s.commitCart(ctx, ct, func(v *cart.Visitor) error {
			d2 := decide(v.Cart)
			if !d2.Changed {
				return errUnchanged
			}
			v.Cart = d2.Cart
			return nil
		})
		if err != nil {
			return err
		}
	}
	s.skipped(ctx, log, d.Reason)
	return nil
}

// overtaken reports whether the stored message of the timer is due later than
// the timer: a postponement re-armed it, and this is the earlier timer.
func overtaken(c cart.Cart, t cart.Timer) bool {
	if c.Sequence == nil || c.Sequence.Generation != t.Generation {
		return false
	}
	for _, m := range c.Sequence.Messages {
		if m.Index == t.Index {
			return m.DueAt.Truncate(time.Second).After(t.DueAt.Truncate(time.Second))
		}
	}
	return false
}

func (s *Service) sendCartReminder(ctx context.Context, log *slog.Logger, ct cart.Timer, cfg *cart.Config, contact *switchboard.Contact, d cart.FireDecision, decide func(cart.Cart) cart.FireDecision) error {
	ch, err := s.dir.GetChannel(ctx, ct.TeamID, ct.ChannelID)
	if err != nil {
		return err
	}
	sender, ok := s.senders[ch.Kind]
	if !ok {
		return switchboard.Errorf(switchboard.EInternal, "no sender for %s channels", ch.Kind)
	}
	link := s.linker(ClickToken{TeamID: ct.TeamID, ChannelID: ch.ID, SendID: ct.Key(), ContactID: contact.ID, Index: ct.Index})
	_, err = sender.Send(ctx, switchboard.SendRequest{
		Channel:        ch,
		To:             switchboard.Recipient{PlatformUserID: d.Recipient, LastCustomerAt: contact.LastCustomerInteractionAt},
		Messages:       RenderCart(d.Content, link),
		Purpose:        switchboard.PurposeMarketing,
		IdempotencyKey: ct.Key(),
	})
	if err != nil && !permanentSendFailure(err) {
		return err
	}
	if err != nil {
		log.WarnContext(ctx, "cart reminder refused by the platform; giving it up",
			slog.String("errorCode", switchboard.ErrorCode(err)), slog.String("error", switchboard.ErrorMessage(err)))
		cerr := s.commitCart(ctx, ct, func(v *cart.Visitor) error {
			if decide(v.Cart).Action != cart.ActionSend {
				return errUnchanged
			}
			markSkipped(&v.Cart, ct.Index, ReasonSendFailed, s.clock())
			return nil
		})
		if cerr != nil {
			return cerr
		}
		s.skipped(ctx, log, ReasonSendFailed)
		return nil
	}
	var stored cart.Cart
	err = s.commitCart(ctx, ct, func(v *cart.Visitor) error {
		d2 := decide(v.Cart)
		if d2.Action != cart.ActionSend {
			stored = v.Cart
			return errUnchanged
		}
		v.Cart = d2.Cart
		stored = d2.Cart
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.recordSend(ctx, stored, ct); err != nil {
		return err
	}
	log.InfoContext(ctx, "cart reminder sent", slog.String("channelKind", string(ch.Kind)))
	s.count("CartRemindersSent", map[string]string{"ChannelKind": string(ch.Kind)})
	return nil
}

// recordSend counts the timer's message for statistics if the cart says it
// was sent: the record's key is the stored send time and the timer's key, so
// counting twice writes one item.
func (s *Service) recordSend(ctx context.Context, c cart.Cart, ct cart.Timer) error {
	if c.Sequence == nil || c.Sequence.Generation != ct.Generation {
		return nil
	}
	for _, m := range c.Sequence.Messages {
		if m.Index == ct.Index && !m.SentAt.IsZero() {
			return s.stats.PutCartSend(ctx, ct.TeamID, ct.ChannelID, cart.SendRecord{
				ID: ct.Key(), ContactID: ct.ContactID, Index: ct.Index, SentAt: m.SentAt,
			})
		}
	}
	return nil
}

// commitCart applies fn to the stored visitor; errUnchanged from fn writes
// nothing and is not an error.
func (s *Service) commitCart(ctx context.Context, ct cart.Timer, fn func(*cart.Visitor) error) error {
	_, err := s.carts.UpdateVisitor(ctx, ct.TeamID, ct.VisitorID, func(v *cart.Visitor) (*cart.Visitor, error) {
		if err := fn(v); err != nil {
			return nil, err
		}
		return v, nil
	})
	return ignoreUnchanged(err)
}

// markSkipped gives message index of the current sequence up for reason and,
// when it was the last one pending, ends the sequence the way the rules do:
// the restart cycle counts from the last message sent, if any was.
func markSkipped(c *cart.Cart, index int, reason cart.Reason, now time.Time) {
	if c.Sequence == nil {
		return
	}
	msgs := c.Sequence.Messages
	pending := false
	var last time.Time
	for i := range msgs {
		if msgs[i].Index == index {
			msgs[i].Skipped = reason
		}
		if msgs[i].SentAt.IsZero() && msgs[i].Skipped == "" {
			pending = true
		}
		if msgs[i].SentAt.After(last) {
			last = msgs[i].SentAt
		}
	}
	if !pending {
		c.LastSequenceEndedAt = last
	}
	c.UpdatedAt = now
}

func (s *Service) skipped(ctx context.Context, log *slog.Logger, r cart.Reason) {
	log.InfoContext(ctx, "cart reminder not sent", slog.String("reason", string(r)))
	s.count("CartRemindersSkipped", map[string]string{"Reason": string(r)})
}
