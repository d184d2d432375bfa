package dynamo_test

// Contract tests for the domain's store interfaces. Each testXStore function
// takes a constructor and checks behaviour only through the interface, so any
// other implementation (an in-memory fake, say) can be held to the same
// contract by calling it.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// t0 is the instant the contract tests' clocks start at.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// wantCode fails the test unless err carries the domain error code want.
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := switchboard.ErrorCode(err); got != want {
		t.Fatalf("error code = %q (err %v), want %q", got, err, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// errAbort is returned by update functions to check that it comes back unchanged.
var errAbort = errors.New("abort from update function")

// race runs n calls of f at once and returns how many succeeded; every failure
// must be EConflict (the bounded retries ran out), never a lost update.
func race(t *testing.T, n int, f func() error) int {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f()
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch switchboard.ErrorCode(err) {
		case "":
			ok++
		case switchboard.EConflict:
		default:
			t.Errorf("concurrent update failed with %v, want success or EConflict", err)
		}
	}
	if ok == 0 {
		t.Fatalf("none of %d concurrent updates succeeded", n)
	}
	return ok
}

// bump increments the integer held in s.
func bump(s string) string {
	n, _ := strconv.Atoi(s)
	return strconv.Itoa(n + 1)
}

const racers = 8

func testTeamStore(t *testing.T, newStore func(t *testing.T) switchboard.TeamStore) {
	ctx := context.Background()

	t.Run("create get update", func(t *testing.T) {
		s := newStore(t)
		team := &switchboard.Team{ID: switchboard.NewID(), Name: "Acme", TimeZone: "Asia/Tokyo"}
		must(t, s.CreateTeam(ctx, team))
		if team.Version != 1 || team.CreatedAt.IsZero() {
			t.Fatalf("after create: version %d, createdAt %v; want 1 and set", team.Version, team.CreatedAt)
		}
		got, err := s.GetTeam(ctx, team.ID)
		must(t, err)
		if !reflect.DeepEqual(got, team) {
			t.Fatalf("get = %+v, want %+v", got, team)
		}
		upd, err := s.UpdateTeam(ctx, team.ID, func(x *switchboard.Team) (*switchboard.Team, error) {
			x.Name = "Acme Ltd"
			x.ID = "forged" // must not move the record
			return x, nil
		})
		must(t, err)
		if upd.Name != "Acme Ltd" || upd.Version != 2 || upd.ID != team.ID {
			t.Fatalf("update = %+v, want name Acme Ltd, version 2, id %s", upd, team.ID)
		}
		got, err = s.GetTeam(ctx, team.ID)
		must(t, err)
		if !reflect.DeepEqual(got, upd) {
			t.Fatalf("get after update = %+v, want %+v", got, upd)
		}
	})

	t.Run("errors", func(t *testing.T) {
		s := newStore(t)
		team := &switchboard.Team{ID: switchboard.NewID(), Name: "Acme"}
		must(t, s.CreateTeam(ctx, team))
		wantCode(t, s.CreateTeam(ctx, &switchboard.Team{ID: team.ID, Name: "Other"}), switchboard.EConflict)
		_, err := s.GetTeam(ctx, switchboard.NewID())
		wantCode(t, err, switchboard.ENotFound)
		_, err = s.UpdateTeam(ctx, switchboard.NewID(), func(x *switchboard.Team) (*switchboard.Team, error) { return x, nil })
		wantCode(t, err, switchboard.ENotFound)
		_, err = s.UpdateTeam(ctx, team.ID, func(x *switchboard.Team) (*switchboard.Team, error) { return nil, errAbort })
		if !errors.Is(err, errAbort) {
			t.Fatalf("update returned %v, want the update function's error", err)
		}
		got, err := s.GetTeam(ctx, team.ID)
		must(t, err)
		if got.Name != "Acme" || got.Version != 1 {
			t.Fatalf("aborted update changed the team: %+v", got)
		}
	})

	t.Run("concurrent updates", func(t *testing.T) {
		s := newStore(t)
		team := &switchboard.Team{ID: switchboard.NewID(), Name: "0"}
		must(t, s.CreateTeam(ctx, team))
		ok := race(t, racers, func() error {
			_, err := s.UpdateTeam(ctx, team.ID, func(x *switchboard.Team) (*switchboard.Team, error) {
				x.Name = bump(x.Name)
				return x, nil
			})
			return err
		})
		got, err := s.GetTeam(ctx, team.ID)
		must(t, err)
		if got.Name != strconv.Itoa(ok) || got.Version != int64(ok)+1 {
			t.Fatalf("after %d successful updates: counter %s, version %d; want %d and %d", ok, got.Name, got.Version, ok, ok+1)
		}
	})
}

func testChannelStore(t *testing.T, newStore func(t *testing.T) switchboard.ChannelStore) {
	ctx := context.Background()
	newChannel := func(team, name string) *switchboard.Channel {
		return &switchboard.Channel{
			ID: switchboard.NewID(), TeamID: team, Kind: switchboard.KindLINE, Name: name,
			PlatformID: "U" + name, Enabled: true,
			Secrets: switchboard.ChannelSecrets{SigningSecret: "sign-" + name, AccessToken: "access-" + name, VerifyToken: "verify-" + name},
		}
	}

	t.Run("create get lookup list", func(t *testing.T) {
		s := newStore(t)
		teamA, teamB := switchboard.NewID(), switchboard.NewID()
		var want []*switchboard.Channel
		for i := range 3 {
			c := newChannel(teamA, fmt.Sprintf("a%d", i))
			must(t, s.CreateChannel(ctx, c))
			want = append(want, c)
		}
		b := newChannel(teamB, "b")
		must(t, s.CreateChannel(ctx, b))

		got, err := s.GetChannel(ctx, teamA, want[1].ID)
		must(t, err)
		if !reflect.DeepEqual(got, want[1]) {
			t.Fatalf("get = %+v, want %+v", got, want[1])
		}
		if got.Secrets != want[1].Secrets {
			t.Fatalf("secrets did not round-trip")
		}
		got, err = s.LookupChannel(ctx, b.ID)
		must(t, err)
		if !reflect.DeepEqual(got, b) {
			t.Fatalf("lookup = %+v, want %+v", got, b)
		}
		list, err := s.ListChannels(ctx, teamA)
		must(t, err)
		slices.SortFunc(want, func(x, y *switchboard.Channel) int { return strings.Compare(x.ID, y.ID) })
		slices.SortFunc(list, func(x, y *switchboard.Channel) int { return strings.Compare(x.ID, y.ID) })
		if !reflect.DeepEqual(list, want) {
			t.Fatalf("list of team A = %d channels %+v, want %+v", len(list), list, want)
		}
		list, err = s.ListChannels(ctx, switchboard.NewID())
		must(t, err)
		if len(list) != 0 {
			t.Fatalf("list of a team without channels = %d channels, want 0", len(list))
		}
	})

	t.Run("other team cannot reach a channel", func(t *testing.T) {
		s := newStore(t)
		teamA, teamB := switchboard.NewID(), switchboard.NewID()
		c := newChannel(teamA, "a")
		must(t, s.CreateChannel(ctx, c))
		_, err := s.GetChannel(ctx, teamB, c.ID)
		wantCode(t, err, switchboard.ENotFound)
		_, err = s.UpdateChannel(ctx, teamB, c.ID, func(x *switchboard.Channel) (*switchboard.Channel, error) {
			x.Name = "hijacked"
			return x, nil
		})
		wantCode(t, err, switchboard.ENotFound)
		wantCode(t, s.DeleteChannel(ctx, teamB, c.ID), switchboard.ENotFound)
		got, err := s.GetChannel(ctx, teamA, c.ID)
		must(t, err)
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("team B's attempts changed the channel: %+v", got)
		}
	})

	t.Run("update delete", func(t *testing.T) {
		s := newStore(t)
		team := switchboard.NewID()
		c := newChannel(team, "a")
		must(t, s.CreateChannel(ctx, c))
		upd, err := s.UpdateChannel(ctx, team, c.ID, func(x *switchboard.Channel) (*switchboard.Channel, error) {
			x.Enabled = false
			x.Secrets.AccessToken = "rotated"
			x.TeamID = "elsewhere" // must not move the channel
			return x, nil
		})
		must(t, err)
		if upd.Enabled || upd.Secrets.AccessToken != "rotated" || upd.Version != 2 || upd.TeamID != team {
			t.Fatalf("update = %+v", upd)
		}
		got, err := s.LookupChannel(ctx, c.ID)
		must(t, err)
		if !reflect.DeepEqual(got, upd) {
			t.Fatalf("lookup after update = %+v, want %+v", got, upd)
		}
		_, err = s.UpdateChannel(ctx, team, c.ID, func(x *switchboard.Channel) (*switchboard.Channel, error) { return nil, errAbort })
		if !errors.Is(err, errAbort) {
			t.Fatalf("update returned %v, want the update function's error", err)
		}
		must(t, s.DeleteChannel(ctx, team, c.ID))
		_, err = s.LookupChannel(ctx, c.ID)
		wantCode(t, err, switchboard.ENotFound)
		wantCode(t, s.DeleteChannel(ctx, team, c.ID), switchboard.ENotFound)
		_, err = s.UpdateChannel(ctx, team, c.ID, func(x *switchboard.Channel) (*switchboard.Channel, error) { return x, nil })
		wantCode(t, err, switchboard.ENotFound)
	})

	t.Run("create conflict, secrets never in errors", func(t *testing.T) {
		s := newStore(t)
		c := newChannel(switchboard.NewID(), "a")
		must(t, s.CreateChannel(ctx, c))
		dup := newChannel(switchboard.NewID(), "b")
		dup.ID = c.ID
		errs := []error{s.CreateChannel(ctx, dup)}
		wantCode(t, errs[0], switchboard.EConflict)
		_, err := s.GetChannel(ctx, dup.TeamID, c.ID)
		errs = append(errs, err)
		_, err = s.UpdateChannel(ctx, c.TeamID, c.ID, func(x *switchboard.Channel) (*switchboard.Channel, error) {
			return nil, switchboard.Errorf(switchboard.EInvalid, "rejected")
		})
		errs = append(errs, err)
		for _, err := range errs {
			for _, secret := range []string{c.Secrets.SigningSecret, c.Secrets.AccessToken, c.Secrets.VerifyToken, dup.Secrets.SigningSecret, dup.Secrets.AccessToken} {
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Fatalf("error %q reveals a secret", err)
				}
			}
		}
	})

	t.Run("concurrent updates", func(t *testing.T) {
		s := newStore(t)
		c := newChannel(switchboard.NewID(), "a")
		c.Name = "0"
		must(t, s.CreateChannel(ctx, c))
		ok := race(t, racers, func() error {
			_, err := s.UpdateChannel(ctx, c.TeamID, c.ID, func(x *switchboard.Channel) (*switchboard.Channel, error) {
				x.Name = bump(x.Name)
				return x, nil
			})
			return err
		})
		got, err := s.GetChannel(ctx, c.TeamID, c.ID)
		must(t, err)
		if got.Name != strconv.Itoa(ok) || got.Version != int64(ok)+1 {
			t.Fatalf("after %d successful updates: counter %s, version %d", ok, got.Name, got.Version)
		}
	})
}

