package timer

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Conversation builds a timer that belongs to a conversation (a bot delay
// card, an auto-end): when it fires, Forward puts it back into the
// conversation's FIFO group. The owner arms it with the store like any timer.
func Conversation(kind switchboard.TimerKind, teamID, id string, generation int64, due time.Time, ct switchboard.ConversationTimer) (*switchboard.Timer, error) {
	if ct.ChannelID == "" || ct.CustomerID == "" {
		return nil, switchboard.Errorf(switchboard.EInvalid, "a conversation timer needs the channel and the customer")
	}
	payload, err := json.Marshal(ct)
	if err != nil {
		return nil, switchboard.Wrap(switchboard.EInvalid, err, "encode conversation timer")
	}
	t := &switchboard.Timer{ID: id, TeamID: teamID, Kind: kind, DueAt: due, Generation: generation, Payload: payload}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// Forward returns the handler of a conversation's timers: it wraps the timer
// in a switchboard.TimerEvent and puts it on the FIFO queue at queueURL
// (inbound.fifo for auto-end, which the router handles; bot.fifo for bot
// delays, which the bot step handles) under the conversation's message group,
// so it is processed in order with the customer's messages. The event's
// deduplication id names the firing, so a redelivered timer within SQS's five
// minutes is dropped by SQS; the consumer there re-checks the conversation or
// session version carried in the payload for later copies. What those
// consumers do with the event is theirs to decide (other issues).
func Forward(q Queue, queueURL string, clock switchboard.Clock) HandlerFunc {
	if clock == nil {
		clock = time.Now
	}
	return func(ctx context.Context, t *switchboard.Timer) error {
		if !strings.HasSuffix(queueURL, ".fifo") {
			return switchboard.Errorf(switchboard.EInternal, "conversation timers go to a FIFO queue, not %q", queueURL)
		}
		var ct switchboard.ConversationTimer
		if err := json.Unmarshal(t.Payload, &ct); err != nil {
			return switchboard.Errorf(switchboard.EInvalid, "timer %s: payload is not a conversation timer: %v", t.ID, err)
		}
		ev, err := switchboard.NewTimerEvent(t, ct, clock())
		if err != nil {
			return err
		}
		body, err := json.Marshal(ev)
		if err != nil {
			return switchboard.Wrap(switchboard.EInternal, err, "encode timer event")
		}
		return q.Send(ctx, queueURL, []queue.Message{{Body: string(body), GroupID: ev.GroupID(), DedupID: ev.DedupID()}})
	}
}
