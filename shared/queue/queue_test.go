package queue_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// fakeSQS is an SQS API whose one method is a function; it records the
// requests it saw.
type fakeSQS struct {
	mu    sync.Mutex
	calls []*sqs.SendMessageBatchInput
	send  func(n int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error)
}

var _ queue.API = (*fakeSQS)(nil)

func (f *fakeSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	f.calls = append(f.calls, in)
	n := len(f.calls)
	f.mu.Unlock()
	if f.send == nil {
		return accept(in), nil
	}
	return f.send(n, in)
}

// accept answers a batch with every entry successful.
func accept(in *sqs.SendMessageBatchInput) *sqs.SendMessageBatchOutput {
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("m-" + aws.ToString(e.Id))})
	}
	return out
}

// event returns an inbound event of customer group g, padded to roughly size
// bytes of text.
func event(i int, group string, size int) switchboard.InboundEvent {
	return switchboard.InboundEvent{
		ID: fmt.Sprintf("evt-%03d", i), TeamID: "T1", ChannelID: "C1", ChannelKind: switchboard.KindLINE,
		Type: switchboard.InMessage, CustomerID: group, OccurredAt: time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC),
		Message: &switchboard.InboundMessage{ID: fmt.Sprintf("m%d", i), Kind: switchboard.MsgText, Text: strings.Repeat("x", size)},
	}
}

func inboundEvents(n, size int, groups ...string) []switchboard.InboundEvent {
	evs := make([]switchboard.InboundEvent, n)
	for i := range evs {
		evs[i] = event(i, groups[i%len(groups)], size)
	}
	return evs
}

func batchSizes(calls []*sqs.SendMessageBatchInput) []int {
	var out []int
	for _, c := range calls {
		out = append(out, len(c.Entries))
	}
	return out
}

func TestPublishInboundSplitsBatches(t *testing.T) {
	const kib = 1024
	tests := []struct {
		name string
		evs  []switchboard.InboundEvent
		want []int // entries per SendMessageBatch
	}{
		{"none", nil, nil},
		{"one", inboundEvents(1, 10, "u1"), []int{1}},
		{"ten", inboundEvents(10, 10, "u1"), []int{10}},
		{"eleven", inboundEvents(11, 10, "u1"), []int{10, 1}},
		{"twenty-five", inboundEvents(25, 10, "u1", "u2", "u3"), []int{10, 10, 5}},
		{"by size: 100 KiB each", inboundEvents(5, 100*kib, "u1"), []int{2, 2, 1}},
		{"by size: 60 KiB each", inboundEvents(12, 60*kib, "u1"), []int{4, 4, 4}},
		{"by size: one just under the limit", inboundEvents(3, 255*kib, "u1"), []int{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeSQS{}
			p := &queue.InboundPublisher{Queue: "https://sqs/123/inbound.fifo", Publisher: queue.New(api)}
			if err := p.PublishInbound(context.Background(), tt.evs); err != nil {
				t.Fatal(err)
			}
			if got := batchSizes(api.calls); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("batches %v, want %v", got, tt.want)
			}
			// Every event went out once, in order, with its group and dedup ids,
			// and no batch is over the byte limit.
			i := 0
			for _, c := range api.calls {
				size := 0
				for _, e := range c.Entries {
					ev := tt.evs[i]
					if aws.ToString(e.MessageGroupId) != ev.GroupID() || aws.ToString(e.MessageDeduplicationId) != ev.DedupID() {
						t.Fatalf("entry %d has group %s dedup %s, want %s and %s", i, aws.ToString(e.MessageGroupId), aws.ToString(e.MessageDeduplicationId), ev.GroupID(), ev.DedupID())
					}
					if !strings.Contains(aws.ToString(e.MessageBody), `"id":"`+ev.ID+`"`) {
						t.Fatalf("entry %d does not carry event %s", i, ev.ID)
					}
					size += len(aws.ToString(e.MessageBody))
					i++
				}
				if size > queue.MaxBatchBytes {
					t.Fatalf("batch of %d bytes, over %d", size, queue.MaxBatchBytes)
				}
			}
			if i != len(tt.evs) {
				t.Fatalf("sent %d events, want %d", i, len(tt.evs))
			}
		})
	}
}

