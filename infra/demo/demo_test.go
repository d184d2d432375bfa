package demo

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// memStore records what Seed writes. existing makes every create answer
// EConflict, as a kept table does on a second `make run`.
type memStore struct {
	existing bool
	groups   []*keyword.Group
	rules    map[string]*keyword.Rule
	bots     map[string]*bot.Bot
	updated  []string
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{rules: map[string]*keyword.Rule{}, bots: map[string]*bot.Bot{}}
}

func (m *memStore) conflict() error {
	if m.existing {
		return switchboard.Errorf(switchboard.EConflict, "exists")
	}
	return nil
}

func (m *memStore) CreateTeam(context.Context, *switchboard.Team) error       { return m.conflict() }
func (m *memStore) CreateChannel(context.Context, *switchboard.Channel) error { return m.conflict() }
func (m *memStore) CreateMember(context.Context, *switchboard.Member) error   { return m.conflict() }
func (m *memStore) CreateToken(context.Context, *switchboard.Token) error     { return m.conflict() }
func (m *memStore) CreateSiteKey(context.Context, *switchboard.SiteKey) error { return m.conflict() }

func (m *memStore) PutRuleGroup(_ context.Context, _ string, g *keyword.Group) error {
	m.groups = append(m.groups, g)
	return nil
}

func (m *memStore) PutReplyRule(_ context.Context, _ string, r *keyword.Rule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	m.rules[r.ID] = r
	return nil
}

func (m *memStore) CreateBot(_ context.Context, b *bot.Bot) error {
	if m.existing {
		return m.conflict()
	}
	m.bots[b.ID] = b
	return nil
}

func (m *memStore) UpdateBot(_ context.Context, _, id string, fn func(*bot.Bot) (*bot.Bot, error)) (*bot.Bot, error) {
	cur := &bot.Bot{ID: id, TeamID: events.DemoTeamID, Name: "an older demo bot", Version: 3}
	next, err := fn(cur)
	if err != nil {
		return nil, err
	}
	m.updated = append(m.updated, id)
	m.bots[id] = next
	return next, nil
}

func TestSeedAnswersMenuWithTheBotAndEverythingElseWithTheAutoReply(t *testing.T) {
	s := newMemStore()
	if err := Seed(context.Background(), s, Options{WidgetOutboundURL: "http://127.0.0.1:1/messages", Now: time.Unix(1772431200, 0)}); err != nil {
		t.Fatal(err)
	}
	var rules []*keyword.Rule
	for _, r := range s.rules {
		rules = append(rules, r)
	}
	tests := []struct {
		channel, text string
		wantRule      string
		wantBot       string
	}{
		{events.DemoLINEChannelID, "menu", MenuRuleID, BotID},
		{events.DemoMessengerChannelID, "Show me the MENU please", MenuRuleID, BotID},
		{events.DemoInstagramChannelID, "menu", MenuRuleID, BotID},
		{events.DemoWhatsAppChannelID, "Menu", MenuRuleID, BotID},
		{events.DemoWidgetChannelID, "menu", WidgetMenuRuleID, WidgetBotID},
		{events.DemoLINEChannelID, "order question 0", HelloRuleID, ""},
		{events.DemoWidgetChannelID, "Does the red dress run small?", HelloRuleID, ""},
	}
	for _, tt := range tests {
		t.Run(tt.channel+" "+tt.text, func(t *testing.T) {
			r, ok := keyword.Match(rules, s.groups, tt.channel, keyword.StatusPending, tt.text)
			if !ok {
				t.Fatalf("no rule matches %q", tt.text)
			}
			if got := r.ID; got != tt.wantRule {
				t.Errorf("rule = %s, want %s", got, tt.wantRule)
			}
			if tt.wantBot == "" {
				if got := r.Reply.Text; got != AutoReply {
					t.Errorf("reply = %q, want the auto-reply", got)
				}
				return
			}
			if r.Reply.Kind != keyword.ReplyBotModule || r.Reply.BotID != tt.wantBot || r.Reply.ModuleID != ModuleMenu {
				t.Errorf("reply = %+v, want module %s of bot %s", r.Reply, ModuleMenu, tt.wantBot)
			}
			b := s.bots[tt.wantBot]
			if b == nil || b.Module(ModuleMenu) == nil {
				t.Fatalf("bot %s with a menu was not seeded", tt.wantBot)
			}
			if kind := events.DemoChannel(kindOf(tt.channel)).Kind; !b.Serves(kind) {
				t.Errorf("bot %s is not published on %s", b.ID, kind)
			}
		})
	}
}

