// Package queue is the SQS adapter: it publishes messages in as few requests as
// SQS allows, and it holds the consumer side's one mapping from domain errors
// to retry or drop, with the batch helpers Lambda consumers use to report
// partial failures (DESIGN.md, Queues and ordering).
package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// SQS limits the publisher keeps to.
const (
	// MaxBatchEntries is the most messages one SendMessageBatch carries.
	MaxBatchEntries = 10
	// MaxBatchBytes caps both one message and the sum of the bodies in one
	// batch. SQS has accepted up to 1 MiB since 2025, but 256 KiB is the limit
	// every queue, emulator and Lambda event source has always honoured, and no
	// Switchboard message comes near it.
	MaxBatchBytes = 256 * 1024
	// MaxDelaySeconds is the longest per-message delay SQS allows.
	MaxDelaySeconds = 900
)

// DefaultMaxAttempts bounds how often entries that SQS reports as failed in a
// batch response are sent (first send included) before the publish fails.
const DefaultMaxAttempts = 3

// API is the part of the SQS client the publisher uses.
type API interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

var _ API = (*sqs.Client)(nil)

// Message is one message to send.
type Message struct {
	Body string
	// GroupID and DedupID are the FIFO message group and deduplication ids;
	// required on FIFO queues, ignored by standard ones.
	GroupID string
	DedupID string
	// DelaySeconds (0 to 900) hides the message for that long; standard queues
	// only, since FIFO queues take no per-message delay.
	DelaySeconds int32
}

// Publisher sends messages to SQS in batches.
type Publisher struct {
	client      API
	maxAttempts int
	backoff     time.Duration
}

// Option configures a Publisher.
type Option func(*Publisher)

// WithMaxAttempts overrides DefaultMaxAttempts.
func WithMaxAttempts(n int) Option {
	return func(p *Publisher) {
		if n > 0 {
			p.maxAttempts = n
		}
	}
}

// WithBackoff sets the first wait before failed entries are sent again (it
// doubles each time, with jitter); tests set it small.
func WithBackoff(d time.Duration) Option {
	return func(p *Publisher) {
		if d > 0 {
			p.backoff = d
		}
	}
}

