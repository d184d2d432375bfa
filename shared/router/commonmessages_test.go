package router

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var (
	welcomeOn = switchboard.CommonMessages{Welcome: switchboard.AutoText{Enabled: true, Text: "Welcome!"}}
	waitOn    = switchboard.CommonMessages{
		Instant: switchboard.AutoText{Enabled: true, Text: "An agent will be with you shortly."},
		Offline: switchboard.AutoText{Enabled: true, Text: "We are closed; we answer tomorrow from 09:00."},
	}
)

// sentTexts lists the texts of every message sent, in order.
func sentTexts(w *world) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, s := range w.sends {
		for _, m := range s.Messages {
			out = append(out, m.Text)
		}
	}
	return out
}

func TestWelcome(t *testing.T) {
	getStarted := func(ref string) *switchboard.InboundEvent {
		e := typedEvent(fbCh, "gs", switchboard.InPostback)
		e.Postback = &switchboard.Postback{Payload: switchboard.GetStartedPayload, Title: "Get Started"}
		if ref != "" {
			e.Postback.Referral = &switchboard.Referral{Ref: ref}
		}
		return e
	}
	tests := []struct {
		name        string
		common      switchboard.CommonMessages
		event       *switchboard.InboundEvent
		wantTexts   []string
		wantTrigger switchboard.BotTrigger // of the bot request, "" for none
	}{
		{"LINE follow with a welcome text", welcomeOn, typedEvent(lineCh, "f", switchboard.InFollow), []string{"Welcome!"}, ""},
		{"LINE follow without one: the bot's welcome module", switchboard.CommonMessages{}, typedEvent(lineCh, "f", switchboard.InFollow), nil, switchboard.TriggerFollow},
		{"a welcome text that is off", switchboard.CommonMessages{Welcome: switchboard.AutoText{Text: "Welcome!"}}, typedEvent(lineCh, "f", switchboard.InFollow), nil, switchboard.TriggerFollow},
		{"Get Started with a welcome text", welcomeOn, getStarted(""), []string{"Welcome!"}, ""},
		{"Get Started without one", switchboard.CommonMessages{}, getStarted(""), nil, switchboard.TriggerFollow},
		{"Get Started through a ref link is the ref's", welcomeOn, getStarted("spring"), nil, switchboard.TriggerReferral},
		{"an unfollow is not welcomed", welcomeOn, typedEvent(lineCh, "u", switchboard.InUnfollow), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.common = tt.common
			w.members = []*switchboard.Member{agentA}
			if err := w.router(t, t0).Route(context.Background(), tt.event); err != nil {
				t.Fatal(err)
			}
			if got := sentTexts(w); !slices.Equal(got, tt.wantTexts) {
				t.Errorf("sent %q, want %q", got, tt.wantTexts)
			}
			var trigger switchboard.BotTrigger
			if len(w.bots) == 1 {
				trigger = w.bots[0].Trigger
			}
			if got, want := trigger, tt.wantTrigger; got != want || len(w.bots) > 1 {
				t.Errorf("bot requests %+v, want one of trigger %q", w.bots, want)
			}
			if tt.event.Type == switchboard.InPostback && w.conv != nil && w.conv.PendingKind != switchboard.PendingBot {
				t.Errorf("Get Started left the conversation %s/%s, want pending for the bot", w.conv.Status, w.conv.PendingKind)
			}
		})
	}
}

