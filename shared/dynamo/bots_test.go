package dynamo_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// storedBot is a small valid bot of team with modules named ids.
func storedBot(team, id string, modules ...string) *bot.Bot {
	b := &bot.Bot{ID: id, TeamID: team, Name: "bot " + id, ChannelKinds: []switchboard.ChannelKind{switchboard.KindLINE}}
	for _, m := range modules {
		b.Modules = append(b.Modules, bot.Module{ID: m, Name: m, Cards: []bot.Card{{Type: bot.CardText, Text: "module " + m}}})
	}
	return b
}

func TestBotStore(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s := newStore(t, clock.Now)
	team := switchboard.NewID()

	b1 := storedBot(team, "B1", "m1", "m2", "shared")
	b1.Refs = map[string]string{"sale": "m1"}
	b1.Welcome = map[string]string{"ch1": "m1"}
	b1.Modules[0].Cards[0].Buttons = []bot.Button{{Label: "Go", Action: bot.ActionGoToModule, ModuleID: "m2"}}
	must(t, s.CreateBot(ctx, b1))
	if b1.Version != 1 || !b1.CreatedAt.Equal(t0) {
		t.Errorf("created bot is at version %d, %s; want 1 and the clock", b1.Version, b1.CreatedAt)
	}
	got, err := s.GetBot(ctx, team, "B1")
	must(t, err)
	if !reflect.DeepEqual(got.Modules, b1.Modules) || !reflect.DeepEqual(got.Refs, b1.Refs) || got.Version != 1 {
		t.Errorf("read back %+v, want %+v", got, b1)
	}
	wantCode(t, s.CreateBot(ctx, storedBot(team, "B1", "x")), switchboard.EConflict)

	// Entry points are unique across the team's bots.
	taken := storedBot(team, "B2", "n1", "shared")
	taken.Refs = map[string]string{"sale": "n1"}
	err = s.CreateBot(ctx, taken)
	wantCode(t, err, switchboard.EConflict)
	if !strings.Contains(switchboard.ErrorMessage(err), `ref "sale" is already used by bot B1`) {
		t.Errorf("message = %q", switchboard.ErrorMessage(err))
	}
	taken.Refs, taken.Welcome = nil, map[string]string{"ch1": "n1"}
	wantCode(t, s.CreateBot(ctx, taken), switchboard.EConflict)
	b2 := storedBot(team, "B2", "n1", "shared")
	b2.Refs = map[string]string{"spring": "n1"}
	must(t, s.CreateBot(ctx, b2))

	resolve := []struct {
		ref      string
		want     bot.Entry
		wantCode string
	}{
		{"sale", bot.Entry{BotID: "B1", ModuleID: "m1"}, ""},
		{"spring", bot.Entry{BotID: "B2", ModuleID: "n1"}, ""},
		{"m2", bot.Entry{BotID: "B1", ModuleID: "m2"}, ""},
		{"shared", bot.Entry{}, switchboard.ENotFound},
		{"nothing", bot.Entry{}, switchboard.ENotFound},
	}
	for _, tt := range resolve {
		e, err := s.ResolveBotRef(ctx, team, tt.ref)
		if switchboard.ErrorCode(err) != tt.wantCode || e != tt.want {
			t.Errorf("ResolveBotRef(%s) = %+v, %v; want %+v, %q", tt.ref, e, err, tt.want, tt.wantCode)
		}
	}
	if e, err := s.WelcomeModule(ctx, team, "ch1"); err != nil || e != (bot.Entry{BotID: "B1", ModuleID: "m1"}) {
		t.Errorf("WelcomeModule(ch1) = %+v, %v", e, err)
	}
	_, err = s.WelcomeModule(ctx, team, "ch2")
	wantCode(t, err, switchboard.ENotFound)
	_, err = s.ResolveBotRef(ctx, switchboard.NewID(), "sale")
	wantCode(t, err, switchboard.ENotFound)

	// An update moves the entry points with the bot.
	clock.Advance(time.Minute)
	up, err := s.UpdateBot(ctx, team, "B1", func(b *bot.Bot) (*bot.Bot, error) {
		b.Refs, b.Name = nil, "renamed"
		b.ID, b.TeamID = "forged", "forged" // kept from the stored bot
		return b, nil
	})
	must(t, err)
	if up.Version != 2 || up.ID != "B1" || up.TeamID != team || !up.UpdatedAt.Equal(t0.Add(time.Minute)) || !up.CreatedAt.Equal(t0) {
		t.Errorf("updated bot = %s/%s v%d, updated %s created %s", up.TeamID, up.ID, up.Version, up.UpdatedAt, up.CreatedAt)
	}
	_, err = s.ResolveBotRef(ctx, team, "sale")
	wantCode(t, err, switchboard.ENotFound)
	_, err = s.UpdateBot(ctx, team, "B2", func(b *bot.Bot) (*bot.Bot, error) {
		b.Refs["sale"] = "n1"
		return b, nil
	})
	must(t, err)
	if e, _ := s.ResolveBotRef(ctx, team, "sale"); e.BotID != "B2" {
		t.Errorf("ref sale leads to %+v after it moved to B2", e)
	}
	_, err = s.UpdateBot(ctx, switchboard.NewID(), "B1", func(b *bot.Bot) (*bot.Bot, error) { return b, nil })
	wantCode(t, err, switchboard.ENotFound)

	list, err := s.ListBots(ctx, team)
	must(t, err)
	if got := ids(list, func(b *bot.Bot) string { return b.ID }); !reflect.DeepEqual(got, []string{"B1", "B2"}) {
		t.Errorf("ListBots = %q", got)
	}

	// Deleting takes the entry points along.
	must(t, s.DeleteBot(ctx, team, "B1"))
	_, err = s.GetBot(ctx, team, "B1")
	wantCode(t, err, switchboard.ENotFound)
	_, err = s.WelcomeModule(ctx, team, "ch1")
	wantCode(t, err, switchboard.ENotFound)
	if e, err := s.ResolveBotRef(ctx, team, "shared"); err != nil || e.BotID != "B2" {
		t.Errorf("module id shared, now B2's alone, = %+v, %v", e, err)
	}
	wantCode(t, s.DeleteBot(ctx, team, "B1"), switchboard.ENotFound)
	wantCode(t, s.DeleteBot(ctx, switchboard.NewID(), "B2"), switchboard.ENotFound)
}

