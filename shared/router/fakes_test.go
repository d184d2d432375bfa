package router

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// fakeStore is a Store whose methods are functions.
type fakeStore struct {
	loadInbound          func(ctx context.Context, teamID, contactID string) (*switchboard.Contact, *switchboard.Conversation, error)
	applyInbound         func(ctx context.Context, w *dynamo.InboundWrite) error
	getOutbox            func(ctx context.Context, teamID, channelID, eventID, conversationID string, ids []string) (*dynamo.Outbox, error)
	recentMessages       func(ctx context.Context, teamID, conversationID string, limit int) ([]*switchboard.Message, error)
	getAssignState       func(ctx context.Context, teamID, scope string) (*dynamo.AssignState, error)
	markSent             func(ctx context.Context, ref dynamo.MessageRef, channelID string, platformIDs []string) (bool, error)
	markFailed           func(ctx context.Context, ref dynamo.MessageRef, reason string) (bool, error)
	findPlatformMessages func(ctx context.Context, teamID, channelID string, ids []string) ([]dynamo.MessageRef, error)
	advanceStatus        func(ctx context.Context, ref dynamo.MessageRef, to switchboard.DeliveryStatus, reason string, from []switchboard.DeliveryStatus) (bool, error)
}

var _ Store = (*fakeStore)(nil)

func (f *fakeStore) LoadInbound(ctx context.Context, teamID, contactID string) (*switchboard.Contact, *switchboard.Conversation, error) {
	return f.loadInbound(ctx, teamID, contactID)
}

func (f *fakeStore) ApplyInbound(ctx context.Context, w *dynamo.InboundWrite) error {
	return f.applyInbound(ctx, w)
}

func (f *fakeStore) GetOutbox(ctx context.Context, teamID, channelID, eventID, conversationID string, ids []string) (*dynamo.Outbox, error) {
	return f.getOutbox(ctx, teamID, channelID, eventID, conversationID, ids)
}

func (f *fakeStore) RecentMessages(ctx context.Context, teamID, conversationID string, limit int) ([]*switchboard.Message, error) {
	return f.recentMessages(ctx, teamID, conversationID, limit)
}

func (f *fakeStore) GetAssignState(ctx context.Context, teamID, scope string) (*dynamo.AssignState, error) {
	return f.getAssignState(ctx, teamID, scope)
}

func (f *fakeStore) MarkSent(ctx context.Context, ref dynamo.MessageRef, channelID string, platformIDs []string) (bool, error) {
	return f.markSent(ctx, ref, channelID, platformIDs)
}

func (f *fakeStore) MarkFailed(ctx context.Context, ref dynamo.MessageRef, reason string) (bool, error) {
	return f.markFailed(ctx, ref, reason)
}

func (f *fakeStore) FindPlatformMessages(ctx context.Context, teamID, channelID string, ids []string) ([]dynamo.MessageRef, error) {
	return f.findPlatformMessages(ctx, teamID, channelID, ids)
}

func (f *fakeStore) AdvanceStatus(ctx context.Context, ref dynamo.MessageRef, to switchboard.DeliveryStatus, reason string, from []switchboard.DeliveryStatus) (bool, error) {
	return f.advanceStatus(ctx, ref, to, reason, from)
}

// fakeDirectory is a Directory whose methods are functions.
type fakeDirectory struct {
	lookupChannel func(ctx context.Context, id string) (*switchboard.Channel, error)
	getTeam       func(ctx context.Context, id string) (*switchboard.Team, error)
	listMembers   func(ctx context.Context, teamID string) ([]*switchboard.Member, error)
}

var _ Directory = (*fakeDirectory)(nil)

func (f *fakeDirectory) LookupChannel(ctx context.Context, id string) (*switchboard.Channel, error) {
	return f.lookupChannel(ctx, id)
}

func (f *fakeDirectory) GetTeam(ctx context.Context, id string) (*switchboard.Team, error) {
	return f.getTeam(ctx, id)
}

func (f *fakeDirectory) ListMembers(ctx context.Context, teamID string) ([]*switchboard.Member, error) {
	return f.listMembers(ctx, teamID)
}