func TestWelcomeTextIsRecordedAndSentOnce(t *testing.T) {
	w := newWorld()
	w.common = welcomeOn
	w.conv = conversation(lineCh, switchboard.StatusClosed, "", "")
	e := typedEvent(lineCh, "f", switchboard.InFollow)
	r := w.router(t, t0)
	for range 2 { // the second is a redelivery
		if err := r.Route(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if got := sentTexts(w); !slices.Equal(got, []string{"Welcome!"}) {
		t.Errorf("sent %q, want the welcome once", got)
	}
	m := w.messages[ReplyMessageID(e, 0)]
	if m == nil || m.Direction != switchboard.Outbound || m.Text != "Welcome!" {
		t.Errorf("stored welcome = %+v", m)
	}
	if got := w.conv.LastOutboundAt; !got.Equal(t0) {
		t.Errorf("conversation's last outbound = %v, want %v", got, t0)
	}
	if got, want := w.conv.Status, switchboard.StatusClosed; got != want {
		t.Errorf("a follow changed the conversation to %s, want %s", got, want)
	}
}

func TestInstantAndOfflineMessages(t *testing.T) {
	// t0 is Monday 18:00 in Taipei.
	member := func(status switchboard.MemberStatus, hours ...switchboard.WorkingHours) *switchboard.Member {
		m := *agentA
		m.Status, m.WorkingHours = status, hours
		return &m
	}
	hours := func(start, end string) switchboard.WorkingHours {
		return switchboard.WorkingHours{Weekday: time.Monday, Start: start, End: end}
	}
	instant, offline := waitOn.Instant.Text, waitOn.Offline.Text
	inactive := member(switchboard.MemberOnline)
	inactive.Active = false
	tests := []struct {
		name    string
		common  switchboard.CommonMessages
		members []*switchboard.Member
		conv    *switchboard.Conversation // before the message; nil for a new one
		text    string
		want    []string
	}{
		{"online member without working hours", waitOn, []*switchboard.Member{member(switchboard.MemberOnline)}, nil, "hello", []string{instant}},
		{"online member within working hours", waitOn, []*switchboard.Member{member(switchboard.MemberOnline, hours("09:00", "20:00"))}, nil, "hello", []string{instant}},
		{"online member after working hours", waitOn, []*switchboard.Member{member(switchboard.MemberOnline, hours("09:00", "17:00"))}, nil, "hello", []string{offline}},
		{"away member", waitOn, []*switchboard.Member{member(switchboard.MemberAway)}, nil, "hello", []string{offline}},
		{"offline member", waitOn, []*switchboard.Member{member(switchboard.MemberOffline)}, nil, "hello", []string{offline}},
		{"deactivated member", waitOn, []*switchboard.Member{inactive}, nil, "hello", []string{offline}},
		{"only a marketer online", waitOn, []*switchboard.Member{{ID: "mk", Role: switchboard.RoleMarketer, Status: switchboard.MemberOnline, Active: true}}, nil, "hello", []string{offline}},
		{"nobody at all", waitOn, nil, nil, "hello", []string{offline}},
		{"instant off while online", switchboard.CommonMessages{Offline: waitOn.Offline}, []*switchboard.Member{member(switchboard.MemberOnline)}, nil, "hello", nil},
		{"offline off while offline", switchboard.CommonMessages{Instant: waitOn.Instant}, nil, nil, "hello", nil},
		{"a keyword reply answers instead", waitOn, []*switchboard.Member{member(switchboard.MemberOnline)}, nil, "price", []string{"It is 100 TWD"}},
		{"already waiting: once per wait", waitOn, []*switchboard.Member{member(switchboard.MemberOnline)}, conversation(lineCh, switchboard.StatusPending, switchboard.PendingHuman, ""), "hello again", nil},
		{"a closed conversation waits again", waitOn, []*switchboard.Member{member(switchboard.MemberOnline)}, conversation(lineCh, switchboard.StatusClosed, "", "agentA"), "hello", []string{instant}},
		{"a bot conversation handed to a human", waitOn, nil, conversation(lineCh, switchboard.StatusPending, switchboard.PendingBot, ""), "hello", []string{offline}},
		{"in progress: the follower answers", waitOn, []*switchboard.Member{member(switchboard.MemberOnline)}, conversation(lineCh, switchboard.StatusInProgress, "", "agentA"), "hello", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.rules, w.common, w.members, w.conv = rules(), tt.common, tt.members, tt.conv
			if err := w.router(t, t0).Route(context.Background(), textEvent(lineCh, "ev", tt.text)); err != nil {
				t.Fatal(err)
			}
			if got := sentTexts(w); !slices.Equal(got, tt.want) {
				t.Errorf("sent %q, want %q", got, tt.want)
			}
		})
	}
}

// TestInstantMessageReadsNothingWhenOff: a channel without instant and
// offline messages costs no member or team read per message.
func TestInstantMessageReadsNothingWhenOff(t *testing.T) {
	w := newWorld()
	w.rules = rules()
	if err := w.router(t, t0).Route(context.Background(), textEvent(lineCh, "ev", "hello")); err != nil {
		t.Fatal(err)
	}
	if got := w.calls["ListMembers"]; got != 0 {
		t.Errorf("member reads = %d, want 0", got)
	}
}
