package httpapi

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// fakeAutoEnd is an AutoEndStore whose methods are functions.
type fakeAutoEnd struct {
	settings func(ctx context.Context, teamID string) (switchboard.AutoEnd, error)
	arm      func(ctx context.Context, ts ...*switchboard.Timer) error
}

var (
	_ AutoEndStore = (*fakeAutoEnd)(nil)
	_ AutoEndStore = (*dynamo.Store)(nil)
)

func (f *fakeAutoEnd) AutoEndSettings(ctx context.Context, teamID string) (switchboard.AutoEnd, error) {
	return f.settings(ctx, teamID)
}

func (f *fakeAutoEnd) ArmTimers(ctx context.Context, ts ...*switchboard.Timer) error {
	return f.arm(ctx, ts...)
}

func TestAgentReplyArmsAutoEnd(t *testing.T) {
	tests := []struct {
		name    string
		setting switchboard.AutoEnd
		armErr  error
		sendErr error
		// wantDue is the timer's due time; zero when none is armed.
		wantDue time.Time
	}{
		{"enabled: armed after the reply", switchboard.AutoEnd{Enabled: true, After: 45 * time.Minute}, nil, nil, testNow.Add(45 * time.Minute)},
		{"enabled for a week", switchboard.AutoEnd{Enabled: true, After: 7 * 24 * time.Hour}, nil, nil, testNow.Add(7 * 24 * time.Hour)},
		{"disabled: nothing armed", switchboard.AutoEnd{After: 45 * time.Minute}, nil, nil, time.Time{}},
		{"arming fails: the reply still succeeds", switchboard.AutoEnd{Enabled: true, After: time.Hour}, switchboard.Errorf(switchboard.EUnavailable, "throttled"), nil, testNow.Add(time.Hour)},
		{"send failed: no reply, nothing armed", switchboard.AutoEnd{Enabled: true, After: time.Hour}, nil, switchboard.Errorf(switchboard.EForbidden, "window closed"), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var armed []*switchboard.Timer
			reads := 0
			fake := &fakeAutoEnd{
				settings: func(_ context.Context, teamID string) (switchboard.AutoEnd, error) {
					reads++
					if teamID != teamA {
						t.Errorf("setting read for team %q, want %q", teamID, teamA)
					}
					return tt.setting, nil
				},
				arm: func(_ context.Context, ts ...*switchboard.Timer) error {
					armed = append(armed, ts...)
					return tt.armErr
				},
			}
			hs := newHarness(t, func(cfg *Config) { cfg.AutoEnd = fake })
			token := inboxScene(hs, switchboard.RoleCSAgent)
			hs.inbox.addConversation(followedConv("c1", "me"))
			if tt.sendErr != nil {
				hs.sender.send = func(context.Context, switchboard.SendRequest) (switchboard.SendResult, error) {
					return switchboard.SendResult{}, tt.sendErr
				}
			}
			resp := hs.call("POST", "/v1/conversations/c1/messages", token, `{"text":"Anything else?"}`)
			if tt.sendErr == nil && resp.StatusCode != 201 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			if tt.wantDue.IsZero() {
				if len(armed) != 0 {
					t.Fatalf("armed %+v, want nothing", armed)
				}
				if tt.sendErr != nil && reads != 0 {
					t.Errorf("setting read %d times for a reply that was not sent", reads)
				}
				return
			}
			if got, want := len(armed), 1; got != want {
				t.Fatalf("armed %d timers, want %d", got, want)
			}
			tm := armed[0]
			conv := hs.inbox.conversation(teamA, "c1")
			if got, want := tm.DueAt, tt.wantDue; !got.Equal(want) {
				t.Errorf("due = %v, want %v", got, want)
			}
			if got, want := tm.Kind, switchboard.TimerAutoEnd; got != want {
				t.Errorf("kind = %q, want %q", got, want)
			}
			if got, want := tm.ID, switchboard.AutoEndTimerID("c1"); got != want {
				t.Errorf("id = %q, want %q", got, want)
			}
			if got, want := tm.Generation, conv.LastStaffAt.UnixMilli(); got != want {
				t.Errorf("generation = %d, want the reply's time %d", got, want)
			}
			var ct switchboard.ConversationTimer
			if err := json.Unmarshal(tm.Payload, &ct); err != nil {
				t.Fatal(err)
			}
			want := switchboard.ConversationTimer{ChannelID: conv.ChannelID, ChannelKind: ct.ChannelKind, CustomerID: "U-c1", ConversationID: "c1"}
			if ct.ChannelID != want.ChannelID || ct.CustomerID != want.CustomerID || ct.ConversationID != want.ConversationID || ct.ChannelKind == "" {
				t.Errorf("payload = %+v, want %+v with the channel's kind", ct, want)
			}
		})
	}
}

func TestAgentReplyWithoutAutoEndStore(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleCSAgent)
	hs.inbox.addConversation(followedConv("c1", "me"))
	resp := hs.call("POST", "/v1/conversations/c1/messages", token, `{"text":"hi"}`)
	if got, want := resp.StatusCode, 201; got != want {
		t.Fatalf("status %d, want %d: %s", got, want, resp.Body)
	}
}