func TestPublishInboundRejectsOversizedEvent(t *testing.T) {
	api := &fakeSQS{}
	p := &queue.InboundPublisher{Queue: "q.fifo", Publisher: queue.New(api)}
	evs := append(inboundEvents(3, 10, "u1"), event(9, "u1", queue.MaxBatchBytes))
	err := p.PublishInbound(context.Background(), evs)
	if got := switchboard.ErrorCode(err); got != switchboard.EInvalid {
		t.Fatalf("code %q (%v), want %q", got, err, switchboard.EInvalid)
	}
	if !strings.Contains(switchboard.ErrorMessage(err), "evt-009") {
		t.Fatalf("message %q does not name the event", switchboard.ErrorMessage(err))
	}
	if len(api.calls) != 0 {
		t.Fatalf("%d requests sent before rejecting, want none", len(api.calls))
	}
}

// failing answers with the entries whose ids are in ids (by position in the
// request) reported failed.
func failing(in *sqs.SendMessageBatchInput, senderFault bool, ids ...int) *sqs.SendMessageBatchOutput {
	out := &sqs.SendMessageBatchOutput{}
	bad := map[string]bool{}
	for _, i := range ids {
		bad[strconv.Itoa(i)] = true
	}
	for _, e := range in.Entries {
		if bad[aws.ToString(e.Id)] {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), SenderFault: senderFault})
		} else {
			out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
		}
	}
	return out
}

func TestSendRetriesFailedEntries(t *testing.T) {
	ctx := context.Background()
	msgs := func(n int) []queue.Message {
		var out []queue.Message
		for i := range n {
			out = append(out, queue.Message{Body: fmt.Sprintf("body-%d", i)})
		}
		return out
	}
	tests := []struct {
		name      string
		n         int
		send      func(n int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error)
		wantCode  string
		wantCalls []int  // entries per request
		wantText  string // in the error message
		wantLast  string // bodies of the last request
	}{
		{
			name: "failed entries resent alone",
			n:    5,
			send: func(n int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				if n == 1 {
					return failing(in, false, 1, 3), nil
				}
				return accept(in), nil
			},
			wantCalls: []int{5, 2},
			wantLast:  "[body-1 body-3]",
		},
		{
			name: "still failing: unavailable with count",
			n:    4,
			send: func(n int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				// body-0 and body-2 fail wherever they sit in the batch.
				var ids []int
				for i, e := range in.Entries {
					if b := aws.ToString(e.MessageBody); b == "body-0" || b == "body-2" {
						ids = append(ids, i)
					}
				}
				return failing(in, false, ids...), nil
			},
			wantCode:  switchboard.EUnavailable,
			wantCalls: []int{4, 2, 2},
			wantText:  "2 of 4 messages",
			wantLast:  "[body-0 body-2]",
		},
		{
			name: "sender fault is not retried",
			n:    3,
			send: func(n int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				return failing(in, true, 1), nil
			},
			wantCode:  switchboard.EInvalid,
			wantCalls: []int{3},
		},
		{
			name: "throttled request",
			n:    3,
			send: func(n int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				return nil, &smithy.OperationError{Err: &smithyhttp.ResponseError{
					Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 400}},
					Err:      &smithy.GenericAPIError{Code: "RequestThrottled"},
				}}
			},
			wantCode:  switchboard.EUnavailable,
			wantCalls: []int{3},
		},
		{
			name: "missing queue",
			n:    1,
			send: func(n int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				return nil, &smithy.OperationError{Err: &smithyhttp.ResponseError{
					Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 400}},
					Err:      &types.QueueDoesNotExist{},
				}}
			},
			wantCode:  switchboard.EInternal,
			wantCalls: []int{1},
		},
		{
			name: "connection refused",
			n:    1,
			send: func(n int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
				return nil, &smithy.OperationError{Err: errors.New("dial tcp: connection refused")}
			},
			wantCode:  switchboard.EUnavailable,
			wantCalls: []int{1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeSQS{send: tt.send}
			p := queue.New(api, queue.WithBackoff(time.Millisecond))
			err := p.Send(ctx, "https://sqs/123/timers", msgs(tt.n))
			if got := switchboard.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code %q (%v), want %q", got, err, tt.wantCode)
			}
			if got := batchSizes(api.calls); fmt.Sprint(got) != fmt.Sprint(tt.wantCalls) {
				t.Fatalf("requests %v, want %v", got, tt.wantCalls)
			}
			if tt.wantLast != "" {
				var bodies []string
				for _, e := range api.calls[len(api.calls)-1].Entries {
					bodies = append(bodies, aws.ToString(e.MessageBody))
				}
				if got := fmt.Sprint(bodies); got != tt.wantLast {
					t.Fatalf("last request carried %s, want %s", got, tt.wantLast)
				}
			}
			if !strings.Contains(switchboard.ErrorMessage(err), tt.wantText) {
				t.Fatalf("message %q does not mention %q", switchboard.ErrorMessage(err), tt.wantText)
			}
		})
	}
}

