package remarketing

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/payreminder"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// ReasonUnknownContact: the order names a contact the channel does not have.
const ReasonUnknownContact payreminder.Reason = "unknown_contact"

// ReasonPaymentSendFailed: the platform refused the reminder for good.
const ReasonPaymentSendFailed payreminder.Reason = "send_failed"

// ReportOrder records a shop order for the payment reminder and schedules its
// reminder (payreminder.Schedule) under the team's setting, arming its timer
// before the order is stored. Reporting an order again updates its payment
// status and leaves a scheduled reminder as it is. It needs a server site key:
// orders decide who is messaged.
func (s *Service) ReportOrder(ctx context.Context, key *switchboard.SiteKey, r *OrderReport) (*payreminder.TrackedOrder, error) {
	if key.Kind != switchboard.SiteKeyServer {
		return nil, switchboard.Errorf(switchboard.EForbidden, "orders need a server site key")
	}
	teamID := key.TeamID
	contact, err := s.dir.FindContact(ctx, teamID, r.Contact.ChannelID, r.Contact.PlatformUserID)
	if isNotFound(err) {
		return nil, switchboard.Errorf(switchboard.EInvalid, "the order's contact is not a contact of channel %q", r.Contact.ChannelID)
	}
	if err != nil {
		return nil, err
	}
	ch, err := s.dir.GetChannel(ctx, teamID, contact.ChannelID)
	if err != nil {
		return nil, err
	}
	settings, err := s.payments.GetPayReminderSettings(ctx, teamID)
	if err != nil {
		return nil, err
	}
	loc, err := s.location(ctx, teamID)
	if err != nil {
		return nil, err
	}
	status := payreminder.PaymentUnpaid
	if r.Paid {
		status = payreminder.PaymentPaid
	}
	name := r.CustomerName
	if name == "" {
		name = contact.Name()
	}
	order := payreminder.Order{
		ID: r.OrderID, TeamID: teamID, ContactID: contact.ID, ChannelKind: ch.Kind, Source: r.Channel,
		CashOnDelivery: r.CashOnDelivery(), PaymentStatus: status, CreatedAt: r.CreatedAt,
		CustomerName: name, AmountText: cart.FormatMoney(r.Currency, r.Total),
	}
	var cancel *switchboard.Timer
	out, err := s.payments.UpdatePaymentOrder(ctx, teamID, r.OrderID, func(o *payreminder.TrackedOrder) (*payreminder.TrackedOrder, error) {
		cancel = nil
		if o.Version > 0 {
			if o.Order.PaymentStatus == status {
				return nil, errUnchanged
			}
			o.Order.PaymentStatus = status
			if o.Reminder != nil && status != payreminder.PaymentUnpaid {
				cancel, _ = paymentTimer(o.Reminder.Timer())
			}
			return o, nil
		}
		o.Order, o.ChannelID, o.PaymentURL = order, ch.ID, r.PaymentURL
		rem, t, why := payreminder.Schedule(order, settings, loc)
		if why != "" {
			o.NoReminder = why
			return o, nil
		}
		pt, err := paymentTimer(t)
		if err != nil {
			return nil, err
		}
		if err := s.timers.ArmTimers(ctx, pt); err != nil {
			return nil, err
		}
		// The store arms a time already past for now; keep the time it armed,
		// which is what a later cancel or move must name.
		rem.Due = pt.DueAt
		o.Reminder = &rem
		return o, nil
	})
	if err == errUnchanged {
		return s.payments.GetPaymentOrder(ctx, teamID, r.OrderID)
	}
	if err != nil {
		return nil, err
	}
	s.cancelQuietly(ctx, teamID, cancel)
	s.count("OrdersReported", map[string]string{"Scheduled": boolText(out.Reminder != nil)})
	return out, nil
}

