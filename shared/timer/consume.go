package timer

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
)

// HandlerFunc handles one due timer. It must re-check the state the timer was
// armed for and do nothing when it moved on; its error decides, through
// queue.Disposition, whether the timer is retried or dropped.
type HandlerFunc func(ctx context.Context, t *switchboard.Timer) error

// Claimer claims a key for a while (the idempotency store).
type Claimer interface {
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Defaults of ConsumerConfig.
const (
	// DefaultFiringLease is how long a firing is claimed. It must be shorter
	// than the timer queue's visibility timeout (180 s), so that a firing whose
	// handler failed can be claimed again when SQS redelivers it, and longer
	// than a handler runs (the consumer's timeout, 30 s), so that a second copy
	// of the message arriving meanwhile is held off.
	DefaultFiringLease = 150 * time.Second
	// DefaultEarlyTolerance is how early a timer may arrive and still be
	// handled: the dispatcher rounds delays up, so only clock skew between it
	// and the consumer makes one early.
	DefaultEarlyTolerance = 5 * time.Second
)

// ConsumerConfig wires a Consumer.
type ConsumerConfig struct {
	// Claims holds the firing leases; nil disables them (tests of handlers).
	Claims         Claimer
	FiringLease    time.Duration
	EarlyTolerance time.Duration
	Clock          switchboard.Clock
	Logger         *slog.Logger
	Metrics        *telemetry.Metrics
}

// Consumer receives due timers from the timer queue and dispatches them by
// kind to the registered handlers.
type Consumer struct {
	cfg      ConsumerConfig
	handlers map[switchboard.TimerKind]HandlerFunc
}

// NewConsumer returns a consumer with no handlers.
func NewConsumer(cfg ConsumerConfig) *Consumer {
	if cfg.FiringLease <= 0 {
		cfg.FiringLease = DefaultFiringLease
	}
	if cfg.EarlyTolerance <= 0 {
		cfg.EarlyTolerance = DefaultEarlyTolerance
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Consumer{cfg: cfg, handlers: map[switchboard.TimerKind]HandlerFunc{}}
}

// Register makes fn the handler of timers of kind, replacing any other.
func (c *Consumer) Register(kind switchboard.TimerKind, fn HandlerFunc) { c.handlers[kind] = fn }

// Handle is the Lambda entry point for the timer queue (with
// ReportBatchItemFailures): each message is handled on its own and only the
// ones to retry are reported.
func (c *Consumer) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return queue.ProcessStandard(ctx, ev, c.HandleMessage), nil
}

// HandleMessage handles one timer queue message: decode, claim the firing,
// call the kind's handler. A body that is not a timer is EInvalid (dropped). A
// kind without a handler is EInternal, so the timer is retried and ends in the
// dead-letter queue, whose alarm tells someone: a timer is never silently
// lost because its consumer was not deployed yet. A timer that arrives early
// is EUnavailable, so it comes back after the visibility timeout.
func (c *Consumer) HandleMessage(ctx context.Context, m events.SQSMessage) error {
	t, err := Decode(m.Body)
	if err != nil {
		return err
	}
	fn, ok := c.handlers[t.Kind]
	if !ok {
		return switchboard.Errorf(switchboard.EInternal, "no handler for timer kind %q", t.Kind)
	}
	now := c.cfg.Clock()
	if early := t.DueAt.Sub(now); early > c.cfg.EarlyTolerance {
		return switchboard.Errorf(switchboard.EUnavailable, "timer %s arrived %s early", t.ID, early.Round(time.Second))
	}
	if c.cfg.Claims != nil {
		first, err := c.cfg.Claims.Claim(ctx, t.FiringKey(), c.cfg.FiringLease)
		if err != nil {
			return err
		}
		if !first {
			c.cfg.Logger.InfoContext(ctx, "timer firing already claimed by another copy",
				slog.String("timerKind", string(t.Kind)), slog.String("teamId", t.TeamID))
			c.cfg.Metrics.Count(map[string]float64{"TimerDuplicates": 1}, map[string]string{"TimerKind": string(t.Kind)})
			return nil
		}
	}
	err = fn(ctx, t)
	outcome := "TimersHandled"
	if err != nil {
		outcome = "TimersFailed"
	}
	c.cfg.Metrics.Count(map[string]float64{outcome: 1}, map[string]string{"TimerKind": string(t.Kind)})
	if lateness := now.Sub(t.DueAt); err == nil {
		c.cfg.Logger.DebugContext(ctx, "timer handled", slog.String("timerKind", string(t.Kind)),
			slog.String("teamId", t.TeamID), slog.Duration("late", lateness))
	}
	return err
}

// Decode reads a timer queue message body. It is outside input as far as the
// consumer knows, so it is checked like any.
func Decode(body string) (*switchboard.Timer, error) {
	var t switchboard.Timer
	if err := json.Unmarshal([]byte(body), &t); err != nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "timer message is not a timer: %v", err)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}
