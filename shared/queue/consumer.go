package queue

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Action is what a queue consumer does with a message after handling it.
type Action int

// Actions. Retry is the zero value, so an Action nobody decided on keeps the
// message rather than losing it.
const (
	// Retry leaves the message on the queue to be received again; after the
	// queue's maxReceiveCount, SQS moves it to the dead-letter queue.
	Retry Action = iota
	// Drop acknowledges a message that can never succeed (it is poison for
	// logic reasons, not because something is down), after logging it.
	Drop
	// Ack acknowledges a message that was handled.
	Ack
)

// String names the action for logs.
func (a Action) String() string {
	switch a {
	case Drop:
		return "drop"
	case Ack:
		return "ack"
	}
	return "retry"
}

// Disposition is the single place that decides, from a consumer's error,
// whether a queue message is retried or dropped. Errors about the message
// itself (invalid, not found, forbidden, unauthorized, too large) will fail the
// same way every time, so they are dropped; errors about the moment (conflict,
// unavailable, rate limited) and errors nobody classified (internal, or not a
// domain error at all) are retried, and the dead-letter queue catches what
// never succeeds.
func Disposition(err error) Action {
	if err == nil {
		return Ack
	}
	switch switchboard.ErrorCode(err) {
	case switchboard.EInvalid, switchboard.ENotFound, switchboard.EForbidden, switchboard.EUnauthorized, switchboard.ETooLarge:
		return Drop
	}
	return Retry
}

// Handler handles one queue message.
type Handler func(ctx context.Context, m events.SQSMessage) error

// ProcessFIFO handles a batch from a FIFO queue in order and returns the
// partial batch response (the function needs ReportBatchItemFailures). On the
// first message to be retried it stops: that message and every later one are
// reported as failures without being handled, so nothing overtakes a message
// of its group. Dropped messages are logged and acknowledged. A context that
// has ended counts as a retry of everything not yet handled.
func ProcessFIFO(ctx context.Context, ev events.SQSEvent, fn Handler) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for i, m := range ev.Records {
		err := ctx.Err()
		if err == nil {
			err = fn(ctx, m)
		}
		switch Disposition(err) {
		case Ack:
		case Drop:
			logDrop(ctx, m, err)
		case Retry:
			logRetry(ctx, m, err, len(ev.Records)-i-1)
			for _, r := range ev.Records[i:] {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
			return resp
		}
	}
	return resp
}

// ProcessStandard handles every message of a batch from a standard queue and
// reports each one to be retried; dropped messages are logged and
// acknowledged. A context that has ended counts as a retry of every message
// not yet handled.
func ProcessStandard(ctx context.Context, ev events.SQSEvent, fn Handler) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range ev.Records {
		err := ctx.Err()
		if err == nil {
			err = fn(ctx, m)
		}
		switch Disposition(err) {
		case Ack:
		case Drop:
			logDrop(ctx, m, err)
		case Retry:
			logRetry(ctx, m, err, 0)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp
}

// Log lines name the message, never its body, which carries customer data.
func logDrop(ctx context.Context, m events.SQSMessage, err error) {
	slog.Default().WarnContext(ctx, "dropping queue message that cannot succeed",
		slog.String("messageId", m.MessageId),
		slog.String("queue", m.EventSourceARN),
		slog.String("errorCode", switchboard.ErrorCode(err)),
		slog.String("error", err.Error()))
}

func logRetry(ctx context.Context, m events.SQSMessage, err error, heldBack int) {
	slog.Default().WarnContext(ctx, "queue message will be retried",
		slog.String("messageId", m.MessageId),
		slog.String("queue", m.EventSourceARN),
		slog.String("errorCode", switchboard.ErrorCode(err)),
		slog.String("error", err.Error()),
		slog.Int("heldBack", heldBack))
}
