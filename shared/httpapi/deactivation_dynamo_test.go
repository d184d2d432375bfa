package httpapi

import (
	"context"
	"slices"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// TestDeactivationOnDynamoDB: an admin deactivates Amy through the API, over
// DynamoDB Local. Her collaboration passes to its first collaborator, she
// leaves a colleague's collaboration, her one-on-one goes back to pending,
// her closed one-on-one stays as it was, and another team's conversation
// that names her id is untouched; everyone's own list follows. Deleting her
// afterwards finds nothing left to do.
func TestDeactivationOnDynamoDB(t *testing.T) {
	ctx := context.Background()
	a := newInboxAPI(t)
	ta, tb := a.team("Alpha"), a.team("Beta")
	for _, name := range []string{"amy", "bob", "cat"} {
		a.member(ta, name, switchboard.RoleCSAgent, "")
	}
	amy, bob, cat := ta.members["amy"], ta.members["bob"], ta.members["cat"]
	follow := func(who, id string) { a.must(ta.tokens[who], "POST", "/v1/conversations/"+id+"/follow", "", nil) }
	add := func(who, id string, members ...string) {
		body := `{"memberIds":["` + members[0] + `"`
		for _, m := range members[1:] {
			body += `,"` + m + `"`
		}
		a.must(ta.tokens[who], "POST", "/v1/conversations/"+id+"/collaborators", body+`]}`, nil)
	}
	led := a.conversation(ta, "U-led", "Led", "", 40, nil)
	follow("amy", led)
	add("amy", led, bob, cat)
	helped := a.conversation(ta, "U-helped", "Helped", "", 30, nil)
	follow("bob", helped)
	add("bob", helped, amy)
	solo := a.conversation(ta, "U-solo", "Solo", "", 20, nil)
	follow("amy", solo)
	closed := a.conversation(ta, "U-closed", "Closed", "", 10, nil)
	follow("amy", closed)
	a.must(ta.tokens["amy"], "POST", "/v1/conversations/"+closed+"/close", "", nil)
	theirs := a.conversation(tb, "U-theirs", "Theirs", "", 5, func(c *switchboard.Conversation) {
		c.Status, c.PendingKind, c.FollowerID = switchboard.StatusInProgress, "", amy
	})
	versions := map[string]int64{}
	for _, id := range []string{closed, theirs} {
		teamID := ta.id
		if id == theirs {
			teamID = tb.id
		}
		c, err := a.store.GetConversation(ctx, teamID, id)
		must(t, err)
		versions[id] = c.Version
	}

	var got memberReply
	a.must(ta.admin, "PATCH", "/v1/members/"+amy, `{"active":false}`, &got)
	if got.Active || got.Updated == nil || *got.Updated != 3 || got.Failed == nil || *got.Failed != 0 {
		t.Fatalf("answer %+v, want inactive with 3 updated and 0 failed", got)
	}

	tests := []struct {
		teamID, id string
		want       convState
	}{
		{ta.id, led, convState{switchboard.StatusInProgress, "", bob, []string{cat}, 0}},
		{ta.id, helped, convState{switchboard.StatusInProgress, "", bob, nil, 0}},
		{ta.id, solo, convState{switchboard.StatusPending, switchboard.PendingHuman, "", nil, 0}},
		{ta.id, closed, convState{switchboard.StatusClosed, "", amy, nil, versions[closed]}},
		{tb.id, theirs, convState{switchboard.StatusInProgress, "", amy, nil, versions[theirs]}},
	}
	for _, tt := range tests {
		c, err := a.store.GetConversation(ctx, tt.teamID, tt.id)
		must(t, err)
		got := stateOf(c)
		if tt.want.Version == 0 {
			got.Version = 0 // changed: whatever version it reached
		}
		if !got.equal(tt.want) {
			t.Errorf("%s: %v\nwant %v", tt.id, got, tt.want)
		}
	}

	// Everyone's own list follows; Amy is only in her closed conversation.
	for who, want := range map[string][]string{"bob": {helped, led}, "cat": {led}} { // newest first
		_, body := a.do(ta.tokens[who], "GET", "/v1/conversations?view=mine", "")
		if got := itemIDs(body); !slices.Equal(got, want) {
			t.Errorf("%s's mine = %v, want %v", who, got, want)
		}
	}
	_, body := a.do(ta.admin, "GET", "/v1/conversations?view=pending_human", "")
	if got := itemIDs(body); !slices.Equal(got, []string{solo}) {
		t.Errorf("pending = %v, want %v", got, []string{solo})
	}
	left, err := a.store.MemberConversationIDs(ctx, ta.id, amy)
	must(t, err)
	if !slices.Equal(left, []string{closed}) {
		t.Errorf("amy is still in %v, want only %v", left, []string{closed})
	}

	if status, body := a.do(ta.admin, "DELETE", "/v1/members/"+amy, ""); status != 204 {
		t.Fatalf("delete: %d %s", status, body)
	}
	if status, _ := a.do(ta.admin, "GET", "/v1/members/"+amy, ""); status != 404 {
		t.Errorf("amy after delete: %d, want 404", status)
	}
}
