package queue

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// InboundPublisher puts normalised platform events on inbound.fifo, one message
// per event: the group is the conversation (InboundEvent.GroupID) so one
// customer's events are routed in order, and the deduplication id is the
// platform's event id (InboundEvent.DedupID) so a redelivered webhook within
// five minutes is dropped by SQS itself.
type InboundPublisher struct {
	// Queue is the URL of inbound.fifo.
	Queue     string
	Publisher *Publisher
}

var _ switchboard.InboundPublisher = (*InboundPublisher)(nil)

// PublishInbound sends events in order: one SendMessageBatch per ten events (or
// per 256 KiB), none for an empty slice. An event over 256 KiB is EInvalid and
// nothing is sent; entries SQS keeps refusing are EUnavailable, which the
// webhook answers with a 5xx so the platform redelivers.
func (p *InboundPublisher) PublishInbound(ctx context.Context, evs []switchboard.InboundEvent) error {
	if len(evs) == 0 {
		return nil
	}
	msgs := make([]Message, len(evs))
	for i := range evs {
		e := &evs[i]
		body, err := EncodeInbound(e)
		if err != nil {
			return err
		}
		if len(body) > MaxBatchBytes {
			return switchboard.Errorf(switchboard.EInvalid, "event %s is %d bytes encoded; the queue takes at most %d", e.ID, len(body), MaxBatchBytes)
		}
		msgs[i] = Message{Body: body, GroupID: e.GroupID(), DedupID: e.DedupID()}
	}
	return p.Publisher.Send(ctx, p.Queue, msgs)
}

// sqsSafe escapes the two characters JSON allows raw but SQS rejects in a
// message body (U+FFFE and U+FFFF, outside SQS's allowed ranges). Outside
// string literals JSON is plain ASCII, so the escapes land inside strings and
// the body decodes to the same value.
var sqsSafe = strings.NewReplacer("\uFFFE", `\ufffe`, "\uFFFF", `\uffff`)

// EncodeInbound is the body of an inbound.fifo message: the event as JSON,
// made safe for SQS.
func EncodeInbound(e *switchboard.InboundEvent) (string, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return "", switchboard.Wrap(switchboard.EInternal, err, "encode inbound event")
	}
	return sqsSafe.Replace(string(b)), nil
}

// DecodeInbound reads an inbound.fifo message back into its event. A body that
// is not an event is EInvalid, which Disposition drops: it can never succeed.
func DecodeInbound(m events.SQSMessage) (*switchboard.InboundEvent, error) {
	var e switchboard.InboundEvent
	if err := json.Unmarshal([]byte(m.Body), &e); err != nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "message %s is not an inbound event: %v", m.MessageId, err)
	}
	if e.ID == "" || e.TeamID == "" || e.ChannelID == "" || e.Type == "" {
		return nil, switchboard.Errorf(switchboard.EInvalid, "message %s is an inbound event without id, team, channel or type", m.MessageId)
	}
	return &e, nil
}
