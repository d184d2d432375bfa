package router

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
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

var allChannels = map[string]bool{lineCh.ID: true, waCh.ID: true, fbCh.ID: true}

func channelIDs() []string { return []string{lineCh.ID, waCh.ID, fbCh.ID} }

// rules are a team's keyword rules: a text reply, an image reply, a bot
// module, a tag-only rule, and auto-assign to a CS agent and to sales.
func rules() *keyword.RuleSet {
	created := t0.Add(-time.Hour)
	rule := func(id string, kw string, reply keyword.Reply, tags ...string) keyword.Rule {
		created = created.Add(time.Minute)
		return keyword.Rule{ID: id, GroupID: "g1", ChannelIDs: channelIDs(), Condition: keyword.Condition{Mode: keyword.ContainsAny, Keywords: []string{kw}}, Reply: reply, Tags: tags, CreatedAt: created}
	}
	return &keyword.RuleSet{
		Replies: []keyword.Rule{
			rule("r-price", "price", keyword.Reply{Kind: keyword.ReplyText, Text: "It is 100 TWD"}, "asked-price"),
			rule("r-photo", "photo", keyword.Reply{Kind: keyword.ReplyImage, ImageURL: "https://example.com/p.png"}),
			rule("r-menu", "menu", keyword.Reply{Kind: keyword.ReplyBotModule, BotID: "b1", ModuleID: "m1"}),
			rule("r-vip", "vip", keyword.Reply{Kind: keyword.ReplyNone}, "vip"),
			rule("r-buy", "buy", keyword.Reply{Kind: keyword.ReplyText, Text: "Thanks for buying"}),
			rule("r-store", "store", keyword.Reply{Kind: keyword.ReplyText, Text: "Our stores"}),
		},
		Assign: []keyword.AssignRule{
			{ID: "a-buy", GroupID: "ga", ChannelIDs: channelIDs(), Condition: keyword.Condition{Mode: keyword.ContainsAny, Keywords: []string{"buy"}}, Target: keyword.TargetRole, Role: switchboard.RoleCSAgent, Order: assign.Sequential, Tags: []string{"buyer"}, CreatedAt: t0.Add(-time.Hour)},
			{ID: "a-store", GroupID: "ga", ChannelIDs: channelIDs(), Condition: keyword.Condition{Mode: keyword.ContainsAny, Keywords: []string{"store"}}, Target: keyword.TargetSalesRole, Role: switchboard.RoleSalesperson, Order: assign.Random, CreatedAt: t0.Add(-time.Hour)},
		},
		Groups: []keyword.Group{
			{ID: "g1", Name: "replies", Enabled: allChannels},
			{ID: "ga", Name: "assign", Enabled: allChannels},
		},
	}
}

var (
	agentA = &switchboard.Member{ID: "agentA", TeamID: team, Name: "A", Role: switchboard.RoleCSAgent, Status: switchboard.MemberOnline, Active: true, CreatedAt: t0.Add(-48 * time.Hour)}
	agentB = &switchboard.Member{ID: "agentB", TeamID: team, Name: "B", Role: switchboard.RoleCSAgent, Status: switchboard.MemberOnline, Active: true, CreatedAt: t0.Add(-24 * time.Hour)}
	sales  = &switchboard.Member{ID: "sales", TeamID: team, Name: "S", Role: switchboard.RoleSalesperson, Status: switchboard.MemberOnline, Active: true, BranchID: "b1", CreatedAt: t0.Add(-24 * time.Hour)}
)

func conversation(ch *switchboard.Channel, status switchboard.ConversationStatus, kind switchboard.PendingKind, follower string, collaborators ...string) *switchboard.Conversation {
	id := convID(ch)
	c := &switchboard.Conversation{
		ID: id, TeamID: team, ContactID: id, ChannelID: ch.ID, Status: status, PendingKind: kind,
		FollowerID: follower, Collaborators: collaborators,
		LastCustomerAt: t0.Add(-time.Hour), LastMessageAt: t0.Add(-time.Hour), CreatedAt: t0.Add(-2 * time.Hour), Version: 3,
	}
	if follower != "" {
		c.Unread = map[string]int{follower: 1}
	}
	return c
}

func existingContact(ch *switchboard.Channel) *switchboard.Contact {
	id := convID(ch)
	return &switchboard.Contact{ID: id, TeamID: team, ChannelID: ch.ID, ChannelKind: ch.Kind, PlatformUserID: "U1", Subscribed: true, Version: 2, CreatedAt: t0.Add(-2 * time.Hour)}
}

