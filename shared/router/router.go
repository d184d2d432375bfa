// Package router is the consumer of inbound.fifo: for each platform event it
// updates the contact, moves the conversation through its states (SPEC §2),
// applies keyword auto-reply, auto-assign, auto-tag and detection, and hands
// bot work to bot.fifo.
//
// Each event is read once (contact and conversation together), decided in
// memory, and committed in one transaction together with its idempotency claim
// and its replies, which are stored with status sending (an outbox). Only then
// are the replies sent, each with an idempotency key derived from the event, and
// their outcome recorded. A retry of an event that was committed finds the
// claim, reads the outbox and sends what is still sending: a crash between the
// commit and the send neither loses the reply nor sends it twice.
package router

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/assign"
	"github.com/switchboard-chat/switchboard/shared/autotag"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
	"github.com/switchboard-chat/switchboard/shared/ttlcache"
)

// Store is the router's storage; *dynamo.Store implements it.
type Store interface {
	LoadInbound(ctx context.Context, teamID, contactID string) (*switchboard.Contact, *switchboard.Conversation, error)
	ApplyInbound(ctx context.Context, w *dynamo.InboundWrite) error
	GetOutbox(ctx context.Context, teamID, channelID, eventID, conversationID string, messageIDs []string) (*dynamo.Outbox, error)
	RecentMessages(ctx context.Context, teamID, conversationID string, limit int) ([]*switchboard.Message, error)
	GetAssignState(ctx context.Context, teamID, scope string) (*dynamo.AssignState, error)
	MarkSent(ctx context.Context, ref dynamo.MessageRef, channelID string, platformIDs []string) (bool, error)
	MarkFailed(ctx context.Context, ref dynamo.MessageRef, reason string) (bool, error)
	FindPlatformMessages(ctx context.Context, teamID, channelID string, platformIDs []string) ([]dynamo.MessageRef, error)
	AdvanceStatus(ctx context.Context, ref dynamo.MessageRef, to switchboard.DeliveryStatus, reason string, from []switchboard.DeliveryStatus) (bool, error)
}

var _ Store = (*dynamo.Store)(nil)

// Directory is where the router reads a team's configuration; it is cached.
type Directory interface {
	LookupChannel(ctx context.Context, id string) (*switchboard.Channel, error)
	GetTeam(ctx context.Context, id string) (*switchboard.Team, error)
	ListMembers(ctx context.Context, teamID string) ([]*switchboard.Member, error)
}

var _ Directory = (*dynamo.Store)(nil)

// Rules reads a team's routing configuration; the router caches it.
// *dynamo.Store implements it.
type Rules interface {
	GetRuleSet(ctx context.Context, teamID string) (*keyword.RuleSet, error)
	GetAssignSettings(ctx context.Context, teamID string) (*switchboard.AssignSettings, error)
}

var _ Rules = (*dynamo.Store)(nil)

// teamRules is a team's routing configuration as the router caches it.
type teamRules struct {
	reply  []*keyword.Rule
	assign []*keyword.AssignRule
	// groups holds the groups of both kinds of rules.
	groups  []*keyword.Group
	autoTag autotag.Config
	// workingHours switches on assignment by working hours (SHOPLINE 003).
	workingHours bool
	// autoEnd is the team's auto-end setting, which auto-end timers re-check
	// when they fire.
	autoEnd switchboard.AutoEnd
}

// loadRules reads a team's rule set and assignment switches: two reads, once
// per cache lifetime.
func loadRules(src Rules) func(context.Context, string) (*teamRules, error) {
	return func(ctx context.Context, teamID string) (*teamRules, error) {
		rs, err := src.GetRuleSet(ctx, teamID)
		if err != nil {
			return nil, err
		}
		settings, err := src.GetAssignSettings(ctx, teamID)
		if err != nil {
			return nil, err
		}
		if rs == nil {
			rs = &keyword.RuleSet{}
		}
		in := rs.Input("", "", "", "")
		tr := &teamRules{reply: in.ReplyRules, assign: in.AssignRules, groups: in.Groups, autoTag: rs.AutoTag}
		if settings != nil {
			tr.workingHours = settings.WorkingHours
			tr.autoEnd = settings.AutoEnd
		}
		return tr, nil
	}
}

