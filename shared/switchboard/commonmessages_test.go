package switchboard

import (
	"testing"
	"time"
)

func TestCommonMessagesValidate(t *testing.T) {
	long := string(make([]rune, MaxCommonMessageText+1))
	tests := []struct {
		name string
		m    CommonMessages
		want string
	}{
		{"all off", CommonMessages{}, ""},
		{"all on", CommonMessages{Welcome: AutoText{Enabled: true, Text: "Welcome!"}, Instant: AutoText{Enabled: true, Text: "Soon"}, Offline: AutoText{Enabled: true, Text: "Closed"}}, ""},
		{"off with a text kept", CommonMessages{Welcome: AutoText{Text: "later"}}, ""},
		{"on without text", CommonMessages{Instant: AutoText{Enabled: true, Text: " \u3000\n"}}, EInvalid},
		{"too long", CommonMessages{Offline: AutoText{Text: long}}, EInvalid},
		{"not UTF-8", CommonMessages{Welcome: AutoText{Enabled: true, Text: "\xff"}}, EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.m.Validate()); got != tt.want {
				t.Errorf("code = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTeamOnline(t *testing.T) {
	// Monday 18:00.
	at := time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC)
	agent := func(status MemberStatus, hours ...WorkingHours) *Member {
		return &Member{ID: "a", Role: RoleCSAgent, Status: status, Active: true, WorkingHours: hours}
	}
	monday := func(start, end string) WorkingHours {
		return WorkingHours{Weekday: time.Monday, Start: start, End: end}
	}
	tests := []struct {
		name    string
		members []*Member
		want    bool
	}{
		{"online, no hours set", []*Member{agent(MemberOnline)}, true},
		{"online within hours", []*Member{agent(MemberOnline, monday("17:00", "19:00"))}, true},
		{"online outside hours", []*Member{agent(MemberOnline, monday("09:00", "17:00"))}, false},
		{"away", []*Member{agent(MemberAway)}, false},
		{"one of several", []*Member{agent(MemberOffline), nil, agent(MemberOnline)}, true},
		{"a role that handles no conversations", []*Member{{ID: "m", Role: RoleMarketer, Status: MemberOnline, Active: true}}, false},
		{"none", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TeamOnline(tt.members, at); got != tt.want {
				t.Errorf("TeamOnline = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWaitText(t *testing.T) {
	m := CommonMessages{Instant: AutoText{Enabled: true, Text: "soon"}, Offline: AutoText{Text: "closed"}}
	if got, want := m.WaitText(true), "soon"; got != want {
		t.Errorf("online: %q, want %q", got, want)
	}
	if got := m.WaitText(false); got != "" {
		t.Errorf("offline while off: %q, want nothing", got)
	}
}