func testMemberStore(t *testing.T, newStore func(t *testing.T) switchboard.MemberStore) {
	ctx := context.Background()
	newMember := func(team, name string) *switchboard.Member {
		return &switchboard.Member{
			ID: switchboard.NewID(), TeamID: team, Name: name, Email: name + "@example.com",
			Role: switchboard.RoleCSAgent, Status: switchboard.MemberOnline, Active: true,
			WorkingHours: []switchboard.WorkingHours{{Weekday: time.Monday, Start: "09:00", End: "18:00"}},
		}
	}

	t.Run("create get list update delete", func(t *testing.T) {
		s := newStore(t)
		teamA, teamB := switchboard.NewID(), switchboard.NewID()
		var want []*switchboard.Member
		for i := range 4 {
			m := newMember(teamA, fmt.Sprintf("m%d", i))
			must(t, s.CreateMember(ctx, m))
			want = append(want, m)
		}
		must(t, s.CreateMember(ctx, newMember(teamB, "other")))
		got, err := s.GetMember(ctx, teamA, want[2].ID)
		must(t, err)
		if !reflect.DeepEqual(got, want[2]) {
			t.Fatalf("get = %+v, want %+v", got, want[2])
		}
		list, err := s.ListMembers(ctx, teamA)
		must(t, err)
		slices.SortFunc(want, func(x, y *switchboard.Member) int { return strings.Compare(x.ID, y.ID) })
		slices.SortFunc(list, func(x, y *switchboard.Member) int { return strings.Compare(x.ID, y.ID) })
		if !reflect.DeepEqual(list, want) {
			t.Fatalf("list = %+v, want %+v", list, want)
		}
		upd, err := s.UpdateMember(ctx, teamA, want[0].ID, func(m *switchboard.Member) (*switchboard.Member, error) {
			m.Status = switchboard.MemberAway
			return m, nil
		})
		must(t, err)
		if upd.Status != switchboard.MemberAway || upd.Version != 2 {
			t.Fatalf("update = %+v", upd)
		}
		must(t, s.DeleteMember(ctx, teamA, want[0].ID))
		_, err = s.GetMember(ctx, teamA, want[0].ID)
		wantCode(t, err, switchboard.ENotFound)
		wantCode(t, s.DeleteMember(ctx, teamA, want[0].ID), switchboard.ENotFound)
		list, err = s.ListMembers(ctx, teamA)
		must(t, err)
		if len(list) != 3 {
			t.Fatalf("list after delete = %d members, want 3", len(list))
		}
	})

	t.Run("other team cannot reach a member", func(t *testing.T) {
		s := newStore(t)
		teamA, teamB := switchboard.NewID(), switchboard.NewID()
		m := newMember(teamA, "a")
		must(t, s.CreateMember(ctx, m))
		_, err := s.GetMember(ctx, teamB, m.ID)
		wantCode(t, err, switchboard.ENotFound)
		_, err = s.UpdateMember(ctx, teamB, m.ID, func(x *switchboard.Member) (*switchboard.Member, error) {
			x.Role = switchboard.RoleAdmin
			return x, nil
		})
		wantCode(t, err, switchboard.ENotFound)
		wantCode(t, s.DeleteMember(ctx, teamB, m.ID), switchboard.ENotFound)
		got, err := s.GetMember(ctx, teamA, m.ID)
		must(t, err)
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("team B's attempts changed the member: %+v", got)
		}
	})

	t.Run("create conflict and aborted update", func(t *testing.T) {
		s := newStore(t)
		m := newMember(switchboard.NewID(), "a")
		must(t, s.CreateMember(ctx, m))
		dup := newMember(m.TeamID, "b")
		dup.ID = m.ID
		wantCode(t, s.CreateMember(ctx, dup), switchboard.EConflict)
		_, err := s.UpdateMember(ctx, m.TeamID, m.ID, func(*switchboard.Member) (*switchboard.Member, error) { return nil, errAbort })
		if !errors.Is(err, errAbort) {
			t.Fatalf("update returned %v, want the update function's error", err)
		}
	})

	t.Run("concurrent updates", func(t *testing.T) {
		s := newStore(t)
		m := newMember(switchboard.NewID(), "a")
		m.Name = "0"
		must(t, s.CreateMember(ctx, m))
		ok := race(t, racers, func() error {
			_, err := s.UpdateMember(ctx, m.TeamID, m.ID, func(x *switchboard.Member) (*switchboard.Member, error) {
				x.Name = bump(x.Name)
				return x, nil
			})
			return err
		})
		got, err := s.GetMember(ctx, m.TeamID, m.ID)
		must(t, err)
		if got.Name != strconv.Itoa(ok) || got.Version != int64(ok)+1 {
			t.Fatalf("after %d successful updates: counter %s, version %d", ok, got.Name, got.Version)
		}
	})
}

