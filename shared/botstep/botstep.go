// Package botstep is the consumer of bot.fifo: for each bot request the
// router queued (a keyword's module, a button tap, an m.me referral, a follow,
// a reply to a waiting card) and each delay card's timer, it runs one step of
// the conversation's bot (package bot) and carries out what the step decided.
//
// A step is read once (session, contact and conversation in one
// BatchGetItem; the bot and the channel from a cache), decided in memory,
// and committed in one transaction with its claim, its messages (status
// sending) and what it changes: session, tags, attributes, subscription, the
// hand-off to a person, a delay's timer. Only then are the messages sent, in
// sends of at most five, each with an idempotency key derived from the step,
// and each send's outcome recorded. A retry of a step that was committed
// finds the claim and sends what is left: a crash between the commit and the
// sends neither loses an answer nor decides the step twice.
package botstep

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
	"github.com/switchboard-chat/switchboard/shared/timer"
	"github.com/switchboard-chat/switchboard/shared/ttlcache"
)

// Store is the bot step's storage; *dynamo.Store implements it. A delay
// card's timer is armed by CommitBotStep, in the same transaction as the
// session that expects it.
type Store interface {
	LoadBotState(ctx context.Context, teamID, conversationID, contactID string) (*dynamo.BotState, error)
	GetBot(ctx context.Context, teamID, id string) (*bot.Bot, error)
	ResolveBotRef(ctx context.Context, teamID, ref string) (bot.Entry, error)
	WelcomeModule(ctx context.Context, teamID, channelID string) (bot.Entry, error)
	CommitBotStep(ctx context.Context, w *dynamo.BotStepWrite) error
	GetBotOutbox(ctx context.Context, teamID, requestID, conversationID string) (*dynamo.BotOutboxState, error)
	MarkBotSent(ctx context.Context, refs []dynamo.MessageRef, channelID string, platformIDs []string) error
	MarkBotFailed(ctx context.Context, refs []dynamo.MessageRef, reason string) error
}

var _ Store = (*dynamo.Store)(nil)

// Directory is where the bot step reads channels and teams; it is cached.
type Directory interface {
	LookupChannel(ctx context.Context, id string) (*switchboard.Channel, error)
	GetTeam(ctx context.Context, id string) (*switchboard.Team, error)
}

var _ Directory = (*dynamo.Store)(nil)

// Defaults of Config.
const (
	DefaultCacheTTL     = 30 * time.Second
	DefaultMaxAttempts  = 5
	DefaultSendAttempts = 4
)

// Config wires a Handler. Store and Directory are required.
type Config struct {
	Store     Store
	Directory Directory
	// Senders deliver the bot's messages, by channel kind; a kind without
	// one has its messages marked failed.
	Senders map[switchboard.ChannelKind]switchboard.Sender
	// Engine runs the bots; its API caller makes the API call cards'
	// requests (bot.NewHTTPCaller).
	Engine  *bot.Engine
	Clock   switchboard.Clock
	NewID   switchboard.IDGen
	Logger  *slog.Logger
	Metrics *telemetry.Metrics
	// CacheTTL is how long bots, channels and teams are kept in memory
	// (DefaultCacheTTL when 0): an edited bot takes effect within it.
	CacheTTL time.Duration
	// MaxAttempts bounds how often a step is read and decided again after
	// losing a race with the router (DefaultMaxAttempts when 0).
	MaxAttempts int
	// SendAttempts is the delivery of the queue message from which a send
	// that keeps failing for a passing reason is marked failed instead of
	// retried (DefaultSendAttempts when 0: one below the queue's
	// maxReceiveCount, so nothing is left sending in the dead-letter queue).
	SendAttempts int
}

// Handler is the bot step. Build one per process and reuse it: it holds the
// caches.
type Handler struct {
	store        Store
	senders      map[switchboard.ChannelKind]switchboard.Sender
	engine       *bot.Engine
	now          switchboard.Clock
	newID        switchboard.IDGen
	log          *slog.Logger
	metrics      *telemetry.Metrics
	maxAttempts  int
	sendAttempts int

	channels *ttlcache.Cache[*switchboard.Channel]
	teams    *ttlcache.Cache[*switchboard.Team]
	bots     *ttlcache.Cache[*bot.Bot]
}

