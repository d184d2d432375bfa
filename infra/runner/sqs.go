package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sqsAPI is what an event source mapping needs from SQS.
type sqsAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

var _ sqsAPI = (*sqs.Client)(nil)

// Queue is a queue of the local stack.
type Queue struct {
	Name              string
	URL               string
	ARN               string
	FIFO              bool
	VisibilityTimeout time.Duration
}

// lambdaAttributes are the message attributes Lambda puts in an SQS record.
var lambdaAttributes = map[string]bool{
	"ApproximateReceiveCount":          true,
	"SentTimestamp":                    true,
	"SenderId":                         true,
	"ApproximateFirstReceiveTimestamp": true,
	"SequenceNumber":                   true,
	"MessageGroupId":                   true,
	"MessageDeduplicationId":           true,
	"AWSTraceHeader":                   true,
	"DeadLetterQueueSourceArn":         true,
}

// expiryMargin is how long before a failed FIFO batch's visibility timeout
// the runner makes its messages visible itself (see poller.expire).
const expiryMargin = 500 * time.Millisecond

// poller is one SQS event source mapping: it receives batches, invokes the
// function and deletes what succeeded, as Lambda's pollers do.
type poller struct {
	fn       *lambdaFunction
	spec     sqsSpec
	queue    Queue
	client   sqsAPI
	region   string
	wait     time.Duration
	log      *slog.Logger
	observe  func(Invocation)
	pollers  int
	inflight groupLocks

	mu       sync.Mutex
	seq      map[string]string // message id -> synthesised sequence number
	seqCount uint64

	// expiries are failed FIFO batches waiting to be made visible again
	// (scheduleExpiry). Only the queue's one poller goroutine touches them.
	expiries []expiry
}

// expiry is a failed FIFO batch to make visible again at due.
type expiry struct {
	due  time.Time
	msgs []types.Message
}

// groupLocks holds the FIFO message groups that are in a batch being
// processed, so no two batches of one group are ever handed to the function
// at once.
type groupLocks struct {
	mu     sync.Mutex
	groups map[string]bool
}

// tryLock locks every group or none.
func (g *groupLocks) tryLock(groups []string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, k := range groups {
		if g.groups[k] {
			return false
		}
	}
	if g.groups == nil {
		g.groups = map[string]bool{}
	}
	for _, k := range groups {
		g.groups[k] = true
	}
	return true
}

func (g *groupLocks) unlock(groups []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, k := range groups {
		delete(g.groups, k)
	}
}

// run polls until ctx ends. Standard queues get one poller goroutine per
// function instance; a FIFO queue gets exactly one, so batches of a queue are
// processed one at a time and every message group stays in order.
func (p *poller) run(ctx context.Context) {
	n := p.pollers
	if p.queue.FIFO || n < 1 {
		n = 1
	}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { p.loop(ctx) })
	}
	wg.Wait()
}

