package router

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Auto-end (SPEC §2): the operators' API arms a TimerAutoEnd timer at each
// staff reply, due After the reply, with the reply's time as its generation.
// The timer service forwards it here, into the conversation's FIFO group, so
// it is decided in order with the customer's messages. The router re-checks
// everything the timer was armed for, and closes the conversation in the same
// one-transaction write as any event, with the timer event's id as the claim:
// a redelivered firing finds the claim and does nothing more than finish the
// survey's send.

// handleTimer reads the timer part of a conversation timer's envelope.
func (r *Router) handleTimer(ctx context.Context, m events.SQSMessage, receives int, log *slog.Logger) error {
	var te switchboard.TimerEvent
	if err := json.Unmarshal([]byte(m.Body), &te); err != nil {
		return switchboard.Errorf(switchboard.EInvalid, "message %s is not a timer event: %v", m.MessageId, err)
	}
	log = log.With(slog.String("timerId", te.Timer.ID), slog.String("timerKind", string(te.Timer.Kind)))
	return r.routeTimer(ctx, &te, receives, log)
}

// RouteTimer routes one conversation timer, as its first delivery.
func (r *Router) RouteTimer(ctx context.Context, te *switchboard.TimerEvent) error {
	return r.routeTimer(ctx, te, 1, r.log)
}

// autoEndPlan is what one auto-end firing does.
type autoEndPlan struct {
	write *dynamo.InboundWrite
	// outbox holds the survey, when one is sent.
	outbox []*switchboard.Message
	// stale says why the firing does nothing; empty when it closes.
	stale string
}

func (r *Router) routeTimer(ctx context.Context, te *switchboard.TimerEvent, receives int, log *slog.Logger) error {
	if te.Timer.Kind != switchboard.TimerAutoEnd {
		return switchboard.Errorf(switchboard.EInvalid, "timer event %s is a %q timer; the router handles auto-end timers only", te.ID, te.Timer.Kind)
	}
	if te.ID == "" || te.TeamID == "" || te.ChannelID == "" || te.CustomerID == "" {
		return switchboard.Errorf(switchboard.EInvalid, "timer event %q names no team, channel or customer", te.ID)
	}
	ch, err := r.channels.Get(ctx, te.ChannelID)
	if err != nil {
		return err
	}
	if ch.TeamID != te.TeamID {
		return switchboard.Errorf(switchboard.ENotFound, "channel %s is not a channel of team %s", te.ChannelID, te.TeamID)
	}
	rules, err := r.rules.Get(ctx, te.TeamID)
	if err != nil {
		return err
	}
	e := timerInbound(te)
	convID := dynamo.ContactID(te.TeamID, te.ChannelID, te.CustomerID)
	var lastErr error
	for attempt := 0; attempt < r.maxAttempts; attempt++ {
		if attempt > 0 {
			if err := wait(ctx, attempt); err != nil {
				return err
			}
		}
		_, conv, err := r.store.LoadInbound(ctx, te.TeamID, convID)
		if err != nil {
			return err
		}
		p := r.decideAutoEnd(e, te, rules.autoEnd, conv, convID)
		err = r.store.ApplyInbound(ctx, p.write)
		switch {
		case err == nil:
			if p.stale != "" {
				r.count(ch, map[string]float64{"AutoEndStale": 1})
				log.InfoContext(ctx, "auto-end timer stale; nothing done", slog.String("reason", p.stale))
				return nil
			}
			r.count(ch, map[string]float64{"AutoEnded": 1})
			log.InfoContext(ctx, "conversation auto-ended", slog.Int("replies", len(p.outbox)))
			return r.sendSurvey(ctx, e, ch, p.outbox, conv.LastCustomerAt, receives, log)
		case errors.Is(err, dynamo.ErrAlreadyProcessed):
			r.count(ch, map[string]float64{"Duplicates": 1})
			log.InfoContext(ctx, "timer already processed; finishing its survey")
			ob, err := r.store.GetOutbox(ctx, te.TeamID, te.ChannelID, te.ID, convID, []string{ReplyMessageID(e, 0)})
			if err != nil {
				return err
			}
			var pending []*switchboard.Message
			for _, m := range ob.Messages {
				if m.Direction == switchboard.Outbound && m.Status == switchboard.DeliverySending {
					pending = append(pending, m)
				}
			}
			var lastCustomerAt time.Time
			if conv != nil {
				lastCustomerAt = conv.LastCustomerAt
			}
			return r.sendSurvey(ctx, e, ch, pending, lastCustomerAt, receives, log)
		case switchboard.ErrorCode(err) == switchboard.EConflict || switchboard.ErrorCode(err) == switchboard.EUnavailable:
			lastErr = err
			log.DebugContext(ctx, "lost a race; deciding again", slog.Int("attempt", attempt+1), slog.String("error", err.Error()))
		default:
			return err
		}
	}
	if switchboard.ErrorCode(lastErr) == switchboard.EUnavailable {
		return lastErr
	}
	return switchboard.Wrap(switchboard.EConflict, lastErr, "the conversation kept changing; retry later")
}

