// Package remarketing carries out the website-driven automations of SPEC §6:
// cart remarketing (the pixel's cart events, the binding popup, the reminder
// messages and their statistics) and the payment reminder of unpaid orders.
// The rules are the pure functions of packages cart and payreminder; this
// package loads the state they need, stores what they decide, arms their
// timers with the timer service, sends through the channels' senders, and
// serves the pixel endpoints under /v1/pixel.
//
// Every step that acts on a timer re-checks the stored state first, so a timer
// that fires late, twice, or after its reason went away does nothing; sends
// carry an idempotency key derived from the timer, so a retried firing is not
// delivered twice where the platform honours the key (LINE).
package remarketing

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/payreminder"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
)

// Directory reads the team, channel and contact records the automations need.
type Directory interface {
	GetTeam(ctx context.Context, id string) (*switchboard.Team, error)
	GetChannel(ctx context.Context, teamID, id string) (*switchboard.Channel, error)
	GetContact(ctx context.Context, teamID, id string) (*switchboard.Contact, error)
	ListChannels(ctx context.Context, teamID string) ([]*switchboard.Channel, error)
	FindContact(ctx context.Context, teamID, channelID, platformUserID string) (*switchboard.Contact, error)
	UpsertContact(ctx context.Context, teamID, channelID, platformUserID string, fn func(*switchboard.Contact) (*switchboard.Contact, error)) (*switchboard.Contact, error)
}

// CartStore persists visitors, their bindings and the cart configuration.
type CartStore interface {
	GetVisitor(ctx context.Context, teamID, visitorID string) (*cart.Visitor, error)
	UpdateVisitor(ctx context.Context, teamID, visitorID string, fn func(*cart.Visitor) (*cart.Visitor, error)) (*cart.Visitor, error)
	BindVisitorContact(ctx context.Context, teamID, visitorID string, c *switchboard.Contact, at time.Time) error
	VisitorContactID(ctx context.Context, teamID, visitorID, channelID string) (string, error)
	GetCartConfig(ctx context.Context, teamID, channelID string) (*cart.Config, error)
	ListCartConfigs(ctx context.Context, teamID string) ([]*cart.Config, error)
	PutCartConfigs(ctx context.Context, cfgs ...*cart.Config) error
	GetPopupPolicy(ctx context.Context, teamID string) (cart.PopupPolicy, error)
	PutPopupPolicy(ctx context.Context, teamID string, policy cart.PopupPolicy) error
}

// StatsStore records and reads what the cart statistics count.
type StatsStore interface {
	PutCartSend(ctx context.Context, teamID, channelID string, r cart.SendRecord) error
	PutCartClick(ctx context.Context, teamID, channelID, id string, c cart.ClickRecord) error
	PutCartOrder(ctx context.Context, teamID string, o cart.OrderRecord) error
	CartSends(ctx context.Context, teamID, channelID string, from, to time.Time) ([]cart.SendRecord, error)
	CartClicks(ctx context.Context, teamID, channelID string, from, to time.Time) ([]cart.ClickRecord, error)
	CartOrders(ctx context.Context, teamID string, from, to time.Time) ([]cart.OrderRecord, error)
}

// PaymentStore persists reported orders with their reminders, and the
// team's payment reminder setting.
type PaymentStore interface {
	GetPaymentOrder(ctx context.Context, teamID, orderID string) (*payreminder.TrackedOrder, error)
	UpdatePaymentOrder(ctx context.Context, teamID, orderID string, fn func(*payreminder.TrackedOrder) (*payreminder.TrackedOrder, error)) (*payreminder.TrackedOrder, error)
	ListPendingPaymentReminders(ctx context.Context, teamID, cursor string, limit int) ([]*payreminder.TrackedOrder, string, error)
	GetPayReminderSettings(ctx context.Context, teamID string) (payreminder.Settings, error)
	UpdatePayReminderSettings(ctx context.Context, teamID string, fn func(payreminder.Settings) (payreminder.Settings, error)) (payreminder.Settings, error)
}

// Timers arms and cancels timers (the timer store).
type Timers interface {
	ArmTimers(ctx context.Context, ts ...*switchboard.Timer) error
	MoveTimer(ctx context.Context, t *switchboard.Timer, previous time.Time) error
	CancelTimers(ctx context.Context, ts ...*switchboard.Timer) error
}