// Config wires a Router.
type Config struct {
	Store     Store
	Directory Directory
	Rules     Rules
	// Senders deliver replies, by channel kind. A kind without a sender has
	// its replies marked failed.
	Senders map[switchboard.ChannelKind]switchboard.Sender
	Bots    switchboard.BotPublisher
	Logger  *slog.Logger
	Metrics *telemetry.Metrics
	Clock   switchboard.Clock
	// Rand drives random assignment; nil means a generator seeded at start.
	Rand assign.Rand
	// CacheTTL is how long channels, rules and teams are kept in memory; 0
	// means 30 seconds. Members (whose online status assignment reads) are
	// kept for a third of it.
	CacheTTL time.Duration
	// MaxAttempts bounds how often one event is re-read and decided again
	// after losing a race, within one delivery; 0 means 5.
	MaxAttempts int
	// SendAttempts is the delivery of the queue message (its
	// ApproximateReceiveCount) from which a reply that keeps failing for a
	// passing reason is marked failed rather than retried once more; 0 means
	// 4, one below the queue's maxReceiveCount, so no reply is left sending
	// when the event goes to the dead-letter queue.
	SendAttempts int
}

// Router routes inbound events. Build one per process and reuse it: it holds
// the caches.
type Router struct {
	store        Store
	senders      map[switchboard.ChannelKind]switchboard.Sender
	bots         switchboard.BotPublisher
	log          *slog.Logger
	metrics      *telemetry.Metrics
	now          switchboard.Clock
	rnd          assign.Rand
	maxAttempts  int
	sendAttempts int

	channels *ttlcache.Cache[*switchboard.Channel]
	teams    *ttlcache.Cache[*switchboard.Team]
	members  *ttlcache.Cache[[]*switchboard.Member]
	rules    *ttlcache.Cache[*teamRules]
}

// New returns a Router.
func New(cfg Config) *Router {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand == nil {
		cfg.Rand = &lockedRand{r: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 30 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.SendAttempts <= 0 {
		cfg.SendAttempts = 4
	}
	r := &Router{
		store:        cfg.Store,
		senders:      cfg.Senders,
		bots:         cfg.Bots,
		log:          cfg.Logger,
		metrics:      cfg.Metrics,
		now:          cfg.Clock,
		rnd:          cfg.Rand,
		maxAttempts:  cfg.MaxAttempts,
		sendAttempts: cfg.SendAttempts,
	}
	dir := cfg.Directory
	r.channels = ttlcache.New(dir.LookupChannel, cfg.Clock, cfg.CacheTTL, cacheEntries)
	r.teams = ttlcache.New(dir.GetTeam, cfg.Clock, cfg.CacheTTL, cacheEntries)
	r.members = ttlcache.New(dir.ListMembers, cfg.Clock, cfg.CacheTTL/3, cacheEntries)
	r.rules = ttlcache.New(loadRules(cfg.Rules), cfg.Clock, cfg.CacheTTL, cacheEntries)
	return r
}

// cacheEntries bounds each configuration cache of a warm Lambda.
const cacheEntries = 10000

// lockedRand makes a math/rand/v2 generator safe for concurrent use.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (l *lockedRand) IntN(n int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.IntN(n)
}

// Handle is the Lambda handler for a batch from inbound.fifo. Events are
// routed in order; the first that must be retried is reported with every
// event after it, so nothing overtakes an event of its conversation.
func (r *Router) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return queue.ProcessFIFO(ctx, ev, r.handleMessage), nil
}

func (r *Router) handleMessage(ctx context.Context, m events.SQSMessage) error {
	log := r.log.With(slog.String("requestId", m.MessageId))
	e, err := queue.DecodeInbound(m)
	if err != nil {
		return err
	}
	receives, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
	if e.Type == switchboard.InTimer {
		return r.handleTimer(ctx, m, max(receives, 1), log)
	}
	log = log.With(
		slog.String("teamId", e.TeamID),
		slog.String("eventId", e.ID),
		slog.String("eventType", string(e.Type)),
		slog.String("channelId", e.ChannelID),
	)
	if e.CustomerID != "" {
		log = log.With(slog.String("conversationId", dynamo.ContactID(e.TeamID, e.ChannelID, e.CustomerID)))
	}
	start := r.now()
	err = r.route(ctx, e, max(receives, 1), log)
	if err != nil {
		log.WarnContext(ctx, "event not routed", slog.String("errorCode", switchboard.ErrorCode(err)), slog.String("error", err.Error()))
		return err
	}
	log.InfoContext(ctx, "event routed", slog.Duration("took", r.now().Sub(start)))
	return nil
}

