package botstep

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Fakes as structs of function fields: a test replaces one field to make one
// call behave as it needs. A nil field fails the call loudly.

type fakeStore struct {
	loadBotState  func(ctx context.Context, teamID, conversationID, contactID string) (*dynamo.BotState, error)
	getBot        func(ctx context.Context, teamID, id string) (*bot.Bot, error)
	resolveBotRef func(ctx context.Context, teamID, ref string) (bot.Entry, error)
	welcomeModule func(ctx context.Context, teamID, channelID string) (bot.Entry, error)
	commitBotStep func(ctx context.Context, w *dynamo.BotStepWrite) error
	getBotOutbox  func(ctx context.Context, teamID, requestID, conversationID string) (*dynamo.BotOutboxState, error)
	markBotSent   func(ctx context.Context, refs []dynamo.MessageRef, channelID string, platformIDs []string) error
	markBotFailed func(ctx context.Context, refs []dynamo.MessageRef, reason string) error
}

var _ Store = (*fakeStore)(nil)

func unexpected(name string) error { return fmt.Errorf("unexpected call to %s", name) }

func (f *fakeStore) LoadBotState(ctx context.Context, teamID, conversationID, contactID string) (*dynamo.BotState, error) {
	if f.loadBotState == nil {
		return nil, unexpected("LoadBotState")
	}
	return f.loadBotState(ctx, teamID, conversationID, contactID)
}

func (f *fakeStore) GetBot(ctx context.Context, teamID, id string) (*bot.Bot, error) {
	if f.getBot == nil {
		return nil, unexpected("GetBot")
	}
	return f.getBot(ctx, teamID, id)
}

func (f *fakeStore) ResolveBotRef(ctx context.Context, teamID, ref string) (bot.Entry, error) {
	if f.resolveBotRef == nil {
		return bot.Entry{}, unexpected("ResolveBotRef")
	}
	return f.resolveBotRef(ctx, teamID, ref)
}

func (f *fakeStore) WelcomeModule(ctx context.Context, teamID, channelID string) (bot.Entry, error) {
	if f.welcomeModule == nil {
		return bot.Entry{}, unexpected("WelcomeModule")
	}
	return f.welcomeModule(ctx, teamID, channelID)
}

func (f *fakeStore) CommitBotStep(ctx context.Context, w *dynamo.BotStepWrite) error {
	if f.commitBotStep == nil {
		return unexpected("CommitBotStep")
	}
	return f.commitBotStep(ctx, w)
}

func (f *fakeStore) GetBotOutbox(ctx context.Context, teamID, requestID, conversationID string) (*dynamo.BotOutboxState, error) {
	if f.getBotOutbox == nil {
		return nil, unexpected("GetBotOutbox")
	}
	return f.getBotOutbox(ctx, teamID, requestID, conversationID)
}

func (f *fakeStore) MarkBotSent(ctx context.Context, refs []dynamo.MessageRef, channelID string, platformIDs []string) error {
	if f.markBotSent == nil {
		return unexpected("MarkBotSent")
	}
	return f.markBotSent(ctx, refs, channelID, platformIDs)
}

func (f *fakeStore) MarkBotFailed(ctx context.Context, refs []dynamo.MessageRef, reason string) error {
	if f.markBotFailed == nil {
		return unexpected("MarkBotFailed")
	}
	return f.markBotFailed(ctx, refs, reason)
}

type fakeDirectory struct {
	lookupChannel func(ctx context.Context, id string) (*sb.Channel, error)
	getTeam       func(ctx context.Context, id string) (*sb.Team, error)
}

var _ Directory = (*fakeDirectory)(nil)

func (f *fakeDirectory) LookupChannel(ctx context.Context, id string) (*sb.Channel, error) {
	if f.lookupChannel == nil {
		return nil, unexpected("LookupChannel")
	}
	return f.lookupChannel(ctx, id)
}

func (f *fakeDirectory) GetTeam(ctx context.Context, id string) (*sb.Team, error) {
	if f.getTeam == nil {
		return nil, unexpected("GetTeam")
	}
	return f.getTeam(ctx, id)
}

type fakeSender struct {
	send func(ctx context.Context, req sb.SendRequest) (sb.SendResult, error)
}

var _ sb.Sender = (*fakeSender)(nil)

func (f *fakeSender) Send(ctx context.Context, req sb.SendRequest) (sb.SendResult, error) {
	return f.send(ctx, req)
}

const (
	team    = "T1"
	chanID  = "CH1"
	contact = "ct_1"
	user    = "U1"
)

var now = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

