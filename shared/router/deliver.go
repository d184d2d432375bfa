package router

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// deliver does what a committed event still has to do outside the table:
// send its replies in order, then hand its bot request to bot.fifo. A reply
// whose send fails for a reason that may pass stops here with the error, so the
// queue delivers the event again; that delivery finds the claim and comes back
// here through redeliver with the replies still sending.
func (r *Router) deliver(ctx context.Context, e *switchboard.InboundEvent, ch *switchboard.Channel, outbox []*switchboard.Message, bot *switchboard.BotRequest, receives int, log *slog.Logger) error {
	for _, m := range outbox {
		if err := r.send(ctx, e, ch, m, receives, log); err != nil {
			return err
		}
	}
	if bot == nil {
		return nil
	}
	if r.bots == nil {
		return switchboard.Errorf(switchboard.EInternal, "the router has no bot queue to hand bot request %s to", bot.ID)
	}
	if err := r.bots.PublishBot(ctx, []switchboard.BotRequest{*bot}); err != nil {
		return err
	}
	log.DebugContext(ctx, "bot request queued", slog.String("trigger", string(bot.Trigger)), slog.String("botRequestId", bot.ID))
	return nil
}

// redeliver finishes an event that was committed before: it reads the event's
// claim and replies (their ids derive from the event) and sends the replies that
// are still sending, with the same idempotency keys as the first time, and
// hands the bot request on again (bot.fifo and the bot step deduplicate it by
// its id). A redelivery of an event that was fully handled sends nothing.
func (r *Router) redeliver(ctx context.Context, e *switchboard.InboundEvent, ch *switchboard.Channel, convID string, receives int, log *slog.Logger) error {
	ob, err := r.store.GetOutbox(ctx, e.TeamID, e.ChannelID, e.ID, convID, replyMessageIDs(e))
	if err != nil {
		return err
	}
	var pending []*switchboard.Message
	for _, m := range ob.Messages {
		if m.Direction == switchboard.Outbound && m.Status == switchboard.DeliverySending {
			pending = append(pending, m)
		}
	}
	if len(pending) > 0 {
		log.InfoContext(ctx, "sending replies left by an earlier run", slog.Int("replies", len(pending)))
	}
	return r.deliver(ctx, e, ch, pending, ob.Bot, receives, log)
}

// send sends one reply and records the outcome. Failures that may pass
// (rate limits, outages) are returned for the queue to retry, until the
// delivery SendAttempts, from which they are recorded as failed like any
// other: the reply is then too late to be worth sending anyway.
func (r *Router) send(ctx context.Context, e *switchboard.InboundEvent, ch *switchboard.Channel, m *switchboard.Message, receives int, log *slog.Logger) error {
	return r.sendAs(ctx, e, ch, m, switchboard.PurposeResponse, customerTime(e, r.now().UTC()), receives, log)
}

// sendAs is send for a given purpose, with the customer's last message at
// lastCustomerAt: the sender decides from both whether the platform's window
// still allows the message.
func (r *Router) sendAs(ctx context.Context, e *switchboard.InboundEvent, ch *switchboard.Channel, m *switchboard.Message, purpose switchboard.SendPurpose, lastCustomerAt time.Time, receives int, log *slog.Logger) error {
	ref := dynamo.MessageRef{TeamID: m.TeamID, ConversationID: m.ConversationID, MessageID: m.ID}
	sender := r.senders[ch.Kind]
	if sender == nil {
		return r.fail(ctx, ch, ref, "no sender for "+string(ch.Kind)+" channels", log)
	}
	res, err := sender.Send(ctx, switchboard.SendRequest{
		Channel: ch,
		To: switchboard.Recipient{
			PlatformUserID: e.CustomerID,
			ReplyToken:     e.ReplyToken,
			LastCustomerAt: lastCustomerAt,
		},
		Messages:       []switchboard.OutboundMessage{outbound(m)},
		Purpose:        purpose,
		IdempotencyKey: m.ID,
	})
	if err != nil {
		code := switchboard.ErrorCode(err)
		if (code == switchboard.ERateLimited || code == switchboard.EUnavailable) && receives < r.sendAttempts {
			return err
		}
		return r.fail(ctx, ch, ref, switchboard.ErrorMessage(err), log)
	}
	if _, err := r.store.MarkSent(ctx, ref, ch.ID, res.PlatformMessageIDs); err != nil {
		return err
	}
	r.count(ch, map[string]float64{"RepliesSent": 1})
	log.DebugContext(ctx, "reply sent", slog.String("messageId", m.ID), slog.String("via", res.Via))
	return nil
}

// fail records a reply that will not be sent, with the reason.
func (r *Router) fail(ctx context.Context, ch *switchboard.Channel, ref dynamo.MessageRef, reason string, log *slog.Logger) error {
	if _, err := r.store.MarkFailed(ctx, ref, reason); err != nil {
		return err
	}
	r.count(ch, map[string]float64{"RepliesFailed": 1})
	log.WarnContext(ctx, "reply failed", slog.String("messageId", ref.MessageID), slog.String("reason", reason))
	return nil
}

// outbound is the stored reply as the sender takes it.
func outbound(m *switchboard.Message) switchboard.OutboundMessage {
	return switchboard.OutboundMessage{Kind: m.Kind, Text: m.Text, MediaURL: m.MediaURL}
}