func TestBotStoreConcurrentSaves(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, time.Now)
	team := switchboard.NewID()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := storedBot(team, "B"+string(rune('a'+i)), "m"+string(rune('a'+i)))
			b.Refs = map[string]string{"r" + string(rune('a'+i)): b.Modules[0].ID}
			errs <- s.CreateBot(ctx, b)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	for i := range 6 {
		if e, err := s.ResolveBotRef(ctx, team, "r"+string(rune('a'+i))); err != nil || e.BotID != "B"+string(rune('a'+i)) {
			t.Errorf("ref %d = %+v, %v: a concurrent save lost it", i, e, err)
		}
	}
}

func TestMarkBotGone(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	team := switchboard.NewID()
	must(t, s.PutRuleGroup(ctx, team, &keyword.Group{ID: "g1", Name: "main", Enabled: map[string]bool{"ch1": true}}))
	for _, r := range []struct{ id, bot string }{{"r1", "B1"}, {"r2", "B2"}} {
		rule := replyRule(r.id, "g1", []string{"ch1"}, r.id)
		rule.Reply = keyword.Reply{Kind: keyword.ReplyBotModule, BotID: r.bot, ModuleID: "m1"}
		must(t, s.PutReplyRule(ctx, team, rule))
	}
	must(t, s.PutReplyRule(ctx, team, replyRule("r3", "g1", []string{"ch1"}, "text")))
	before, err := s.GetRuleSet(ctx, team)
	must(t, err)
	must(t, s.MarkBotGone(ctx, team, "B1"))
	rs, err := s.GetRuleSet(ctx, team)
	must(t, err)
	invalid := map[string]bool{}
	for _, r := range rs.Replies {
		invalid[r.ID] = r.Invalid
	}
	if want := map[string]bool{"r1": true, "r2": false, "r3": false}; !reflect.DeepEqual(invalid, want) {
		t.Errorf("invalid = %v, want %v", invalid, want)
	}
	if rs.Version <= before.Version {
		t.Errorf("rule set version %d, was %d: the router would not see the change", rs.Version, before.Version)
	}
	must(t, s.MarkBotGone(ctx, team, "B1"))
	again, err := s.GetRuleSet(ctx, team)
	must(t, err)
	if again.Version != rs.Version {
		t.Errorf("marking again changed the version")
	}
}

// botConversation creates a contact and its conversation for a bot step.
func botConversation(t *testing.T, s *dynamo.Store, team string) (*switchboard.Contact, *switchboard.Conversation) {
	t.Helper()
	ctx := context.Background()
	c, err := s.UpsertContact(ctx, team, "ch1", "U1", func(c *switchboard.Contact) (*switchboard.Contact, error) {
		c.NativeName = "Mei"
		return c, nil
	})
	must(t, err)
	conv := &switchboard.Conversation{ID: c.ID, TeamID: team, ContactID: c.ID, ChannelID: "ch1", Status: switchboard.StatusPending, PendingKind: switchboard.PendingBot}
	must(t, s.CreateConversation(ctx, conv))
	return c, conv
}