func testTokenStore(t *testing.T, newStore func(t *testing.T) switchboard.TokenStore) {
	ctx := context.Background()
	newToken := func(team, name string) *switchboard.Token {
		_, hash := switchboard.NewTokenSecret()
		return &switchboard.Token{
			ID: switchboard.NewID(), TeamID: team, Name: name, Role: switchboard.RoleAdmin, Hash: hash,
			AllowedIPs: []string{"10.0.0.0/8"}, ExpiresAt: t0.Add(24 * time.Hour),
		}
	}

	t.Run("create find list delete", func(t *testing.T) {
		s := newStore(t)
		teamA, teamB := switchboard.NewID(), switchboard.NewID()
		var want []*switchboard.Token
		for i := range 3 {
			tok := newToken(teamA, fmt.Sprintf("t%d", i))
			must(t, s.CreateToken(ctx, tok))
			want = append(want, tok)
		}
		must(t, s.CreateToken(ctx, newToken(teamB, "other")))
		got, err := s.FindTokenByHash(ctx, want[1].Hash)
		must(t, err)
		if !reflect.DeepEqual(got, want[1]) {
			t.Fatalf("find = %+v, want %+v", got, want[1])
		}
		list, err := s.ListTokens(ctx, teamA)
		must(t, err)
		slices.SortFunc(want, func(x, y *switchboard.Token) int { return strings.Compare(x.ID, y.ID) })
		slices.SortFunc(list, func(x, y *switchboard.Token) int { return strings.Compare(x.ID, y.ID) })
		if !reflect.DeepEqual(list, want) {
			t.Fatalf("list = %+v, want %+v", list, want)
		}
		must(t, s.DeleteToken(ctx, teamA, want[0].ID))
		_, err = s.FindTokenByHash(ctx, want[0].Hash)
		wantCode(t, err, switchboard.ENotFound)
		wantCode(t, s.DeleteToken(ctx, teamA, want[0].ID), switchboard.ENotFound)
		_, err = s.FindTokenByHash(ctx, switchboard.HashToken("sbt_never-issued"))
		wantCode(t, err, switchboard.ENotFound)
	})

	t.Run("other team cannot revoke a token", func(t *testing.T) {
		s := newStore(t)
		teamA, teamB := switchboard.NewID(), switchboard.NewID()
		tok := newToken(teamA, "a")
		must(t, s.CreateToken(ctx, tok))
		wantCode(t, s.DeleteToken(ctx, teamB, tok.ID), switchboard.ENotFound)
		if _, err := s.FindTokenByHash(ctx, tok.Hash); err != nil {
			t.Fatalf("token gone after team B's delete: %v", err)
		}
		list, err := s.ListTokens(ctx, teamB)
		must(t, err)
		if len(list) != 0 {
			t.Fatalf("team B lists %d tokens of team A", len(list))
		}
	})

	t.Run("duplicate hash", func(t *testing.T) {
		s := newStore(t)
		tok := newToken(switchboard.NewID(), "a")
		must(t, s.CreateToken(ctx, tok))
		dup := newToken(switchboard.NewID(), "b")
		dup.Hash = tok.Hash
		wantCode(t, s.CreateToken(ctx, dup), switchboard.EConflict)
		got, err := s.FindTokenByHash(ctx, tok.Hash)
		must(t, err)
		if got.ID != tok.ID || got.TeamID != tok.TeamID {
			t.Fatalf("duplicate overwrote the token: %+v", got)
		}
	})
}

