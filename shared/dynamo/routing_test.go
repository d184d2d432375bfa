package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/assign"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// routingFixture is one contact's first inbound event, ready to apply.
func routingFixture(team, channel, event string, at time.Time) *dynamo.InboundWrite {
	id := dynamo.ContactID(team, channel, "Ucustomer")
	return &dynamo.InboundWrite{
		TeamID: team, ChannelID: channel, EventID: event, ConversationID: id,
		Contact: &switchboard.Contact{ID: id, TeamID: team, ChannelID: channel, ChannelKind: switchboard.KindLINE, PlatformUserID: "Ucustomer", NativeName: "Amy", Subscribed: true},
		Conversation: &switchboard.Conversation{
			ID: id, TeamID: team, ContactID: id, ChannelID: channel,
			Status: switchboard.StatusPending, PendingKind: switchboard.PendingBot, LastMessageAt: at, LastCustomerAt: at,
		},
		Messages: []*switchboard.Message{
			{ID: "01JAAAAAAAAAAAAAAAAAAAAAA1", TeamID: team, ConversationID: id, ContactID: id, Direction: switchboard.Inbound, Kind: switchboard.MsgText, Text: "price?", CreatedAt: at},
			{ID: "01JAAAAAAAAAAAAAAAAAAAAAA2", TeamID: team, ConversationID: id, ContactID: id, Direction: switchboard.Outbound, Kind: switchboard.MsgText, Text: "100", Status: switchboard.DeliverySending, CreatedAt: at},
		},
		Triggers: []keyword.Trigger{
			{Kind: keyword.TriggerReply, RuleID: "r1", GroupID: "g1", ChannelID: channel},
			{Kind: keyword.TriggerAssign, RuleID: "a1", GroupID: "g1", ChannelID: channel},
		},
		TagLogs: []*switchboard.TagLog{{ID: "01JAAAAAAAAAAAAAAAAAAAAAT" + event[len(event)-1:], TeamID: team, ContactID: id, Tag: "vip", ChannelID: channel, Source: switchboard.TagByKeyword, At: at}},
		Bot:     &switchboard.BotRequest{ID: "bot_1", TeamID: team, ChannelID: channel, ContactID: id, ConversationID: id, Trigger: switchboard.TriggerKeyword, BotID: "b", ModuleID: "m", Event: switchboard.InboundEvent{ID: event, TeamID: team, ChannelID: channel, Type: switchboard.InMessage}},
	}
}

