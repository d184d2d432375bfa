package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// The deactivation scene: team A's admin, and cs agents amy (the one
// deactivated), bob and cat.

// deactivationScene adds the members and returns the admin's token.
func deactivationScene(hs *harness) string {
	for _, id := range []string{"amy", "bob", "cat"} {
		hs.addMember(switchboard.Member{ID: id, TeamID: teamA, Name: id, Role: switchboard.RoleCSAgent, Active: true})
	}
	return hs.roleToken(teamA, switchboard.RoleAdmin)
}

// withEntries stores c and the collaboration entries the inbox would have
// written for it.
func (hs *harness) withEntries(c switchboard.Conversation) {
	hs.inbox.addConversation(c)
	hs.mem.mu.Lock()
	defer hs.mem.mu.Unlock()
	for _, m := range c.Collaborators {
		hs.inbox.collabs[c.TeamID+"/"+m+"/"+c.ID] = true
	}
}

// collabEntries lists the stored collaboration entries, in order.
func (hs *harness) collabEntries() []string {
	hs.mem.mu.Lock()
	defer hs.mem.mu.Unlock()
	var out []string
	for k := range hs.inbox.collabs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// convState is what a deactivation may change in a conversation.
type convState struct {
	Status        switchboard.ConversationStatus
	PendingKind   switchboard.PendingKind
	FollowerID    string
	Collaborators []string
	Version       int64
}

func stateOf(c *switchboard.Conversation) convState {
	if c == nil {
		return convState{}
	}
	return convState{c.Status, c.PendingKind, c.FollowerID, c.Collaborators, c.Version}
}

func (s convState) String() string {
	return fmt.Sprintf("%s/%s follower %q collaborators %v version %d", s.Status, s.PendingKind, s.FollowerID, s.Collaborators, s.Version)
}

func (s convState) equal(o convState) bool {
	return s.Status == o.Status && s.PendingKind == o.PendingKind && s.FollowerID == o.FollowerID &&
		slices.Equal(s.Collaborators, o.Collaborators) && s.Version == o.Version
}

// memberReply is the body of PATCH /v1/members/{id}, with the release counts
// as pointers so that their absence shows.
type memberReply struct {
	ID      string `json:"id"`
	Active  bool   `json:"active"`
	Updated *int   `json:"conversationsUpdated"`
	Failed  *int   `json:"conversationsFailed"`
}

var (
	deactivate = [2]string{"PATCH", `{"active":false}`}
	deleteIt   = [2]string{"DELETE", ""}
	reactivate = [2]string{"PATCH", `{"active":true}`}
	rename     = [2]string{"PATCH", `{"name":"Amy Lin"}`}
)

func TestDeactivationReleasesConversations(t *testing.T) {
	inB := func(c switchboard.Conversation) switchboard.Conversation { c.TeamID = teamB; return c }
	inactive := func(m *switchboard.Member) { m.Active = false }
	tests := []struct {
		name    string
		request [2]string // method and body
		member  func(*switchboard.Member)
		conv    switchboard.Conversation
		want    convState
		// wantEntries are the collaboration entries left.
		wantEntries []string
		// wantUpdated is the conversationsUpdated of a PATCH answer; -1
		// when the answer has no counts.
		wantUpdated int
	}{
		{
			name: "follower with collaborators: the first one follows", request: deactivate,
			conv:        followedConv("c1", "amy", "bob", "cat"),
			want:        convState{switchboard.StatusInProgress, "", "bob", []string{"cat"}, 2},
			wantEntries: []string{teamA + "/cat/c1"}, wantUpdated: 1,
		},
		{
			name: "follower with one collaborator: one-on-one with them", request: deactivate,
			conv:        followedConv("c1", "amy", "bob"),
			want:        convState{switchboard.StatusInProgress, "", "bob", nil, 2},
			wantEntries: nil, wantUpdated: 1,
		},
		{
			name: "collaborator: removed", request: deactivate,
			conv:        followedConv("c1", "bob", "cat", "amy"),
			want:        convState{switchboard.StatusInProgress, "", "bob", []string{"cat"}, 2},
			wantEntries: []string{teamA + "/cat/c1"}, wantUpdated: 1,
		},
		{
			name: "last collaborator: one-on-one again", request: deactivate,
			conv:        followedConv("c1", "bob", "amy"),
			want:        convState{switchboard.StatusInProgress, "", "bob", nil, 2},
			wantEntries: nil, wantUpdated: 1,
		},
		{
			name: "one-on-one in progress: back to pending for a human", request: deactivate,
			conv:        followedConv("c1", "amy"),
			want:        convState{switchboard.StatusPending, switchboard.PendingHuman, "", nil, 2},
			wantUpdated: 1,
		},
		{
			name: "closed one-on-one: untouched", request: deactivate,
			conv:        closedConv("c1", "amy"),
			want:        convState{switchboard.StatusClosed, "", "amy", nil, 1},
			wantUpdated: 0,
		},
		{
			name: "closed collaboration: the first collaborator follows", request: deactivate,
			conv: func() switchboard.Conversation {
				c := followedConv("c1", "amy", "cat", "bob")
				c.Status = switchboard.StatusClosed
				return c
			}(),
			want:        convState{switchboard.StatusClosed, "", "cat", []string{"bob"}, 2},
			wantEntries: []string{teamA + "/bob/c1"}, wantUpdated: 1,
		},
		{
			name: "a colleague's conversation: untouched", request: deactivate,
			conv:        followedConv("c1", "bob", "cat"),
			want:        convState{switchboard.StatusInProgress, "", "bob", []string{"cat"}, 1},
			wantEntries: []string{teamA + "/cat/c1"}, wantUpdated: 0,
		},
		{
			// A member id names a member of one team only: team B's
			// conversation followed by an "amy" is not team A's amy's.
			name: "team B's member of the same id: untouched", request: deactivate,
			conv:        inB(followedConv("c1", "amy", "bob")),
			want:        convState{switchboard.StatusInProgress, "", "amy", []string{"bob"}, 1},
			wantEntries: []string{teamB + "/bob/c1"}, wantUpdated: 0,
		},
		{
			name: "deactivating again finishes the job", request: deactivate, member: inactive,
			conv:        followedConv("c1", "bob", "amy"),
			want:        convState{switchboard.StatusInProgress, "", "bob", nil, 2},
			wantEntries: nil, wantUpdated: 1,
		},
		{
			name: "reactivating does nothing", request: reactivate, member: inactive,
			conv:        followedConv("c1", "amy", "bob"),
			want:        convState{switchboard.StatusInProgress, "", "amy", []string{"bob"}, 1},
			wantEntries: []string{teamA + "/bob/c1"}, wantUpdated: -1,
		},
		{
			name: "another change does nothing", request: rename,
			conv:        followedConv("c1", "amy", "bob"),
			want:        convState{switchboard.StatusInProgress, "", "amy", []string{"bob"}, 1},
			wantEntries: []string{teamA + "/bob/c1"}, wantUpdated: -1,
		},
		{
			name: "delete: follower with collaborators", request: deleteIt,
			conv:        followedConv("c1", "amy", "bob", "cat"),
			want:        convState{switchboard.StatusInProgress, "", "bob", []string{"cat"}, 2},
			wantEntries: []string{teamA + "/cat/c1"},
		},
		{
			name: "delete: collaborator", request: deleteIt,
			conv:        followedConv("c1", "bob", "amy", "cat"),
			want:        convState{switchboard.StatusInProgress, "", "bob", []string{"cat"}, 2},
			wantEntries: []string{teamA + "/cat/c1"},
		},
		{
			name: "delete: one-on-one in progress", request: deleteIt,
			conv: followedConv("c1", "amy"),
			want: convState{switchboard.StatusPending, switchboard.PendingHuman, "", nil, 2},
		},
		{
			name: "delete: closed one-on-one untouched", request: deleteIt,
			conv: closedConv("c1", "amy"),
			want: convState{switchboard.StatusClosed, "", "amy", nil, 1},
		},
		{
			name: "delete of an inactive member", request: deleteIt, member: inactive,
			conv:        followedConv("c1", "bob", "amy"),
			want:        convState{switchboard.StatusInProgress, "", "bob", nil, 2},
			wantEntries: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			admin := deactivationScene(hs)
			if tt.member != nil {
				tt.member(hs.mem.members["amy"])
			}
			hs.withEntries(tt.conv)
			resp := hs.call(tt.request[0], "/v1/members/amy", admin, tt.request[1])

			if tt.request == deleteIt {
				if resp.StatusCode != 204 {
					t.Fatalf("delete: %d %s", resp.StatusCode, resp.Body)
				}
				if _, ok := hs.mem.members["amy"]; ok {
					t.Errorf("amy was not deleted")
				}
			} else {
				if resp.StatusCode != 200 {
					t.Fatalf("patch: %d %s", resp.StatusCode, resp.Body)
				}
				var got memberReply
				decodeBody(t, resp, &got)
				if got.ID != "amy" || got.Active != (tt.request == reactivate || (tt.request == rename && tt.member == nil)) {
					t.Errorf("answered member %+v", got)
				}
				switch {
				case tt.wantUpdated < 0 && (got.Updated != nil || got.Failed != nil):
					t.Errorf("counts in an answer that deactivated nothing: %s", resp.Body)
				case tt.wantUpdated >= 0 && (got.Updated == nil || got.Failed == nil):
					t.Errorf("no counts in the answer: %s", resp.Body)
				case tt.wantUpdated >= 0 && (*got.Updated != tt.wantUpdated || *got.Failed != 0):
					t.Errorf("updated %d failed %d, want %d and 0", *got.Updated, *got.Failed, tt.wantUpdated)
				}
			}
			if got := stateOf(hs.inbox.conversation(tt.conv.TeamID, "c1")); !got.equal(tt.want) {
				t.Errorf("conversation %v\nwant         %v", got, tt.want)
			}
			if got := hs.collabEntries(); !slices.Equal(got, tt.wantEntries) {
				t.Errorf("entries %v, want %v", got, tt.wantEntries)
			}
		})
	}
}

