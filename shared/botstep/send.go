package botstep

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// SendKey is the idempotency key of the n-th send (from 0) of a step: the
// same on every retry of the step, so LINE delivers a retried push once.
func SendKey(requestID string, n int) string { return requestID + "/" + strconv.Itoa(n) }

// send sends an outbox's messages that are still sending, in sends of at most
// apiclient.MaxMessages, in order, and records each send's outcome. The first
// send carries the reply token (a free LINE reply); later ones push. A
// failure that may pass is returned for the queue to retry, until the
// delivery sendAttempts, from which it is recorded as failed like any other.
func (h *Handler) send(ctx context.Context, j *job, ch *switchboard.Channel, ob *dynamo.BotOutbox, status []switchboard.DeliveryStatus, receives int, log *slog.Logger) error {
	sender := h.senders[ch.Kind]
	for start, n := 0, 0; start < len(ob.Messages); start, n = start+apiclient.MaxMessages, n+1 {
		end := min(start+apiclient.MaxMessages, len(ob.Messages))
		pending := false
		for i := start; i < end; i++ {
			pending = pending || (i < len(status) && status[i] == switchboard.DeliverySending)
		}
		if !pending {
			continue
		}
		refs := make([]dynamo.MessageRef, 0, end-start)
		for i := start; i < end; i++ {
			refs = append(refs, dynamo.MessageRef{TeamID: j.TeamID, ConversationID: j.ConversationID, MessageID: ob.MessageIDs[i]})
		}
		if sender == nil {
			if err := h.store.MarkBotFailed(ctx, refs, "no sender for "+string(ch.Kind)+" channels"); err != nil {
				return err
			}
			continue
		}
		to := switchboard.Recipient{PlatformUserID: ob.PlatformUserID, LastCustomerAt: ob.LastCustomerAt}
		if n == 0 {
			to.ReplyToken = ob.ReplyToken
		}
		res, err := sender.Send(ctx, switchboard.SendRequest{
			Channel: ch, To: to, Messages: ob.Messages[start:end],
			Purpose: switchboard.PurposeResponse, IdempotencyKey: SendKey(j.RequestID, n),
		})
		if err != nil {
			code := switchboard.ErrorCode(err)
			if (code == switchboard.ERateLimited || code == switchboard.EUnavailable) && receives < h.sendAttempts {
				return err
			}
			log.WarnContext(ctx, "bot messages not sent", slog.Int("send", n), slog.String("errorCode", code), slog.String("reason", switchboard.ErrorMessage(err)))
			h.metrics.Count(map[string]float64{"BotMessagesFailed": float64(end - start)}, map[string]string{"ChannelKind": string(ch.Kind)})
			if err := h.store.MarkBotFailed(ctx, refs, switchboard.ErrorMessage(err)); err != nil {
				return err
			}
			continue
		}
		if err := h.store.MarkBotSent(ctx, refs, ch.ID, res.PlatformMessageIDs); err != nil {
			return err
		}
		h.metrics.Count(map[string]float64{"BotMessagesSent": float64(end - start)}, map[string]string{"ChannelKind": string(ch.Kind)})
		log.DebugContext(ctx, "bot messages sent", slog.Int("send", n), slog.Int("messages", end-start), slog.String("via", res.Via))
	}
	return nil
}

// redeliver finishes a step committed by an earlier run: it sends what the
// claim's outbox still has sending, with the same idempotency keys. done is
// false when the step was never committed, and must be decided.
func (h *Handler) redeliver(ctx context.Context, j *job, ch *switchboard.Channel, receives int, log *slog.Logger) (done bool, err error) {
	st, err := h.store.GetBotOutbox(ctx, j.TeamID, j.RequestID, j.ConversationID)
	if err != nil {
		return false, err
	}
	if !st.Claimed {
		return false, nil
	}
	if st.Outbox == nil {
		return true, nil
	}
	left := 0
	for _, s := range st.Status {
		if s == switchboard.DeliverySending {
			left++
		}
	}
	if left > 0 {
		log.InfoContext(ctx, "sending bot messages left by an earlier run", slog.Int("messages", left))
	}
	return true, h.send(ctx, j, ch, st.Outbox, st.Status, receives, log)
}