func TestBotStepStorage(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s := newStore(t, clock.Now)
	team := switchboard.NewID()
	contact, _ := botConversation(t, s, team)

	st, err := s.LoadBotState(ctx, team, contact.ID, contact.ID)
	must(t, err)
	if st.Session.Version != 0 || st.Session.TeamID != team || st.Contact == nil || st.Conversation == nil || st.Contact.NativeName != "Mei" {
		t.Fatalf("state = %+v", st)
	}

	sess := st.Session.Clone()
	sess.BotID, sess.ModuleID, sess.Waiting, sess.Seq = "B1", "m1", bot.WaitInput, 1
	sess.ExpiresAt = t0.Add(24 * time.Hour)
	c := st.Contact
	must(t, c.AddTag("vip", t0))
	conv := st.Conversation
	conv.OnBotMessage(t0)
	conv.RequestHuman(t0)
	msgs := []*switchboard.Message{
		{ID: switchboard.NewID(), TeamID: team, ConversationID: contact.ID, ContactID: contact.ID, Direction: switchboard.Outbound, Kind: switchboard.MsgText, Text: "a", Status: switchboard.DeliverySending, CreatedAt: t0},
		{ID: switchboard.NewID(), TeamID: team, ConversationID: contact.ID, ContactID: contact.ID, Direction: switchboard.Outbound, Kind: switchboard.MsgText, Text: "b", Status: switchboard.DeliverySending, CreatedAt: t0},
	}
	ob := &dynamo.BotOutbox{ChannelID: "ch1", PlatformUserID: "U1", ReplyToken: "rt", LastCustomerAt: t0,
		MessageIDs: []string{msgs[0].ID, msgs[1].ID},
		Messages:   []switchboard.OutboundMessage{{Kind: switchboard.MsgText, Text: "a", Buttons: []switchboard.Button{{Label: "x", Payload: "bot:B1:m1:0"}}}, {Kind: switchboard.MsgCarousel, Cards: []switchboard.Card{{ImageURL: "https://c/a.png", Title: "t"}}}}}
	tm := &switchboard.Timer{ID: "bot-delay/" + contact.ID + "/1", TeamID: team, Kind: switchboard.TimerBotDelay, DueAt: t0.Add(15 * time.Minute), Generation: 1, Payload: []byte(`{"channelId":"ch1","customerId":"U1"}`)}
	w := &dynamo.BotStepWrite{
		TeamID: team, RequestID: "req1", ConversationID: contact.ID, Session: sess, Contact: c, Conversation: conv,
		Messages: msgs, Outbox: ob, Timer: tm,
		TagLogs: []*switchboard.TagLog{{ID: switchboard.NewID(), TeamID: team, ContactID: contact.ID, Tag: "vip", ChannelID: "ch1", Source: bot.TagByBot, At: t0}},
	}
	must(t, s.CommitBotStep(ctx, w))

	st, err = s.LoadBotState(ctx, team, contact.ID, contact.ID)
	must(t, err)
	if st.Session.Version != 1 || st.Session.Waiting != bot.WaitInput || st.Session.BotID != "B1" || !st.Session.ExpiresAt.Equal(sess.ExpiresAt) {
		t.Errorf("session = %+v", st.Session)
	}
	if st.Contact.Tags["vip"].Count != 1 || st.Contact.Version != contact.Version+1 {
		t.Errorf("contact = %+v", st.Contact)
	}
	if st.Conversation.PendingKind != switchboard.PendingHuman || st.Conversation.Version != 2 {
		t.Errorf("conversation = %+v", st.Conversation)
	}
	if got, err := s.GetBotSession(ctx, team, contact.ID); err != nil || got.Version != 1 {
		t.Errorf("GetBotSession = %+v, %v", got, err)
	}
	stored, _, err := s.ListMessages(ctx, team, contact.ID, "", 10)
	must(t, err)
	if len(stored) != 2 {
		t.Errorf("%d messages stored, want 2", len(stored))
	}
	logs, _, err := s.ListTagLogs(ctx, team, contact.ID, "", 10)
	must(t, err)
	if len(logs) != 1 || logs[0].Source != bot.TagByBot {
		t.Errorf("tag logs = %+v", logs)
	}
	due, _, err := s.DueTimers(ctx, tm.DueAt.Truncate(time.Minute), dynamo.TimerShard(tm.ID), "", 10)
	must(t, err)
	if len(due) != 1 || due[0].ID != tm.ID || due[0].Generation != 1 {
		t.Errorf("due timers = %+v, want the delay's", due)
	}

	// The same step again is already processed; another with the old
	// session version lost a race.
	if err := s.CommitBotStep(ctx, w); err != dynamo.ErrAlreadyProcessed {
		t.Errorf("committing again = %v, want ErrAlreadyProcessed", err)
	}
	stale := *w
	stale.RequestID, stale.Messages, stale.Outbox, stale.TagLogs, stale.Timer, stale.Contact, stale.Conversation = "req2", nil, nil, nil, nil, nil, nil
	wantCode(t, s.CommitBotStep(ctx, &stale), switchboard.EConflict)

	// The outbox: statuses, sends recorded together or one by one.
	out, err := s.GetBotOutbox(ctx, team, "req1", contact.ID)
	must(t, err)
	if !out.Claimed || !reflect.DeepEqual(out.Status, []switchboard.DeliveryStatus{switchboard.DeliverySending, switchboard.DeliverySending}) {
		t.Fatalf("outbox = %+v", out)
	}
	if !reflect.DeepEqual(out.Outbox.Messages, ob.Messages) || out.Outbox.ReplyToken != "rt" {
		t.Errorf("outbox messages = %+v, want %+v", out.Outbox.Messages, ob.Messages)
	}
	refs := []dynamo.MessageRef{{TeamID: team, ConversationID: contact.ID, MessageID: msgs[0].ID}, {TeamID: team, ConversationID: contact.ID, MessageID: msgs[1].ID}}
	must(t, s.MarkBotSent(ctx, refs[:1], "ch1", []string{"pm-1"}))
	must(t, s.MarkBotSent(ctx, refs, "ch1", []string{"pm-1", "pm-2"})) // the first is no longer sending
	found, err := s.FindPlatformMessages(ctx, team, "ch1", []string{"pm-1", "pm-2"})
	must(t, err)
	if len(found) != 2 {
		t.Errorf("pointers = %+v, want both messages findable", found)
	}
	out, err = s.GetBotOutbox(ctx, team, "req1", contact.ID)
	must(t, err)
	if !reflect.DeepEqual(out.Status, []switchboard.DeliveryStatus{switchboard.DeliverySent, switchboard.DeliverySent}) {
		t.Errorf("statuses = %v, want both sent", out.Status)
	}
	must(t, s.MarkBotFailed(ctx, refs, "too late"))
	out, _ = s.GetBotOutbox(ctx, team, "req1", contact.ID)
	if out.Status[0] != switchboard.DeliverySent {
		t.Errorf("a sent message was marked failed")
	}
	none, err := s.GetBotOutbox(ctx, team, "never", contact.ID)
	must(t, err)
	if none.Claimed {
		t.Errorf("an unknown step is claimed")
	}
}