// TestDeactivationMovesUnread: in a collaboration each participant keeps
// their own unread count (001:L4724), so the deactivated follower's is
// dropped and the promoted collaborator keeps theirs; a one-on-one's goes
// back to the team's pending count.
func TestDeactivationMovesUnread(t *testing.T) {
	hs := newHarness(t)
	admin := deactivationScene(hs)
	collab := followedConv("c1", "amy", "bob")
	collab.Unread = map[string]int{"amy": 3, "bob": 1}
	solo := followedConv("c2", "amy")
	solo.Unread = map[string]int{"amy": 2}
	hs.withEntries(collab)
	hs.withEntries(solo)
	if resp := hs.call("PATCH", "/v1/members/amy", admin, `{"active":false}`); resp.StatusCode != 200 {
		t.Fatalf("patch: %d %s", resp.StatusCode, resp.Body)
	}
	for id, want := range map[string]map[string]int{
		"c1": {"bob": 1},
		"c2": {switchboard.PendingReader: 2},
	} {
		if got := hs.inbox.conversation(teamA, id).Unread; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s unread %v, want %v", id, got, want)
		}
	}
}

// TestDeactivationOfManyConversations: every conversation is released, never
// more than releaseParallel at a time.
func TestDeactivationOfManyConversations(t *testing.T) {
	hs := newHarness(t)
	admin := deactivationScene(hs)
	const n = 60
	for i := range n {
		hs.withEntries(followedConv(fmt.Sprintf("c%02d", i), "bob", "amy"))
	}
	var mu sync.Mutex
	inFlight, most := 0, 0
	update := hs.conversations.updateConversation
	hs.conversations.updateConversation = func(ctx context.Context, teamID, id string, fn func(*switchboard.Conversation) (*switchboard.Conversation, error)) (*switchboard.Conversation, error) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		defer func() {
			mu.Lock()
			inFlight--
			mu.Unlock()
		}()
		time.Sleep(time.Millisecond)
		return update(ctx, teamID, id, fn)
	}
	resp := hs.call("PATCH", "/v1/members/amy", admin, `{"active":false}`)
	var got memberReply
	decodeBody(t, resp, &got)
	if resp.StatusCode != 200 || got.Updated == nil || *got.Updated != n || *got.Failed != 0 {
		t.Fatalf("patch: %d %s", resp.StatusCode, resp.Body)
	}
	if most > releaseParallel || most < 2 {
		t.Errorf("at most %d updates at once, want 2 to %d", most, releaseParallel)
	}
	if got := hs.collabEntries(); len(got) != 0 {
		t.Errorf("entries left: %v", got)
	}
}

