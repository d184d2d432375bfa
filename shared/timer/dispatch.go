// Package timer is the timer service (DESIGN.md, Timers). Services arm timers
// in the store, one item per timer in the bucket of its due minute; the
// Dispatcher, run by an EventBridge schedule every minute, reads the buckets
// of the minutes that are due or about to be, puts each timer on the timer
// queue with a per-message delay that makes it visible at its due second, and
// deletes it; the Consumer receives the timers from the queue when they are
// due and hands each to the handler registered for its kind.
//
// Delivery is at least once. A timer is sent twice if the dispatcher dies
// between sending and deleting it, or if two runs overlap; the consumer claims
// each firing for a short lease so two copies do not act at once, and every
// handler re-checks the state the timer was armed for, so a late copy finds
// nothing to do.
package timer

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
)

// Store is what the dispatcher needs from the timer table.
type Store interface {
	// TimerCursor is the last due minute a run finished with (zero at first).
	TimerCursor(ctx context.Context) (time.Time, error)
	SetTimerCursor(ctx context.Context, minute time.Time) error
	// DueTimers pages through one shard of one minute's bucket.
	DueTimers(ctx context.Context, minute time.Time, shard int, cursor string, limit int) ([]*switchboard.Timer, string, error)
	DeleteTimers(ctx context.Context, ts []*switchboard.Timer) error
}

// Queue sends messages in batches (queue.Publisher).
type Queue interface {
	Send(ctx context.Context, queueURL string, msgs []queue.Message) error
}