func TestApplyInbound(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s := newStore(t, clock.Now)
	const team, channel = "T1", "C1"
	w := routingFixture(team, channel, "ev1", t0)
	id := w.ConversationID

	contact, conv, err := s.LoadInbound(ctx, team, id)
	must(t, err)
	if contact != nil || conv != nil {
		t.Fatalf("before the first event: got %v, %v, want nothing", contact, conv)
	}
	must(t, s.ApplyInbound(ctx, w))

	contact, conv, err = s.LoadInbound(ctx, team, id)
	must(t, err)
	if contact == nil || conv == nil {
		t.Fatalf("after the first event: got %v, %v, want both", contact, conv)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"contact version", contact.Version, int64(1)},
		{"contact name", contact.NativeName, "Amy"},
		{"conversation version", conv.Version, int64(1)},
		{"conversation status", conv.Status, switchboard.StatusPending},
		{"conversation created", conv.CreatedAt.Equal(t0), true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	viaStore, err := s.GetConversation(ctx, team, id)
	must(t, err)
	if got, want := viaStore.Version, int64(1); got != want {
		t.Errorf("GetConversation version = %d, want %d", got, want)
	}
	msgs, _, err := s.ListMessages(ctx, team, id, "", 10)
	must(t, err)
	if got, want := len(msgs), 2; got != want {
		t.Fatalf("messages = %d, want %d", got, want)
	}
	logs, _, err := s.ListTagLogs(ctx, team, id, "", 10)
	must(t, err)
	if len(logs) != 1 || logs[0].Tag != "vip" || logs[0].Source != switchboard.TagByKeyword {
		t.Errorf("tag logs = %+v, want the one vip tagging", logs)
	}
	if got, want := w.ItemCount(), 1+2+2+1+6; got != want {
		t.Errorf("ItemCount = %d, want %d (claim, contact, conversation, messages, tag log, 3 counters per feature)", got, want)
	}

	t.Run("the same event again is already processed and writes nothing", func(t *testing.T) {
		again := routingFixture(team, channel, "ev1", t0)
		again.Contact, again.Conversation = contact, conv
		err := s.ApplyInbound(ctx, again)
		if !errors.Is(err, dynamo.ErrAlreadyProcessed) {
			t.Fatalf("err = %v, want ErrAlreadyProcessed", err)
		}
		c2, v2, err := s.LoadInbound(ctx, team, id)
		must(t, err)
		if c2.Version != 1 || v2.Version != 1 {
			t.Errorf("versions after a duplicate = %d, %d, want 1, 1", c2.Version, v2.Version)
		}
	})

	t.Run("a stale version is a conflict and writes nothing", func(t *testing.T) {
		stale := routingFixture(team, channel, "ev2", t0)
		stale.Messages = stale.Messages[:1]
		stale.Messages[0].ID = "01JAAAAAAAAAAAAAAAAAAAAAB1"
		wantCode(t, s.ApplyInbound(ctx, stale), switchboard.EConflict)
		out, err := s.GetOutbox(ctx, team, channel, "ev2", id, []string{"01JAAAAAAAAAAAAAAAAAAAAAB1"})
		must(t, err)
		if out.Claimed || len(out.Messages) != 0 {
			t.Errorf("a refused transaction left claim %v and %d messages", out.Claimed, len(out.Messages))
		}
	})

	t.Run("the version read commits and counts again", func(t *testing.T) {
		next := routingFixture(team, channel, "ev3", t0)
		next.Contact, next.Conversation = contact, conv
		next.Messages = nil
		next.Bot = nil
		next.Triggers = next.Triggers[:1]
		must(t, s.ApplyInbound(ctx, next))
		c3, v3, err := s.LoadInbound(ctx, team, id)
		must(t, err)
		if c3.Version != 2 || v3.Version != 2 {
			t.Errorf("versions = %d, %d, want 2, 2", c3.Version, v3.Version)
		}
		counts, err := s.TriggerCounts(ctx, team)
		must(t, err)
		want := []dynamo.TriggerCount{
			{Kind: keyword.TriggerAssign, Scope: dynamo.ScopeChannel, ID: channel, Count: 1},
			{Kind: keyword.TriggerAssign, Scope: dynamo.ScopeGroup, ID: "g1", Count: 1},
			{Kind: keyword.TriggerAssign, Scope: dynamo.ScopeRule, ID: "a1", Count: 1},
			{Kind: keyword.TriggerReply, Scope: dynamo.ScopeChannel, ID: channel, Count: 2},
			{Kind: keyword.TriggerReply, Scope: dynamo.ScopeGroup, ID: "g1", Count: 2},
			{Kind: keyword.TriggerReply, Scope: dynamo.ScopeRule, ID: "r1", Count: 2},
		}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("trigger counts = %+v, want %+v", counts, want)
		}
	})
}