// Config wires a Service.
type Config struct {
	Directory Directory
	Carts     CartStore
	Stats     StatsStore
	Payments  PaymentStore
	Timers    Timers
	// Senders deliver messages, one per channel kind (outbound.Senders).
	Senders map[switchboard.ChannelKind]switchboard.Sender
	// ClickSecret signs the tracked links of cart reminders; without it links
	// go out untracked and the redirect endpoint answers 404.
	ClickSecret []byte
	// PublicBaseURL is the https base URL the tracked links point to
	// (…/v1/pixel/r/{token}); without it links go out untracked.
	PublicBaseURL string
	// AttributionWindow is how long after a click an order counts for it
	// (cart.DefaultAttributionWindow when zero).
	AttributionWindow time.Duration
	Clock             switchboard.Clock
	NewID             switchboard.IDGen
	Logger            *slog.Logger
	Metrics           *telemetry.Metrics
}

// Service runs cart remarketing and payment reminders for every team.
type Service struct {
	dir      Directory
	carts    CartStore
	stats    StatsStore
	payments PaymentStore
	timers   Timers
	senders  map[switchboard.ChannelKind]switchboard.Sender
	secret   []byte
	baseURL  string
	window   time.Duration
	now      switchboard.Clock
	newID    switchboard.IDGen
	log      *slog.Logger
	metrics  *telemetry.Metrics
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{
		dir: cfg.Directory, carts: cfg.Carts, stats: cfg.Stats, payments: cfg.Payments, timers: cfg.Timers,
		senders: cfg.Senders, secret: cfg.ClickSecret, baseURL: cfg.PublicBaseURL, window: cfg.AttributionWindow,
		now: cfg.Clock, newID: cfg.NewID, log: cfg.Logger, metrics: cfg.Metrics,
	}
	if s.window <= 0 {
		s.window = cart.DefaultAttributionWindow
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = switchboard.NewID
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// clock returns the current time in UTC, as stored records read back.
func (s *Service) clock() time.Time { return s.now().UTC().Round(0) }

// location returns the team's time zone, which quiet hours, schedules and
// reports use.
func (s *Service) location(ctx context.Context, teamID string) (*time.Location, error) {
	t, err := s.dir.GetTeam(ctx, teamID)
	if err != nil {
		return nil, err
	}
	return t.Location(), nil
}

// errUnchanged aborts an optimistic update that found nothing to write.
var errUnchanged = switchboard.Errorf(switchboard.EConflict, "nothing to change")

// ignoreUnchanged turns errUnchanged into success.
func ignoreUnchanged(err error) error {
	if err == errUnchanged {
		return nil
	}
	return err
}

// isNotFound reports whether err is ENotFound.
func isNotFound(err error) bool { return switchboard.ErrorCode(err) == switchboard.ENotFound }

// permanentSendFailure reports whether a sender's error will fail the same way
// on every retry (the window closed, the user blocked the account, the request
// was refused), so the message is given up rather than retried.
func permanentSendFailure(err error) bool {
	switch switchboard.ErrorCode(err) {
	case switchboard.EInvalid, switchboard.EForbidden, switchboard.ENotFound:
		return true
	}
	return false
}

// cartTimer turns a cart rule's timer into a timer-service timer.
func cartTimer(ct cart.Timer) (*switchboard.Timer, error) {
	payload, err := json.Marshal(ct)
	if err != nil {
		return nil, switchboard.Wrap(switchboard.EInternal, err, "encode cart timer")
	}
	return &switchboard.Timer{
		ID: ct.Key(), TeamID: ct.TeamID, Kind: switchboard.TimerCartReminder,
		DueAt: ct.DueAt, Generation: ct.Generation, Payload: payload,
	}, nil
}

// paymentTimer turns a payment reminder's timer into a timer-service timer.
func paymentTimer(pt payreminder.Timer) (*switchboard.Timer, error) {
	payload, err := json.Marshal(pt)
	if err != nil {
		return nil, switchboard.Wrap(switchboard.EInternal, err, "encode payment reminder timer")
	}
	return &switchboard.Timer{
		ID: pt.Key(), TeamID: pt.TeamID, Kind: switchboard.TimerPaymentReminder,
		DueAt: pt.DueAt, Generation: pt.Generation, Payload: payload,
	}, nil
}

func cartTimers(cts []cart.Timer) ([]*switchboard.Timer, error) {
	out := make([]*switchboard.Timer, 0, len(cts))
	for _, ct := range cts {
		t, err := cartTimer(ct)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// count records one metric with dimensions.
func (s *Service) count(name string, dims map[string]string) {
	s.metrics.Count(map[string]float64{name: 1}, dims)
}