// decideAutoEnd re-checks what the timer was armed for: the conversation is
// still in progress, its last staff reply is the one the timer was armed at
// (its generation), the customer has not written since, and the team still
// wants auto-end. Then the system closes it and, when the team asks for it,
// queues the survey. Otherwise only the claim is written.
func (r *Router) decideAutoEnd(e *switchboard.InboundEvent, te *switchboard.TimerEvent, setting switchboard.AutoEnd, conv *switchboard.Conversation, convID string) *autoEndPlan {
	now := r.now().UTC()
	p := &autoEndPlan{write: &dynamo.InboundWrite{TeamID: te.TeamID, ChannelID: te.ChannelID, EventID: te.ID, ConversationID: convID}}
	switch {
	case conv == nil:
		p.stale = "no conversation"
	case !setting.Active():
		p.stale = "auto-end is off"
	case conv.Status != switchboard.StatusInProgress:
		p.stale = "the conversation is " + string(conv.Status)
	case conv.LastStaffAt.IsZero() || switchboard.AutoEndGeneration(conv.LastStaffAt) != te.Timer.Generation:
		p.stale = "a newer staff reply"
	case !conv.LastCustomerAt.Before(conv.LastStaffAt):
		p.stale = "the customer wrote since"
	}
	if p.stale != "" {
		return p
	}
	c := cloneConversation(conv)
	if err := c.Close(nil, now); err != nil {
		p.stale = switchboard.ErrorMessage(err)
		return p
	}
	p.write.Conversation = c
	if setting.SendsSurvey() {
		m := &switchboard.Message{
			ID: ReplyMessageID(e, 0), TeamID: te.TeamID, ConversationID: convID, ContactID: convID,
			Direction: switchboard.Outbound, Kind: switchboard.MsgText, Text: setting.SurveyText,
			Status: switchboard.DeliverySending, CreatedAt: now,
		}
		p.write.Messages = append(p.write.Messages, m)
		p.outbox = append(p.outbox, m)
		c.OnBotMessage(now)
		c.IndexMessage(m.Text)
	}
	return p
}

// sendSurvey sends the survey as a system message: the sender refuses it
// outside the platform's 24 h window, and the message is then recorded failed
// with the reason.
func (r *Router) sendSurvey(ctx context.Context, e *switchboard.InboundEvent, ch *switchboard.Channel, outbox []*switchboard.Message, lastCustomerAt time.Time, receives int, log *slog.Logger) error {
	for _, m := range outbox {
		if err := r.sendAs(ctx, e, ch, m, switchboard.PurposeSystem, lastCustomerAt, receives, log); err != nil {
			return err
		}
	}
	return nil
}

// timerInbound is the timer event as the inbound event the router's ids
// derive from: the survey's id, and so its send's idempotency key, is the
// same at every delivery of the firing.
func timerInbound(te *switchboard.TimerEvent) *switchboard.InboundEvent {
	return &switchboard.InboundEvent{
		ID: te.ID, TeamID: te.TeamID, ChannelID: te.ChannelID, ChannelKind: te.ChannelKind,
		Type: switchboard.InTimer, CustomerID: te.CustomerID, OccurredAt: te.OccurredAt,
	}
}