func TestOutboxAndStatuses(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	const team, channel = "T1", "C1"
	w := routingFixture(team, channel, "ev1", t0)
	must(t, s.ApplyInbound(ctx, w))
	id := w.ConversationID
	out := dynamo.MessageRef{TeamID: team, ConversationID: id, MessageID: w.Messages[1].ID}

	ob, err := s.GetOutbox(ctx, team, channel, "ev1", id, []string{w.Messages[1].ID, "01JAAAAAAAAAAAAAAAAAAAAAZZ"})
	must(t, err)
	if !ob.Claimed || ob.Bot == nil || ob.Bot.ModuleID != "m" || ob.Bot.Event.ID != "ev1" {
		t.Fatalf("outbox claim = %v, bot %+v; want the claim with its bot request", ob.Claimed, ob.Bot)
	}
	if len(ob.Messages) != 1 || ob.Messages[0].Status != switchboard.DeliverySending {
		t.Fatalf("outbox messages = %+v, want the one reply, sending", ob.Messages)
	}

	status := func() *switchboard.Message {
		t.Helper()
		got, err := s.GetOutbox(ctx, team, channel, "ev1", id, []string{out.MessageID})
		must(t, err)
		return got.Messages[0]
	}
	steps := []struct {
		name    string
		do      func() (bool, error)
		applied bool
		want    switchboard.DeliveryStatus
	}{
		{"sent records the platform ids", func() (bool, error) { return s.MarkSent(ctx, out, channel, []string{"p1", "p2"}) }, true, switchboard.DeliverySent},
		{"sent twice applies once", func() (bool, error) { return s.MarkSent(ctx, out, channel, []string{"p1"}) }, false, switchboard.DeliverySent},
		{"failed applies only while sending", func() (bool, error) { return s.MarkFailed(ctx, out, "nope") }, false, switchboard.DeliverySent},
		{"received moves forward", func() (bool, error) {
			return s.AdvanceStatus(ctx, out, switchboard.DeliveryReceived, "", []switchboard.DeliveryStatus{switchboard.DeliverySending, switchboard.DeliverySent})
		}, true, switchboard.DeliveryReceived},
		{"received again changes nothing", func() (bool, error) {
			return s.AdvanceStatus(ctx, out, switchboard.DeliveryReceived, "", []switchboard.DeliveryStatus{switchboard.DeliverySending, switchboard.DeliverySent})
		}, false, switchboard.DeliveryReceived},
		{"read", func() (bool, error) {
			return s.AdvanceStatus(ctx, out, switchboard.DeliveryRead, "", []switchboard.DeliveryStatus{switchboard.DeliverySent, switchboard.DeliveryReceived})
		}, true, switchboard.DeliveryRead},
	}
	for _, st := range steps {
		applied, err := st.do()
		must(t, err)
		if applied != st.applied {
			t.Errorf("%s: applied = %v, want %v", st.name, applied, st.applied)
		}
		if got := status().Status; got != st.want {
			t.Errorf("%s: status = %s, want %s", st.name, got, st.want)
		}
	}
	if got, want := status().PlatformMessageID, "p1"; got != want {
		t.Errorf("platform id = %q, want %q", got, want)
	}
	refs, err := s.FindPlatformMessages(ctx, team, channel, []string{"p2", "unknown", "p1"})
	must(t, err)
	if want := []dynamo.MessageRef{out, out}; !reflect.DeepEqual(refs, want) {
		t.Errorf("FindPlatformMessages = %+v, want %+v", refs, want)
	}
	other, err := s.FindPlatformMessages(ctx, "T2", channel, []string{"p1"})
	must(t, err)
	if len(other) != 0 {
		t.Errorf("another team found %+v", other)
	}

	// A second event: its reply fails; the first reply is marked read by the
	// customer's message in the same transaction.
	contact, conv, err := s.LoadInbound(ctx, team, id)
	must(t, err)
	w2 := routingFixture(team, channel, "ev2", t0.Add(time.Minute))
	w2.Contact, w2.Conversation, w2.Bot, w2.Triggers = contact, conv, nil, nil
	w2.Messages[0].ID, w2.Messages[1].ID = "01JAAAAAAAAAAAAAAAAAAAAAC1", "01JAAAAAAAAAAAAAAAAAAAAAC2"
	w2.ReadMarks = []dynamo.MessageRef{out}
	// out is read already: marking it again is a conflict that writes nothing.
	wantCode(t, s.ApplyInbound(ctx, w2), switchboard.EConflict)
	_, err = s.AdvanceStatus(ctx, out, switchboard.DeliveryFailed, "x", []switchboard.DeliveryStatus{switchboard.DeliveryRead})
	must(t, err)
	w2.ReadMarks = nil
	must(t, s.ApplyInbound(ctx, w2))
	failed := dynamo.MessageRef{TeamID: team, ConversationID: id, MessageID: "01JAAAAAAAAAAAAAAAAAAAAAC2"}
	ok, err := s.MarkFailed(ctx, failed, "window closed")
	must(t, err)
	if !ok {
		t.Error("MarkFailed of a sending message did not apply")
	}
	recent, err := s.RecentMessages(ctx, team, id, 3)
	must(t, err)
	var got []string
	for _, m := range recent {
		got = append(got, m.ID+":"+string(m.Status)+":"+m.FailureReason)
	}
	want := []string{"01JAAAAAAAAAAAAAAAAAAAAAC2:failed:window closed", "01JAAAAAAAAAAAAAAAAAAAAAC1::", "01JAAAAAAAAAAAAAAAAAAAAAA2:failed:x"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("recent messages = %v, want %v", got, want)
	}
}

