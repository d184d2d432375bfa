package timer_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/timer"
)

// t0 is a minute boundary plus a few seconds, as a scheduled run starts.
var t0 = time.Date(2026, 3, 2, 6, 0, 4, 0, time.UTC)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// recordingQueue forwards to a real queue and remembers what was sent.
type recordingQueue struct {
	next timer.Queue
	mu   sync.Mutex
	sent []queue.Message
}

func (q *recordingQueue) Send(ctx context.Context, url string, msgs []queue.Message) error {
	if err := q.next.Send(ctx, url, msgs); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sent = append(q.sent, msgs...)
	return nil
}

// delays returns the DelaySeconds each timer id was sent with, and resets.
func (q *recordingQueue) delays(t *testing.T) map[string]int32 {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	out := map[string]int32{}
	for _, m := range q.sent {
		tm, err := timer.Decode(m.Body)
		if err != nil {
			t.Fatalf("sent a body that is not a timer: %v", err)
		}
		out[tm.ID] = m.DelaySeconds
	}
	q.sent = nil
	return out
}

// env is a table, a standard timer queue and a dispatcher over them, all on
// one fake clock.
type env struct {
	clock *fakeClock
	store *dynamo.Store
	sqs   *sqs.Client
	url   string
	queue *recordingQueue
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ddb := awstest.DynamoDB(t)
	client := awstest.SQS(t)
	clock := &fakeClock{now: t0}
	e := &env{
		clock: clock,
		store: dynamo.New(ddb, awstest.Table(t, ddb), dynamo.WithClock(clock.Now)),
		sqs:   client,
		url:   awstest.Queue(t, client, false),
	}
	e.queue = &recordingQueue{next: queue.New(client)}
	return e
}

func (e *env) dispatcher(cfg timer.DispatcherConfig) *timer.Dispatcher {
	cfg.Store, cfg.Queue, cfg.QueueURL, cfg.Clock = e.store, e.queue, e.url, e.clock.Now
	cfg.Shards = dynamo.TimerShards
	return timer.NewDispatcher(cfg)
}

func (e *env) arm(t testing.TB, id string, due time.Time) *switchboard.Timer {
	t.Helper()
	tm := &switchboard.Timer{ID: id, TeamID: "team1", Kind: switchboard.TimerAutoEnd, DueAt: due, Generation: 1, Payload: json.RawMessage(`{}`)}
	if err := e.store.ArmTimers(context.Background(), tm); err != nil {
		t.Fatal(err)
	}
	return tm
}

// stored lists the ids of the timers still in the table for the minutes of
// [from, through].
func (e *env) stored(t testing.TB, from, through time.Time) []string {
	t.Helper()
	var ids []string
	for m := from.Truncate(time.Minute); !m.After(through); m = m.Add(time.Minute) {
		for shard := range dynamo.TimerShards {
			ts, _, err := e.store.DueTimers(context.Background(), m, shard, "", 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range ts {
				ids = append(ids, x.ID)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// receive drains the visible messages of the queue and returns the timer ids.
func (e *env) receive(t testing.TB) []string {
	t.Helper()
	var ids []string
	for {
		out, err := e.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(e.url), MaxNumberOfMessages: 10, WaitTimeSeconds: 0,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			tm, err := timer.Decode(aws.ToString(m.Body))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tm.ID)
			if _, err := e.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(e.url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
