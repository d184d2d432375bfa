package router

import (
	"context"
	"log/slog"

	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// deliveryOrder is the order delivery statuses move in (001:L1330); failed
// stands apart.
var deliveryOrder = []switchboard.DeliveryStatus{
	switchboard.DeliverySending, switchboard.DeliverySent, switchboard.DeliveryReceived, switchboard.DeliveryRead,
}

func deliveryRank(s switchboard.DeliveryStatus) int {
	for i, d := range deliveryOrder {
		if d == s {
			return i
		}
	}
	return -1
}

// statusesBefore lists the statuses a message may move to s from: the ones
// before it, so statuses only move forward and a late or repeated status
// changes nothing. Failed may come from any status but itself, with the
// platform's reason.
func statusesBefore(s switchboard.DeliveryStatus) []switchboard.DeliveryStatus {
	if s == switchboard.DeliveryFailed {
		return deliveryOrder
	}
	r := deliveryRank(s)
	if r <= 0 {
		return nil
	}
	return deliveryOrder[:r]
}

// applyStatus applies a platform's delivery status to our outbound messages.
// Statuses that name messages find them through the pointers the sends
// stored; Meta's watermarks cover every outbound message of the conversation
// sent before them, among its recent ones. Statuses of messages Switchboard
// did not send (or has not recorded as sent yet) are ignored. No claim is
// needed: applying a status twice changes nothing the second time.
func (r *Router) applyStatus(ctx context.Context, e *switchboard.InboundEvent, ch *switchboard.Channel, log *slog.Logger) error {
	su := e.Status
	if su == nil {
		return switchboard.Errorf(switchboard.EInvalid, "status event %s carries no status", e.ID)
	}
	to := su.Status
	from := statusesBefore(to)
	if len(from) == 0 {
		return switchboard.Errorf(switchboard.EInvalid, "status event %s has status %q; want sent, received, read or failed", e.ID, to)
	}
	reason := ""
	if to == switchboard.DeliveryFailed {
		reason = su.ErrorTitle
		if su.ErrorCode != "" {
			reason = su.ErrorCode + ": " + su.ErrorTitle
		}
		if reason == "" {
			reason = "the platform reported the message failed"
		}
	}
	applied := 0
	if len(su.MessageIDs) > 0 {
		refs, err := r.store.FindPlatformMessages(ctx, e.TeamID, e.ChannelID, su.MessageIDs)
		if err != nil {
			return err
		}
		for _, ref := range refs {
			ok, err := r.store.AdvanceStatus(ctx, ref, to, reason, from)
			if err != nil {
				return err
			}
			if ok {
				applied++
			}
		}
	}
	if !su.Watermark.IsZero() && e.CustomerID != "" && to != switchboard.DeliveryFailed {
		convID := dynamo.ContactID(e.TeamID, e.ChannelID, e.CustomerID)
		recent, err := r.store.RecentMessages(ctx, e.TeamID, convID, readMarkWindow)
		if err != nil {
			return err
		}
		for _, m := range recent {
			// A message still sending has its outcome recorded by the send
			// itself; failed messages stay failed.
			if m.Direction != switchboard.Outbound || m.CreatedAt.After(su.Watermark) ||
				(m.Status != switchboard.DeliverySent && m.Status != switchboard.DeliveryReceived) ||
				deliveryRank(m.Status) >= deliveryRank(to) {
				continue
			}
			ref := dynamo.MessageRef{TeamID: m.TeamID, ConversationID: m.ConversationID, MessageID: m.ID}
			ok, err := r.store.AdvanceStatus(ctx, ref, to, "", []switchboard.DeliveryStatus{m.Status})
			if err != nil {
				return err
			}
			if ok {
				applied++
			}
		}
	}
	r.count(ch, map[string]float64{"EventsRouted": 1, "StatusesApplied": float64(applied)})
	log.DebugContext(ctx, "delivery status applied", slog.String("status", string(to)), slog.Int("messages", applied))
	return nil
}