// fakeRules is a Rules whose methods are functions.
type fakeRules struct {
	getRuleSet        func(ctx context.Context, teamID string) (*keyword.RuleSet, error)
	getAssignSettings func(ctx context.Context, teamID string) (*switchboard.AssignSettings, error)
}

var _ Rules = (*fakeRules)(nil)

func (f *fakeRules) GetRuleSet(ctx context.Context, teamID string) (*keyword.RuleSet, error) {
	return f.getRuleSet(ctx, teamID)
}

func (f *fakeRules) GetAssignSettings(ctx context.Context, teamID string) (*switchboard.AssignSettings, error) {
	return f.getAssignSettings(ctx, teamID)
}

// fakeSender is a Sender whose method is a function.
type fakeSender struct {
	fn func(ctx context.Context, req switchboard.SendRequest) (switchboard.SendResult, error)
}

var _ switchboard.Sender = (*fakeSender)(nil)

func (f *fakeSender) Send(ctx context.Context, req switchboard.SendRequest) (switchboard.SendResult, error) {
	return f.fn(ctx, req)
}

// fakeBots is a BotPublisher whose method is a function.
type fakeBots struct {
	fn func(ctx context.Context, reqs []switchboard.BotRequest) error
}

var _ switchboard.BotPublisher = (*fakeBots)(nil)

func (f *fakeBots) PublishBot(ctx context.Context, reqs []switchboard.BotRequest) error {
	return f.fn(ctx, reqs)
}

// fixedRand always picks index i (clamped).
type fixedRand int

func (r fixedRand) IntN(n int) int { return min(int(r), n-1) }

// Test fixtures.
var (
	t0   = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday, 18:00 in Taipei
	team = "T1"

	lineCh = &switchboard.Channel{ID: "CL", TeamID: team, Kind: switchboard.KindLINE, Name: "line", Enabled: true}
	waCh   = &switchboard.Channel{ID: "CW", TeamID: team, Kind: switchboard.KindWhatsApp, Name: "wa", Enabled: true}
	fbCh   = &switchboard.Channel{ID: "CF", TeamID: team, Kind: switchboard.KindMessenger, Name: "fb", Enabled: true}
)

// world is the state behind the memory-backed fakes: what a test sets up
// and then inspects.
type world struct {
	mu       sync.Mutex
	contact  *switchboard.Contact
	conv     *switchboard.Conversation
	messages map[string]*switchboard.Message
	claims   map[string]*switchboard.BotRequest
	states   map[string]*dynamo.AssignState
	pointers map[string]dynamo.MessageRef

	rules        *keyword.RuleSet
	workingHours bool
	autoEnd      switchboard.AutoEnd
	members      []*switchboard.Member
	team         *switchboard.Team
	// common are the common messages of every channel.
	common switchboard.CommonMessages

	writes []*dynamo.InboundWrite
	sends  []switchboard.SendRequest
	bots   []switchboard.BotRequest
	calls  map[string]int

	send func(req switchboard.SendRequest) (switchboard.SendResult, error)
}

func newWorld() *world {
	return &world{
		messages: map[string]*switchboard.Message{},
		claims:   map[string]*switchboard.BotRequest{},
		states:   map[string]*dynamo.AssignState{},
		pointers: map[string]dynamo.MessageRef{},
		rules:    &keyword.RuleSet{},
		team:     &switchboard.Team{ID: team, Name: "team"},
		calls:    map[string]int{},
		send: func(req switchboard.SendRequest) (switchboard.SendResult, error) {
			return switchboard.SendResult{PlatformMessageIDs: []string{"p-" + req.IdempotencyKey}, Via: "reply"}, nil
		},
	}
}

func (w *world) call(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls[name]++
}

