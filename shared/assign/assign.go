// Package assign chooses which member gets a conversation when the team lets
// the system assign it: keyword auto-assign in random or sequential order
// (001:L4198-L4201) and SHOPLINE's automatic assignment by working hours (003,
// 「自動指派對話給商店員工」). It holds no state of its own: the caller loads a
// State, calls Pick and persists the State it returns, inside the same
// optimistic update, so two routers never hand out the same turn twice.
package assign

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Order is how Pick chooses among eligible members.
type Order string

// Orders. Random and Sequential are keyword auto-assign's options
// (001:L4199-L4201); WorkingHours is SHOPLINE's rule (003).
const (
	// Random picks any eligible member; the seed warns the spread may be uneven.
	Random Order = "random"
	// Sequential takes members in creation order, continuing after the last pick.
	Sequential Order = "sequential"
	// WorkingHours picks among members within their working hours: first those
	// never assigned (at random), then the one whose last assignment is oldest.
	WorkingHours Order = "working_hours"
)

// Valid reports whether o is a known order.
func (o Order) Valid() bool { return o == Random || o == Sequential || o == WorkingHours }

// Rand is the random source Pick draws from; *math/rand/v2.Rand satisfies it,
// and tests inject a fixed one.
type Rand interface {
	// IntN returns a number in [0, n).
	IntN(n int) int
}

// State is what Pick remembers between calls. Keyword auto-assign keeps one per
// rule (its sequential cursor); working-hours assignment keeps one per team (the
// members' last assignment times).
type State struct {
	// LastID and LastCreatedAt name the member picked last. The creation time is
	// kept so the sequence continues in the right place even when that member
	// has since gone offline or been deleted.
	LastID        string    `json:"lastId,omitempty"`
	LastCreatedAt time.Time `json:"lastCreatedAt,omitzero"`
	// LastAssigned is when each member was last given a conversation; a member
	// missing from it has never been assigned one.
	LastAssigned map[string]time.Time `json:"lastAssigned,omitempty"`
}

// Pick chooses one member among candidates, or nil when none is eligible, in
// which case the conversation stays unassigned (003: 「則訊息將維持待指派狀態」).
// Inactive and offline members are never eligible (001:L4203); with
// WorkingHours a member must also be within working hours at now, read in loc,
// the team's time zone. The returned State records the pick; it is a copy, so
// the caller's State is never modified.
func Pick(candidates []*switchboard.Member, order Order, state State, rnd Rand, now time.Time, loc *time.Location) (*switchboard.Member, State, error) {
	if !order.Valid() {
		return nil, state, switchboard.Errorf(switchboard.EInvalid, "assignment order must be random, sequential or working_hours, not %q", order)
	}
	if rnd == nil && order != Sequential {
		return nil, state, switchboard.Errorf(switchboard.EInvalid, "%s assignment needs a random source", order)
	}
	if loc == nil && order == WorkingHours {
		return nil, state, switchboard.Errorf(switchboard.EInvalid, "working-hours assignment needs the team's time zone")
	}
	eligible := eligibleMembers(candidates, order, now, loc)
	if len(eligible) == 0 {
		return nil, state, nil
	}
	var m *switchboard.Member
	switch order {
	case Random:
		m = eligible[rnd.IntN(len(eligible))]
	case Sequential:
		m = nextInSequence(eligible, state)
	case WorkingHours:
		m = leastRecentlyAssigned(eligible, state.LastAssigned, rnd)
	}
	next := State{LastID: m.ID, LastCreatedAt: m.CreatedAt, LastAssigned: maps.Clone(state.LastAssigned)}
	if next.LastAssigned == nil {
		next.LastAssigned = map[string]time.Time{}
	}
	next.LastAssigned[m.ID] = now
	return m, next, nil
}

// eligibleMembers returns the members Pick may choose, each once, in creation
// order (ties broken by id) so every order is deterministic given its inputs.
func eligibleMembers(candidates []*switchboard.Member, order Order, now time.Time, loc *time.Location) []*switchboard.Member {
	var out []*switchboard.Member
	seen := map[string]bool{}
	for _, m := range candidates {
		if m == nil || m.ID == "" || seen[m.ID] || !m.Active || m.Status == switchboard.MemberOffline {
			continue
		}
		if order == WorkingHours && !m.WithinWorkingHours(now.In(loc)) {
			continue
		}
		seen[m.ID] = true
		out = append(out, m)
	}
	slices.SortFunc(out, byCreation)
	return out
}

func byCreation(a, b *switchboard.Member) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// nextInSequence returns the first member created after the last pick, wrapping
// around to the oldest.
func nextInSequence(eligible []*switchboard.Member, state State) *switchboard.Member {
	if state.LastID == "" && state.LastCreatedAt.IsZero() {
		return eligible[0]
	}
	last := &switchboard.Member{ID: state.LastID, CreatedAt: state.LastCreatedAt}
	for _, m := range eligible {
		if byCreation(m, last) > 0 {
			return m
		}
	}
	return eligible[0]
}

// leastRecentlyAssigned applies SHOPLINE's rule (003): members never assigned
// come first, chosen at random among them until all have had one; then the
// member whose last assignment is oldest, ties in creation order.
func leastRecentlyAssigned(eligible []*switchboard.Member, last map[string]time.Time, rnd Rand) *switchboard.Member {
	var never []*switchboard.Member
	for _, m := range eligible {
		if last[m.ID].IsZero() {
			never = append(never, m)
		}
	}
	switch len(never) {
	case 0:
	case 1:
		return never[0]
	default:
		return never[rnd.IntN(len(never))]
	}
	best := eligible[0]
	for _, m := range eligible[1:] {
		if last[m.ID].Before(last[best.ID]) {
			best = m
		}
	}
	return best
}
