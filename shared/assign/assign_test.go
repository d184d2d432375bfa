package assign

import (
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// scripted is a Rand that returns fixed values and records the bounds asked.
type scripted struct {
	vals  []int
	asked []int
}

func (s *scripted) IntN(n int) int {
	s.asked = append(s.asked, n)
	v := s.vals[0]
	s.vals = s.vals[1:]
	if v >= n {
		panic("scripted value out of range")
	}
	return v
}

func taipei(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Taipei")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// mem builds a member created n hours after base, working Monday 09:00–18:00.
func mem(id string, n int, status switchboard.MemberStatus, active bool) *switchboard.Member {
	return &switchboard.Member{
		ID: id, Role: switchboard.RoleCSAgent, Status: status, Active: active,
		CreatedAt:    base.Add(time.Duration(n) * time.Hour),
		WorkingHours: []switchboard.WorkingHours{{Weekday: time.Monday, Start: "09:00", End: "18:00"}},
	}
}

func ids(ms []*switchboard.Member) []string {
	var out []string
	for _, m := range ms {
		if m == nil {
			out = append(out, "<nil>")
			continue
		}
		out = append(out, m.ID)
	}
	return out
}

func TestPickSequential(t *testing.T) {
	a := mem("a", 1, switchboard.MemberOnline, true)
	b := mem("b", 2, switchboard.MemberAway, true)
	c := mem("c", 3, switchboard.MemberOnline, true)
	off := mem("off", 4, switchboard.MemberOffline, true)
	gone := mem("gone", 5, switchboard.MemberOnline, false)
	d := mem("d", 6, switchboard.MemberOnline, true)
	// Same creation time as d: the id breaks the tie.
	e := mem("e", 6, switchboard.MemberOnline, true)
	tests := []struct {
		name  string
		cands []*switchboard.Member
		state State
		want  string
	}{
		{"first pick is the oldest", []*switchboard.Member{c, a, b}, State{}, "a"},
		{"continues after the last", []*switchboard.Member{c, a, b}, State{LastID: "a", LastCreatedAt: a.CreatedAt}, "b"},
		{"away members count", []*switchboard.Member{a, b}, State{LastID: "a", LastCreatedAt: a.CreatedAt}, "b"},
		{"skips offline and inactive", []*switchboard.Member{a, c, off, gone, d}, State{LastID: "c", LastCreatedAt: c.CreatedAt}, "d"},
		{"wraps around", []*switchboard.Member{a, b, c}, State{LastID: "c", LastCreatedAt: c.CreatedAt}, "a"},
		{"last pick went offline: continue from its place", []*switchboard.Member{a, b, c}, State{LastID: "off", LastCreatedAt: off.CreatedAt}, "a"},
		{"last pick deleted: continue from its place", []*switchboard.Member{a, c, d}, State{LastID: "b", LastCreatedAt: b.CreatedAt}, "c"},
		{"same creation time ordered by id", []*switchboard.Member{e, d}, State{LastID: "d", LastCreatedAt: d.CreatedAt}, "e"},
		{"duplicates ignored", []*switchboard.Member{a, a, b}, State{LastID: "a", LastCreatedAt: a.CreatedAt}, "b"},
		{"nobody eligible", []*switchboard.Member{off, gone, nil}, State{}, "<nil>"},
	}
	now := time.Date(2025, 5, 12, 10, 0, 0, 0, taipei(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, next, err := Pick(tt.cands, Sequential, tt.state, nil, now, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids([]*switchboard.Member{m}); got[0] != tt.want {
				t.Fatalf("picked %s, want %s", got[0], tt.want)
			}
			if m == nil {
				if next.LastID != tt.state.LastID {
					t.Errorf("state changed without a pick: %+v", next)
				}
				return
			}
			if next.LastID != m.ID || !next.LastCreatedAt.Equal(m.CreatedAt) || !next.LastAssigned[m.ID].Equal(now) {
				t.Errorf("state %+v does not record the pick of %s at %v", next, m.ID, now)
			}
		})
	}
}

func TestPickSequentialRoundRobin(t *testing.T) {
	ms := []*switchboard.Member{
		mem("c", 3, switchboard.MemberOnline, true),
		mem("a", 1, switchboard.MemberOnline, true),
		mem("b", 2, switchboard.MemberOnline, true),
	}
	var st State
	var got []string
	for range 7 {
		m, next, err := Pick(ms, Sequential, st, nil, base, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.ID)
		st = next
	}
	if want := "a b c a b c a"; join(got) != want {
		t.Errorf("sequence %s, want %s", join(got), want)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func TestPickRandom(t *testing.T) {
	a := mem("a", 1, switchboard.MemberOnline, true)
	b := mem("b", 2, switchboard.MemberOnline, true)
	c := mem("c", 3, switchboard.MemberOnline, true)
	off := mem("off", 0, switchboard.MemberOffline, true)
	tests := []struct {
		name  string
		cands []*switchboard.Member
		draw  int
		want  string
		wantN int
	}{
		{"draw 0 is the oldest eligible", []*switchboard.Member{c, b, a, off}, 0, "a", 3},
		{"draw 2", []*switchboard.Member{c, b, a, off}, 2, "c", 3},
		{"offline never drawn", []*switchboard.Member{off, b}, 0, "b", 1},
	}
	for _, tt := range tests {
		r := &scripted{vals: []int{tt.draw}}
		m, _, err := Pick(tt.cands, Random, State{}, r, base, nil)
		if err != nil {
			t.Fatal(err)
		}
		if m.ID != tt.want {
			t.Errorf("%s: picked %s, want %s", tt.name, m.ID, tt.want)
		}
		if len(r.asked) != 1 || r.asked[0] != tt.wantN {
			t.Errorf("%s: asked IntN(%v), want IntN(%d)", tt.name, r.asked, tt.wantN)
		}
	}
}

func TestPickWorkingHours(t *testing.T) {
	loc := taipei(t)
	// Monday 12 May 2025, 10:00 in Taipei is 02:00 UTC.
	monday10 := time.Date(2025, 5, 12, 10, 0, 0, 0, loc)
	a := mem("a", 1, switchboard.MemberOnline, true)
	b := mem("b", 2, switchboard.MemberOnline, true)
	c := mem("c", 3, switchboard.MemberOnline, true)
	night := mem("night", 4, switchboard.MemberOnline, true)
	night.WorkingHours = []switchboard.WorkingHours{{Weekday: time.Monday, Start: "20:00", End: "23:59"}}
	none := mem("none", 5, switchboard.MemberOnline, true)
	none.WorkingHours = nil
	off := mem("off", 6, switchboard.MemberOffline, true)
	gone := mem("gone", 7, switchboard.MemberOnline, false)
	earlier, later := monday10.Add(-2*time.Hour), monday10.Add(-time.Hour)

	tests := []struct {
		name  string
		cands []*switchboard.Member
		last  map[string]time.Time
		now   time.Time
		draws []int
		want  string
	}{
		{"never assigned first, at random", []*switchboard.Member{a, b, c}, map[string]time.Time{"a": earlier}, monday10, []int{1}, "c"},
		{"only one never assigned", []*switchboard.Member{a, b, c}, map[string]time.Time{"a": earlier, "c": later}, monday10, nil, "b"},
		{"all assigned: oldest last assignment", []*switchboard.Member{a, b, c}, map[string]time.Time{"a": later, "b": earlier, "c": monday10}, monday10, nil, "b"},
		{"tie on last assignment: creation order", []*switchboard.Member{c, b}, map[string]time.Time{"b": earlier, "c": earlier}, monday10, nil, "b"},
		{"outside hours, offline and inactive skipped", []*switchboard.Member{night, none, off, gone, b}, map[string]time.Time{"b": monday10}, monday10, nil, "b"},
		{"nobody within working hours: unassigned", []*switchboard.Member{a, b, c}, nil, time.Date(2025, 5, 12, 8, 59, 0, 0, loc), nil, "<nil>"},
		{"end of hours is exclusive", []*switchboard.Member{a}, nil, time.Date(2025, 5, 12, 18, 0, 0, 0, loc), nil, "<nil>"},
		// 01:30 UTC on Monday is 09:30 in Taipei: hours are read in the team's zone.
		{"time zone applied", []*switchboard.Member{a}, nil, time.Date(2025, 5, 12, 1, 30, 0, 0, time.UTC), nil, "a"},
		// 10:00 UTC Monday is 18:00 in Taipei.
		{"UTC office hours are not Taipei's", []*switchboard.Member{a}, nil, time.Date(2025, 5, 12, 10, 0, 0, 0, time.UTC), nil, "<nil>"},
		{"night shift", []*switchboard.Member{a, night}, nil, time.Date(2025, 5, 12, 21, 0, 0, 0, loc), nil, "night"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &scripted{vals: tt.draws}
			m, next, err := Pick(tt.cands, WorkingHours, State{LastAssigned: tt.last}, r, tt.now, loc)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids([]*switchboard.Member{m})[0]; got != tt.want {
				t.Fatalf("picked %s, want %s", got, tt.want)
			}
			if len(r.vals) != 0 {
				t.Errorf("unused draws %v", r.vals)
			}
			if m != nil && !next.LastAssigned[m.ID].Equal(tt.now) {
				t.Errorf("LastAssigned[%s] = %v, want %v", m.ID, next.LastAssigned[m.ID], tt.now)
			}
		})
	}
}

// TestWorkingHoursEveryoneOnceFirst checks SHOPLINE's promise with a real
// random source: with four members never assigned, the first four picks are
// four different members, and afterwards the order follows last assignment.
func TestWorkingHoursEveryoneOnceFirst(t *testing.T) {
	loc := taipei(t)
	ms := []*switchboard.Member{
		mem("a", 1, switchboard.MemberOnline, true), mem("b", 2, switchboard.MemberOnline, true),
		mem("c", 3, switchboard.MemberOnline, true), mem("d", 4, switchboard.MemberOnline, true),
	}
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		var st State
		now := time.Date(2025, 5, 12, 9, 0, 0, 0, loc)
		var got []string
		for range 8 {
			m, next, err := Pick(ms, WorkingHours, st, r, now, loc)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, m.ID)
			st = next
			now = now.Add(time.Minute)
		}
		seen := map[string]bool{}
		for _, id := range got[:4] {
			seen[id] = true
		}
		if len(seen) != 4 {
			t.Fatalf("seed %d: first four picks %v repeat a member", seed, got[:4])
		}
		for i := 4; i < 8; i++ {
			if got[i] != got[i-4] {
				t.Fatalf("seed %d: pick %d is %s, want the least recently assigned %s (%v)", seed, i, got[i], got[i-4], got)
			}
		}
	}
}

func TestPickErrors(t *testing.T) {
	ms := []*switchboard.Member{mem("a", 1, switchboard.MemberOnline, true)}
	tests := []struct {
		name  string
		order Order
		rnd   Rand
		loc   *time.Location
	}{
		{"unknown order", "round_robin", &scripted{}, time.UTC},
		{"random without a source", Random, nil, time.UTC},
		{"working hours without a source", WorkingHours, nil, time.UTC},
		{"working hours without a zone", WorkingHours, &scripted{}, nil},
	}
	for _, tt := range tests {
		st := State{LastID: "x"}
		m, next, err := Pick(ms, tt.order, st, tt.rnd, base, tt.loc)
		if got, want := switchboard.ErrorCode(err), switchboard.EInvalid; got != want {
			t.Errorf("%s: code %q, want %q", tt.name, got, want)
		}
		if m != nil || next.LastID != "x" {
			t.Errorf("%s: picked %v, state %+v on error", tt.name, m, next)
		}
	}
}

func TestPickDoesNotModifyCallerState(t *testing.T) {
	ms := []*switchboard.Member{mem("a", 1, switchboard.MemberOnline, true)}
	st := State{LastAssigned: map[string]time.Time{"z": base}}
	_, next, err := Pick(ms, Sequential, st, nil, base.Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.LastAssigned["a"]; ok {
		t.Error("Pick wrote into the caller's map")
	}
	if got, want := len(next.LastAssigned), 2; got != want {
		t.Errorf("next has %d entries, want %d", got, want)
	}
}