func TestBotStepRequests(t *testing.T) {
	ctx := context.Background()
	var counter awsclient.RequestCounter
	cfg := awstest.Config(t)
	counter.Add(&cfg)
	client := awsclient.DynamoDB(cfg, awstest.Endpoint(t, awstest.EnvDynamoDB))
	s := dynamo.New(client, awstest.Table(t, client))
	team := switchboard.NewID()
	contact, _ := botConversation(t, s, team)
	must(t, s.CreateBot(ctx, storedBot(team, "B1", "m1")))
	st, err := s.LoadBotState(ctx, team, contact.ID, contact.ID)
	must(t, err)
	msg := &switchboard.Message{ID: switchboard.NewID(), TeamID: team, ConversationID: contact.ID, Direction: switchboard.Outbound, Status: switchboard.DeliverySending}
	ref := dynamo.MessageRef{TeamID: team, ConversationID: contact.ID, MessageID: msg.ID}
	tests := []struct {
		name string
		op   func() error
		want map[string]int
	}{
		{"LoadBotState", func() error { _, err := s.LoadBotState(ctx, team, contact.ID, contact.ID); return err }, map[string]int{"DynamoDB.BatchGetItem": 1}},
		{"GetBot", func() error { _, err := s.GetBot(ctx, team, "B1"); return err }, map[string]int{"DynamoDB.GetItem": 1}},
		{"ResolveBotRef", func() error { _, err := s.ResolveBotRef(ctx, team, "m1"); return err }, map[string]int{"DynamoDB.GetItem": 1}},
		{"CommitBotStep", func() error {
			return s.CommitBotStep(ctx, &dynamo.BotStepWrite{TeamID: team, RequestID: "r1", ConversationID: contact.ID, Session: st.Session,
				Messages: []*switchboard.Message{msg}, Outbox: &dynamo.BotOutbox{MessageIDs: []string{msg.ID}}})
		}, map[string]int{"DynamoDB.TransactWriteItems": 1}},
		{"MarkBotSent", func() error { return s.MarkBotSent(ctx, []dynamo.MessageRef{ref}, "ch1", []string{"p1"}) }, map[string]int{"DynamoDB.TransactWriteItems": 1}},
		{"CreateBot", func() error { return s.CreateBot(ctx, storedBot(team, "B2", "n1")) }, map[string]int{"DynamoDB.BatchGetItem": 1, "DynamoDB.TransactWriteItems": 1}},
	}
	for _, tt := range tests {
		counter.Reset()
		if err := tt.op(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := counter.Calls(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s made requests %v, want %v", tt.name, got, tt.want)
		}
	}
}