func kindOf(channelID string) switchboard.ChannelKind {
	for _, ch := range events.DemoChannels() {
		if ch.ID == channelID {
			return ch.Kind
		}
	}
	return ""
}

func TestSeedBringsKeptBotsUpToDate(t *testing.T) {
	s := newMemStore()
	s.existing = true
	if err := Seed(context.Background(), s, Options{WidgetOutboundURL: "http://127.0.0.1:1/messages"}); err != nil {
		t.Fatal(err)
	}
	if got, want := len(s.updated), 2; got != want {
		t.Fatalf("updated %d bots (%v), want %d", got, s.updated, want)
	}
	for _, want := range []*bot.Bot{Bot(), WidgetBot()} {
		got := s.bots[want.ID]
		if got == nil || got.Name != want.Name || len(got.Modules) != len(want.Modules) || got.Version != 3 {
			t.Errorf("bot %s after seeding = %+v, want the demo definition on the stored version", want.ID, got)
		}
	}
}

// TestDemoBotsShowEveryStepTheEndToEndTestsWalk keeps the demo bot holding
// the cards infra/e2e relies on, each where the tests look for it.
func TestDemoBotsShowEveryStepTheEndToEndTestsWalk(t *testing.T) {
	b := Bot()
	tests := []struct {
		module string
		card   bot.CardType
	}{
		{ModuleMenu, bot.CardText},
		{ModuleHours, bot.CardText},
		{ModuleVIPJoined, bot.CardDelay},
		{ModuleVIPCoupon, bot.CardText},
		{ModuleMore, bot.CardText},
		{ModulePerks, bot.CardCondition},
		{ModulePerksVIP, bot.CardText},
		{ModulePerksJoin, bot.CardText},
		{ModuleBulk, bot.CardUserInput},
		{ModuleBulkDone, bot.CardText},
		{ModuleAgent, bot.CardLiveAgent},
	}
	for _, tt := range tests {
		m := b.Module(tt.module)
		if m == nil {
			t.Errorf("module %s is missing", tt.module)
			continue
		}
		if got := m.Cards[len(m.Cards)-1].Type; got != tt.card {
			t.Errorf("module %s ends with a %s card, want %s", tt.module, got, tt.card)
		}
	}
	if got := b.Module(ModuleMenu).Cards[0].Buttons[1]; got.Action != bot.ActionAddTags || got.Tags[0] != VIPTag {
		t.Errorf("second menu button = %+v, want it to add the %s tag", got, VIPTag)
	}
	if got := b.Module(ModuleBulk).Cards[0].Input; got.Attribute != BulkAttribute || got.Type != switchboard.AttrNumber {
		t.Errorf("bulk question = %+v, want a number saved into %s", got, BulkAttribute)
	}
	if d := b.Module(ModuleVIPJoined).Cards[1].Delay; d.Minutes != 1 {
		t.Errorf("VIP delay = %d minutes, want 1 (the end-to-end test waits for it)", d.Minutes)
	}
	for _, bb := range []*bot.Bot{Bot(), WidgetBot()} {
		if err := bb.Validate(); err != nil {
			t.Errorf("%s: %v", bb.Name, err)
		}
	}
}