func testContactStore(t *testing.T, newStore func(t *testing.T) switchboard.ContactStore) {
	ctx := context.Background()

	t.Run("upsert creates then updates", func(t *testing.T) {
		s := newStore(t)
		team, ch := switchboard.NewID(), switchboard.NewID()
		var seen *switchboard.Contact
		c, err := s.UpsertContact(ctx, team, ch, "U1", func(c *switchboard.Contact) (*switchboard.Contact, error) {
			cp := *c
			seen = &cp
			c.ChannelKind = switchboard.KindLINE
			c.NativeName = "Alice"
			c.Subscribed = true
			return c, nil
		})
		must(t, err)
		if seen.Version != 0 || seen.TeamID != team || seen.ChannelID != ch || seen.PlatformUserID != "U1" || seen.ID == "" {
			t.Fatalf("update function saw %+v, want a new contact with identity set and version 0", seen)
		}
		if c.Version != 1 || c.NativeName != "Alice" || c.CreatedAt.IsZero() {
			t.Fatalf("created = %+v", c)
		}
		got, err := s.FindContact(ctx, team, ch, "U1")
		must(t, err)
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("find = %+v, want %+v", got, c)
		}
		got, err = s.GetContact(ctx, team, c.ID)
		must(t, err)
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("get = %+v, want %+v", got, c)
		}
		upd, err := s.UpsertContact(ctx, team, ch, "U1", func(c *switchboard.Contact) (*switchboard.Contact, error) {
			c.DisplayName = "Alice (VIP)"
			c.Tags = map[string]switchboard.TagCount{"vip": {Count: 1, LastTaggedAt: t0}}
			c.PlatformUserID = "forged"
			return c, nil
		})
		must(t, err)
		if upd.ID != c.ID || upd.Version != 2 || upd.NativeName != "Alice" || upd.DisplayName != "Alice (VIP)" || upd.PlatformUserID != "U1" {
			t.Fatalf("updated = %+v", upd)
		}
		got, err = s.GetContact(ctx, team, c.ID)
		must(t, err)
		if !reflect.DeepEqual(got, upd) {
			t.Fatalf("get after update = %+v, want %+v", got, upd)
		}
		other, err := s.UpsertContact(ctx, team, ch, "U2", func(c *switchboard.Contact) (*switchboard.Contact, error) { return c, nil })
		must(t, err)
		if other.ID == c.ID {
			t.Fatalf("two platform users share contact id %s", c.ID)
		}
	})

	t.Run("teams are separate", func(t *testing.T) {
		s := newStore(t)
		teamA, teamB, ch := switchboard.NewID(), switchboard.NewID(), switchboard.NewID()
		a, err := s.UpsertContact(ctx, teamA, ch, "U1", func(c *switchboard.Contact) (*switchboard.Contact, error) {
			c.NativeName = "A"
			return c, nil
		})
		must(t, err)
		_, err = s.GetContact(ctx, teamB, a.ID)
		wantCode(t, err, switchboard.ENotFound)
		_, err = s.FindContact(ctx, teamB, ch, "U1")
		wantCode(t, err, switchboard.ENotFound)
		b, err := s.UpsertContact(ctx, teamB, ch, "U1", func(c *switchboard.Contact) (*switchboard.Contact, error) {
			c.NativeName = "B"
			return c, nil
		})
		must(t, err)
		if b.Version != 1 || b.TeamID != teamB {
			t.Fatalf("team B's upsert = %+v, want a new contact of team B", b)
		}
		got, err := s.GetContact(ctx, teamA, a.ID)
		must(t, err)
		if !reflect.DeepEqual(got, a) {
			t.Fatalf("team B's upsert changed team A's contact: %+v", got)
		}
	})

	t.Run("aborted upsert creates nothing", func(t *testing.T) {
		s := newStore(t)
		team, ch := switchboard.NewID(), switchboard.NewID()
		_, err := s.UpsertContact(ctx, team, ch, "U1", func(*switchboard.Contact) (*switchboard.Contact, error) { return nil, errAbort })
		if !errors.Is(err, errAbort) {
			t.Fatalf("upsert returned %v, want the update function's error", err)
		}
		_, err = s.FindContact(ctx, team, ch, "U1")
		wantCode(t, err, switchboard.ENotFound)
	})

	t.Run("concurrent upserts", func(t *testing.T) {
		s := newStore(t)
		team, ch := switchboard.NewID(), switchboard.NewID()
		ok := race(t, racers, func() error {
			_, err := s.UpsertContact(ctx, team, ch, "U1", func(c *switchboard.Contact) (*switchboard.Contact, error) {
				c.Note = bump(c.Note)
				return c, nil
			})
			return err
		})
		got, err := s.FindContact(ctx, team, ch, "U1")
		must(t, err)
		if got.Note != strconv.Itoa(ok) || got.Version != int64(ok) {
			t.Fatalf("after %d successful upserts: counter %s, version %d", ok, got.Note, got.Version)
		}
	})

	t.Run("shards list every contact once", func(t *testing.T) {
		s := newStore(t)
		team, other, ch := switchboard.NewID(), switchboard.NewID(), switchboard.NewID()
		want := map[string]bool{}
		for i := range 60 {
			c, err := s.UpsertContact(ctx, team, ch, fmt.Sprintf("user-%d", i), func(c *switchboard.Contact) (*switchboard.Contact, error) { return c, nil })
			must(t, err)
			want[c.ID] = true
		}
		for i := range 5 {
			_, err := s.UpsertContact(ctx, other, ch, fmt.Sprintf("user-%d", i), func(c *switchboard.Contact) (*switchboard.Contact, error) { return c, nil })
			must(t, err)
		}
		got := map[string]int{}
		pages, nonEmptyShards := 0, 0
		for shard := range switchboard.ContactShards {
			cursor, n := "", 0
			for {
				page, next, err := s.ListContactShard(ctx, team, shard, cursor, 2)
				must(t, err)
				pages++
				if len(page) > 2 {
					t.Fatalf("page of %d contacts, limit 2", len(page))
				}
				for _, c := range page {
					if c.TeamID != team {
						t.Fatalf("shard listing of team %s returned a contact of team %s", team, c.TeamID)
					}
					got[c.ID]++
					n++
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if n > 0 {
				nonEmptyShards++
			}
		}
		if len(got) != len(want) {
			t.Fatalf("listed %d distinct contacts, want %d", len(got), len(want))
		}
		for id, n := range got {
			if !want[id] || n != 1 {
				t.Fatalf("contact %s listed %d times (known: %v), want once", id, n, want[id])
			}
		}
		if nonEmptyShards < 2 {
			t.Fatalf("60 contacts fell in %d shard(s); contacts are not spread", nonEmptyShards)
		}
		if pages < len(want)/2 {
			t.Fatalf("%d pages for %d contacts at 2 per page: limit ignored", pages, len(want))
		}
		_, _, err := s.ListContactShard(ctx, team, switchboard.ContactShards, "", 10)
		wantCode(t, err, switchboard.EInvalid)
		_, _, err = s.ListContactShard(ctx, team, 0, "not a cursor", 10)
		wantCode(t, err, switchboard.EInvalid)
	})
}

func testConversationStore(t *testing.T, newStore func(t *testing.T) switchboard.ConversationStore) {
	ctx := context.Background()
	newConv := func(team string) *switchboard.Conversation {
		return &switchboard.Conversation{
			ID: switchboard.NewID(), TeamID: team, ContactID: "ct_1", ChannelID: switchboard.NewID(),
			Status: switchboard.StatusPending, PendingKind: switchboard.PendingBot, LastMessageAt: t0,
		}
	}

	t.Run("create get update", func(t *testing.T) {
		s := newStore(t)
		c := newConv(switchboard.NewID())
		must(t, s.CreateConversation(ctx, c))
		got, err := s.GetConversation(ctx, c.TeamID, c.ID)
		must(t, err)
		if !reflect.DeepEqual(got, c) || got.Version != 1 {
			t.Fatalf("get = %+v, want %+v at version 1", got, c)
		}
		upd, err := s.UpdateConversation(ctx, c.TeamID, c.ID, func(x *switchboard.Conversation) (*switchboard.Conversation, error) {
			x.Status = switchboard.StatusInProgress
			x.FollowerID = "m1"
			x.Collaborators = []string{"m2", "m3"}
			x.History = []switchboard.HistoryEntry{
				{At: t0, Kind: switchboard.HistoryFollowed, ActorID: "m1"},
				{At: t0.Add(time.Minute), Kind: switchboard.HistoryCollaboratorsAdded, ActorID: "m1", Members: []string{"m2", "m3"}},
			}
			return x, nil
		})
		must(t, err)
		got, err = s.GetConversation(ctx, c.TeamID, c.ID)
		must(t, err)
		if !reflect.DeepEqual(got, upd) || got.Version != 2 || got.Status != switchboard.StatusInProgress {
			t.Fatalf("get after update = %+v, want %+v at version 2", got, upd)
		}
	})

	t.Run("errors and other teams", func(t *testing.T) {
		s := newStore(t)
		teamB := switchboard.NewID()
		c := newConv(switchboard.NewID())
		must(t, s.CreateConversation(ctx, c))
		dup := newConv(c.TeamID)
		dup.ID = c.ID
		wantCode(t, s.CreateConversation(ctx, dup), switchboard.EConflict)
		_, err := s.GetConversation(ctx, teamB, c.ID)
		wantCode(t, err, switchboard.ENotFound)
		_, err = s.UpdateConversation(ctx, teamB, c.ID, func(x *switchboard.Conversation) (*switchboard.Conversation, error) {
			x.Status = switchboard.StatusClosed
			return x, nil
		})
		wantCode(t, err, switchboard.ENotFound)
		_, err = s.UpdateConversation(ctx, c.TeamID, c.ID, func(*switchboard.Conversation) (*switchboard.Conversation, error) { return nil, errAbort })
		if !errors.Is(err, errAbort) {
			t.Fatalf("update returned %v, want the update function's error", err)
		}
		got, err := s.GetConversation(ctx, c.TeamID, c.ID)
		must(t, err)
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("conversation changed: %+v", got)
		}
	})

	t.Run("concurrent updates", func(t *testing.T) {
		s := newStore(t)
		c := newConv(switchboard.NewID())
		c.FollowerID = "0"
		must(t, s.CreateConversation(ctx, c))
		ok := race(t, racers, func() error {
			_, err := s.UpdateConversation(ctx, c.TeamID, c.ID, func(x *switchboard.Conversation) (*switchboard.Conversation, error) {
				x.FollowerID = bump(x.FollowerID)
				return x, nil
			})
			return err
		})
		got, err := s.GetConversation(ctx, c.TeamID, c.ID)
		must(t, err)
		if got.FollowerID != strconv.Itoa(ok) || got.Version != int64(ok)+1 {
			t.Fatalf("after %d successful updates: counter %s, version %d", ok, got.FollowerID, got.Version)
		}
	})
}