// store returns a fakeStore backed by the world, with the semantics of the
// table: versions, the claim, forward-only statuses.
func (w *world) store() *fakeStore {
	return &fakeStore{
		loadInbound: func(_ context.Context, _, _ string) (*switchboard.Contact, *switchboard.Conversation, error) {
			w.call("LoadInbound")
			w.mu.Lock()
			defer w.mu.Unlock()
			var c *switchboard.Contact
			var v *switchboard.Conversation
			if w.contact != nil {
				cc := *w.contact
				c = &cc
			}
			if w.conv != nil {
				v = cloneConversation(w.conv)
			}
			return c, v, nil
		},
		applyInbound: func(_ context.Context, in *dynamo.InboundWrite) error {
			w.call("ApplyInbound")
			w.mu.Lock()
			defer w.mu.Unlock()
			claim := in.ChannelID + "#" + in.EventID
			if _, ok := w.claims[claim]; ok {
				return dynamo.ErrAlreadyProcessed
			}
			if in.Contact != nil && w.contact != nil && in.Contact.Version != w.contact.Version {
				return switchboard.Errorf(switchboard.EConflict, "contact changed")
			}
			if in.Conversation != nil && w.conv != nil && in.Conversation.Version != w.conv.Version {
				return switchboard.Errorf(switchboard.EConflict, "conversation changed")
			}
			w.claims[claim] = in.Bot
			w.writes = append(w.writes, in)
			if in.Contact != nil {
				c := *in.Contact
				c.Version++
				w.contact = &c
			}
			if in.Conversation != nil {
				c := cloneConversation(in.Conversation)
				c.Version++
				w.conv = c
			}
			for _, m := range in.Messages {
				mm := *m
				w.messages[m.ID] = &mm
			}
			for _, r := range in.ReadMarks {
				w.messages[r.MessageID].Status = switchboard.DeliveryRead
			}
			for _, s := range in.AssignStates {
				ss := *s
				ss.Version++
				w.states[s.Scope] = &ss
			}
			return nil
		},
		getOutbox: func(_ context.Context, _, channelID, eventID, _ string, ids []string) (*dynamo.Outbox, error) {
			w.call("GetOutbox")
			w.mu.Lock()
			defer w.mu.Unlock()
			bot, ok := w.claims[channelID+"#"+eventID]
			out := &dynamo.Outbox{Claimed: ok, Bot: bot}
			for _, id := range ids {
				if m, ok := w.messages[id]; ok {
					mm := *m
					out.Messages = append(out.Messages, &mm)
				}
			}
			return out, nil
		},
		recentMessages: func(_ context.Context, _, _ string, limit int) ([]*switchboard.Message, error) {
			w.call("RecentMessages")
			w.mu.Lock()
			defer w.mu.Unlock()
			var all []*switchboard.Message
			for _, m := range w.messages {
				mm := *m
				all = append(all, &mm)
			}
			slices.SortFunc(all, func(a, b *switchboard.Message) int { return -compareStrings(a.ID, b.ID) })
			return all[:min(limit, len(all))], nil
		},
		getAssignState: func(_ context.Context, _, scope string) (*dynamo.AssignState, error) {
			w.call("GetAssignState")
			w.mu.Lock()
			defer w.mu.Unlock()
			if s, ok := w.states[scope]; ok {
				ss := *s
				return &ss, nil
			}
			return &dynamo.AssignState{Scope: scope}, nil
		},
		markSent: func(_ context.Context, ref dynamo.MessageRef, _ string, ids []string) (bool, error) {
			w.call("MarkSent")
			w.mu.Lock()
			defer w.mu.Unlock()
			m := w.messages[ref.MessageID]
			if m == nil || m.Status != switchboard.DeliverySending {
				return false, nil
			}
			m.Status = switchboard.DeliverySent
			if len(ids) > 0 {
				m.PlatformMessageID = ids[0]
			}
			for _, id := range ids {
				w.pointers[id] = ref
			}
			return true, nil
		},
		markFailed: func(_ context.Context, ref dynamo.MessageRef, reason string) (bool, error) {
			w.call("MarkFailed")
			w.mu.Lock()
			defer w.mu.Unlock()
			m := w.messages[ref.MessageID]
			if m == nil || m.Status != switchboard.DeliverySending {
				return false, nil
			}
			m.Status, m.FailureReason = switchboard.DeliveryFailed, reason
			return true, nil
		},
		findPlatformMessages: func(_ context.Context, _, _ string, ids []string) ([]dynamo.MessageRef, error) {
			w.call("FindPlatformMessages")
			w.mu.Lock()
			defer w.mu.Unlock()
			var out []dynamo.MessageRef
			for _, id := range ids {
				if r, ok := w.pointers[id]; ok {
					out = append(out, r)
				}
			}
			return out, nil
		},
		advanceStatus: func(_ context.Context, ref dynamo.MessageRef, to switchboard.DeliveryStatus, reason string, from []switchboard.DeliveryStatus) (bool, error) {
			w.call("AdvanceStatus")
			w.mu.Lock()
			defer w.mu.Unlock()
			m := w.messages[ref.MessageID]
			if m == nil || !slices.Contains(from, m.Status) {
				return false, nil
			}
			m.Status = to
			if to == switchboard.DeliveryFailed {
				m.FailureReason = reason
			}
			return true, nil
		},
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// router returns a Router over the world's fakes, with the clock at now.
func (w *world) router(t testing.TB, now time.Time) *Router {
	t.Helper()
	channels := map[string]*switchboard.Channel{}
	for _, ch := range []*switchboard.Channel{lineCh, waCh, fbCh} {
		c := *ch
		c.CommonMessages = w.common
		channels[c.ID] = &c
	}
	sender := &fakeSender{fn: func(_ context.Context, req switchboard.SendRequest) (switchboard.SendResult, error) {
		w.mu.Lock()
		w.sends = append(w.sends, req)
		send := w.send
		w.mu.Unlock()
		return send(req)
	}}
	return New(Config{
		Store: w.store(),
		Directory: &fakeDirectory{
			lookupChannel: func(_ context.Context, id string) (*switchboard.Channel, error) {
				if ch, ok := channels[id]; ok {
					return ch, nil
				}
				return nil, switchboard.Errorf(switchboard.ENotFound, "channel not found")
			},
			getTeam: func(context.Context, string) (*switchboard.Team, error) { return w.team, nil },
			listMembers: func(context.Context, string) ([]*switchboard.Member, error) {
				w.call("ListMembers")
				return w.members, nil
			},
		},
		Rules: &fakeRules{
			getRuleSet: func(context.Context, string) (*keyword.RuleSet, error) { return w.rules, nil },
			getAssignSettings: func(context.Context, string) (*switchboard.AssignSettings, error) {
				return &switchboard.AssignSettings{WorkingHours: w.workingHours, AutoEnd: w.autoEnd}, nil
			},
		},
		Senders: map[switchboard.ChannelKind]switchboard.Sender{
			switchboard.KindLINE: sender, switchboard.KindWhatsApp: sender, switchboard.KindMessenger: sender,
		},
		Bots: &fakeBots{fn: func(_ context.Context, reqs []switchboard.BotRequest) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.bots = append(w.bots, reqs...)
			return nil
		}},
		Clock: func() time.Time { return now },
		Rand:  fixedRand(0),
	})
}

// lastWrite is the last committed write.
func (w *world) lastWrite(t *testing.T) *dynamo.InboundWrite {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.writes) == 0 {
		t.Fatal("nothing was committed")
	}
	return w.writes[len(w.writes)-1]
}