// New returns a Handler.
func New(cfg Config) *Handler {
	h := &Handler{
		store: cfg.Store, senders: cfg.Senders, engine: cfg.Engine, now: cfg.Clock, newID: cfg.NewID,
		log: cfg.Logger, metrics: cfg.Metrics, maxAttempts: cfg.MaxAttempts, sendAttempts: cfg.SendAttempts,
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.newID == nil {
		h.newID = switchboard.NewID
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.engine == nil {
		h.engine = &bot.Engine{Clock: h.now}
	}
	if h.maxAttempts <= 0 {
		h.maxAttempts = DefaultMaxAttempts
	}
	if h.sendAttempts <= 0 {
		h.sendAttempts = DefaultSendAttempts
	}
	ttl := cfg.CacheTTL
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	h.channels = ttlcache.New(cfg.Directory.LookupChannel, h.now, ttl, cacheEntries)
	h.teams = ttlcache.New(cfg.Directory.GetTeam, h.now, ttl, cacheEntries)
	h.bots = ttlcache.New(func(ctx context.Context, k string) (*bot.Bot, error) {
		team, id, _ := cutKey(k)
		return cfg.Store.GetBot(ctx, team, id)
	}, h.now, ttl, cacheEntries)
	return h
}

// Handle is the Lambda handler for a batch from bot.fifo: messages are handled
// in order, and the first to be retried is reported with every message after
// it, so nothing overtakes a step of its conversation.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return queue.ProcessFIFO(ctx, ev, h.HandleMessage), nil
}

// HandleMessage handles one bot.fifo message.
func (h *Handler) HandleMessage(ctx context.Context, m events.SQSMessage) error {
	j, err := decode(m.Body)
	if err != nil {
		return err
	}
	receives, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
	log := h.log.With(slog.String("queueMessageId", m.MessageId), slog.String("teamId", j.TeamID),
		slog.String("conversationId", j.ConversationID), slog.String("botRequestId", j.RequestID))
	start := h.now()
	if err := h.process(ctx, j, max(receives, 1), log); err != nil {
		log.WarnContext(ctx, "bot step not done", slog.String("errorCode", switchboard.ErrorCode(err)), slog.String("error", err.Error()))
		return err
	}
	log.InfoContext(ctx, "bot step done", slog.Duration("took", h.now().Sub(start)))
	return nil
}

func (h *Handler) process(ctx context.Context, j *job, receives int, log *slog.Logger) error {
	ch, err := h.channels.Get(ctx, j.ChannelID)
	if err != nil {
		return err
	}
	if ch.TeamID != j.TeamID {
		return switchboard.Errorf(switchboard.ENotFound, "channel %s is not a channel of team %s", j.ChannelID, j.TeamID)
	}
	if receives > 1 {
		// A redelivery: the step may have been committed already, and
		// deciding it again would repeat its API calls.
		done, err := h.redeliver(ctx, j, ch, receives, log)
		if err != nil || done {
			return err
		}
	}
	for attempt := 1; ; attempt++ {
		err := h.step(ctx, j, ch, receives, log)
		switch {
		case errors.Is(err, dynamo.ErrAlreadyProcessed):
			_, err = h.redeliver(ctx, j, ch, receives, log)
			return err
		case switchboard.ErrorCode(err) == switchboard.EConflict && attempt < h.maxAttempts:
			log.DebugContext(ctx, "bot step lost a race; deciding again", slog.Int("attempt", attempt))
			continue
		}
		return err
	}
}

// step reads, decides, commits and sends one step.
func (h *Handler) step(ctx context.Context, j *job, ch *switchboard.Channel, receives int, log *slog.Logger) error {
	st, err := h.store.LoadBotState(ctx, j.TeamID, j.ConversationID, j.ContactID)
	if err != nil {
		return err
	}
	if st.Contact == nil {
		return switchboard.Errorf(switchboard.ENotFound, "contact %s no longer exists", j.ContactID)
	}
	if st.Contact.Blocked {
		log.InfoContext(ctx, "contact is blocked; the bot does not answer")
		return nil
	}
	in, botID, err := h.input(ctx, j, ch, st, log)
	if err != nil || in == nil {
		return err
	}
	var b *bot.Bot
	if botID != "" {
		b, err = h.bots.Get(ctx, j.TeamID+"/"+botID)
		if err != nil && switchboard.ErrorCode(err) != switchboard.ENotFound {
			return err
		}
	}
	if in.Kind == bot.InputMessage {
		in.Location = h.location(ctx, j.TeamID)
	}
	res, err := h.engine.Step(ctx, b, st.Session, st.Contact, *in)
	if err != nil {
		return err
	}
	for _, line := range res.Log {
		log.InfoContext(ctx, "bot: "+line, slog.String("botId", botID))
	}
	if idle(res, st.Session) {
		return nil
	}
	now := h.now().UTC()
	w, err := h.write(j, ch, st, res, now)
	if err != nil {
		return err
	}
	if err := h.store.CommitBotStep(ctx, w); err != nil {
		return err
	}
	h.count(ch, res)
	if w.Outbox == nil {
		return nil
	}
	status := make([]switchboard.DeliveryStatus, len(w.Messages))
	for i := range status {
		status[i] = switchboard.DeliverySending
	}
	return h.send(ctx, j, ch, w.Outbox, status, receives, log)
}

// idle reports whether a step changed nothing worth a write: no message, no
// change, and the flow where it was.
func idle(res *bot.Result, before *bot.Session) bool {
	after := res.Session
	return len(res.Messages) == 0 && res.Changes.Empty() && !res.HandToHuman && res.Delay == nil &&
		after.BotID == before.BotID && after.ModuleID == before.ModuleID && after.CardIndex == before.CardIndex &&
		after.Waiting == before.Waiting && after.WaitingSince.Equal(before.WaitingSince) &&
		(after.Delay == nil) == (before.Delay == nil)
}

// input turns a job into the engine's input and names the bot it concerns.
// A nil input means there is nothing to answer (a follow on a channel
// without a welcome module).
func (h *Handler) input(ctx context.Context, j *job, ch *switchboard.Channel, st *dynamo.BotState, log *slog.Logger) (*bot.Input, string, error) {
	if j.Delay != nil {
		botID := j.Delay.BotID
		if d := st.Session.Delay; d != nil && d.Seq == j.Delay.Seq {
			botID = d.BotID
		}
		return &bot.Input{Kind: bot.InputDelay, DelaySeq: j.Delay.Seq, ChannelKind: ch.Kind}, botID, nil
	}
	r := j.Request
	in := &bot.Input{ChannelKind: ch.Kind, At: r.Event.OccurredAt}
	entry := func(e bot.Entry, err error, what string) (*bot.Input, string, error) {
		if switchboard.ErrorCode(err) == switchboard.ENotFound {
			log.InfoContext(ctx, what+" leads to no bot module; nothing to answer")
			return nil, "", nil
		}
		if err != nil {
			return nil, "", err
		}
		in.Kind, in.BotID, in.ModuleID = bot.InputStart, e.BotID, e.ModuleID
		return in, e.BotID, nil
	}
	switch r.Trigger {
	case switchboard.TriggerKeyword:
		in.Kind, in.BotID, in.ModuleID = bot.InputStart, r.BotID, r.ModuleID
		return in, r.BotID, nil
	case switchboard.TriggerFollow:
		e, err := h.store.WelcomeModule(ctx, j.TeamID, j.ChannelID)
		return entry(e, err, "the follow")
	case switchboard.TriggerReferral:
		if ref := referralRef(&r.Event); ref != "" {
			e, err := h.store.ResolveBotRef(ctx, j.TeamID, ref)
			if switchboard.ErrorCode(err) != switchboard.ENotFound || postbackPayload(&r.Event) == "" {
				return entry(e, err, "the referral")
			}
		}
	}
	if p := postbackPayload(&r.Event); p != "" {
		in.Kind, in.Payload = bot.InputPayload, p
		ref, _ := bot.ParsePayload(p)
		return in, ref.BotID, nil
	}
	if r.Event.Message != nil {
		in.Kind, in.Message = bot.InputMessage, r.Event.Message
		return in, st.Session.BotID, nil
	}
	return nil, "", switchboard.Errorf(switchboard.EInvalid, "bot request %s (%s) carries no payload, referral or message", r.ID, r.Trigger)
}

// postbackPayload is the payload of a button tap or quick reply.
func postbackPayload(e *switchboard.InboundEvent) string {
	if e.Postback != nil && e.Postback.Payload != "" {
		return e.Postback.Payload
	}
	if e.Message != nil {
		return e.Message.QuickReplyPayload
	}
	return ""
}

// referralRef is the ref of an m.me link, on a referral or a "Get Started"
// postback that came through one.
func referralRef(e *switchboard.InboundEvent) string {
	if e.Referral != nil {
		return e.Referral.Ref
	}
	if e.Postback != nil && e.Postback.Referral != nil {
		return e.Postback.Referral.Ref
	}
	return ""
}

// location is the team's time zone, for answers with a date and time; UTC
// when the team has none or it cannot be read.
func (h *Handler) location(ctx context.Context, teamID string) *time.Location {
	t, err := h.teams.Get(ctx, teamID)
	if err != nil || t.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// inputWindow is how long a user input card waits for its answer.
func (h *Handler) inputWindow() time.Duration {
	if h.engine != nil && h.engine.InputWindow > 0 {
		return h.engine.InputWindow
	}
	return bot.DefaultInputWindow
}

// write builds the transaction of a decided step.
func (h *Handler) write(j *job, ch *switchboard.Channel, st *dynamo.BotState, res *bot.Result, now time.Time) (*dynamo.BotStepWrite, error) {
	w := &dynamo.BotStepWrite{TeamID: j.TeamID, RequestID: j.RequestID, ConversationID: j.ConversationID, Session: res.Session}
	if !res.Changes.Empty() {
		c := cloneContact(st.Contact)
		if err := res.Changes.Apply(c, now); err != nil {
			return nil, err
		}
		w.Contact = c
		for _, t := range res.Changes.AddTags {
			w.TagLogs = append(w.TagLogs, &switchboard.TagLog{
				ID: h.newID(), TeamID: j.TeamID, ContactID: c.ID, Tag: t, ChannelID: j.ChannelID, Source: bot.TagByBot, At: now,
			})
		}
	}
	// While a user input card waits, the router must hand the customer's next
	// message to the bot instead of its keyword rules; it learns that from the
	// conversation, which it reads anyway (Conversation.BotInputUntil).
	var inputUntil time.Time
	if res.Session != nil && res.Session.WaitingFor(now) == bot.WaitInput {
		inputUntil = res.Session.WaitingSince.Add(h.inputWindow())
	}
	if st.Conversation != nil && (len(res.Messages) > 0 || res.HandToHuman || !st.Conversation.BotInputUntil.Equal(inputUntil)) {
		conv := cloneConversation(st.Conversation)
		conv.BotInputUntil = inputUntil
		if len(res.Messages) > 0 {
			conv.OnBotMessage(now)
		}
		if res.HandToHuman {
			conv.RequestHuman(now)
		}
		w.Conversation = conv
	}
	if res.Delay != nil {
		t, err := h.delayTimer(j, ch, res.Delay)
		if err != nil {
			return nil, err
		}
		w.Timer = t
	}
	if len(res.Messages) == 0 {
		return w, nil
	}
	ob := &dynamo.BotOutbox{ChannelID: ch.ID, PlatformUserID: j.CustomerID, LastCustomerAt: st.Contact.LastCustomerInteractionAt, Messages: res.Messages}
	if j.Request != nil {
		ob.ReplyToken = j.Request.ReplyToken
		if at := j.Request.Event.OccurredAt; at.After(ob.LastCustomerAt) && !at.After(now) {
			ob.LastCustomerAt = at
		}
	}
	for i, m := range res.Messages {
		id := StepMessageID(j.RequestID, now, i)
		ob.MessageIDs = append(ob.MessageIDs, id)
		msg := &switchboard.Message{
			ID: id, TeamID: j.TeamID, ConversationID: j.ConversationID, ContactID: j.ContactID,
			Direction: switchboard.Outbound, Kind: m.Kind, Text: m.Text, MediaURL: m.MediaURL,
			Status: switchboard.DeliverySending, CreatedAt: now,
		}
		if msg.Kind == "" {
			msg.Kind = switchboard.MsgText
		}
		w.Messages = append(w.Messages, msg)
		if w.Conversation != nil && m.Text != "" {
			w.Conversation.IndexMessage(m.Text)
		}
	}
	w.Outbox = ob
	return w, nil
}

// delayTimer is the timer of a delay card: named by the conversation and the
// step that armed it, so arming it again (a retried commit) is the same timer.
func (h *Handler) delayTimer(j *job, ch *switchboard.Channel, d *bot.DelayRequest) (*switchboard.Timer, error) {
	data, err := json.Marshal(delayData{Seq: d.Seq, BotID: d.BotID, ContactID: j.ContactID})
	if err != nil {
		return nil, switchboard.Wrap(switchboard.EInternal, err, "encode bot delay")
	}
	id := "bot-delay/" + j.ConversationID + "/" + strconv.FormatInt(d.Seq, 10)
	return timer.Conversation(switchboard.TimerBotDelay, j.TeamID, id, d.Seq, d.DueAt, switchboard.ConversationTimer{
		ChannelID: ch.ID, ChannelKind: ch.Kind, CustomerID: j.CustomerID, ConversationID: j.ConversationID, Data: data,
	})
}

func (h *Handler) count(ch *switchboard.Channel, res *bot.Result) {
	c := map[string]float64{"BotSteps": 1}
	if res.Fallback {
		c["BotFallbacks"] = 1
	}
	if res.HandToHuman {
		c["BotHandoffs"] = 1
	}
	if res.Delay != nil {
		c["BotDelaysArmed"] = 1
	}
	h.metrics.Count(c, map[string]string{"ChannelKind": string(ch.Kind)})
}