func TestSendStopsRetryingWhenContextEnds(t *testing.T) {
	api := &fakeSQS{send: func(n int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		return failing(in, false, 0), nil
	}}
	p := queue.New(api, queue.WithBackoff(time.Hour), queue.WithMaxAttempts(5))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := p.Send(ctx, "q", []queue.Message{{Body: "x"}})
	if got := switchboard.ErrorCode(err); got != switchboard.EUnavailable {
		t.Fatalf("code %q (%v), want %q", got, err, switchboard.EUnavailable)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Send waited %v past its deadline", d)
	}
}

func TestSendChecksMessages(t *testing.T) {
	tests := []struct {
		name  string
		queue string
		msg   queue.Message
		ok    bool
	}{
		{"standard", "q", queue.Message{Body: "x"}, true},
		{"standard with delay", "q", queue.Message{Body: "x", DelaySeconds: 900}, true},
		{"delay too long", "q", queue.Message{Body: "x", DelaySeconds: 901}, false},
		{"negative delay", "q", queue.Message{Body: "x", DelaySeconds: -1}, false},
		{"empty body", "q", queue.Message{}, false},
		{"body too large", "q", queue.Message{Body: strings.Repeat("x", queue.MaxBatchBytes+1)}, false},
		{"not UTF-8", "q", queue.Message{Body: "\xff"}, false},
		{"fifo", "q.fifo", queue.Message{Body: "x", GroupID: "g", DedupID: "d"}, true},
		{"fifo without group", "q.fifo", queue.Message{Body: "x", DedupID: "d"}, false},
		{"fifo without dedup", "q.fifo", queue.Message{Body: "x", GroupID: "g"}, false},
		{"fifo with delay", "q.fifo", queue.Message{Body: "x", GroupID: "g", DedupID: "d", DelaySeconds: 5}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeSQS{}
			err := queue.New(api).Send(context.Background(), tt.queue, []queue.Message{{Body: "fine", GroupID: "g", DedupID: "d0"}, tt.msg})
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if e := api.calls[0].Entries[1]; tt.msg.DelaySeconds != e.DelaySeconds {
					t.Fatalf("delay %d sent as %d", tt.msg.DelaySeconds, e.DelaySeconds)
				}
				return
			}
			if got := switchboard.ErrorCode(err); got != switchboard.EInvalid {
				t.Fatalf("code %q (%v), want %q", got, err, switchboard.EInvalid)
			}
			if len(api.calls) != 0 {
				t.Fatalf("%d requests sent for an invalid message", len(api.calls))
			}
		})
	}
}