// TestConversationStates drives every branch of SPEC §2's state machine with
// events: what status a message leaves the conversation in, who follows it,
// and what answers go out.
func TestConversationStates(t *testing.T) {
	type want struct {
		status    switchboard.ConversationStatus
		kind      switchboard.PendingKind
		follower  string
		collab    []string
		replies   []string // texts or media URLs of the replies sent
		bot       switchboard.BotTrigger
		botModule string
	}
	sticker := &switchboard.InboundMessage{ID: "s", Kind: switchboard.MsgSticker, StickerID: "1/2"}
	image := &switchboard.InboundMessage{ID: "i", Kind: switchboard.MsgImage, MediaID: "x"}
	postback := func(payload, title string) *switchboard.InboundEvent {
		e := typedEvent(lineCh, "ev", switchboard.InPostback)
		e.Postback = &switchboard.Postback{Payload: payload, Title: title}
		return e
	}
	quick := func(payload string) *switchboard.InboundEvent {
		return msgEvent(lineCh, "ev", &switchboard.InboundMessage{ID: "q", Kind: switchboard.MsgText, Text: "Talk", QuickReplyPayload: payload})
	}
	tests := []struct {
		name    string
		start   *switchboard.Conversation
		members []*switchboard.Member
		event   *switchboard.InboundEvent
		want    want
	}{
		{"new, keyword match: pending bot with the reply", nil, nil, textEvent(lineCh, "ev", "what is the PRICE?"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingBot, replies: []string{"It is 100 TWD"}}},
		{"new, no keyword: pending human", nil, nil, textEvent(lineCh, "ev", "hello"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingHuman}},
		{"new, image: pending human even with a caption rule", nil, nil, msgEvent(lineCh, "ev", image),
			want{status: switchboard.StatusPending, kind: switchboard.PendingHuman}},
		{"new, sticker: pending human", nil, nil, msgEvent(lineCh, "ev", sticker),
			want{status: switchboard.StatusPending, kind: switchboard.PendingHuman}},
		{"new, wants a human (quick reply)", nil, nil, quick(switchboard.HumanPayload),
			want{status: switchboard.StatusPending, kind: switchboard.PendingHuman}},
		{"new, wants a human (postback)", nil, nil, postback(switchboard.HumanPayload, "Talk to us"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingHuman}},
		{"new, bot module keyword: pending bot, module queued", nil, nil, textEvent(lineCh, "ev", "menu please"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingBot, bot: switchboard.TriggerKeyword, botModule: "b1/m1"}},
		{"new, tag-only rule: pending bot, nothing sent", nil, nil, textEvent(lineCh, "ev", "I am vip"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingBot}},
		{"new, postback: pending bot, payload queued", nil, nil, postback("GO_M2", "Next"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingBot, bot: switchboard.TriggerPostback}},
		{"new, quick reply: pending bot, payload queued", nil, nil, quick("Q_1"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingBot, bot: switchboard.TriggerQuickReply}},
		{"pending bot, no match: goes to a human", conversation(lineCh, switchboard.StatusPending, switchboard.PendingBot, ""), nil, textEvent(lineCh, "ev", "hmm"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingHuman}},
		{"pending bot, match: stays bot", conversation(lineCh, switchboard.StatusPending, switchboard.PendingBot, ""), nil, textEvent(lineCh, "ev", "price"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingBot, replies: []string{"It is 100 TWD"}}},
		{"pending human, match: stays human, reply still sent", conversation(lineCh, switchboard.StatusPending, switchboard.PendingHuman, ""), nil, textEvent(lineCh, "ev", "price"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingHuman, replies: []string{"It is 100 TWD"}}},
		{"in progress, sticker: unchanged", conversation(lineCh, switchboard.StatusInProgress, "", "agentA"), nil, msgEvent(lineCh, "ev", sticker),
			want{status: switchboard.StatusInProgress, follower: "agentA"}},
		{"in progress, keyword: unchanged and no auto-reply", conversation(lineCh, switchboard.StatusInProgress, "", "agentA"), nil, textEvent(lineCh, "ev", "price"),
			want{status: switchboard.StatusInProgress, follower: "agentA"}},
		{"closed, message: pending again without the follower", conversation(lineCh, switchboard.StatusClosed, "", "agentA"), nil, textEvent(lineCh, "ev", "hi again"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingHuman}},
		{"closed, keyword: pending bot with the reply", conversation(lineCh, switchboard.StatusClosed, "", "agentA"), nil, textEvent(lineCh, "ev", "price"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingBot, replies: []string{"It is 100 TWD"}}},
		{"closed collaboration: back in progress to its participants", conversation(lineCh, switchboard.StatusClosed, "", "agentA", "agentB"), nil, textEvent(lineCh, "ev", "hi"),
			want{status: switchboard.StatusInProgress, follower: "agentA", collab: []string{"agentB"}}},
		{"in-progress collaboration: stays in progress", conversation(lineCh, switchboard.StatusInProgress, "", "agentA", "agentB"), nil, msgEvent(lineCh, "ev", image),
			want{status: switchboard.StatusInProgress, follower: "agentA", collab: []string{"agentB"}}},
		{"pending bot waiting for an answer: the answer goes to the bot, not the keywords", func() *switchboard.Conversation {
			c := conversation(lineCh, switchboard.StatusPending, switchboard.PendingBot, "")
			c.BotInputUntil = t0.Add(30 * time.Minute)
			return c
		}(), nil, textEvent(lineCh, "ev", "price 42"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingBot, bot: switchboard.TriggerInput}},
		{"an answer after the input window: keywords as usual", func() *switchboard.Conversation {
			c := conversation(lineCh, switchboard.StatusPending, switchboard.PendingBot, "")
			c.BotInputUntil = t0.Add(-time.Minute)
			return c
		}(), nil, textEvent(lineCh, "ev", "hmm"),
			want{status: switchboard.StatusPending, kind: switchboard.PendingHuman}},
		{"closed collaboration, assign keyword: nobody reassigned", conversation(lineCh, switchboard.StatusClosed, "", "agentA", "agentB"), []*switchboard.Member{agentA, agentB}, textEvent(lineCh, "ev", "buy"),
			want{status: switchboard.StatusInProgress, follower: "agentA", collab: []string{"agentB"}, replies: []string{"Thanks for buying"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.rules, w.members = rules(), tt.members
			if tt.start != nil {
				w.conv, w.contact = tt.start, existingContact(lineCh)
			}
			r := w.router(t, t0)
			if err := r.Route(context.Background(), tt.event); err != nil {
				t.Fatal(err)
			}
			c := w.conv
			var replies []string
			for _, s := range w.sends {
				for _, m := range s.Messages {
					replies = append(replies, m.Text+m.MediaURL)
				}
			}
			got := want{status: c.Status, kind: c.PendingKind, follower: c.FollowerID, collab: c.Collaborators, replies: replies}
			if len(w.bots) == 1 {
				got.bot = w.bots[0].Trigger
				if w.bots[0].BotID != "" {
					got.botModule = w.bots[0].BotID + "/" + w.bots[0].ModuleID
				}
			} else if len(w.bots) > 1 {
				t.Fatalf("%d bot requests, want at most 1", len(w.bots))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if !c.LastCustomerAt.Equal(t0) {
				t.Errorf("LastCustomerAt = %v, want %v", c.LastCustomerAt, t0)
			}
			if got, want := len(w.writes), 1; got != want {
				t.Errorf("transactions = %d, want %d", got, want)
			}
		})
	}
}

func TestInboundMessageIsStored(t *testing.T) {
	w := newWorld()
	w.rules = rules()
	r := w.router(t, t0)
	e := textEvent(lineCh, "ev1", "price? call 0912-345-678 or mail a@b.com")
	if err := r.Route(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	in := w.messages[InboundMessageID(e)]
	out := w.messages[ReplyMessageID(e, 0)]
	if in == nil || out == nil {
		t.Fatalf("stored messages %v, want the customer's and the reply", w.messages)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"inbound direction", in.Direction, switchboard.Inbound},
		{"inbound text", in.Text, e.Message.Text},
		{"inbound platform id", in.PlatformMessageID, "m-ev1"},
		{"inbound time", in.CreatedAt, e.OccurredAt},
		{"inbound flags", in.Flags, []string{switchboard.FlagPhone, switchboard.FlagEmail}},
		{"reply direction", out.Direction, switchboard.Outbound},
		{"reply status after the send", out.Status, switchboard.DeliverySent},
		{"reply platform id", out.PlatformMessageID, "p-" + out.ID},
		{"reply sorts after the message", in.ID < out.ID, true},
		{"send idempotency key", w.sends[0].IdempotencyKey, out.ID},
		{"send reply token", w.sends[0].To.ReplyToken, "rt-ev1"},
		{"send recipient", w.sends[0].To.PlatformUserID, "U1"},
		{"send purpose", w.sends[0].Purpose, switchboard.PurposeResponse},
		{"conversation has unread outbound", w.conv.HasUnreadOutbound(), true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestDetectionFlags(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"hello", nil},
		{"my number is 0912 345 678", []string{switchboard.FlagPhone}},
		{"amy@example.com", []string{switchboard.FlagEmail}},
		{"寄到台北市信義區市府路1號", []string{switchboard.FlagAddress}},
		{"2024-01-01 order 12345", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			w := newWorld()
			e := textEvent(fbCh, "ev", tt.text)
			if err := w.router(t, t0).Route(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			if got := w.messages[InboundMessageID(e)].Flags; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("flags = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestContactKeepsLatestAddresses(t *testing.T) {
	w := newWorld()
	r := w.router(t, t0)
	steps := []struct {
		text string
		want []string
	}{
		{"hello", nil},
		{"寄到台北市信義區市府路1號", []string{"台北市信義區市府路1號"}},
		{"改寄 新北市板橋區中山路一段161號", []string{"新北市板橋區中山路一段161號", "台北市信義區市府路1號"}},
		{"no address here", []string{"新北市板橋區中山路一段161號", "台北市信義區市府路1號"}},
		{"公司: 台中市西屯區台灣大道三段99號", []string{"台中市西屯區台灣大道三段99號", "新北市板橋區中山路一段161號", "台北市信義區市府路1號"}},
		{"還是寄 臺北市信義區 市府路1號", []string{"臺北市信義區市府路1號", "台中市西屯區台灣大道三段99號", "新北市板橋區中山路一段161號"}},
		{"高雄市前金區中正四路211號", []string{"高雄市前金區中正四路211號", "臺北市信義區市府路1號", "台中市西屯區台灣大道三段99號"}},
	}
	for i, step := range steps {
		if err := r.Route(context.Background(), textEvent(lineCh, fmt.Sprintf("ev%d", i), step.text)); err != nil {
			t.Fatal(err)
		}
		if got := w.contact.Addresses; !slices.Equal(got, step.want) {
			t.Errorf("after %q: addresses = %q, want %q", step.text, got, step.want)
		}
	}
}

func TestBlockedContactIsIgnored(t *testing.T) {
	w := newWorld()
	w.rules = rules()
	w.contact = existingContact(lineCh)
	w.contact.Blocked = true
	w.conv = conversation(lineCh, switchboard.StatusClosed, "", "agentA")
	r := w.router(t, t0)
	for i, e := range []*switchboard.InboundEvent{textEvent(lineCh, "ev1", "price"), typedEvent(lineCh, "ev2", switchboard.InFollow)} {
		if err := r.Route(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		got := w.writes[i]
		if got.Contact != nil || got.Conversation != nil || len(got.Messages) != 0 || got.Bot != nil || len(got.Triggers) != 0 {
			t.Errorf("event %d of a blocked contact wrote %+v, want only the claim", i, got)
		}
	}
	if len(w.sends) != 0 || len(w.bots) != 0 {
		t.Errorf("sent %d replies and %d bot requests, want none", len(w.sends), len(w.bots))
	}
	if got, want := w.conv.Status, switchboard.StatusClosed; got != want {
		t.Errorf("status = %s, want %s", got, want)
	}
}

func TestContactUpsertAndSubscription(t *testing.T) {
	at := t0.Add(-time.Second)
	tests := []struct {
		name        string
		stored      *switchboard.Contact
		event       *switchboard.InboundEvent
		subscribed  bool
		changedAt   time.Time
		native      string
		display     string
		interaction time.Time
		bot         switchboard.BotTrigger
		conv        bool
	}{
		{"new contact from a message is subscribed", nil,
			func() *switchboard.InboundEvent { e := textEvent(lineCh, "e", "hi"); e.CustomerName = "Amy"; return e }(),
			true, at, "Amy", "", at, "", true},
		{"LINE follow subscribes and queues the welcome", func() *switchboard.Contact {
			c := existingContact(lineCh)
			c.Subscribed, c.SubscriptionChangedAt = false, t0.Add(-time.Hour)
			return c
		}(), typedEvent(lineCh, "e", switchboard.InFollow), true, at, "", "", at, switchboard.TriggerFollow, false},
		{"LINE unfollow unsubscribes and is no interaction", existingContact(lineCh), typedEvent(lineCh, "e", switchboard.InUnfollow), false, at, "", "", time.Time{}, "", false},
		{"new contact from an unfollow is unsubscribed", nil, typedEvent(lineCh, "e", switchboard.InUnfollow), false, at, "", "", time.Time{}, "", false},
		{"WhatsApp unsub unsubscribes", existingContact(waCh), textEvent(waCh, "e", "  UnSub \n"), false, at, "", "", at, "", true},
		{"WhatsApp text containing unsub does not", existingContact(waCh), textEvent(waCh, "e", "please unsub me"), true, time.Time{}, "", "", at, "", true},
		{"unsub on LINE is just a message", existingContact(lineCh), textEvent(lineCh, "e", "unsub"), true, time.Time{}, "", "", at, "", true},
		{"the native name updates, the team's name stays", func() *switchboard.Contact {
			c := existingContact(fbCh)
			c.NativeName, c.DisplayName = "Old", "VIP Amy"
			return c
		}(), func() *switchboard.InboundEvent { e := textEvent(fbCh, "e", "hi"); e.CustomerName = "New"; return e }(),
			true, time.Time{}, "New", "VIP Amy", at, "", true},
		{"m.me referral queues the bot", existingContact(fbCh), func() *switchboard.InboundEvent {
			e := typedEvent(fbCh, "e", switchboard.InReferral)
			e.Referral = &switchboard.Referral{Ref: "promo"}
			return e
		}(), true, time.Time{}, "", "", at, switchboard.TriggerReferral, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.contact = tt.stored
			if err := w.router(t, t0).Route(context.Background(), tt.event); err != nil {
				t.Fatal(err)
			}
			c := w.contact
			got := []any{c.Subscribed, c.SubscriptionChangedAt, c.NativeName, c.DisplayName, c.LastCustomerInteractionAt, w.conv != nil}
			want := []any{tt.subscribed, tt.changedAt, tt.native, tt.display, tt.interaction, tt.conv}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("subscribed, changed, native, display, interaction, conversation = %v, want %v", got, want)
			}
			var bot switchboard.BotTrigger
			if len(w.bots) > 0 {
				bot = w.bots[0].Trigger
			}
			if bot != tt.bot {
				t.Errorf("bot trigger = %q, want %q", bot, tt.bot)
			}
			if tt.stored != nil && c.Version != tt.stored.Version+1 {
				t.Errorf("contact version = %d, want %d", c.Version, tt.stored.Version+1)
			}
			if c.ID != convID(channelOf(tt.event)) || c.PlatformUserID != "U1" || c.ChannelKind != channelOf(tt.event).Kind {
				t.Errorf("contact identity = %s/%s/%s", c.ID, c.PlatformUserID, c.ChannelKind)
			}
		})
	}
}

func channelOf(e *switchboard.InboundEvent) *switchboard.Channel {
	for _, ch := range []*switchboard.Channel{lineCh, waCh, fbCh} {
		if ch.ID == e.ChannelID {
			return ch
		}
	}
	return nil
}

func TestKeywordReplyTagsAndCounters(t *testing.T) {
	w := newWorld()
	w.rules = rules()
	w.rules.AutoTag = autotag.Config{Enabled: true, Tags: []autotag.Tag{{Name: "pricing", Keywords: []string{"PRICE"}}, {Name: "asked-price", Keywords: []string{"cost"}}}}
	w.contact = existingContact(lineCh)
	w.contact.Tags = map[string]switchboard.TagCount{"asked-price": {Count: 2, LastTaggedAt: t0.Add(-time.Hour)}}
	r := w.router(t, t0)
	if err := r.Route(context.Background(), textEvent(lineCh, "ev1", "price and cost?")); err != nil {
		t.Fatal(err)
	}
	wantTags := map[string]switchboard.TagCount{
		"asked-price": {Count: 3, LastTaggedAt: t0},
		"pricing":     {Count: 1, LastTaggedAt: t0},
	}
	if got := w.contact.Tags; !reflect.DeepEqual(got, wantTags) {
		t.Errorf("tags = %v, want %v", got, wantTags)
	}
	var logged []string
	for _, l := range w.lastWrite(t).TagLogs {
		if l.Source != switchboard.TagByKeyword || l.ChannelID != lineCh.ID || l.ContactID != convID(lineCh) || !l.At.Equal(t0) {
			t.Errorf("tag log %+v", l)
		}
		logged = append(logged, l.Tag)
	}
	if want := []string{"asked-price", "pricing"}; !reflect.DeepEqual(logged, want) {
		t.Errorf("tagging log = %v, want %v", logged, want)
	}
	for _, want := range []string{"price and cost?", "it is 100 twd", "asked-price pricing"} {
		if !strings.Contains(w.conv.SearchText, want) {
			t.Errorf("search text %q lacks %q", w.conv.SearchText, want)
		}
	}
	wantTriggers := []keyword.Trigger{{Kind: keyword.TriggerReply, RuleID: "r-price", GroupID: "g1", ChannelID: lineCh.ID}}
	if got := w.lastWrite(t).Triggers; !reflect.DeepEqual(got, wantTriggers) {
		t.Errorf("triggers = %v, want %v", got, wantTriggers)
	}
	if got, want := len(w.sends), 1; got != want {
		t.Fatalf("sends = %d, want %d", got, want)
	}
}

func TestImageReply(t *testing.T) {
	w := newWorld()
	w.rules = rules()
	e := textEvent(fbCh, "ev1", "photo")
	if err := w.router(t, t0).Route(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	want := []switchboard.OutboundMessage{{Kind: switchboard.MsgImage, MediaURL: "https://example.com/p.png"}}
	if got := w.sends[0].Messages; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %+v, want %+v", got, want)
	}
}

func TestAutoAssign(t *testing.T) {
	tests := []struct {
		name      string
		members   []*switchboard.Member
		state     *dynamo.AssignState
		text      string
		follower  string
		replies   int
		tags      []string
		triggers  []keyword.TriggerKind
		stateNext string
	}{
		{"CS assignee gets the assignment and the reply", []*switchboard.Member{agentA, agentB}, nil, "buy", "agentA", 1, []string{"buyer"},
			[]keyword.TriggerKind{keyword.TriggerAssign, keyword.TriggerReply}, "agentA"},
		{"sequential continues after the last pick", []*switchboard.Member{agentA, agentB},
			&dynamo.AssignState{Scope: dynamo.AssignScopeRule("a-buy"), State: assign.State{LastID: "agentA", LastCreatedAt: agentA.CreatedAt}, Version: 4},
			"buy", "agentB", 1, []string{"buyer"}, []keyword.TriggerKind{keyword.TriggerAssign, keyword.TriggerReply}, "agentB"},
		{"sales assignee gets only the assignment", []*switchboard.Member{agentA, sales}, nil, "store", "sales", 0, nil,
			[]keyword.TriggerKind{keyword.TriggerAssign}, ""},
		{"nobody online: unassigned, the reply still goes out", []*switchboard.Member{func() *switchboard.Member {
			m := *agentA
			m.Status = switchboard.MemberOffline
			return &m
		}()}, nil, "buy", "", 1, []string{"buyer"}, []keyword.TriggerKind{keyword.TriggerAssign, keyword.TriggerReply}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.rules, w.members = rules(), tt.members
			if tt.state != nil {
				w.states[tt.state.Scope] = tt.state
			}
			if err := w.router(t, t0).Route(context.Background(), textEvent(lineCh, "ev", tt.text)); err != nil {
				t.Fatal(err)
			}
			wantStatus := switchboard.StatusInProgress
			if tt.follower == "" {
				wantStatus = switchboard.StatusPending
			}
			if got := w.conv.Status; got != wantStatus {
				t.Errorf("status = %s, want %s", got, wantStatus)
			}
			if got := w.conv.FollowerID; got != tt.follower {
				t.Errorf("follower = %q, want %q", got, tt.follower)
			}
			// The status record says the system assigned it, to whom.
			wantHistory := []switchboard.HistoryEntry{{At: t0, Kind: switchboard.HistoryOpened}}
			if tt.follower != "" {
				wantHistory = append(wantHistory, switchboard.HistoryEntry{At: t0, Kind: switchboard.HistoryAssigned, Members: []string{tt.follower}})
			}
			if got := w.conv.History; !reflect.DeepEqual(got, wantHistory) {
				t.Errorf("history = %+v, want %+v", got, wantHistory)
			}
			if got := len(w.sends); got != tt.replies {
				t.Errorf("replies = %d, want %d", got, tt.replies)
			}
			var tags []string
			for tag := range w.contact.Tags {
				tags = append(tags, tag)
			}
			if !reflect.DeepEqual(tags, tt.tags) {
				t.Errorf("tags = %v, want %v", tags, tt.tags)
			}
			var kinds []keyword.TriggerKind
			for _, tr := range w.lastWrite(t).Triggers {
				kinds = append(kinds, tr.Kind)
			}
			if !reflect.DeepEqual(kinds, tt.triggers) {
				t.Errorf("triggers = %v, want %v", kinds, tt.triggers)
			}
			var next string
			for _, s := range w.lastWrite(t).AssignStates {
				next = s.State.LastID
			}
			if next != tt.stateNext {
				t.Errorf("stored assignment state names %q, want %q", next, tt.stateNext)
			}
			if tt.follower != "" {
				if got, want := w.conv.Unread[tt.follower], 1; got != want {
					t.Errorf("assignee's unread = %d, want %d", got, want)
				}
			}
		})
	}
}

func TestWorkingHoursAssignment(t *testing.T) {
	// t0 is Monday 18:00 in Taipei.
	day := func(start, end string) []switchboard.WorkingHours {
		return []switchboard.WorkingHours{{Weekday: time.Monday, Start: start, End: end}}
	}
	with := func(m *switchboard.Member, hours []switchboard.WorkingHours) *switchboard.Member {
		c := *m
		c.WorkingHours = hours
		return &c
	}
	tests := []struct {
		name     string
		on       bool
		members  []*switchboard.Member
		text     string
		follower string
		reads    int // assignment state reads
	}{
		{"member within hours gets it", true, []*switchboard.Member{with(agentA, day("09:00", "17:00")), with(agentB, day("17:00", "22:00"))}, "hello", "agentB", 1},
		{"nobody within hours: stays unassigned, no state read", true, []*switchboard.Member{with(agentA, day("09:00", "17:00"))}, "hello", "", 0},
		{"switched off", false, []*switchboard.Member{with(agentB, day("17:00", "22:00"))}, "hello", "", 0},
		{"sales roles are never picked", true, []*switchboard.Member{with(sales, day("00:00", "23:59"))}, "hello", "", 0},
		{"a bot conversation is left to the bot", true, []*switchboard.Member{with(agentB, day("17:00", "22:00"))}, "price", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.rules, w.members = rules(), tt.members
			w.workingHours = tt.on
			if err := w.router(t, t0).Route(context.Background(), textEvent(lineCh, "ev", tt.text)); err != nil {
				t.Fatal(err)
			}
			if got := w.conv.FollowerID; got != tt.follower {
				t.Errorf("follower = %q, want %q", got, tt.follower)
			}
			if got := w.calls["GetAssignState"]; got != tt.reads {
				t.Errorf("assignment state reads = %d, want %d", got, tt.reads)
			}
			if tt.follower != "" {
				st := w.states[dynamo.AssignScopeWorkingHours]
				if st == nil || !st.State.LastAssigned[tt.follower].Equal(t0) {
					t.Errorf("working-hours state = %+v, want %s assigned at %v", st, tt.follower, t0)
				}
			}
		})
	}
}

func TestLINEReadMarking(t *testing.T) {
	out := func(id string, st switchboard.DeliveryStatus) *switchboard.Message {
		return &switchboard.Message{ID: id, TeamID: team, ConversationID: convID(lineCh), Direction: switchboard.Outbound, Kind: switchboard.MsgText, Status: st}
	}
	tests := []struct {
		name     string
		ch       *switchboard.Channel
		sentLast bool // the team wrote after the customer's last message
		queries  int
		read     []string
	}{
		{"LINE with unread outbound: sent and received become read", lineCh, true, 1, []string{"01A", "01B"}},
		{"LINE with nothing sent since: no query", lineCh, false, 0, nil},
		{"Messenger has read receipts: no query", fbCh, true, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.contact = existingContact(tt.ch)
			w.conv = conversation(tt.ch, switchboard.StatusInProgress, "", "agentA")
			if tt.sentLast {
				w.conv.LastOutboundAt = w.conv.LastCustomerAt.Add(time.Minute)
			}
			for _, m := range []*switchboard.Message{
				out("01A", switchboard.DeliverySent), out("01B", switchboard.DeliveryReceived),
				out("01C", switchboard.DeliverySending), out("01D", switchboard.DeliveryFailed), out("01E", switchboard.DeliveryRead),
				{ID: "01F", TeamID: team, ConversationID: convID(tt.ch), Direction: switchboard.Inbound, Kind: switchboard.MsgText},
			} {
				w.messages[m.ID] = m
			}
			if err := w.router(t, t0).Route(context.Background(), textEvent(tt.ch, "ev", "ok")); err != nil {
				t.Fatal(err)
			}
			if got := w.calls["RecentMessages"]; got != tt.queries {
				t.Errorf("queries = %d, want %d", got, tt.queries)
			}
			var read []string
			for _, r := range w.lastWrite(t).ReadMarks {
				read = append(read, r.MessageID)
			}
			slices.Sort(read)
			if !reflect.DeepEqual(read, tt.read) {
				t.Errorf("marked read %v, want %v", read, tt.read)
			}
		})
	}
}

// TestLINEReadMarkingAfterAutoReply checks that the router's own reply counts
// as unread until the customer writes again.
func TestLINEReadMarkingAfterAutoReply(t *testing.T) {
	w := newWorld()
	w.rules = rules()
	r := w.router(t, t0)
	first := textEvent(lineCh, "ev1", "price")
	if err := r.Route(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	second := textEvent(lineCh, "ev2", "thanks")
	second.OccurredAt = t0.Add(time.Second)
	if err := w.router(t, t0.Add(2*time.Second)).Route(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	if got, want := w.messages[ReplyMessageID(first, 0)].Status, switchboard.DeliveryRead; got != want {
		t.Errorf("first reply is %s after the customer wrote again, want %s", got, want)
	}
	third := textEvent(lineCh, "ev3", "bye")
	w.calls["RecentMessages"] = 0
	if err := w.router(t, t0.Add(3*time.Second)).Route(context.Background(), third); err != nil {
		t.Fatal(err)
	}
	if got := w.calls["RecentMessages"]; got != 0 {
		t.Errorf("queried %d times with nothing unread, want 0", got)
	}
}

func TestStatusesMoveForwardOnly(t *testing.T) {
	tests := []struct {
		name   string
		start  switchboard.DeliveryStatus
		status switchboard.DeliveryStatus
		want   switchboard.DeliveryStatus
		reason string
	}{
		{"sent to received", switchboard.DeliverySent, switchboard.DeliveryReceived, switchboard.DeliveryReceived, ""},
		{"sent to read", switchboard.DeliverySent, switchboard.DeliveryRead, switchboard.DeliveryRead, ""},
		{"read stays read on a late delivery", switchboard.DeliveryRead, switchboard.DeliveryReceived, switchboard.DeliveryRead, ""},
		{"received stays on a repeated sent", switchboard.DeliveryReceived, switchboard.DeliverySent, switchboard.DeliveryReceived, ""},
		{"failed from read, with the reason", switchboard.DeliveryRead, switchboard.DeliveryFailed, switchboard.DeliveryFailed, "131047: Re-engagement message"},
		{"failed stays failed", switchboard.DeliveryFailed, switchboard.DeliveryRead, switchboard.DeliveryFailed, "earlier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			ref := dynamo.MessageRef{TeamID: team, ConversationID: convID(waCh), MessageID: "01M"}
			w.messages["01M"] = &switchboard.Message{ID: "01M", Direction: switchboard.Outbound, Status: tt.start, FailureReason: map[bool]string{true: "earlier"}[tt.start == switchboard.DeliveryFailed]}
			w.pointers["wamid.1"] = ref
			e := typedEvent(waCh, "st", switchboard.InStatus)
			e.Status = &switchboard.StatusUpdate{Status: tt.status, MessageIDs: []string{"wamid.1", "wamid.unknown"}}
			if tt.status == switchboard.DeliveryFailed {
				e.Status.ErrorCode, e.Status.ErrorTitle = "131047", "Re-engagement message"
			}
			if err := w.router(t, t0).Route(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			m := w.messages["01M"]
			if m.Status != tt.want || m.FailureReason != tt.reason {
				t.Errorf("status = %s (%q), want %s (%q)", m.Status, m.FailureReason, tt.want, tt.reason)
			}
			if len(w.writes) != 0 {
				t.Errorf("a status wrote %d transactions, want none", len(w.writes))
			}
		})
	}
}

func TestMetaWatermark(t *testing.T) {
	w := newWorld()
	conv := convID(fbCh)
	mk := func(id string, dir switchboard.Direction, st switchboard.DeliveryStatus, at time.Time) {
		w.messages[id] = &switchboard.Message{ID: id, TeamID: team, ConversationID: conv, Direction: dir, Status: st, CreatedAt: at}
	}
	mk("01A", switchboard.Outbound, switchboard.DeliverySent, t0.Add(-3*time.Minute))
	mk("01B", switchboard.Outbound, switchboard.DeliveryReceived, t0.Add(-2*time.Minute))
	mk("01C", switchboard.Outbound, switchboard.DeliverySending, t0.Add(-2*time.Minute))
	mk("01D", switchboard.Outbound, switchboard.DeliveryFailed, t0.Add(-2*time.Minute))
	mk("01E", switchboard.Inbound, "", t0.Add(-2*time.Minute))
	mk("01F", switchboard.Outbound, switchboard.DeliverySent, t0.Add(time.Minute)) // after the watermark
	e := typedEvent(fbCh, "wm", switchboard.InStatus)
	e.Status = &switchboard.StatusUpdate{Status: switchboard.DeliveryRead, Watermark: t0}
	if err := w.router(t, t0).Route(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	got := map[string]switchboard.DeliveryStatus{}
	for id, m := range w.messages {
		got[id] = m.Status
	}
	want := map[string]switchboard.DeliveryStatus{
		"01A": switchboard.DeliveryRead, "01B": switchboard.DeliveryRead, "01C": switchboard.DeliverySending,
		"01D": switchboard.DeliveryFailed, "01E": "", "01F": switchboard.DeliverySent,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
}

func TestInvalidStatusIsDropped(t *testing.T) {
	w := newWorld()
	for _, st := range []*switchboard.StatusUpdate{nil, {Status: switchboard.DeliverySending}, {Status: "bogus"}} {
		e := typedEvent(waCh, "st", switchboard.InStatus)
		e.Status = st
		err := w.router(t, t0).Route(context.Background(), e)
		if got := queue.Disposition(err); got != queue.Drop {
			t.Errorf("status %+v: %v (%v), want drop", st, got, err)
		}
	}
}

func TestBotRequests(t *testing.T) {
	w := newWorld()
	w.rules = rules()
	e := textEvent(lineCh, "ev1", "MENU")
	if err := w.router(t, t0).Route(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if len(w.bots) != 1 {
		t.Fatalf("bot requests = %d, want 1", len(w.bots))
	}
	got := w.bots[0]
	want := switchboard.BotRequest{
		ID: BotRequestID(e), TeamID: team, ChannelID: lineCh.ID, ContactID: convID(lineCh), ConversationID: convID(lineCh),
		BotID: "b1", ModuleID: "m1", Trigger: switchboard.TriggerKeyword, Event: *e, ReplyToken: "rt-ev1", RequestedAt: t0,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bot request = %+v\nwant %+v", got, want)
	}
	if got.GroupID() != e.GroupID() {
		t.Errorf("group = %s, want the conversation's %s", got.GroupID(), e.GroupID())
	}
	if err := got.Validate(); err != nil {
		t.Error(err)
	}
	if stored := w.claims[lineCh.ID+"#ev1"]; stored == nil || stored.ID != got.ID {
		t.Errorf("claim keeps bot request %+v, want %s", stored, got.ID)
	}
	if len(w.sends) != 0 {
		t.Errorf("a bot-module reply sent %d messages itself", len(w.sends))
	}
}

func TestPostbackWithReferral(t *testing.T) {
	w := newWorld()
	e := typedEvent(fbCh, "ev1", switchboard.InPostback)
	e.Postback = &switchboard.Postback{Payload: "GET_STARTED", Title: "Get Started", Referral: &switchboard.Referral{Ref: "spring"}}
	if err := w.router(t, t0).Route(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if len(w.bots) != 1 || w.bots[0].Trigger != switchboard.TriggerReferral || w.bots[0].Event.Postback.Referral.Ref != "spring" {
		t.Fatalf("bot requests = %+v, want one referral with its ref", w.bots)
	}
	if in := w.messages[InboundMessageID(e)]; in == nil || in.Text != "Get Started" || in.Kind != switchboard.MsgText {
		t.Errorf("stored tap = %+v, want its title as text", in)
	}
}

func TestVersionRaceDecidesAgain(t *testing.T) {
	w := newWorld()
	w.rules = rules()
	w.contact = existingContact(lineCh)
	w.conv = conversation(lineCh, switchboard.StatusPending, switchboard.PendingBot, "")
	r := w.router(t, t0)
	st := r.store.(*fakeStore)
	apply := st.applyInbound
	raced := false
	st.applyInbound = func(ctx context.Context, in *dynamo.InboundWrite) error {
		if !raced {
			// An agent follows the conversation between our read and write.
			raced = true
			w.mu.Lock()
			w.conv.Status, w.conv.PendingKind, w.conv.FollowerID = switchboard.StatusInProgress, "", "agentB"
			w.conv.Version++
			w.mu.Unlock()
		}
		return apply(ctx, in)
	}
	if err := r.Route(context.Background(), textEvent(lineCh, "ev1", "price")); err != nil {
		t.Fatal(err)
	}
	got := []any{w.calls["LoadInbound"], w.conv.Status, w.conv.FollowerID, len(w.sends)}
	// Decided again on the in-progress conversation: no auto-reply there.
	want := []any{2, switchboard.StatusInProgress, "agentB", 0}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reads, status, follower, replies = %v, want %v", got, want)
	}
}

func TestRaceThatNeverEndsIsRetriedLater(t *testing.T) {
	w := newWorld()
	r := w.router(t, t0)
	r.maxAttempts = 3
	r.store.(*fakeStore).applyInbound = func(context.Context, *dynamo.InboundWrite) error {
		w.call("ApplyInbound")
		return switchboard.Errorf(switchboard.EConflict, "changed")
	}
	err := r.Route(context.Background(), textEvent(lineCh, "ev1", "hi"))
	if got, want := switchboard.ErrorCode(err), switchboard.EConflict; got != want {
		t.Fatalf("code = %q, want %q", got, want)
	}
	if got, want := w.calls["ApplyInbound"], 3; got != want {
		t.Errorf("attempts = %d, want %d", got, want)
	}
	if got := queue.Disposition(err); got != queue.Retry {
		t.Errorf("disposition = %v, want retry", got)
	}
}

func TestDuplicateFinishesTheOutbox(t *testing.T) {
	tests := []struct {
		name   string
		status switchboard.DeliveryStatus
		sends  int
	}{
		{"a reply left sending is sent", switchboard.DeliverySending, 1},
		{"a reply already sent is not", switchboard.DeliverySent, 0},
		{"a reply that failed is not", switchboard.DeliveryFailed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.rules = rules()
			e := textEvent(lineCh, "ev1", "menu price")
			id := ReplyMessageID(e, 0)
			w.messages[id] = &switchboard.Message{ID: id, TeamID: team, ConversationID: convID(lineCh), Direction: switchboard.Outbound, Kind: switchboard.MsgText, Text: "It is 100 TWD", Status: tt.status}
			w.claims[lineCh.ID+"#ev1"] = &switchboard.BotRequest{ID: BotRequestID(e), TeamID: team, ChannelID: lineCh.ID, ConversationID: convID(lineCh), Trigger: switchboard.TriggerPostback, Event: *e}
			if err := w.router(t, t0).Route(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			if got := len(w.sends); got != tt.sends {
				t.Errorf("sends = %d, want %d", got, tt.sends)
			}
			if tt.sends == 1 && w.sends[0].IdempotencyKey != id {
				t.Errorf("idempotency key = %s, want %s", w.sends[0].IdempotencyKey, id)
			}
			if len(w.writes) != 0 {
				t.Errorf("a duplicate committed %d writes", len(w.writes))
			}
			if len(w.bots) != 1 || w.bots[0].ID != BotRequestID(e) {
				t.Errorf("bot requests = %+v, want the stored one again", w.bots)
			}
			if got := w.messages[id].Status; tt.status == switchboard.DeliverySending && got != switchboard.DeliverySent {
				t.Errorf("status = %s, want sent", got)
			}
		})
	}
}

func TestSendFailures(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		receives string
		wantErr  string
		status   switchboard.DeliveryStatus
		reason   string
	}{
		{"outage: retried later, still sending", switchboard.Errorf(switchboard.EUnavailable, "LINE is down"), "1", switchboard.EUnavailable, switchboard.DeliverySending, ""},
		{"rate limited: retried later", switchboard.Errorf(switchboard.ERateLimited, "429"), "3", switchboard.ERateLimited, switchboard.DeliverySending, ""},
		{"outage on the last delivery: failed", switchboard.Errorf(switchboard.EUnavailable, "LINE is down"), "4", "", switchboard.DeliveryFailed, "LINE is down"},
		{"window closed: failed at once with the reason", switchboard.Errorf(switchboard.EForbidden, "outside the 24-hour window"), "1", "", switchboard.DeliveryFailed, "outside the 24-hour window"},
		{"unclassified: failed without details", errors.New("socket: secret detail"), "1", "", switchboard.DeliveryFailed, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.rules = rules()
			w.send = func(switchboard.SendRequest) (switchboard.SendResult, error) { return switchboard.SendResult{}, tt.err }
			e := textEvent(lineCh, "ev1", "price")
			msg := sqsMessage(t, e, "m1")
			msg.Attributes = map[string]string{"ApproximateReceiveCount": tt.receives}
			err := w.router(t, t0).handleMessage(context.Background(), msg)
			if got := switchboard.ErrorCode(err); got != tt.wantErr {
				t.Fatalf("error code = %q (%v), want %q", got, err, tt.wantErr)
			}
			m := w.messages[ReplyMessageID(e, 0)]
			if m.Status != tt.status || m.FailureReason != tt.reason {
				t.Errorf("reply = %s (%q), want %s (%q)", m.Status, m.FailureReason, tt.status, tt.reason)
			}
		})
	}
}

func TestNoSenderForKind(t *testing.T) {
	w := newWorld()
	w.rules = rules()
	r := w.router(t, t0)
	delete(r.senders, switchboard.KindMessenger)
	e := textEvent(fbCh, "ev1", "price")
	if err := r.Route(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if got := w.messages[ReplyMessageID(e, 0)]; got.Status != switchboard.DeliveryFailed || got.FailureReason == "" {
		t.Errorf("reply = %s (%q), want failed with a reason", got.Status, got.FailureReason)
	}
}

func TestRouteRefusesForeignAndUnknownChannels(t *testing.T) {
	tests := []struct {
		name string
		e    *switchboard.InboundEvent
		want string
	}{
		{"unknown channel", func() *switchboard.InboundEvent { e := textEvent(lineCh, "e", "hi"); e.ChannelID = "nope"; return e }(), switchboard.ENotFound},
		{"channel of another team", func() *switchboard.InboundEvent { e := textEvent(lineCh, "e", "hi"); e.TeamID = "T2"; return e }(), switchboard.ENotFound},
		{"no customer", func() *switchboard.InboundEvent { e := textEvent(lineCh, "e", "hi"); e.CustomerID = ""; return e }(), switchboard.EInvalid},
		{"postback without payload", func() *switchboard.InboundEvent {
			e := typedEvent(lineCh, "e", switchboard.InPostback)
			e.Postback = &switchboard.Postback{}
			return e
		}(), switchboard.EInvalid},
		{"unknown type", typedEvent(lineCh, "e", "poke"), switchboard.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			err := w.router(t, t0).Route(context.Background(), tt.e)
			if got := switchboard.ErrorCode(err); got != tt.want {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.want)
			}
			if len(w.writes) != 0 {
				t.Errorf("wrote %d transactions", len(w.writes))
			}
		})
	}
}

func sqsMessage(t testing.TB, e *switchboard.InboundEvent, id string) events.SQSMessage {
	t.Helper()
	body, err := queue.EncodeInbound(e)
	if err != nil {
		t.Fatal(err)
	}
	return events.SQSMessage{MessageId: id, Body: body, Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
}

func TestHandleReportsFirstFailureAndAfter(t *testing.T) {
	tests := []struct {
		name string
		fail map[string]error // by event id
		want []string
	}{
		{"all routed", nil, []string{}},
		{"second fails: second and third retried", map[string]error{"e2": switchboard.Errorf(switchboard.EInternal, "boom")}, []string{"m2", "m3"}},
		{"poison second is dropped, the rest routed", map[string]error{"e2": switchboard.Errorf(switchboard.EInvalid, "bad")}, []string{}},
		{"first fails: everything retried", map[string]error{"e1": switchboard.Errorf(switchboard.EUnavailable, "down")}, []string{"m1", "m2", "m3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.rules = rules()
			r := w.router(t, t0)
			r.maxAttempts = 1
			st := r.store.(*fakeStore)
			apply := st.applyInbound
			st.applyInbound = func(ctx context.Context, in *dynamo.InboundWrite) error {
				if err := tt.fail[in.EventID]; err != nil {
					return err
				}
				return apply(ctx, in)
			}
			ev := events.SQSEvent{Records: []events.SQSMessage{
				sqsMessage(t, textEvent(lineCh, "e1", "price"), "m1"),
				sqsMessage(t, textEvent(lineCh, "e2", "price"), "m2"),
				sqsMessage(t, textEvent(lineCh, "e3", "price"), "m3"),
			}}
			resp, err := r.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, f := range resp.BatchItemFailures {
				got = append(got, f.ItemIdentifier)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("batch item failures = %v, want %v", got, tt.want)
			}
			routed := 3 - len(tt.want)
			if tt.fail["e2"] != nil && switchboard.ErrorCode(tt.fail["e2"]) == switchboard.EInvalid {
				routed = 2
			}
			if got := len(w.sends); got != routed {
				t.Errorf("replies = %d, want %d", got, routed)
			}
		})
	}
}

func TestHandleDropsUndecodableMessages(t *testing.T) {
	w := newWorld()
	resp, err := w.router(t, t0).Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: "{not json"}}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("got %v, %v; want the message dropped", resp, err)
	}
}

func TestCachesConfiguration(t *testing.T) {
	w := newWorld()
	w.rules = rules()
	now := t0
	loads := 0
	r := w.router(t, t0)
	r.rules = ttlcache.New(func(ctx context.Context, id string) (*teamRules, error) {
		loads++
		return loadRules(&fakeRules{
			getRuleSet:        func(context.Context, string) (*keyword.RuleSet, error) { return w.rules, nil },
			getAssignSettings: func(context.Context, string) (*switchboard.AssignSettings, error) { return nil, nil },
		})(ctx, id)
	}, func() time.Time { return now }, 30*time.Second, cacheEntries)
	for i := range 3 {
		if err := r.Route(context.Background(), textEvent(lineCh, fmt.Sprint("e", i), "hi")); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(31 * time.Second)
	if err := r.Route(context.Background(), textEvent(lineCh, "e9", "hi")); err != nil {
		t.Fatal(err)
	}
	if got, want := loads, 2; got != want {
		t.Errorf("rule loads = %d, want %d", got, want)
	}
}

func TestDeterministicIDs(t *testing.T) {
	e := textEvent(lineCh, "ev1", "hi")
	other := textEvent(lineCh, "ev2", "hi")
	otherChannel := textEvent(fbCh, "ev1", "hi")
	ids := map[string]string{
		"inbound": InboundMessageID(e), "reply0": ReplyMessageID(e, 0), "reply1": ReplyMessageID(e, 1),
		"other event": ReplyMessageID(other, 0), "other channel": ReplyMessageID(otherChannel, 0),
	}
	seen := map[string]string{}
	for name, id := range ids {
		if prev, dup := seen[id]; dup {
			t.Errorf("%s and %s share id %s", name, prev, id)
		}
		seen[id] = name
	}
	if InboundMessageID(e) != InboundMessageID(textEvent(lineCh, "ev1", "changed text")) {
		t.Error("the inbound id depends on more than the channel and event id")
	}
	if !(InboundMessageID(e) < ReplyMessageID(e, 0) && ReplyMessageID(e, 0) < ReplyMessageID(e, 1)) {
		t.Error("replies do not sort after the message")
	}
	later := textEvent(lineCh, "ev0", "hi")
	later.OccurredAt = e.OccurredAt.Add(time.Millisecond)
	if !(ReplyMessageID(e, 4) < InboundMessageID(later)) {
		t.Error("a later event's message does not sort after an earlier event's replies")
	}
	if got := len(replyMessageIDs(e)); got != MaxRepliesPerEvent {
		t.Errorf("reply ids = %d, want %d", got, MaxRepliesPerEvent)
	}
}

func TestBotQueuePublishes(t *testing.T) {
	var got []queue.Message
	q := &BotQueue{Queue: "https://sqs/bot.fifo", Publisher: queueSenderFunc(func(_ context.Context, url string, msgs []queue.Message) error {
		if url != "https://sqs/bot.fifo" {
			t.Errorf("queue = %s", url)
		}
		got = append(got, msgs...)
		return nil
	})}
	e := textEvent(lineCh, "ev1", "odd \uFFFE text")
	req := *botRequest(e, convID(lineCh), switchboard.TriggerKeyword, t0)
	req.BotID, req.ModuleID = "b", "m"
	if err := q.PublishBot(context.Background(), []switchboard.BotRequest{req}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].GroupID != e.GroupID() || got[0].DedupID != e.DedupID() {
		t.Fatalf("messages = %+v, want one in the conversation's group", got)
	}
	var back switchboard.BotRequest
	if err := json.Unmarshal([]byte(got[0].Body), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, req) {
		t.Errorf("decoded %+v, want %+v", back, req)
	}
	bad := req
	bad.ModuleID = ""
	if err := q.PublishBot(context.Background(), []switchboard.BotRequest{bad}); switchboard.ErrorCode(err) != switchboard.EInvalid {
		t.Errorf("invalid request: %v, want EInvalid", err)
	}
}

type queueSenderFunc func(ctx context.Context, url string, msgs []queue.Message) error

func (f queueSenderFunc) Send(ctx context.Context, url string, msgs []queue.Message) error {
	return f(ctx, url, msgs)
}

func TestLogsAndMetricsNameTheEvent(t *testing.T) {
	var logs, metrics bytes.Buffer
	w := newWorld()
	w.rules = rules()
	r := w.router(t, t0)
	r.log = slog.New(slog.NewJSONHandler(&logs, nil))
	r.metrics = telemetry.NewMetrics(&metrics, "router", func() time.Time { return t0 })
	e := textEvent(lineCh, "ev1", "price? my secret phone 0912-345-678")
	if err := r.handleMessage(context.Background(), sqsMessage(t, e, "sqs-1")); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.Split(logs.Bytes(), []byte("\n"))[0], &line); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"requestId": "sqs-1", "teamId": team, "eventId": "ev1", "conversationId": convID(lineCh)} {
		if got := line[k]; got != want {
			t.Errorf("log %s = %v, want %s", k, got, want)
		}
	}
	if bytes.Contains(logs.Bytes(), []byte("0912")) {
		t.Error("the customer's message reached the logs")
	}
	for _, name := range []string{`"EventsRouted":1`, `"RepliesSent":1`} {
		if !bytes.Contains(metrics.Bytes(), []byte(name)) {
			t.Errorf("metrics %s lack %s", metrics.String(), name)
		}
	}
}

func TestSearchTextFollowsTheContact(t *testing.T) {
	tests := []struct {
		name  string
		event *switchboard.InboundEvent
		write bool
	}{
		{"a new native name is indexed", func() *switchboard.InboundEvent {
			e := typedEvent(lineCh, "ev", switchboard.InFollow)
			e.CustomerName = "Brand New"
			return e
		}(), true},
		{"an unchanged contact leaves the conversation alone", typedEvent(lineCh, "ev", switchboard.InUnfollow), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.contact = existingContact(lineCh)
			w.contact.NativeName = "Old"
			w.conv = conversation(lineCh, switchboard.StatusClosed, "", "agentA")
			w.conv.IndexContact(w.contact)
			if err := w.router(t, t0).Route(context.Background(), tt.event); err != nil {
				t.Fatal(err)
			}
			wrote := w.lastWrite(t).Conversation != nil
			if wrote != tt.write {
				t.Fatalf("conversation written = %v, want %v", wrote, tt.write)
			}
			if tt.write && !strings.Contains(w.conv.SearchText, "brand new") {
				t.Errorf("search text = %q", w.conv.SearchText)
			}
			if got := w.conv.Status; got != switchboard.StatusClosed {
				t.Errorf("status = %s, want closed", got)
			}
		})
	}
}

func TestFitTransaction(t *testing.T) {
	refs := func(n int) []dynamo.MessageRef {
		out := make([]dynamo.MessageRef, n)
		for i := range out {
			out[i].MessageID = fmt.Sprint(i)
		}
		return out
	}
	logs := func(n int) []*switchboard.TagLog {
		out := make([]*switchboard.TagLog, n)
		for i := range out {
			out[i] = &switchboard.TagLog{ID: fmt.Sprint(i)}
		}
		return out
	}
	for _, tt := range []struct {
		name                string
		marks, tags         int
		wantMarks, wantTags int
	}{
		{"fits", 30, 10, 30, 10},
		{"read marks give way first", 40, 65, 32, 65},
		{"then the tagging log", 10, 99, 0, 97},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := &dynamo.InboundWrite{Contact: &switchboard.Contact{}, Conversation: &switchboard.Conversation{}, ReadMarks: refs(tt.marks), TagLogs: logs(tt.tags)}
			fitTransaction(w)
			if got := []int{len(w.ReadMarks), len(w.TagLogs)}; !reflect.DeepEqual(got, []int{tt.wantMarks, tt.wantTags}) {
				t.Errorf("read marks, tag logs = %v, want %d, %d", got, tt.wantMarks, tt.wantTags)
			}
			if w.ItemCount() > dynamo.MaxTransactItems {
				t.Errorf("%d items", w.ItemCount())
			}
			if len(w.ReadMarks) > 0 && w.ReadMarks[0].MessageID != "0" {
				t.Error("the newest read marks were dropped first")
			}
		})
	}
}