func testMessageStore(t *testing.T, newStore func(t *testing.T) switchboard.MessageStore) {
	ctx := context.Background()

	t.Run("listed in order with cursor pagination", func(t *testing.T) {
		s := newStore(t)
		team, conv := switchboard.NewID(), switchboard.NewID()
		var want []*switchboard.Message
		for i := range 23 {
			want = append(want, &switchboard.Message{
				ID: switchboard.NewID(), TeamID: team, ConversationID: conv, ContactID: "ct_1",
				Direction: switchboard.Inbound, Kind: switchboard.MsgText, Text: fmt.Sprintf("message %d", i),
				CreatedAt: t0.Add(time.Duration(i) * time.Second),
			})
		}
		shuffled := slices.Clone(want)
		rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		for _, m := range shuffled {
			must(t, s.PutMessage(ctx, m))
		}
		// Another conversation and another team's same conversation id.
		must(t, s.PutMessage(ctx, &switchboard.Message{ID: switchboard.NewID(), TeamID: team, ConversationID: switchboard.NewID(), Kind: switchboard.MsgText}))
		must(t, s.PutMessage(ctx, &switchboard.Message{ID: switchboard.NewID(), TeamID: switchboard.NewID(), ConversationID: conv, Kind: switchboard.MsgText}))

		var got []*switchboard.Message
		cursor, pages := "", 0
		for {
			page, next, err := s.ListMessages(ctx, team, conv, cursor, 5)
			must(t, err)
			if len(page) > 5 {
				t.Fatalf("page of %d messages, limit 5", len(page))
			}
			got = append(got, page...)
			pages++
			if next == "" {
				break
			}
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
			cursor = next
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("listed %d messages, want %d in time order; got texts %v", len(got), len(want), texts(got))
		}
		if pages < 5 {
			t.Fatalf("%d pages for 23 messages at 5 per page", pages)
		}
	})

	t.Run("put replaces", func(t *testing.T) {
		s := newStore(t)
		m := &switchboard.Message{
			ID: switchboard.NewID(), TeamID: switchboard.NewID(), ConversationID: switchboard.NewID(),
			Direction: switchboard.Outbound, Kind: switchboard.MsgText, Text: "hi", Status: switchboard.DeliverySending, CreatedAt: t0,
		}
		must(t, s.PutMessage(ctx, m))
		sent := *m
		sent.Status = switchboard.DeliverySent
		must(t, s.PutMessage(ctx, &sent))
		got, _, err := s.ListMessages(ctx, m.TeamID, m.ConversationID, "", 10)
		must(t, err)
		if len(got) != 1 || !reflect.DeepEqual(got[0], &sent) {
			t.Fatalf("list = %+v, want only the replaced message", got)
		}
		got, _, err = s.ListMessages(ctx, switchboard.NewID(), m.ConversationID, "", 10)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("another team lists %d messages of this conversation", len(got))
		}
		_, _, err = s.ListMessages(ctx, m.TeamID, m.ConversationID, "bogus-cursor", 10)
		wantCode(t, err, switchboard.EInvalid)
	})
}

