package cart

import (
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Bounds of the popup's trigger conditions; the seed names the conditions
// (001:L5031–L5032) but not their ranges.
const (
	MaxPopupDisplaysPerDay = 10
	MaxPopupNthAddToCart   = 10
)

// PopupPolicy is the trigger condition of the binding popup that asks a visitor
// who added to the cart to bind a social identity (001:L5013, 001:L5031).
type PopupPolicy struct {
	// MaxDisplaysPerDay caps how often a visitor sees it per day in the team's
	// time zone, since a visitor who closed it sees it again at the next
	// add-to-cart (001:L5031).
	MaxDisplaysPerDay int `json:"maxDisplaysPerDay"`
	// ShowAfterNthAddToCart is the add-to-cart at which it is shown for the
	// first time (001:L5032): 1 shows it at the first.
	ShowAfterNthAddToCart int `json:"showAfterNthAddToCart"`
}

// Validate checks a policy as an operator saves it.
func (p PopupPolicy) Validate() error {
	if p.MaxDisplaysPerDay < 1 || p.MaxDisplaysPerDay > MaxPopupDisplaysPerDay {
		return switchboard.Errorf(switchboard.EInvalid, "maximum displays per day must be 1 to %d", MaxPopupDisplaysPerDay)
	}
	if p.ShowAfterNthAddToCart < 1 || p.ShowAfterNthAddToCart > MaxPopupNthAddToCart {
		return switchboard.Errorf(switchboard.EInvalid, "the add-to-cart that first shows the popup must be 1 to %d", MaxPopupNthAddToCart)
	}
	return nil
}

// VisitorPopupState is what the pixel endpoint remembers about one visitor for
// the popup.
type VisitorPopupState struct {
	// AddToCarts counts the visitor's add-to-carts, including the current one.
	AddToCarts int `json:"addToCarts"`
	// DisplayDay is the team-local date ("2006-01-02") DisplaysOnDay counts.
	DisplayDay    string `json:"displayDay,omitempty"`
	DisplaysOnDay int    `json:"displaysOnDay"`
	// Bound says the visitor is already bound to an identity on the popup's
	// channel.
	Bound bool `json:"bound"`
	// ButtonPressedAt is when the visitor last pressed the popup's button.
	ButtonPressedAt time.Time `json:"buttonPressedAt,omitzero"`
}

// PopupReason says why the popup is not shown.
type PopupReason string

// Popup reasons.
const (
	PopupNotYet        PopupReason = "not_yet"        // fewer add-to-carts than the policy asks
	PopupBound         PopupReason = "bound"          // LINE / WhatsApp: already bound (001:L5041)
	PopupDailyLimit    PopupReason = "daily_limit"    // shown the maximum times today (001:L5046)
	PopupButtonPressed PopupReason = "button_pressed" // pressed within the last 24 hours (001:L5047)
)

// ShouldShowPopup decides whether the binding popup is shown at this
// add-to-cart on a channel of kind. A visitor already bound on LINE or WhatsApp
// never sees it again (001:L5041, 001:L1913); on Messenger a bound visitor still
// sees it, because pressing it reopens the 24-hour window (001:L5042), unless
// the button was pressed within the last 24 hours and the window is thus open.
// On every kind a press within the last 24 hours stops it (001:L5047), as does
// the daily cap in the team's time zone (001:L5046).
func ShouldShowPopup(p PopupPolicy, kind switchboard.ChannelKind, st VisitorPopupState, now time.Time, loc *time.Location) (bool, PopupReason) {
	switch {
	case st.AddToCarts < p.ShowAfterNthAddToCart:
		return false, PopupNotYet
	case st.Bound && kind != switchboard.KindMessenger:
		return false, PopupBound
	case !st.ButtonPressedAt.IsZero() && now.Before(st.ButtonPressedAt.Add(MessengerWindow)):
		return false, PopupButtonPressed
	case st.DisplayDay == localDay(now, loc) && st.DisplaysOnDay >= p.MaxDisplaysPerDay:
		return false, PopupDailyLimit
	}
	return true, ""
}

// RecordPopupDisplay counts one display, starting a new count on a new day.
func RecordPopupDisplay(st VisitorPopupState, now time.Time, loc *time.Location) VisitorPopupState {
	day := localDay(now, loc)
	if st.DisplayDay != day {
		st.DisplayDay, st.DisplaysOnDay = day, 0
	}
	st.DisplaysOnDay++
	return st
}

func localDay(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(time.DateOnly)
}
