package cart

import "time"

// MaxRecentEvents is how many pixel event ids a visitor remembers, so an event
// the pixel sends again (a retried request) is applied once. A pixel retries
// within seconds, long before a hundred newer events could push an id out.
const MaxRecentEvents = 100

// Visitor is everything remembered about one website visitor of a team: the
// cart, the popup state and the pixel events already applied. They are stored
// as one record so that a pixel request is one read and one conditional write,
// and an event is applied exactly once together with its effect.
type Visitor struct {
	TeamID    string            `json:"teamId"`
	VisitorID string            `json:"visitorId"`
	Cart      Cart              `json:"cart"`
	Popup     VisitorPopupState `json:"popup"`
	// RecentEventIDs are the ids of the latest applied events, oldest first.
	RecentEventIDs []string  `json:"recentEventIds,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	Version        int64     `json:"version"`
}

// SeenEvent reports whether the event id was already applied.
func (v *Visitor) SeenEvent(id string) bool {
	for _, x := range v.RecentEventIDs {
		if x == id {
			return true
		}
	}
	return false
}

// RememberEvent records an applied event id, forgetting the oldest beyond
// MaxRecentEvents.
func (v *Visitor) RememberEvent(id string) {
	v.RecentEventIDs = append(v.RecentEventIDs, id)
	if n := len(v.RecentEventIDs); n > MaxRecentEvents {
		v.RecentEventIDs = append([]string(nil), v.RecentEventIDs[n-MaxRecentEvents:]...)
	}
}