// MarkOrderPaid records that an order was paid, so its reminder is not sent
// (the firing re-checks the status; the timer is also deleted). It needs a
// server site key.
func (s *Service) MarkOrderPaid(ctx context.Context, key *switchboard.SiteKey, orderID string) (*payreminder.TrackedOrder, error) {
	if key.Kind != switchboard.SiteKeyServer {
		return nil, switchboard.Errorf(switchboard.EForbidden, "orders need a server site key")
	}
	if !validKeyID(orderID) {
		return nil, switchboard.Errorf(switchboard.ENotFound, "order not found")
	}
	var cancel *switchboard.Timer
	out, err := s.payments.UpdatePaymentOrder(ctx, key.TeamID, orderID, func(o *payreminder.TrackedOrder) (*payreminder.TrackedOrder, error) {
		cancel = nil
		if o.Version == 0 {
			return nil, switchboard.Errorf(switchboard.ENotFound, "order not found")
		}
		if o.Order.PaymentStatus == payreminder.PaymentPaid {
			return nil, errUnchanged
		}
		o.Order.PaymentStatus = payreminder.PaymentPaid
		if o.Reminder != nil && o.Reminder.SentAt.IsZero() {
			cancel, _ = paymentTimer(o.Reminder.Timer())
		}
		return o, nil
	})
	if err == errUnchanged {
		return s.payments.GetPaymentOrder(ctx, key.TeamID, orderID)
	}
	if err != nil {
		return nil, err
	}
	s.cancelQuietly(ctx, key.TeamID, cancel)
	return out, nil
}

func (s *Service) cancelQuietly(ctx context.Context, teamID string, t *switchboard.Timer) {
	if t == nil {
		return
	}
	if err := s.timers.CancelTimers(ctx, t); err != nil {
		s.log.WarnContext(ctx, "payment reminder timer not deleted; it will fire and find nothing to do",
			slog.String("teamId", teamID), slog.String("error", err.Error()))
	}
}

// FirePaymentReminder handles a due payment reminder timer (the timer
// consumer's handler for switchboard.TimerPaymentReminder): payreminder.OnFire
// re-checks that the timer is current, the setting on and the order still
// unpaid; then the reminder goes out with its button (the order's payment URL,
// or a postback naming the order) under the timer's idempotency key, and the
// order records it. A send refused for good cancels the reminder.
func (s *Service) FirePaymentReminder(ctx context.Context, t *switchboard.Timer) error {
	var pt payreminder.Timer
	if err := json.Unmarshal(t.Payload, &pt); err != nil || pt.TeamID != t.TeamID || pt.OrderID == "" {
		return switchboard.Errorf(switchboard.EInvalid, "timer %s does not carry a payment reminder timer of its team", t.ID)
	}
	log := s.log.With(slog.String("teamId", pt.TeamID), slog.Int64("generation", pt.Generation))
	o, err := s.payments.GetPaymentOrder(ctx, pt.TeamID, pt.OrderID)
	if isNotFound(err) {
		s.paymentSkipped(ctx, log, payreminder.ReasonStale)
		return nil
	}
	if err != nil {
		return err
	}
	settings, err := s.payments.GetPayReminderSettings(ctx, pt.TeamID)
	if err != nil {
		return err
	}
	now := s.clock()
	decide := func(o *payreminder.TrackedOrder) payreminder.FireDecision {
		if o.Reminder == nil {
			return payreminder.FireDecision{Action: payreminder.ActionSkip, Reason: payreminder.ReasonStale}
		}
		return payreminder.OnFire(*o.Reminder, pt, o.Order, settings, now)
	}
	d := decide(o)
	if d.Action != payreminder.ActionSend {
		s.paymentSkipped(ctx, log, d.Reason)
		return nil
	}
	contact, err := s.dir.GetContact(ctx, pt.TeamID, o.Order.ContactID)
	if isNotFound(err) {
		s.paymentSkipped(ctx, log, ReasonUnknownContact)
		return nil
	}
	if err != nil {
		return err
	}
	ch, err := s.dir.GetChannel(ctx, pt.TeamID, contact.ChannelID)
	if err != nil {
		return err
	}
	sender, ok := s.senders[ch.Kind]
	if !ok {
		return switchboard.Errorf(switchboard.EInternal, "no sender for %s channels", ch.Kind)
	}
	button := switchboard.Button{Label: d.Button, URL: o.PaymentURL}
	if button.URL == "" {
		button.Payload = "payment_reminder:" + o.Order.ID
	}
	_, err = sender.Send(ctx, switchboard.SendRequest{
		Channel:        ch,
		To:             switchboard.Recipient{PlatformUserID: contact.PlatformUserID, LastCustomerAt: contact.LastCustomerInteractionAt},
		Messages:       []switchboard.OutboundMessage{{Kind: switchboard.MsgText, Text: d.Message, Buttons: []switchboard.Button{button}}},
		Purpose:        switchboard.PurposeSystem,
		IdempotencyKey: pt.Key(),
	})
	if err != nil && !permanentSendFailure(err) {
		return err
	}
	failed := err != nil
	_, err = s.payments.UpdatePaymentOrder(ctx, pt.TeamID, pt.OrderID, func(o *payreminder.TrackedOrder) (*payreminder.TrackedOrder, error) {
		d2 := decide(o)
		if d2.Action != payreminder.ActionSend {
			return nil, errUnchanged
		}
		if failed {
			o.Reminder.Cancelled = true
			o.NoReminder = ReasonPaymentSendFailed
			return o, nil
		}
		o.Reminder = &d2.Reminder
		return o, nil
	})
	if err := ignoreUnchanged(err); err != nil {
		return err
	}
	if failed {
		s.paymentSkipped(ctx, log, ReasonPaymentSendFailed)
		return nil
	}
	log.InfoContext(ctx, "payment reminder sent", slog.String("channelKind", string(ch.Kind)))
	s.count("PaymentRemindersSent", map[string]string{"ChannelKind": string(ch.Kind)})
	return nil
}