func (p *poller) loop(ctx context.Context) {
	backoff := time.Second
	var lastLogged time.Time
	for ctx.Err() == nil {
		// Failed FIFO batches are released between receives, never during
		// one (see scheduleExpiry); a receive waits no longer than the next
		// release is due.
		p.releaseDue(context.WithoutCancel(ctx))
		wait := p.wait
		if len(p.expiries) > 0 {
			wait = max(min(wait, time.Until(p.expiries[0].due)), 0)
		}
		msgs, err := p.receiveBatch(ctx, wait)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if time.Since(lastLogged) > 30*time.Second {
				p.log.Error("cannot receive from queue; retrying", "function", p.fn.spec.ID, "queue", p.queue.Name, "error", err)
				lastLogged = time.Now()
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = time.Second
		switch {
		case len(msgs) > 0:
			p.process(ctx, msgs, time.Now())
		case wait < time.Second:
			// A short poll found nothing: sleep until the release is due
			// rather than poll again at once.
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
	}
}

// receiveBatch receives up to BatchSize messages, long-polling for up to
// wait (in whole seconds, as SQS counts them). With a batching window on a
// standard queue it keeps receiving until the batch is full or the window
// has passed, as Lambda does.
func (p *poller) receiveBatch(ctx context.Context, wait time.Duration) ([]types.Message, error) {
	var out []types.Message
	deadline := time.Now().Add(p.spec.Window)
	for {
		want := min(p.spec.BatchSize-len(out), maxSQSBatchPerPoll)
		if len(out) > 0 {
			wait = min(wait, time.Until(deadline))
		}
		res, err := p.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.queue.URL),
			MaxNumberOfMessages:         int32(want),
			WaitTimeSeconds:             int32(max(wait, 0) / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			if len(out) > 0 {
				return out, nil
			}
			return nil, err
		}
		out = append(out, res.Messages...)
		if p.queue.FIFO || p.spec.Window == 0 || len(out) >= p.spec.BatchSize || !time.Now().Before(deadline) || len(out) == 0 && len(res.Messages) == 0 {
			return out, nil
		}
	}
}

// process invokes the function with one batch and settles its messages.
func (p *poller) process(ctx context.Context, msgs []types.Message, receivedAt time.Time) {
	groups := p.groups(msgs)
	if !p.inflight.tryLock(groups) {
		// Cannot happen with one FIFO poller per queue; kept as the guard the
		// design relies on. Release the batch untouched.
		p.log.Error("FIFO group already in flight; releasing batch", "queue", p.queue.Name)
		p.makeVisible(context.WithoutCancel(ctx), msgs)
		return
	}
	defer p.inflight.unlock(groups)

	event := p.event(msgs)
	payload, err := json.Marshal(event)
	if err != nil {
		p.log.Error("cannot encode SQS event", "error", err)
		return
	}
	start := time.Now()
	resp, invokeErr := p.fn.invoke(ctx, payload)
	if p.observe != nil {
		p.observe(Invocation{Function: p.fn.spec.ID, Source: SourceSQS, Payload: payload, Response: resp, Err: invokeErr, Duration: time.Since(start)})
	}
	if invokeErr != nil && ctx.Err() != nil && errors.Is(invokeErr, ctx.Err()) {
		return // shutting down: the messages come back after their visibility timeout
	}
	done, failed, why := settle(msgs, p.spec.ReportFailures, resp, invokeErr)
	if why != "" {
		p.log.Warn("batch (partly) failed; failed messages return after the visibility timeout", "function", p.fn.spec.ID,
			"queue", p.queue.Name, "failed", len(failed), "of", len(msgs), "reason", why)
	}
	settleCtx := context.WithoutCancel(ctx)
	p.delete(settleCtx, done)
	if p.queue.FIFO && len(failed) > 0 {
		p.scheduleExpiry(failed, receivedAt)
	}
}

// settle splits a batch into messages to delete and messages left for a
// retry, following Lambda's rules: an invocation error fails the whole batch;
// with ReportBatchItemFailures the listed messages fail, and a response that
// names an unknown or empty id fails the whole batch.
func settle(msgs []types.Message, report bool, resp []byte, invokeErr error) (done, failed []types.Message, why string) {
	if invokeErr != nil {
		return nil, msgs, invokeErr.Error()
	}
	if !report {
		return msgs, nil, ""
	}
	var r events.SQSEventResponse
	if len(resp) > 0 && string(resp) != "null" {
		if err := json.Unmarshal(resp, &r); err != nil {
			return nil, msgs, "response is not a batchItemFailures document: " + err.Error()
		}
	}
	failing := map[string]bool{}
	ids := map[string]bool{}
	for _, m := range msgs {
		ids[aws.ToString(m.MessageId)] = true
	}
	for _, f := range r.BatchItemFailures {
		if f.ItemIdentifier == "" || !ids[f.ItemIdentifier] {
			return nil, msgs, fmt.Sprintf("batchItemFailures names %q, which is not a message of the batch", f.ItemIdentifier)
		}
		failing[f.ItemIdentifier] = true
	}
	for _, m := range msgs {
		if failing[aws.ToString(m.MessageId)] {
			failed = append(failed, m)
		} else {
			done = append(done, m)
		}
	}
	if len(failed) > 0 {
		why = fmt.Sprintf("function reported %d batch item failure(s)", len(failed))
	}
	return done, failed, why
}

func (p *poller) groups(msgs []types.Message) []string {
	if !p.queue.FIFO {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, m := range msgs {
		g := m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

// event builds the SQS event Lambda would send for msgs.
func (p *poller) event(msgs []types.Message) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	for _, m := range msgs {
		attrs := map[string]string{}
		for k, v := range m.Attributes {
			if lambdaAttributes[k] {
				attrs[k] = v
			}
		}
		if p.queue.FIFO && attrs["SequenceNumber"] == "" {
			attrs["SequenceNumber"] = p.sequenceNumber(aws.ToString(m.MessageId), attrs["SentTimestamp"])
		}
		mattrs := map[string]events.SQSMessageAttribute{}
		for k, v := range m.MessageAttributes {
			a := events.SQSMessageAttribute{
				StringValue:      v.StringValue,
				BinaryValue:      v.BinaryValue,
				StringListValues: v.StringListValues,
				BinaryListValues: v.BinaryListValues,
				DataType:         aws.ToString(v.DataType),
			}
			if a.StringListValues == nil {
				a.StringListValues = []string{}
			}
			if a.BinaryListValues == nil {
				a.BinaryListValues = [][]byte{}
			}
			mattrs[k] = a
		}
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:              aws.ToString(m.MessageId),
			ReceiptHandle:          aws.ToString(m.ReceiptHandle),
			Body:                   aws.ToString(m.Body),
			Md5OfBody:              aws.ToString(m.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
			Attributes:             attrs,
			MessageAttributes:      mattrs,
			EventSourceARN:         p.queue.ARN,
			EventSource:            "aws:sqs",
			AWSRegion:              p.region,
		})
	}
	return ev
}

// sequenceNumber stands in for SQS's FIFO SequenceNumber when the emulator
// does not return one (moto does not): 20 digits, increasing in the order
// messages were first seen, stable across redeliveries of a message.
func (p *poller) sequenceNumber(id, sent string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.seq[id]; ok {
		return s
	}
	if p.seq == nil || len(p.seq) > 100_000 {
		p.seq = map[string]string{}
	}
	ms, _ := strconv.ParseUint(sent, 10, 64)
	p.seqCount++
	s := fmt.Sprintf("%020d", ms*1_000_000+p.seqCount%1_000_000)
	p.seq[id] = s
	return s
}

// delete removes msgs from the queue, ten at a time.
func (p *poller) delete(ctx context.Context, msgs []types.Message) {
	for len(msgs) > 0 {
		n := min(len(msgs), 10)
		entries := make([]types.DeleteMessageBatchRequestEntry, n)
		for i, m := range msgs[:n] {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		out, err := p.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.queue.URL), Entries: entries})
		if err != nil {
			p.log.Error("cannot delete processed messages; they will be delivered again", "queue", p.queue.Name, "error", err)
		} else if len(out.Failed) > 0 {
			p.log.Error("some processed messages were not deleted; they will be delivered again", "queue", p.queue.Name, "failed", len(out.Failed))
		}
		p.mu.Lock()
		for _, m := range msgs[:n] {
			delete(p.seq, aws.ToString(m.MessageId))
		}
		p.mu.Unlock()
		msgs = msgs[n:]
	}
}