func TestReadMarksInTransaction(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	const team, channel = "T1", "C1"
	w := routingFixture(team, channel, "ev1", t0)
	must(t, s.ApplyInbound(ctx, w))
	out := dynamo.MessageRef{TeamID: team, ConversationID: w.ConversationID, MessageID: w.Messages[1].ID}
	_, err := s.MarkSent(ctx, out, channel, nil)
	must(t, err)
	contact, conv, err := s.LoadInbound(ctx, team, w.ConversationID)
	must(t, err)
	w2 := &dynamo.InboundWrite{TeamID: team, ChannelID: channel, EventID: "ev2", ConversationID: w.ConversationID, Contact: contact, Conversation: conv, ReadMarks: []dynamo.MessageRef{out}}
	must(t, s.ApplyInbound(ctx, w2))
	recent, err := s.RecentMessages(ctx, team, w.ConversationID, 1)
	must(t, err)
	if got, want := recent[0].Status, switchboard.DeliveryRead; got != want {
		t.Errorf("status after the read mark = %s, want %s", got, want)
	}
}

func TestAssignState(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	const team, channel = "T1", "C1"
	st, err := s.GetAssignState(ctx, team, dynamo.AssignScopeRule("a1"))
	must(t, err)
	if st.Version != 0 || st.State.LastID != "" {
		t.Fatalf("missing state = %+v, want empty at version 0", st)
	}
	st.State = assign.State{LastID: "m1", LastCreatedAt: t0, LastAssigned: map[string]time.Time{"m1": t0}}
	w := routingFixture(team, channel, "ev1", t0)
	w.AssignStates = []*dynamo.AssignState{st}
	must(t, s.ApplyInbound(ctx, w))
	got, err := s.GetAssignState(ctx, team, dynamo.AssignScopeRule("a1"))
	must(t, err)
	if got.Version != 1 || !reflect.DeepEqual(got.State.LastAssigned, st.State.LastAssigned) || got.State.LastID != "m1" {
		t.Errorf("stored state = %+v, want %+v at version 1", got, st.State)
	}

	// A second event that read the state before the first wrote it loses.
	contact, conv, err := s.LoadInbound(ctx, team, w.ConversationID)
	must(t, err)
	w2 := &dynamo.InboundWrite{TeamID: team, ChannelID: channel, EventID: "ev2", ConversationID: w.ConversationID, Contact: contact, Conversation: conv, AssignStates: []*dynamo.AssignState{st}}
	wantCode(t, s.ApplyInbound(ctx, w2), switchboard.EConflict)
	w2.AssignStates = []*dynamo.AssignState{got}
	must(t, s.ApplyInbound(ctx, w2))
}