// Lease keeps two dispatcher runs from working at once (the idempotency store:
// a claim with a TTL).
type Lease interface {
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

var _ Queue = (*queue.Publisher)(nil)

// Defaults of DispatcherConfig.
const (
	// DefaultMaxCatchUp bounds the minutes one run reads. After an outage the
	// cursor lags; each run then works through this many minutes, oldest
	// first, so a long backlog is caught up over a few runs without any run
	// outgrowing its timeout, and nothing is skipped.
	DefaultMaxCatchUp = 60 * time.Minute
	// DefaultFirstLookback is how far back the very first run looks, for
	// timers armed before the schedule started (a fresh deployment whose
	// other functions ran first). It is well inside DefaultMaxCatchUp, so the
	// first run also reaches the current minute.
	DefaultFirstLookback = 15 * time.Minute
	// DefaultGrace is how long after its end a minute's bucket is still read
	// again, for timers armed at the turn of the minute by a writer whose clock
	// is a little behind, or whose write landed after the read.
	DefaultGrace = time.Minute
	// DefaultConcurrency is how many chunks are sent and deleted at once.
	DefaultConcurrency = 32
	// DefaultChunk is how many timers are sent (10 SendMessageBatch) and then
	// deleted (4 BatchWriteItem) together.
	DefaultChunk = 100
	// DefaultLeaseTTL keeps an overlapping run out for a little less than the
	// schedule's period.
	DefaultLeaseTTL = 55 * time.Second
	// leaseKey names the dispatcher's lease in the idempotency store.
	leaseKey = "timers/dispatcher-lease"
	// deadlineMargin is kept free before the function's deadline: no chunk is
	// started after it, so the run can record what it finished.
	deadlineMargin = 5 * time.Second
)

// DispatcherConfig wires a Dispatcher.
type DispatcherConfig struct {
	Store Store
	Queue Queue
	// QueueURL is the standard timer queue.
	QueueURL string
	// Shards is the number of bucket shards the store spreads a minute over.
	Shards int
	// Lease, when set, keeps overlapping runs out (nil: no lease).
	Lease         Lease
	LeaseTTL      time.Duration
	MaxCatchUp    time.Duration
	FirstLookback time.Duration
	Grace         time.Duration
	Concurrency   int
	Chunk         int
	Clock         switchboard.Clock
	Logger        *slog.Logger
	Metrics       *telemetry.Metrics
}

// Dispatcher moves due timers from the table to the timer queue.
type Dispatcher struct {
	cfg DispatcherConfig
}

// NewDispatcher returns a dispatcher, filling unset options with defaults.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	if cfg.MaxCatchUp < time.Minute {
		cfg.MaxCatchUp = DefaultMaxCatchUp
	}
	if cfg.FirstLookback <= 0 {
		cfg.FirstLookback = DefaultFirstLookback
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Chunk <= 0 {
		cfg.Chunk = DefaultChunk
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.Shards <= 0 {
		cfg.Shards = 1
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg}
}

// Result reports one run.
type Result struct {
	// From and Through are the first and last due minutes read.
	From, Through time.Time
	// Cursor is the minute recorded as finished.
	Cursor time.Time
	// Dispatched counts timers put on the queue (and deleted).
	Dispatched int
	// Behind is how many minutes were left for later runs.
	Behind int
	// Skipped says the run did nothing because another held the lease.
	Skipped bool
}

// Handle is the Lambda entry point for the EventBridge schedule.
func (d *Dispatcher) Handle(ctx context.Context, _ events.EventBridgeEvent) error {
	_, err := d.Run(ctx)
	return err
}

// Run dispatches every timer due up to the end of the next minute whose
// bucket has not been finished with, oldest minute first. Each minute's
// shards are read in parallel; each timer is sent with DelaySeconds equal to
// the seconds left until it is due (0 when past) and deleted once sent. The
// cursor then moves to the last minute that is both finished and older than
// the grace period, so the current and previous minutes are read again by the
// next run (cheaply: what was sent is gone). A minute that failed is not
// finished: the next run reads it again, and may send some of its timers a
// second time.
func (d *Dispatcher) Run(ctx context.Context) (Result, error) {
	cfg := d.cfg
	now := cfg.Clock().UTC()
	current := now.Truncate(time.Minute)
	if cfg.Lease != nil {
		ok, err := cfg.Lease.Claim(ctx, leaseKey, cfg.LeaseTTL)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			cfg.Logger.InfoContext(ctx, "another timer dispatcher run holds the lease")
			return Result{Skipped: true}, nil
		}
	}
	cursor, err := cfg.Store.TimerCursor(ctx)
	if err != nil {
		return Result{}, err
	}
	from := cursor.Add(time.Minute)
	if cursor.IsZero() {
		from = current.Add(-cfg.FirstLookback)
	}
	last := current.Add(time.Minute) // the next minute: its timers go out with a delay
	res := Result{From: from}
	if from.After(last) {
		// The cursor is ahead of this clock (a clock jump): nothing is due.
		return res, nil
	}
	through := last
	if n := int(last.Sub(from)/time.Minute) + 1; n > int(cfg.MaxCatchUp/time.Minute) {
		through = from.Add(cfg.MaxCatchUp - time.Minute)
		res.Behind = int(last.Sub(through) / time.Minute)
	}
	res.Through = through
	if res.Behind > 0 {
		cfg.Logger.WarnContext(ctx, "timer dispatch is behind; catching up over several runs",
			slog.Time("from", from), slog.Int("minutesBehind", res.Behind))
	}

	finished := from.Add(-time.Minute)
	var runErr error
	for m := from; !m.After(through); m = m.Add(time.Minute) {
		// Deadlines are wall-clock time, whatever clock the run is given.
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < deadlineMargin {
			break
		}
		n, err := d.dispatchMinute(ctx, m)
		res.Dispatched += n
		if err != nil {
			runErr = err
			break
		}
		finished = m
	}
	// Never record a minute that may still receive timers.
	if limit := current.Add(-cfg.Grace).Truncate(time.Minute).Add(-time.Minute); finished.After(limit) {
		finished = limit
	}
	if !cursor.IsZero() && !finished.After(cursor) {
		res.Cursor = cursor
	} else {
		if err := cfg.Store.SetTimerCursor(ctx, finished); err != nil && runErr == nil {
			runErr = err
		}
		res.Cursor = finished
	}
	failed := 0.0
	if runErr != nil {
		failed = 1
		cfg.Logger.ErrorContext(ctx, "timer dispatch failed; the next run retries",
			slog.String("errorCode", switchboard.ErrorCode(runErr)), slog.String("error", runErr.Error()))
	}
	cfg.Metrics.Count(map[string]float64{
		"TimersDispatched":    float64(res.Dispatched),
		"TimerMinutesBehind":  float64(res.Behind),
		"TimerDispatchFailed": failed,
	}, nil)
	cfg.Logger.InfoContext(ctx, "timers dispatched", slog.Int("count", res.Dispatched),
		slog.Time("from", res.From), slog.Time("through", res.Through), slog.Time("cursor", res.Cursor))
	return res, runErr
}

