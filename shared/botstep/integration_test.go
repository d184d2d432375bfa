package botstep

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

// stack is the bot step over DynamoDB Local, with a fake LINE sender that
// records what it delivered.
type stack struct {
	h       *Handler
	store   *dynamo.Store
	counter *awsclient.RequestCounter
	team    string
	contact string

	mu    sync.Mutex
	clock time.Time
	sent  []sb.SendRequest
}

func (s *stack) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock
}

func (s *stack) advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = s.clock.Add(d)
}

func newStack(tb testing.TB) *stack {
	tb.Helper()
	ctx := context.Background()
	cfg := awstest.Config(tb)
	counter := &awsclient.RequestCounter{}
	counter.Add(&cfg)
	ddb := awsclient.DynamoDB(cfg, awstest.Endpoint(tb, awstest.EnvDynamoDB))
	s := &stack{counter: counter, team: sb.NewID(), clock: time.Now().UTC().Truncate(time.Second)}
	s.store = dynamo.New(ddb, awstest.Table(tb, ddb), dynamo.WithClock(s.now))
	if err := s.store.CreateTeam(ctx, &sb.Team{ID: s.team, Name: "team", TimeZone: "Asia/Taipei"}); err != nil {
		tb.Fatal(err)
	}
	if err := s.store.CreateChannel(ctx, &sb.Channel{ID: chanID, TeamID: s.team, Kind: sb.KindLINE, Name: "line", Enabled: true}); err != nil {
		tb.Fatal(err)
	}
	c, err := s.store.UpsertContact(ctx, s.team, chanID, user, func(c *sb.Contact) (*sb.Contact, error) {
		c.NativeName, c.ChannelKind, c.LastCustomerInteractionAt = "Mei", sb.KindLINE, s.clock
		return c, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	s.contact = c.ID
	if err := s.store.CreateConversation(ctx, &sb.Conversation{ID: c.ID, TeamID: s.team, ContactID: c.ID, ChannelID: chanID, Status: sb.StatusPending, PendingKind: sb.PendingBot}); err != nil {
		tb.Fatal(err)
	}
	b := testBot()
	b.TeamID = s.team
	b.Welcome = map[string]string{chanID: "vip"}
	b.Refs = map[string]string{"summer": "menu"}
	if err := s.store.CreateBot(ctx, b); err != nil {
		tb.Fatal(err)
	}
	sender := &fakeSender{send: func(_ context.Context, req sb.SendRequest) (sb.SendResult, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.sent = append(s.sent, req)
		ids := make([]string, len(req.Messages))
		for i := range ids {
			ids[i] = fmt.Sprintf("line-%d-%d", len(s.sent), i)
		}
		return sb.SendResult{PlatformMessageIDs: ids, Via: "reply"}, nil
	}}
	s.h = New(Config{
		Store: s.store, Directory: s.store,
		Senders: map[sb.ChannelKind]sb.Sender{sb.KindLINE: sender},
		Engine:  &bot.Engine{Clock: s.now},
		Clock:   s.now,
	})
	counter.Reset()
	return s
}

// req is a bot request of the stack's conversation.
func (s *stack) req(id string, trigger sb.BotTrigger, ev sb.InboundEvent) sb.BotRequest {
	r := request(id, trigger, ev)
	r.TeamID, r.Event.TeamID = s.team, s.team
	r.ContactID, r.ConversationID = s.contact, s.contact
	r.Event.OccurredAt = s.now()
	return r
}

func (s *stack) handle(tb testing.TB, v any, receives int) {
	tb.Helper()
	if err := s.h.HandleMessage(context.Background(), sqsMessage(tb, "m", v, receives)); err != nil {
		tb.Fatalf("HandleMessage: %v", err)
	}
}

func (s *stack) lastTexts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.sent[len(s.sent)-1].Messages {
		out = append(out, m.Text)
	}
	return out
}

func TestIntegration(t *testing.T) {
	ctx := context.Background()
	s := newStack(t)
	kw := func(id, module string) sb.BotRequest {
		r := s.req(id, sb.TriggerKeyword, sb.InboundEvent{ReplyToken: "rt-" + id, Message: &sb.InboundMessage{Kind: sb.MsgText, Text: "hi"}})
		r.BotID, r.ModuleID = "B1", module
		return r
	}

	// A keyword's module: sent with the reply token, stored as sent.
	s.handle(t, kw("k1", "menu"), 1)
	if got := s.lastTexts(); !reflect.DeepEqual(got, []string{"Hi Mei!"}) || s.sent[0].To.ReplyToken != "rt-k1" {
		t.Fatalf("sent %q with token %q", got, s.sent[0].To.ReplyToken)
	}
	sess, err := s.store.GetBotSession(ctx, s.team, s.contact)
	if err != nil || sess.Waiting != bot.WaitButtons || sess.Version != 1 {
		t.Fatalf("session = %+v, %v", sess, err)
	}
	msgs, _, err := s.store.ListMessages(ctx, s.team, s.contact, "", 10)
	if err != nil || len(msgs) != 1 || msgs[0].Status != sb.DeliverySent || msgs[0].PlatformMessageID != "line-1-0" {
		t.Fatalf("messages = %+v, %v", msgs, err)
	}
	if found, _ := s.store.FindPlatformMessages(ctx, s.team, chanID, []string{"line-1-0"}); len(found) != 1 {
		t.Errorf("the platform id does not lead to the message")
	}

	// A redelivery of the same request sends nothing again, for one read of
	// its claim (and one of the message statuses).
	s.counter.Reset()
	s.handle(t, kw("k1", "menu"), 2)
	if len(s.sent) != 1 {
		t.Fatalf("%d sends after a redelivery, want 1", len(s.sent))
	}
	if got, want := s.counter.Calls(), map[string]int{"DynamoDB.GetItem": 1, "DynamoDB.BatchGetItem": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("a redelivery made requests %v, want %v", got, want)
	}

	// A warm step: one read, one commit, one record of the send.
	s.counter.Reset()
	s.handle(t, kw("k0", "menu"), 1)
	if got, want := s.counter.Calls(), map[string]int{"DynamoDB.BatchGetItem": 1, "DynamoDB.TransactWriteItems": 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("a warm step made requests %v, want %v", got, want)
	}

	// A tap tags the contact and runs the next module.
	s.advance(time.Minute)
	s.handle(t, s.req("p1", sb.TriggerPostback, sb.InboundEvent{Type: sb.InPostback, Postback: &sb.Postback{Payload: "bot:B1:menu:0"}}), 1)
	if got := s.lastTexts(); !reflect.DeepEqual(got, []string{"Welcome to VIP."}) {
		t.Errorf("tap sent %q", got)
	}
	c, err := s.store.GetContact(ctx, s.team, s.contact)
	if err != nil || c.Tags["vip"].Count != 1 {
		t.Fatalf("contact = %+v, %v; want tagged", c, err)
	}
	if logs, _, _ := s.store.ListTagLogs(ctx, s.team, s.contact, "", 10); len(logs) != 1 || logs[0].Source != bot.TagByBot {
		t.Errorf("tag logs = %+v", logs)
	}

	// A question and its answer.
	s.handle(t, kw("k2", "ask"), 1)
	s.advance(5 * time.Minute)
	s.handle(t, s.req("a1", TriggerMessage, sb.InboundEvent{Message: &sb.InboundMessage{Kind: sb.MsgText, Text: "mei@work.example"}}), 1)
	c, _ = s.store.GetContact(ctx, s.team, s.contact)
	if got := c.Attributes["work_email"].Value; got != "mei@work.example" {
		t.Errorf("work_email = %q", got)
	}

	// A delay arms a timer; when it fires, the next module goes out.
	s.handle(t, kw("k3", "remind"), 1)
	sess, _ = s.store.GetBotSession(ctx, s.team, s.contact)
	if sess.Delay == nil {
		t.Fatalf("session = %+v, want a pending delay", sess)
	}
	due := sess.Delay.DueAt
	var armed *sb.Timer
	for shard := range dynamo.TimerShards {
		ts, _, err := s.store.DueTimers(ctx, due.Truncate(time.Minute), shard, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range ts {
			if tm.Kind == sb.TimerBotDelay && tm.TeamID == s.team {
				armed = tm
			}
		}
	}
	if armed == nil {
		t.Fatal("the delay's timer is not in its minute's bucket")
	}
	s.advance(15 * time.Minute)
	ct := sb.ConversationTimer{}
	if err := json.Unmarshal(armed.Payload, &ct); err != nil {
		t.Fatal(err)
	}
	ev, err := sb.NewTimerEvent(armed, ct, s.now())
	if err != nil {
		t.Fatal(err)
	}
	before := len(s.sent)
	s.handle(t, ev, 1)
	if len(s.sent) != before+1 || !reflect.DeepEqual(s.lastTexts(), []string{"Welcome to VIP."}) {
		t.Errorf("the delay fired %d sends, last %q", len(s.sent)-before, s.lastTexts())
	}

	// The welcome of a follow, a referral, and the hand-off.
	s.handle(t, s.req("f1", sb.TriggerFollow, sb.InboundEvent{Type: sb.InFollow}), 1)
	if got := s.lastTexts(); !reflect.DeepEqual(got, []string{"Welcome to VIP."}) {
		t.Errorf("welcome sent %q", got)
	}
	s.handle(t, s.req("r1", sb.TriggerReferral, sb.InboundEvent{Type: sb.InReferral, Referral: &sb.Referral{Ref: "summer"}}), 1)
	if got := s.lastTexts(); !reflect.DeepEqual(got, []string{"Hi Mei!"}) {
		t.Errorf("referral sent %q", got)
	}
	s.handle(t, kw("k4", "human"), 1)
	conv, err := s.store.GetConversation(ctx, s.team, s.contact)
	if err != nil || conv.PendingKind != sb.PendingHuman {
		t.Errorf("conversation = %+v, %v; want pending human", conv, err)
	}
}

// BenchmarkBotstep reports what one bot step costs in AWS requests (a warm
// function: bots, channels and teams cached) as aws-req/message: a keyword's
// module of one text with a button.
func BenchmarkBotstep(b *testing.B) {
	if os.Getenv(awstest.EnvDynamoDB) == "" && os.Getenv(awstest.EnvRequireEmulator) == "" {
		b.Skip("run through make bench: needs DynamoDB Local")
	}
	s := newStack(b)
	warm := s.req("warm", sb.TriggerKeyword, sb.InboundEvent{Message: &sb.InboundMessage{Kind: sb.MsgText, Text: "hi"}})
	warm.BotID, warm.ModuleID = "B1", "menu"
	if err := s.h.HandleMessage(context.Background(), sqsMessage(b, "warm", warm, 1)); err != nil {
		b.Fatal(err)
	}
	s.counter.Reset()
	n := 0
	for i := 0; b.Loop(); i++ {
		r := s.req(fmt.Sprintf("bench-%d", i), sb.TriggerKeyword, sb.InboundEvent{Message: &sb.InboundMessage{Kind: sb.MsgText, Text: "hi"}})
		r.BotID, r.ModuleID = "B1", "menu"
		if err := s.h.HandleMessage(context.Background(), sqsMessage(b, "m", r, 1)); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(s.counter.Total())/float64(n), "aws-req/message")
}