// Route routes one event, as its first delivery.
func (r *Router) Route(ctx context.Context, e *switchboard.InboundEvent) error {
	return r.route(ctx, e, 1, r.log)
}

func (r *Router) route(ctx context.Context, e *switchboard.InboundEvent, receives int, log *slog.Logger) error {
	ch, err := r.channels.Get(ctx, e.ChannelID)
	if err != nil {
		return err
	}
	if ch.TeamID != e.TeamID {
		return switchboard.Errorf(switchboard.ENotFound, "channel %s is not a channel of team %s", e.ChannelID, e.TeamID)
	}
	if e.Type == switchboard.InStatus {
		return r.applyStatus(ctx, e, ch, log)
	}
	switch e.Type {
	case switchboard.InMessage, switchboard.InPostback, switchboard.InFollow, switchboard.InUnfollow, switchboard.InReferral:
	default:
		// Conversation timers come through handleTimer, which reads their
		// timer part; an event of another type is dropped and logged rather
		// than retried until the dead-letter queue.
		return switchboard.Errorf(switchboard.EInvalid, "event %s has type %q, which the router does not handle", e.ID, e.Type)
	}
	if e.CustomerID == "" {
		return switchboard.Errorf(switchboard.EInvalid, "%s event %s names no customer", e.Type, e.ID)
	}
	rules, err := r.rules.Get(ctx, e.TeamID)
	if err != nil {
		return err
	}
	convID := dynamo.ContactID(e.TeamID, e.ChannelID, e.CustomerID)
	var lastErr error
	for attempt := 0; attempt < r.maxAttempts; attempt++ {
		if attempt > 0 {
			if err := wait(ctx, attempt); err != nil {
				return err
			}
		}
		contact, conv, err := r.store.LoadInbound(ctx, e.TeamID, convID)
		if err != nil {
			return err
		}
		p, err := r.decide(ctx, e, ch, rules, contact, conv)
		if err != nil {
			return err
		}
		err = r.store.ApplyInbound(ctx, p.write)
		switch {
		case err == nil:
			r.count(ch, map[string]float64{"EventsRouted": 1})
			if p.ignored {
				log.InfoContext(ctx, "event of a blocked contact ignored")
				return nil
			}
			log.DebugContext(ctx, "event committed", slog.String("status", string(p.status)), slog.Int("replies", len(p.outbox)), slog.Bool("bot", p.bot != nil))
			return r.deliver(ctx, e, ch, p.outbox, p.bot, receives, log)
		case errors.Is(err, dynamo.ErrAlreadyProcessed):
			r.count(ch, map[string]float64{"Duplicates": 1})
			log.InfoContext(ctx, "event already processed; finishing its outbox")
			return r.redeliver(ctx, e, ch, convID, receives, log)
		case errors.Is(err, dynamo.ErrAssigneeUnavailable):
			// The cached member list is behind: read it again before
			// deciding again, or the same member would be picked.
			r.members.Forget(e.TeamID)
			r.count(ch, map[string]float64{"StaleAssignees": 1})
			lastErr = err
			log.InfoContext(ctx, "the chosen assignee is no longer active and online; deciding again", slog.Int("attempt", attempt+1))
		case switchboard.ErrorCode(err) == switchboard.EConflict || switchboard.ErrorCode(err) == switchboard.EUnavailable:
			lastErr = err
			log.DebugContext(ctx, "lost a race; deciding again", slog.Int("attempt", attempt+1), slog.String("error", err.Error()))
		default:
			return err
		}
	}
	if switchboard.ErrorCode(lastErr) == switchboard.EUnavailable {
		return lastErr
	}
	return switchboard.Wrap(switchboard.EConflict, lastErr, "the conversation kept changing; retry later")
}

// wait backs off before deciding again, with jitter, or returns when ctx ends.
func wait(ctx context.Context, attempt int) error {
	d := time.Duration(5<<min(attempt, 5)) * time.Millisecond
	d = d/2 + rand.N(d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return switchboard.Wrap(switchboard.EUnavailable, ctx.Err(), "routing cancelled")
	case <-t.C:
		return nil
	}
}

// count records metrics per channel kind.
func (r *Router) count(ch *switchboard.Channel, counters map[string]float64) {
	r.metrics.Count(counters, map[string]string{"ChannelKind": string(ch.Kind)})
}