// New returns a publisher over client.
func New(client API, opts ...Option) *Publisher {
	p := &Publisher{client: client, maxAttempts: DefaultMaxAttempts, backoff: 50 * time.Millisecond}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Send queues msgs on queueURL in order: one SendMessageBatch per run of at
// most MaxBatchEntries messages and MaxBatchBytes of bodies, sent one after
// another so a later batch never overtakes an earlier one. Entries SQS reports
// as failed are sent again before the next batch, up to the publisher's
// attempt limit; if some still fail, Send returns EUnavailable naming how many,
// and the caller should fail so that its own input is redelivered (FIFO
// deduplication ids make the repeat harmless; on standard queues consumers must
// tolerate it). Messages are checked before anything is sent, so an invalid one
// (EInvalid) sends nothing.
//
// A retried entry lands behind the entries of its batch that succeeded; FIFO
// order within one group holds except across such a partial failure.
func (p *Publisher) Send(ctx context.Context, queueURL string, msgs []Message) error {
	fifo := strings.HasSuffix(queueURL, ".fifo")
	for i, m := range msgs {
		if err := check(m, fifo); err != nil {
			return switchboard.Errorf(switchboard.EInvalid, "message %d: %s", i, err)
		}
	}
	for _, batch := range batches(msgs) {
		if err := p.sendBatch(ctx, queueURL, batch); err != nil {
			return err
		}
	}
	return nil
}

// check validates one message against SQS's rules.
func check(m Message, fifo bool) error {
	switch {
	case m.Body == "":
		return errors.New("body is empty")
	case len(m.Body) > MaxBatchBytes:
		return fmt.Errorf("body is %d bytes; SQS takes at most %d", len(m.Body), MaxBatchBytes)
	case !utf8.ValidString(m.Body):
		return errors.New("body is not valid UTF-8")
	case m.DelaySeconds < 0 || m.DelaySeconds > MaxDelaySeconds:
		return fmt.Errorf("delay %ds is outside 0 to %d seconds", m.DelaySeconds, MaxDelaySeconds)
	case fifo && (m.GroupID == "" || m.DedupID == ""):
		return errors.New("a FIFO queue needs a group id and a deduplication id")
	case fifo && m.DelaySeconds != 0:
		return errors.New("a FIFO queue takes no per-message delay")
	}
	return nil
}

// batches splits msgs, in order, into runs that fit one SendMessageBatch.
func batches(msgs []Message) [][]Message {
	var out [][]Message
	var cur []Message
	size := 0
	for _, m := range msgs {
		if len(cur) == MaxBatchEntries || (len(cur) > 0 && size+len(m.Body) > MaxBatchBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, m)
		size += len(m.Body)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func (p *Publisher) sendBatch(ctx context.Context, queueURL string, pending []Message) error {
	total := len(pending)
	for attempt := 1; ; attempt++ {
		entries := make([]types.SendMessageBatchRequestEntry, len(pending))
		for i, m := range pending {
			e := types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(m.Body)}
			if m.GroupID != "" {
				e.MessageGroupId = aws.String(m.GroupID)
			}
			if m.DedupID != "" {
				e.MessageDeduplicationId = aws.String(m.DedupID)
			}
			if m.DelaySeconds > 0 {
				e.DelaySeconds = m.DelaySeconds
			}
			entries[i] = e
		}
		out, err := p.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
		if err != nil {
			return mapErr(err)
		}
		if len(out.Failed) == 0 {
			return nil
		}
		var retry []Message
		for _, f := range out.Failed {
			i, err := strconv.Atoi(aws.ToString(f.Id))
			if err != nil || i < 0 || i >= len(pending) {
				return switchboard.Errorf(switchboard.EInternal, "SQS reported a failure for unknown batch entry %q", aws.ToString(f.Id))
			}
			if f.SenderFault {
				return switchboard.Errorf(switchboard.EInvalid, "SQS rejected %d of %d messages: %s", len(out.Failed), total, aws.ToString(f.Code))
			}
			retry = append(retry, pending[i])
		}
		if attempt >= p.maxAttempts {
			return switchboard.Errorf(switchboard.EUnavailable, "%d of %d messages could not be queued after %d attempts (%s); retry later",
				len(retry), total, attempt, aws.ToString(out.Failed[0].Code))
		}
		if err := sleep(ctx, p.backoff, attempt); err != nil {
			return err
		}
		pending = retry
	}
}

// sleep waits base·2^(attempt-1), jittered, or until ctx ends.
func sleep(ctx context.Context, base time.Duration, attempt int) error {
	d := base << min(attempt-1, 6)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return switchboard.Wrap(switchboard.EUnavailable, ctx.Err(), "queueing cancelled; retry later")
	case <-t.C:
		return nil
	}
}

// mapErr turns an SQS request error into a domain error: throttling, server
// errors and unanswered requests may pass (EUnavailable); a rejected message
// will not (EInvalid); anything else is a configuration or code bug.
func mapErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return switchboard.Wrap(switchboard.EUnavailable, err, "queueing cancelled or timed out; retry later")
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "RequestThrottled", "ThrottlingException", "KmsThrottled", "ServiceUnavailable", "InternalError", "InternalFailure":
			return switchboard.Wrap(switchboard.EUnavailable, err, "queue is busy or unavailable; retry later")
		case "InvalidMessageContents", "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", "InvalidParameterValue":
			return switchboard.Wrap(switchboard.EInvalid, err, "SQS rejected the messages")
		}
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
			return switchboard.Wrap(switchboard.EUnavailable, err, "queue is unavailable; retry later")
		}
		return switchboard.Wrap(switchboard.EInternal, err, "queue request failed")
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() < 500 {
		return switchboard.Wrap(switchboard.EInternal, err, "queue request failed")
	}
	return switchboard.Wrap(switchboard.EUnavailable, err, "queue is unreachable; retry later")
}