// textEvent is a customer's text message on ch.
func textEvent(ch *switchboard.Channel, id, text string) *switchboard.InboundEvent {
	return msgEvent(ch, id, &switchboard.InboundMessage{ID: "m-" + id, Kind: switchboard.MsgText, Text: text})
}

func msgEvent(ch *switchboard.Channel, id string, m *switchboard.InboundMessage) *switchboard.InboundEvent {
	return &switchboard.InboundEvent{
		ID: id, TeamID: team, ChannelID: ch.ID, ChannelKind: ch.Kind, Type: switchboard.InMessage,
		CustomerID: "U1", OccurredAt: t0.Add(-time.Second), ReplyToken: "rt-" + id, Message: m,
	}
}

func typedEvent(ch *switchboard.Channel, id string, typ switchboard.InboundType) *switchboard.InboundEvent {
	return &switchboard.InboundEvent{
		ID: id, TeamID: team, ChannelID: ch.ID, ChannelKind: ch.Kind, Type: typ,
		CustomerID: "U1", OccurredAt: t0.Add(-time.Second), ReplyToken: "rt-" + id,
	}
}

// convID is the conversation (and contact) id of customer U1 on ch.
func convID(ch *switchboard.Channel) string { return dynamo.ContactID(team, ch.ID, "U1") }
