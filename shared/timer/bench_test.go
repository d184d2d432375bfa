package timer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/timer"
)

// countingDDB counts the items DynamoDB wrote: one per PutItem or DeleteItem,
// one per processed entry of a BatchWriteItem.
type countingDDB struct {
	*dynamodb.Client
	writes atomic.Int64
}

func (c *countingDDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := c.Client.PutItem(ctx, in, o...)
	if err == nil {
		c.writes.Add(1)
	}
	return out, err
}

func (c *countingDDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	out, err := c.Client.DeleteItem(ctx, in, o...)
	if err == nil {
		c.writes.Add(1)
	}
	return out, err
}

func (c *countingDDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	out, err := c.Client.BatchWriteItem(ctx, in, o...)
	if err == nil {
		n := 0
		for _, reqs := range in.RequestItems {
			n += len(reqs)
		}
		for _, reqs := range out.UnprocessedItems {
			n -= len(reqs)
		}
		c.writes.Add(int64(n))
	}
	return out, err
}

// BenchmarkTimersDispatch100k arms N timers due within one minute on DynamoDB
// Local, then times one dispatcher run that puts all of them on a queue (each
// delayed to its second) and deletes them. It reports the time until the last
// one is queued (ns/op), the dispatch rate, and the DynamoDB writes per timer
// over its life (arm + delete; the target is 2).
//
// Two queues are measured. queue=sqs is the SQS emulator (moto), whose
// SendMessageBatch slows down as a queue fills, so it runs with at most
// SWITCHBOARD_BENCH_TIMERS_SQS_N timers (1000 by default); queue=count stands
// in for SQS with a counter, so the dispatcher and DynamoDB Local are measured
// at the full N (SWITCHBOARD_BENCH_TIMERS_N, 100000 by default).
//
// It runs when the emulators are configured (make bench) or with
// SWITCHBOARD_BENCH_TIMERS=1.
func BenchmarkTimersDispatch100k(b *testing.B) {
	if os.Getenv("SWITCHBOARD_BENCH_TIMERS") != "1" && (os.Getenv(awstest.EnvDynamoDB) == "" || os.Getenv(awstest.EnvSQS) == "") {
		b.Skip("needs the emulators: run through make bench, or set SWITCHBOARD_BENCH_TIMERS=1 with them up")
	}
	n := benchEnv(b, "SWITCHBOARD_BENCH_TIMERS_N", 100_000)
	b.Run("queue=count", func(b *testing.B) {
		benchDispatch(b, n, func(b *testing.B) (timer.Queue, string, func()) {
			return &countingQueue{}, "https://sqs.invalid/timers", func() {}
		})
	})
	b.Run("queue=sqs", func(b *testing.B) {
		sqsN := min(n, benchEnv(b, "SWITCHBOARD_BENCH_TIMERS_SQS_N", 1_000))
		benchDispatch(b, sqsN, func(b *testing.B) (timer.Queue, string, func()) {
			client := awstest.SQS(b)
			url := awstest.Queue(b, client, false)
			return queue.New(client), url, func() {
				if _, err := client.PurgeQueue(context.Background(), &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
					b.Logf("purge queue: %v", err)
				}
			}
		})
	})
}

// countingQueue counts messages and checks their delays, in place of SQS.
type countingQueue struct{ n atomic.Int64 }

func (q *countingQueue) Send(_ context.Context, _ string, msgs []queue.Message) error {
	for _, m := range msgs {
		if m.DelaySeconds < 0 || m.DelaySeconds > 60 {
			return switchboard.Errorf(switchboard.EInvalid, "delay %d outside the minute", m.DelaySeconds)
		}
	}
	q.n.Add(int64(len(msgs)))
	return nil
}

func benchDispatch(b *testing.B, n int, newQueue func(*testing.B) (timer.Queue, string, func())) {
	ddb := &countingDDB{Client: awstest.DynamoDB(b)}
	table := awstest.Table(b, ddb.Client)
	q, url, drain := newQueue(b)
	clock := &fakeClock{}
	store := dynamo.New(ddb, table, dynamo.WithClock(clock.Now))
	ctx := context.Background()
	payload := json.RawMessage(`{"channelId":"ch1","customerId":"U1"}`)

	var writes, total int64
	var elapsed time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		// Each iteration uses its own minute, so leftovers cannot mix in.
		minute := t0.Truncate(time.Minute).Add(time.Duration(i) * time.Hour)
		clock.Set(minute.Add(-10 * time.Minute))
		before := ddb.writes.Load()
		armAll(b, store, n, minute, payload)
		must(b, store.SetTimerCursor(ctx, minute.Add(-2*time.Minute)))
		clock.Set(minute.Add(4 * time.Second))
		d := timer.NewDispatcher(timer.DispatcherConfig{
			Store: store, Queue: q, QueueURL: url, Shards: dynamo.TimerShards, Clock: clock.Now,
		})
		start := time.Now()
		b.StartTimer()
		res, err := d.Run(ctx)
		b.StopTimer()
		elapsed += time.Since(start)
		must(b, err)
		writes += ddb.writes.Load() - before
		total += int64(res.Dispatched)
		if res.Dispatched != n {
			b.Fatalf("dispatched %d timers, want %d", res.Dispatched, n)
		}
		drain()
		b.StartTimer()
	}
	b.ReportMetric(float64(writes)/float64(total), "ddb-writes/timer")
	b.ReportMetric(float64(total)/elapsed.Seconds(), "timers/s")
	b.ReportMetric(float64(n), "timers/minute")
}

func benchEnv(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q is not a positive number", name, v)
	}
	return n
}

// armAll arms n timers spread over the seconds of minute, 25 per
// BatchWriteItem on a few workers, as a burst of add-to-carts would.
func armAll(b *testing.B, store *dynamo.Store, n int, minute time.Time, payload json.RawMessage) {
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	per := (n + workers - 1) / workers
	for w := range workers {
		wg.Go(func() {
			lo, hi := w*per, min((w+1)*per, n)
			for start := lo; start < hi; start += dynamo.MaxBatchWrite {
				var ts []*switchboard.Timer
				for i := start; i < min(start+dynamo.MaxBatchWrite, hi); i++ {
					ts = append(ts, &switchboard.Timer{
						ID: fmt.Sprintf("bench/%d", i), TeamID: "team1", Kind: switchboard.TimerAutoEnd,
						DueAt: minute.Add(time.Duration(i%60) * time.Second), Generation: 1, Payload: payload,
					})
				}
				if err := store.ArmTimers(context.Background(), ts...); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
