package cart

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestShouldShowPopup(t *testing.T) {
	now := at(t, "2025-06-01 10:00")
	policy := PopupPolicy{MaxDisplaysPerDay: 2, ShowAfterNthAddToCart: 2}
	tests := []struct {
		name   string
		kind   switchboard.ChannelKind
		state  VisitorPopupState
		want   bool
		reason PopupReason
	}{
		{"first add-to-cart, policy waits for the second", switchboard.KindLINE, VisitorPopupState{AddToCarts: 1}, false, PopupNotYet},
		{"second add-to-cart shows it", switchboard.KindLINE, VisitorPopupState{AddToCarts: 2}, true, ""},
		{"later add-to-carts keep showing it", switchboard.KindLINE, VisitorPopupState{AddToCarts: 9}, true, ""},
		{"line: bound visitors never see it", switchboard.KindLINE, VisitorPopupState{AddToCarts: 5, Bound: true}, false, PopupBound},
		{"whatsapp: bound visitors never see it", switchboard.KindWhatsApp, VisitorPopupState{AddToCarts: 5, Bound: true}, false, PopupBound},
		{"messenger: bound visitors still see it", switchboard.KindMessenger, VisitorPopupState{AddToCarts: 5, Bound: true}, true, ""},
		{"messenger: pressed within 24 hours", switchboard.KindMessenger,
			VisitorPopupState{AddToCarts: 5, Bound: true, ButtonPressedAt: now.Add(-23 * time.Hour)}, false, PopupButtonPressed},
		{"messenger: pressed 24 hours ago", switchboard.KindMessenger,
			VisitorPopupState{AddToCarts: 5, Bound: true, ButtonPressedAt: now.Add(-24 * time.Hour)}, true, ""},
		{"daily cap reached today", switchboard.KindLINE,
			VisitorPopupState{AddToCarts: 5, DisplayDay: "2025-06-01", DisplaysOnDay: 2}, false, PopupDailyLimit},
		{"yesterday's count does not apply", switchboard.KindLINE,
			VisitorPopupState{AddToCarts: 5, DisplayDay: "2025-05-31", DisplaysOnDay: 2}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := ShouldShowPopup(policy, tt.kind, tt.state, now, taipei)
			if got != tt.want || reason != tt.reason {
				t.Errorf("got %v %q, want %v %q", got, reason, tt.want, tt.reason)
			}
		})
	}
}

func TestPopupDailyCapFollowsTeamDay(t *testing.T) {
	policy := PopupPolicy{MaxDisplaysPerDay: 1, ShowAfterNthAddToCart: 1}
	st := VisitorPopupState{AddToCarts: 1}
	// 23:50 and 00:10 in Taipei are different days though 20 minutes apart.
	first := at(t, "2025-06-01 23:50")
	st = RecordPopupDisplay(st, first, taipei)
	tests := []struct {
		name string
		now  time.Time
		want bool
	}{
		{"same day", at(t, "2025-06-01 23:55"), false},
		{"next day in Taipei", at(t, "2025-06-02 00:10"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := ShouldShowPopup(policy, switchboard.KindLINE, st, tt.now, taipei); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	next := RecordPopupDisplay(st, at(t, "2025-06-02 00:10"), taipei)
	if got, want := next.DisplaysOnDay, 1; got != want {
		t.Errorf("count on a new day %d, want %d", got, want)
	}
}

func TestPopupPolicyValidate(t *testing.T) {
	tests := []struct {
		p  PopupPolicy
		ok bool
	}{
		{PopupPolicy{1, 1}, true},
		{PopupPolicy{MaxPopupDisplaysPerDay, MaxPopupNthAddToCart}, true},
		{PopupPolicy{0, 1}, false},
		{PopupPolicy{1, 0}, false},
		{PopupPolicy{MaxPopupDisplaysPerDay + 1, 1}, false},
		{PopupPolicy{1, MaxPopupNthAddToCart + 1}, false},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: err %v, want ok=%v", tt.p, err, tt.ok)
		}
	}
}