func (s *Service) paymentSkipped(ctx context.Context, log *slog.Logger, r payreminder.Reason) {
	log.InfoContext(ctx, "payment reminder not sent", slog.String("reason", string(r)))
	s.count("PaymentRemindersSkipped", map[string]string{"Reason": string(r)})
}

// SavePayReminderSettings validates and stores the team's payment reminder
// setting and applies it to every open reminder (payreminder.Reschedule): a
// later time moves a reminder, an earlier one keeps the original, turning it
// off cancels them and turning it on again restores those not yet past
// (003:L175–L182). Moved timers are re-armed (the old item deleted in the same
// request); cancelled ones are deleted after the order is stored.
func (s *Service) SavePayReminderSettings(ctx context.Context, teamID string, in payreminder.Settings) (payreminder.Settings, error) {
	if err := in.Validate(); err != nil {
		return payreminder.Settings{}, err
	}
	saved, err := s.payments.UpdatePayReminderSettings(ctx, teamID, func(cur payreminder.Settings) (payreminder.Settings, error) {
		in.Version, in.UpdatedAt = cur.Version, cur.UpdatedAt
		return in, nil
	})
	if err != nil {
		return payreminder.Settings{}, err
	}
	loc, err := s.location(ctx, teamID)
	if err != nil {
		return payreminder.Settings{}, err
	}
	now := s.clock()
	cursor := ""
	for {
		page, next, err := s.payments.ListPendingPaymentReminders(ctx, teamID, cursor, 100)
		if err != nil {
			return payreminder.Settings{}, err
		}
		for _, p := range page {
			var cancel *switchboard.Timer
			_, err := s.payments.UpdatePaymentOrder(ctx, teamID, p.Order.ID, func(o *payreminder.TrackedOrder) (*payreminder.TrackedOrder, error) {
				cancel = nil
				if !o.Open() {
					return nil, errUnchanged
				}
				before := *o.Reminder
				r, t := payreminder.Reschedule(before, saved, o.Order, loc, now)
				if r == before {
					return nil, errUnchanged
				}
				if t != nil {
					nt, err := paymentTimer(*t)
					if err != nil {
						return nil, err
					}
					prev := before.Due
					if before.Cancelled {
						prev = nt.DueAt // nothing armed to delete
					}
					if err := s.timers.MoveTimer(ctx, nt, prev); err != nil {
						return nil, err
					}
					r.Due = nt.DueAt // as armed (see ReportOrder)
				} else if r.Cancelled && !before.Cancelled {
					cancel, _ = paymentTimer(before.Timer())
				}
				o.Reminder = &r
				return o, nil
			})
			if err := ignoreUnchanged(err); err != nil {
				return payreminder.Settings{}, err
			}
			s.cancelQuietly(ctx, teamID, cancel)
		}
		if next == "" {
			return saved, nil
		}
		cursor = next
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