// world is an in-memory store behind the fakes: one conversation, its
// session, contact and conversation, the team's bots, and what was written
// and sent.
type world struct {
	t       *testing.T
	mu      sync.Mutex
	clock   time.Time
	channel *sb.Channel
	session *bot.Session
	contact *sb.Contact
	conv    *sb.Conversation
	bots    map[string]*bot.Bot
	entries map[string]bot.Entry
	claims  map[string]*dynamo.BotOutbox
	status  map[string]sb.DeliveryStatus
	reasons map[string]string
	commits []*dynamo.BotStepWrite
	sent    []sb.SendRequest
	sendErr func(req sb.SendRequest) error
	loads   int
	store   *fakeStore
	handler *Handler
}

func newWorld(t *testing.T, kind sb.ChannelKind) *world {
	w := &world{
		t: t, clock: now,
		channel: &sb.Channel{ID: chanID, TeamID: team, Kind: kind, Enabled: true},
		session: &bot.Session{TeamID: team, ConversationID: contact},
		contact: &sb.Contact{ID: contact, TeamID: team, ChannelID: chanID, PlatformUserID: user, NativeName: "Mei", LastCustomerInteractionAt: now, Version: 3},
		conv:    &sb.Conversation{ID: contact, TeamID: team, ContactID: contact, ChannelID: chanID, Status: sb.StatusPending, PendingKind: sb.PendingBot, Version: 5},
		bots:    map[string]*bot.Bot{"B1": testBot()},
		entries: map[string]bot.Entry{},
		claims:  map[string]*dynamo.BotOutbox{},
		status:  map[string]sb.DeliveryStatus{},
		reasons: map[string]string{},
	}
	w.store = &fakeStore{
		loadBotState: func(_ context.Context, teamID, conversationID, contactID string) (*dynamo.BotState, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.loads++
			if teamID != team || conversationID != contact || contactID != contact {
				return nil, fmt.Errorf("load of %s/%s/%s", teamID, conversationID, contactID)
			}
			st := &dynamo.BotState{Session: w.session.Clone()}
			if w.contact != nil {
				c := cloneContact(w.contact)
				st.Contact = c
			}
			if w.conv != nil {
				st.Conversation = cloneConversation(w.conv)
			}
			return st, nil
		},
		getBot: func(_ context.Context, teamID, id string) (*bot.Bot, error) {
			b, ok := w.bots[id]
			if !ok || teamID != team {
				return nil, sb.Errorf(sb.ENotFound, "bot not found")
			}
			return b, nil
		},
		resolveBotRef: func(_ context.Context, _, ref string) (bot.Entry, error) {
			if e, ok := w.entries[bot.RefEntry(ref)]; ok {
				return e, nil
			}
			return bot.Entry{}, sb.Errorf(sb.ENotFound, "no ref")
		},
		welcomeModule: func(_ context.Context, _, channelID string) (bot.Entry, error) {
			if e, ok := w.entries[bot.WelcomeEntry(channelID)]; ok {
				return e, nil
			}
			return bot.Entry{}, sb.Errorf(sb.ENotFound, "no welcome")
		},
		commitBotStep: func(_ context.Context, bw *dynamo.BotStepWrite) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			if _, ok := w.claims[bw.RequestID]; ok {
				return dynamo.ErrAlreadyProcessed
			}
			if bw.Session.Version != w.session.Version {
				return sb.Errorf(sb.EConflict, "session changed")
			}
			w.commits = append(w.commits, bw)
			w.claims[bw.RequestID] = bw.Outbox
			s := bw.Session.Clone()
			s.Version++
			w.session = s
			if bw.Contact != nil {
				c := cloneContact(bw.Contact)
				c.Version++
				w.contact = c
			}
			if bw.Conversation != nil {
				c := cloneConversation(bw.Conversation)
				c.Version++
				w.conv = c
			}
			for _, m := range bw.Messages {
				w.status[m.ID] = m.Status
			}
			return nil
		},
		getBotOutbox: func(_ context.Context, _, requestID, _ string) (*dynamo.BotOutboxState, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			ob, ok := w.claims[requestID]
			if !ok {
				return &dynamo.BotOutboxState{}, nil
			}
			st := &dynamo.BotOutboxState{Claimed: true, Outbox: ob}
			if ob != nil {
				for _, id := range ob.MessageIDs {
					st.Status = append(st.Status, w.status[id])
				}
			}
			return st, nil
		},
		markBotSent: func(_ context.Context, refs []dynamo.MessageRef, _ string, _ []string) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			for _, r := range refs {
				if w.status[r.MessageID] == sb.DeliverySending {
					w.status[r.MessageID] = sb.DeliverySent
				}
			}
			return nil
		},
		markBotFailed: func(_ context.Context, refs []dynamo.MessageRef, reason string) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			for _, r := range refs {
				if w.status[r.MessageID] == sb.DeliverySending {
					w.status[r.MessageID] = sb.DeliveryFailed
					w.reasons[r.MessageID] = reason
				}
			}
			return nil
		},
	}
	sender := &fakeSender{send: func(_ context.Context, req sb.SendRequest) (sb.SendResult, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.sendErr != nil {
			if err := w.sendErr(req); err != nil {
				return sb.SendResult{}, err
			}
		}
		w.sent = append(w.sent, req)
		ids := make([]string, len(req.Messages))
		for i := range ids {
			ids[i] = fmt.Sprintf("pm-%d-%d", len(w.sent), i)
		}
		return sb.SendResult{PlatformMessageIDs: ids, Via: "push"}, nil
	}}
	dir := &fakeDirectory{
		lookupChannel: func(_ context.Context, id string) (*sb.Channel, error) {
			if id != chanID {
				return nil, sb.Errorf(sb.ENotFound, "channel not found")
			}
			c := *w.channel
			return &c, nil
		},
		getTeam: func(_ context.Context, id string) (*sb.Team, error) {
			return &sb.Team{ID: id, TimeZone: "Asia/Taipei"}, nil
		},
	}
	ids := 0
	w.handler = New(Config{
		Store: w.store, Directory: dir,
		Senders: map[sb.ChannelKind]sb.Sender{kind: sender},
		Engine:  &bot.Engine{Clock: w.now},
		Clock:   w.now,
		NewID:   func() string { ids++; return fmt.Sprintf("01JTAG%04d", ids) },
	})
	return w
}