func TestApplyInboundRefusesForeignRecords(t *testing.T) {
	s := dynamo.New(&fakeAPI{}, "table")
	tests := []struct {
		name   string
		change func(*dynamo.InboundWrite)
	}{
		{"contact of another team", func(w *dynamo.InboundWrite) { w.Contact.TeamID = "T2" }},
		{"another conversation", func(w *dynamo.InboundWrite) { w.Conversation.ID = "other" }},
		{"message of another conversation", func(w *dynamo.InboundWrite) { w.Messages[0].ConversationID = "other" }},
		{"no event id", func(w *dynamo.InboundWrite) { w.EventID = "" }},
		{"trigger without a rule", func(w *dynamo.InboundWrite) { w.Triggers[0].RuleID = "" }},
		{"tag log of another contact", func(w *dynamo.InboundWrite) { w.TagLogs[0].ContactID = "other" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := routingFixture("T1", "C1", "ev1", t0)
			tt.change(w)
			wantCode(t, s.ApplyInbound(context.Background(), w), switchboard.EInvalid)
		})
	}
}

func TestAssignSettings(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	got, err := s.GetAssignSettings(ctx, "T1")
	must(t, err)
	if got.WorkingHours {
		t.Fatal("a team that never set the switch has working-hours assignment on")
	}
	must(t, s.PutAssignSettings(ctx, "T1", &switchboard.AssignSettings{WorkingHours: true}))
	got, err = s.GetAssignSettings(ctx, "T1")
	must(t, err)
	if !got.WorkingHours || !got.UpdatedAt.Equal(t0) {
		t.Errorf("settings = %+v, want working hours on, updated at %v", got, t0)
	}
	other, err := s.GetAssignSettings(ctx, "T2")
	must(t, err)
	if other.WorkingHours {
		t.Error("another team's switch is on")
	}
}

// TestApplyInboundChecksTheAssignee: the router picks assignees from a cached
// member list, so the write checks the stored member. One deactivated, gone
// offline, deleted or never created refuses the whole write.
func TestApplyInboundChecksTheAssignee(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock().Now)
	const team = "T1"
	must(t, s.CreateMember(ctx, &switchboard.Member{ID: "amy", TeamID: team, Name: "Amy", Role: switchboard.RoleCSAgent, Active: true, Status: switchboard.MemberOnline}))
	tests := []struct {
		name   string
		change func(m *switchboard.Member)
		delete bool
		member string
		want   error
	}{
		{"active and online", nil, false, "amy", nil},
		{"away still takes conversations", func(m *switchboard.Member) { m.Status = switchboard.MemberAway }, false, "amy", nil},
		{"gone offline", func(m *switchboard.Member) { m.Status = switchboard.MemberOffline }, false, "amy", dynamo.ErrAssigneeUnavailable},
		{"deactivated", func(m *switchboard.Member) { m.Status, m.Active = switchboard.MemberOnline, false }, false, "amy", dynamo.ErrAssigneeUnavailable},
		{"deleted", nil, true, "amy", dynamo.ErrAssigneeUnavailable},
		{"never existed", nil, false, "bob", dynamo.ErrAssigneeUnavailable},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.change != nil {
				_, err := s.UpdateMember(ctx, team, "amy", func(m *switchboard.Member) (*switchboard.Member, error) { tt.change(m); return m, nil })
				must(t, err)
			}
			if tt.delete {
				must(t, s.DeleteMember(ctx, team, "amy"))
			}
			channel := fmt.Sprintf("C%d", i)
			w := routingFixture(team, channel, "ev1", t0)
			w.Assignee = tt.member
			w.Conversation.Status, w.Conversation.PendingKind, w.Conversation.FollowerID = switchboard.StatusInProgress, "", tt.member
			if got, want := w.ItemCount(), 1+2+2+1+6+1; got != want {
				t.Errorf("ItemCount = %d, want %d with the assignee's check", got, want)
			}
			err := s.ApplyInbound(ctx, w)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("ApplyInbound = %v, want %v", err, tt.want)
			}
			_, conv, err := s.LoadInbound(ctx, team, w.ConversationID)
			must(t, err)
			if got, want := conv != nil, tt.want == nil; got != want {
				t.Errorf("conversation written = %v, want %v", got, want)
			}
		})
	}
}