// scheduleExpiry makes failed FIFO messages visible again just before their
// visibility timeout would. SQS itself would do this, but moto mishandles a
// message group whose in-flight messages time out (it can deliver a later
// message of the group before an earlier one); expiring them through
// ChangeMessageVisibility keeps moto's group bookkeeping right, so retries
// come back in order, after (almost) the same delay as in AWS. The poller
// makes the change itself between two receives (releaseDue): made while a
// receive is long-polling, moto could see some of the group's messages
// released and others not, and deliver from the last one on.
func (p *poller) scheduleExpiry(msgs []types.Message, receivedAt time.Time) {
	e := expiry{due: receivedAt.Add(p.queue.VisibilityTimeout - expiryMargin), msgs: msgs}
	i := len(p.expiries)
	for i > 0 && p.expiries[i-1].due.After(e.due) {
		i--
	}
	p.expiries = slices.Insert(p.expiries, i, e)
}

// releaseDue makes visible every failed batch whose time has come.
func (p *poller) releaseDue(ctx context.Context) {
	now := time.Now()
	for len(p.expiries) > 0 && !p.expiries[0].due.After(now) {
		p.makeVisible(ctx, p.expiries[0].msgs)
		p.expiries = p.expiries[1:]
	}
}

// makeVisible sets the visibility timeout of msgs to zero.
func (p *poller) makeVisible(ctx context.Context, msgs []types.Message) {
	for len(msgs) > 0 {
		n := min(len(msgs), 10)
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, n)
		for i, m := range msgs[:n] {
			entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}
		}
		if _, err := p.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(p.queue.URL), Entries: entries}); err != nil {
			p.log.Warn("cannot release failed messages early; they return after their visibility timeout", "queue", p.queue.Name, "error", err)
		}
		msgs = msgs[n:]
	}
}