func (w *world) now() time.Time { return w.clock }

// testBot is the bot the handler tests run.
func testBot() *bot.Bot {
	text := func(s string, bs ...bot.Button) bot.Card { return bot.Card{Type: bot.CardText, Text: s, Buttons: bs} }
	many := make([]bot.Card, 7)
	for i := range many {
		many[i] = text(fmt.Sprintf("part %d", i+1))
	}
	return &bot.Bot{
		ID: "B1", TeamID: team, Name: "Shop", Version: 1,
		ChannelKinds: []sb.ChannelKind{sb.KindLINE, sb.KindMessenger, sb.KindWhatsApp},
		Modules: []bot.Module{
			{ID: "menu", Cards: []bot.Card{text("Hi {{system:customer_name}}!", bot.Button{Label: "VIP", Action: bot.ActionAddTags, Tags: []string{"vip"}, ModuleID: "vip"})}},
			{ID: "vip", Cards: []bot.Card{text("Welcome to VIP.")}},
			{ID: "many", Cards: many},
			{ID: "ask", Cards: []bot.Card{{Type: bot.CardUserInput, Text: "Your e-mail?", Input: &bot.UserInput{Attribute: "work_email", NextModuleID: "vip"}}}},
			{ID: "remind", Cards: []bot.Card{text("Later then."), {Type: bot.CardDelay, Delay: &bot.Delay{Minutes: 15, NextModuleID: "vip"}}}},
			{ID: "human", Cards: []bot.Card{{Type: bot.CardLiveAgent, Text: "A colleague will answer."}}},
		},
	}
}

// request is a bot request of the conversation.
func request(id string, trigger sb.BotTrigger, ev sb.InboundEvent) sb.BotRequest {
	ev.ID, ev.TeamID, ev.ChannelID, ev.CustomerID = "ev-"+id, team, chanID, user
	if ev.Type == "" {
		ev.Type = sb.InMessage
	}
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = now
	}
	return sb.BotRequest{
		ID: id, TeamID: team, ChannelID: chanID, ContactID: contact, ConversationID: contact,
		Trigger: trigger, Event: ev, ReplyToken: ev.ReplyToken, RequestedAt: now,
	}
}

func keyword(id, module string) sb.BotRequest {
	r := request(id, sb.TriggerKeyword, sb.InboundEvent{ReplyToken: "rt-" + id, Message: &sb.InboundMessage{Kind: sb.MsgText, Text: "menu"}})
	r.BotID, r.ModuleID = "B1", module
	return r
}

func postback(id, payload string) sb.BotRequest {
	return request(id, sb.TriggerPostback, sb.InboundEvent{Type: sb.InPostback, ReplyToken: "rt-" + id, Postback: &sb.Postback{Payload: payload}})
}

// sqsMessage is a bot.fifo message holding v, received receives times.
func sqsMessage(t testing.TB, id string, v any, receives int) events.SQSMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return events.SQSMessage{MessageId: id, Body: string(b), Attributes: map[string]string{"ApproximateReceiveCount": fmt.Sprint(receives)}}
}

// handle runs one message through the handler.
func (w *world) handle(v any, receives int) error {
	w.t.Helper()
	return w.handler.HandleMessage(context.Background(), sqsMessage(w.t, "m1", v, receives))
}

func (w *world) sentTexts() [][]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out [][]string
	for _, r := range w.sent {
		var ts []string
		for _, m := range r.Messages {
			ts = append(ts, m.Text)
		}
		out = append(out, ts)
	}
	return out
}