// dispatchMinute reads every shard of minute in parallel and sends and
// deletes its timers in chunks on a pool of workers.
func (d *Dispatcher) dispatchMinute(ctx context.Context, minute time.Time) (int, error) {
	cfg := d.cfg
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []*switchboard.Timer)
	var (
		mu       sync.Mutex
		firstErr error
		sent     int
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}
	var workers sync.WaitGroup
	for range cfg.Concurrency {
		workers.Go(func() {
			for c := range chunks {
				if ctx.Err() != nil {
					continue // drain after a failure
				}
				if err := d.sendChunk(ctx, c); err != nil {
					fail(err)
					continue
				}
				mu.Lock()
				sent += len(c)
				mu.Unlock()
			}
		})
	}
	var readers sync.WaitGroup
	for shard := range cfg.Shards {
		readers.Go(func() {
			page := ""
			for {
				ts, next, err := cfg.Store.DueTimers(ctx, minute, shard, page, 1000)
				if err != nil {
					fail(err)
					return
				}
				for start := 0; start < len(ts); start += cfg.Chunk {
					select {
					case chunks <- ts[start:min(start+cfg.Chunk, len(ts))]:
					case <-ctx.Done():
						return
					}
				}
				if next == "" {
					return
				}
				page = next
			}
		})
	}
	readers.Wait()
	close(chunks)
	workers.Wait()
	mu.Lock()
	defer mu.Unlock()
	if firstErr == nil && ctx.Err() != nil {
		// Only the parent context can have ended here.
		firstErr = switchboard.Wrap(switchboard.EUnavailable, ctx.Err(), "timer dispatch cancelled")
	}
	return sent, firstErr
}

// sendChunk queues timers, each delayed until it is due, then deletes them.
// A timer whose send failed is not deleted, so it is sent again next run.
func (d *Dispatcher) sendChunk(ctx context.Context, ts []*switchboard.Timer) error {
	now := d.cfg.Clock()
	msgs := make([]queue.Message, len(ts))
	for i, t := range ts {
		body, err := json.Marshal(t)
		if err != nil {
			return switchboard.Wrap(switchboard.EInternal, err, "encode timer")
		}
		msgs[i] = queue.Message{Body: string(body), DelaySeconds: DelaySeconds(t.DueAt, now)}
	}
	if err := d.cfg.Queue.Send(ctx, d.cfg.QueueURL, msgs); err != nil {
		return err
	}
	return d.cfg.Store.DeleteTimers(ctx, ts)
}

// DelaySeconds is the queue delay that makes a timer due at due visible at its
// second when sent at now: the whole seconds left, rounded up, 0 when due or
// past, and at most queue.MaxDelaySeconds.
func DelaySeconds(due, now time.Time) int32 {
	left := due.Sub(now)
	if left <= 0 {
		return 0
	}
	secs := (left + time.Second - 1) / time.Second
	if secs > queue.MaxDelaySeconds {
		return queue.MaxDelaySeconds
	}
	return int32(secs)
}