// TestDeactivationFailures: a conversation that cannot be updated is logged
// with its id and counted; the others go ahead. A PATCH answers 200 with the
// count, a DELETE answers 503 and leaves the member, deactivated, for the
// retry, which finishes the job. A listing that fails is a 503 too.
func TestDeactivationFailures(t *testing.T) {
	hs := newHarness(t)
	admin := deactivationScene(hs)
	hs.withEntries(followedConv("c1", "amy", "bob"))
	hs.withEntries(followedConv("c2", "bob", "amy"))
	update := hs.conversations.updateConversation
	broken := true
	hs.conversations.updateConversation = func(ctx context.Context, teamID, id string, fn func(*switchboard.Conversation) (*switchboard.Conversation, error)) (*switchboard.Conversation, error) {
		if id == "c2" && broken {
			return nil, switchboard.Errorf(switchboard.EUnavailable, "throttled")
		}
		return update(ctx, teamID, id, fn)
	}

	resp := hs.call("PATCH", "/v1/members/amy", admin, `{"active":false}`)
	var got memberReply
	decodeBody(t, resp, &got)
	if resp.StatusCode != 200 || got.Active || got.Updated == nil || *got.Updated != 1 || *got.Failed != 1 {
		t.Fatalf("patch: %d %s", resp.StatusCode, resp.Body)
	}
	if !containsAll(hs.logs.String(), `"level":"ERROR"`, `"conversationId":"c2"`, "throttled", `"memberId":"amy"`) {
		t.Errorf("failure not logged with its conversation: %s", hs.logs.String())
	}
	if c := hs.inbox.conversation(teamA, "c1"); c.FollowerID != "bob" {
		t.Errorf("c1 follower %q, want bob", c.FollowerID)
	}

	resp = hs.call("DELETE", "/v1/members/amy", admin, "")
	if code, msg := errorOf(t, resp); resp.StatusCode != 503 || code != switchboard.EUnavailable || !strings.Contains(msg, "1 of its conversations") {
		t.Fatalf("delete with a failure: %d %s", resp.StatusCode, resp.Body)
	}
	if m := hs.mem.members["amy"]; m == nil || m.Active {
		t.Fatalf("after a failed delete amy is %+v, want kept and inactive", m)
	}

	broken = false
	if resp = hs.call("DELETE", "/v1/members/amy", admin, ""); resp.StatusCode != 204 {
		t.Fatalf("retried delete: %d %s", resp.StatusCode, resp.Body)
	}
	if c := hs.inbox.conversation(teamA, "c2"); len(c.Collaborators) != 0 {
		t.Errorf("c2 collaborators %v after the retry", c.Collaborators)
	}
	if _, ok := hs.mem.members["amy"]; ok {
		t.Errorf("amy not deleted by the retry")
	}

	// The listing fails: the member is saved, the answer says to retry.
	hs.conversations.memberConversations = func(context.Context, string, string) ([]string, error) {
		return nil, errors.New("connection reset")
	}
	for _, r := range [][2]string{deactivate, deleteIt} {
		resp = hs.call(r[0], "/v1/members/bob", admin, r[1])
		if code, msg := errorOf(t, resp); resp.StatusCode != 503 || code != switchboard.EUnavailable || !strings.Contains(msg, "send the request again") {
			t.Errorf("%s with a failed listing: %d %s", r[0], resp.StatusCode, resp.Body)
		}
		if m := hs.mem.members["bob"]; m == nil || m.Active {
			t.Errorf("%s: bob is %+v, want kept and inactive", r[0], m)
		}
	}
}

// TestDeactivationAnswerShape pins the JSON of a deactivating PATCH: the
// member's fields and the two counts side by side.
func TestDeactivationAnswerShape(t *testing.T) {
	hs := newHarness(t)
	admin := deactivationScene(hs)
	resp := hs.call("PATCH", "/v1/members/amy", admin, `{"active":false}`)
	var got map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "teamId", "name", "role", "active", "version", "conversationsUpdated", "conversationsFailed"} {
		if _, ok := got[k]; !ok {
			t.Errorf("answer has no %q: %s", k, resp.Body)
		}
	}
}