func texts(ms []*switchboard.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

func testIdempotencyStore(t *testing.T, newStore func(t *testing.T, now switchboard.Clock) switchboard.IdempotencyStore) {
	ctx := context.Background()
	type claim struct {
		advance time.Duration // clock moves by this before the claim
		key     string
		ttl     time.Duration
		want    bool
	}
	tests := []struct {
		name   string
		claims []claim
	}{
		{"once then never again", []claim{
			{0, "k", 0, true},
			{0, "k", 0, false},
			{1000 * time.Hour, "k", 0, false},
		}},
		{"keys are independent", []claim{
			{0, "a", 0, true},
			{0, "b", 0, true},
			{0, "a", 0, false},
		}},
		{"held until the ttl passes", []claim{
			{0, "k", 10 * time.Second, true},
			{5 * time.Second, "k", 10 * time.Second, false},
			{4*time.Second + 900*time.Millisecond, "k", 10 * time.Second, false},
			{100 * time.Millisecond, "k", 10 * time.Second, true},
			{time.Second, "k", 10 * time.Second, false},
		}},
		{"expired claim can be renewed forever", []claim{
			{0, "k", time.Minute, true},
			{2 * time.Minute, "k", 0, true},
			{1000 * time.Hour, "k", time.Minute, false},
		}},
		{"long keys", []claim{
			{0, strings.Repeat("x", 3000), 0, true},
			{0, strings.Repeat("x", 3000), 0, false},
			{0, strings.Repeat("x", 2999) + "y", 0, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			s := newStore(t, clock.Now)
			prefix := switchboard.NewID() + ":"
			for i, c := range tt.claims {
				clock.Advance(c.advance)
				got, err := s.Claim(ctx, prefix+c.key, c.ttl)
				must(t, err)
				if got != c.want {
					t.Fatalf("claim %d (%s, ttl %v) = %v, want %v", i, c.key[:min(len(c.key), 10)], c.ttl, got, c.want)
				}
			}
		})
	}

	t.Run("concurrent claims: exactly one wins", func(t *testing.T) {
		s := newStore(t, newClock().Now)
		key := switchboard.NewID()
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.Claim(ctx, key, time.Hour)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent claims won, want exactly 1", wins)
		}
	})
}
