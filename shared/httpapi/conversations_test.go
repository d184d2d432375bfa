package httpapi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// The inbox's scene: team A with channel ch-1 (LINE), contact and
// conversation c1 of branch b1, a caller member "me" of the role under test
// (sales roles in branch b1), and two cs agents, m-other and m-target.

const branch1, branch2 = "b1", "b2"

// inboxScene sets up the scene and returns a token bound to "me".
func inboxScene(hs *harness, role switchboard.Role) string {
	hs.addChannel(testChannel("ch-1", teamA))
	me := switchboard.Member{ID: "me", TeamID: teamA, Name: "Me", Role: role, Active: true}
	if role.IsSales() {
		me.BranchID = branch1
	}
	hs.addMember(me)
	hs.addMember(switchboard.Member{ID: "m-other", TeamID: teamA, Name: "Other", Role: switchboard.RoleCSAgent, Active: true})
	hs.addMember(switchboard.Member{ID: "m-target", TeamID: teamA, Name: "Target", Role: switchboard.RoleCSAgent, Active: true})
	hs.inbox.addContact(testContact("c1", teamA, branch1))
	return hs.addToken(switchboard.Token{ID: "tok-me", TeamID: teamA, Name: "me", Role: role, MemberID: "me"})
}

func testContact(id, teamID, branch string) switchboard.Contact {
	return switchboard.Contact{
		ID: id, TeamID: teamID, ChannelID: "ch-1", ChannelKind: switchboard.KindLINE, PlatformUserID: "U-" + id,
		NativeName: "Amy " + id, BranchID: branch, Subscribed: true,
	}
}

// minute is a time of the scene, n minutes before testNow.
func minute(n int) time.Time { return testNow.Add(-time.Duration(n) * time.Minute) }

// Conversations of the scene, by what they are about to test.
func pendingConv(id string, waited int) switchboard.Conversation {
	return switchboard.Conversation{
		ID: id, TeamID: teamA, ChannelID: "ch-1", Status: switchboard.StatusPending, PendingKind: switchboard.PendingHuman,
		Unread: map[string]int{switchboard.PendingReader: 2}, LastMessageAt: minute(waited), LastCustomerAt: minute(waited),
	}
}

func followedConv(id, follower string, collaborators ...string) switchboard.Conversation {
	return switchboard.Conversation{
		ID: id, TeamID: teamA, ChannelID: "ch-1", Status: switchboard.StatusInProgress, FollowerID: follower,
		Collaborators: collaborators, FollowedAt: minute(20),
		Unread: map[string]int{follower: 1}, LastMessageAt: minute(5), LastCustomerAt: minute(5),
	}
}

func closedConv(id, follower string) switchboard.Conversation {
	c := followedConv(id, follower)
	c.Status = switchboard.StatusClosed
	return c
}

// roleStatus lists the status each role gets; roles not listed get other.
func roleStatus(other int, per map[switchboard.Role]int) map[switchboard.Role]int {
	out := map[switchboard.Role]int{}
	for _, r := range switchboard.Roles {
		out[r] = other
		if s, ok := per[r]; ok {
			out[r] = s
		}
	}
	return out
}

var (
	// handlers: every role but the marketer handles conversations.
	handlers = func(ok int) map[switchboard.Role]int {
		return roleStatus(ok, map[switchboard.Role]int{switchboard.RoleMarketer: 403})
	}
	// teamView: admin, supervisor and CS manager may act on a colleague's
	// conversation; a CS agent does not even see it.
	teamView = roleStatus(403, map[switchboard.Role]int{
		switchboard.RoleAdmin: 200, switchboard.RoleSupervisor: 200, switchboard.RoleCSManager: 200, switchboard.RoleCSAgent: 404,
	})
)

// inboxRoleCase is one route called by a member of every role in a scene
// where the state allows the action, so what differs is the role.
type inboxRoleCase struct {
	name, route, path, body string
	setup                   func(hs *harness)
	want                    map[switchboard.Role]int
}

// inboxRoleCases covers every inbox route (TestRolePermissions counts them
// as covered).
var inboxRoleCases = []inboxRoleCase{
	{"list", "GET /v1/conversations", "/v1/conversations?view=pending_human", "",
		func(hs *harness) { hs.inbox.addConversation(pendingConv("c1", 40)) }, roleStatus(200, nil)},
	{"search", "GET /v1/conversations/search", "/v1/conversations/search?q=amy", "",
		func(hs *harness) { hs.inbox.addConversation(pendingConv("c1", 40)) }, roleStatus(200, nil)},
	{"bulk close", "POST /v1/conversations/bulk", "/v1/conversations/bulk", `{"action":"close","ids":["c1"]}`,
		func(hs *harness) { hs.inbox.addConversation(pendingConv("c1", 40)) }, roleStatus(200, nil)},
	{"bulk delete", "POST /v1/conversations/bulk", "/v1/conversations/bulk", `{"action":"delete","ids":["c1"]}`,
		func(hs *harness) { hs.inbox.addConversation(pendingConv("c1", 40)) },
		roleStatus(403, map[switchboard.Role]int{switchboard.RoleAdmin: 200, switchboard.RoleSupervisor: 200})},
	{"get", "GET /v1/conversations/{id}", "/v1/conversations/c1", "",
		func(hs *harness) { hs.inbox.addConversation(pendingConv("c1", 40)) }, roleStatus(200, nil)},
	{"messages", "GET /v1/conversations/{id}/messages", "/v1/conversations/c1/messages", "",
		func(hs *harness) { hs.inbox.addConversation(pendingConv("c1", 40)) }, roleStatus(200, nil)},
	{"history of a colleague's", "GET /v1/conversations/{id}/history", "/v1/conversations/c1/history", "",
		func(hs *harness) { hs.inbox.addConversation(followedConv("c1", "m-other")) },
		roleStatus(200, map[switchboard.Role]int{switchboard.RoleCSAgent: 404})},
	{"send as the follower", "POST /v1/conversations/{id}/messages", "/v1/conversations/c1/messages", `{"text":"hello"}`,
		func(hs *harness) { hs.inbox.addConversation(followedConv("c1", "me")) }, handlers(201)},
	{"follow a pending one", "POST /v1/conversations/{id}/follow", "/v1/conversations/c1/follow", "",
		func(hs *harness) { hs.inbox.addConversation(pendingConv("c1", 40)) }, handlers(200)},
	{"close a colleague's", "POST /v1/conversations/{id}/close", "/v1/conversations/c1/close", "",
		func(hs *harness) { hs.inbox.addConversation(followedConv("c1", "m-other")) }, teamView},
	{"reopen a colleague's", "POST /v1/conversations/{id}/reopen", "/v1/conversations/c1/reopen", "",
		func(hs *harness) { hs.inbox.addConversation(closedConv("c1", "m-other")) },
		roleStatus(200, map[switchboard.Role]int{switchboard.RoleMarketer: 403, switchboard.RoleCSAgent: 404})},
	{"transfer a colleague's", "POST /v1/conversations/{id}/transfer", "/v1/conversations/c1/transfer", `{"to":"m-target"}`,
		func(hs *harness) { hs.inbox.addConversation(followedConv("c1", "m-other")) },
		roleStatus(403, map[switchboard.Role]int{
			switchboard.RoleAdmin: 200, switchboard.RoleSupervisor: 200, switchboard.RoleSalesManager: 200,
			switchboard.RoleSalesperson: 200, switchboard.RoleCSAgent: 404,
		})},
	{"add collaborators as the follower", "POST /v1/conversations/{id}/collaborators", "/v1/conversations/c1/collaborators", `{"memberIds":["m-target"]}`,
		func(hs *harness) { hs.inbox.addConversation(followedConv("c1", "me")) }, handlers(200)},
	{"remove a colleague's collaborator", "DELETE /v1/conversations/{id}/collaborators/{memberId}", "/v1/conversations/c1/collaborators/m-target", "",
		func(hs *harness) { hs.inbox.addConversation(followedConv("c1", "m-other", "m-target")) },
		roleStatus(403, map[switchboard.Role]int{
			switchboard.RoleAdmin: 200, switchboard.RoleSupervisor: 200, switchboard.RoleCSManager: 200,
			switchboard.RoleMarketingCS: 200, switchboard.RoleCSAgent: 404,
		})},
	{"join a colleague's", "POST /v1/conversations/{id}/join", "/v1/conversations/c1/join", "",
		func(hs *harness) { hs.inbox.addConversation(followedConv("c1", "m-other")) }, teamView},
	{"take over a colleague's", "POST /v1/conversations/{id}/takeover", "/v1/conversations/c1/takeover", "",
		func(hs *harness) { hs.inbox.addConversation(followedConv("c1", "m-other")) }, teamView},
	{"get contact", "GET /v1/contacts/{id}", "/v1/contacts/c1", "",
		func(hs *harness) { hs.inbox.addConversation(pendingConv("c1", 40)) }, roleStatus(200, nil)},
	{"patch contact", "PATCH /v1/contacts/{id}", "/v1/contacts/c1", `{"note":"likes tea"}`,
		func(hs *harness) { hs.inbox.addConversation(pendingConv("c1", 40)) }, roleStatus(200, nil)},
	{"tag contact", "POST /v1/contacts/{id}/tags", "/v1/contacts/c1/tags", `{"tags":["vip"]}`,
		func(hs *harness) { hs.inbox.addConversation(pendingConv("c1", 40)) }, roleStatus(200, nil)},
	{"tag log", "GET /v1/contacts/{id}/tags/log", "/v1/contacts/c1/tags/log", "",
		func(hs *harness) { hs.inbox.addConversation(pendingConv("c1", 40)) }, roleStatus(200, nil)},
	{"untag contact", "DELETE /v1/contacts/{id}/tags/{tag}", "/v1/contacts/c1/tags/vip", "",
		func(hs *harness) {
			hs.inbox.addConversation(pendingConv("c1", 40))
			ct := hs.inbox.contact(teamA, "c1")
			_ = ct.AddTag("vip", testNow)
			hs.inbox.addContact(*ct)
		}, roleStatus(204, nil)},
	{"contact of a colleague's conversation", "GET /v1/contacts/{id}", "/v1/contacts/c1", "",
		func(hs *harness) { hs.inbox.addConversation(followedConv("c1", "m-other")) },
		roleStatus(200, map[switchboard.Role]int{switchboard.RoleCSAgent: 404})},
}

// call sends a request with a query string.
func (hs *harness) callQ(method, pathAndQuery, token, body string) events.APIGatewayV2HTTPResponse {
	hs.t.Helper()
	path, query, _ := strings.Cut(pathAndQuery, "?")
	ev := req(method, path, token, body)
	ev.RawQueryString = query
	return hs.do(ev)
}

func TestInboxRolePermissions(t *testing.T) {
	for _, tt := range inboxRoleCases {
		for _, role := range switchboard.Roles {
			t.Run(tt.name+" as "+string(role), func(t *testing.T) {
				hs := newHarness(t)
				token := inboxScene(hs, role)
				tt.setup(hs)
				method, _, _ := strings.Cut(tt.route, " ")
				resp := hs.callQ(method, tt.path, token, tt.body)
				if got, want := resp.StatusCode, tt.want[role]; got != want {
					t.Errorf("status %d, want %d: %s", got, want, resp.Body)
				}
				if resp.StatusCode >= 400 {
					if code, _ := errorOf(t, resp); code == "internal" {
						t.Errorf("internal error")
					}
				}
			})
		}
	}
}

// visibleCase is one conversation and who sees it.
type visibleCase struct {
	name    string
	conv    switchboard.Conversation
	branch  string
	visible []switchboard.Role
}

func TestConversationVisibility(t *testing.T) {
	all := switchboard.Roles
	notAgent := []switchboard.Role{switchboard.RoleAdmin, switchboard.RoleSupervisor, switchboard.RoleCSManager,
		switchboard.RoleSalesManager, switchboard.RoleSalesperson, switchboard.RoleMarketer, switchboard.RoleMarketingCS}
	notSales := []switchboard.Role{switchboard.RoleAdmin, switchboard.RoleSupervisor, switchboard.RoleCSManager,
		switchboard.RoleCSAgent, switchboard.RoleMarketer, switchboard.RoleMarketingCS}
	wholeTeam := []switchboard.Role{switchboard.RoleAdmin, switchboard.RoleSupervisor, switchboard.RoleCSManager,
		switchboard.RoleMarketer, switchboard.RoleMarketingCS}
	tests := []visibleCase{
		{"pending, own branch", pendingConv("c1", 10), branch1, all},
		{"pending, other branch", pendingConv("c1", 10), branch2, notSales},
		{"colleague's, own branch", followedConv("c1", "m-other"), branch1, notAgent},
		{"colleague's, other branch", followedConv("c1", "m-other"), branch2, wholeTeam},
		{"closed colleague's", closedConv("c1", "m-other"), branch1, notAgent},
		{"followed by me, other branch", followedConv("c1", "me"), branch2, all},
		{"closed, followed by me", closedConv("c1", "me"), branch2, all},
		{"collaborating, other branch", followedConv("c1", "m-other", "me"), branch2, all},
	}
	for _, tt := range tests {
		for _, role := range switchboard.Roles {
			t.Run(tt.name+" as "+string(role), func(t *testing.T) {
				hs := newHarness(t)
				token := inboxScene(hs, role)
				ct := testContact("c1", teamA, tt.branch)
				hs.inbox.addContact(ct)
				conv := tt.conv
				conv.IndexContact(&ct)
				hs.inbox.addConversation(conv)
				want := slices.Contains(tt.visible, role)
				resp := hs.call("GET", "/v1/conversations/c1", token, "")
				if got := resp.StatusCode == 200; got != want || (resp.StatusCode != 200 && resp.StatusCode != 404) {
					t.Fatalf("GET: status %d, want visible=%v: %s", resp.StatusCode, want, resp.Body)
				}
				if got := hs.call("GET", "/v1/contacts/c1", token, "").StatusCode == 200; got != want {
					t.Errorf("GET contact: visible=%v, want %v", got, want)
				}
				view := map[switchboard.ConversationStatus]string{
					switchboard.StatusPending: "pending_human", switchboard.StatusInProgress: "team", switchboard.StatusClosed: "closed",
				}[tt.conv.Status]
				var list conversationList
				decodeBody(t, hs.callQ("GET", "/v1/conversations?view="+view, token, ""), &list)
				if got := len(list.Items) == 1; got != want {
					t.Errorf("view %s lists it: %v, want %v", view, got, want)
				}
				decodeBody(t, hs.callQ("GET", "/v1/conversations/search?q=amy", token, ""), &list)
				if got := len(list.Items) == 1; got != want {
					t.Errorf("search finds it: %v, want %v", got, want)
				}
				// An invisible conversation refuses actions like a missing one.
				if !want {
					if got := hs.call("POST", "/v1/conversations/c1/close", token, "").StatusCode; got != 404 {
						t.Errorf("close an invisible conversation: %d, want 404", got)
					}
				}
			})
		}
	}
}

// TestVisibilityWithoutMember: a token that belongs to no member sees what
// its role sees of conversations nobody follows, and cannot act.
func TestVisibilityWithoutMember(t *testing.T) {
	tests := []struct {
		role        switchboard.Role
		pending     int
		colleagues  int
		followCode  int
		mineMessage string
	}{
		{switchboard.RoleAdmin, 200, 200, 400, "view mine needs a token that belongs to a member"},
		{switchboard.RoleCSAgent, 200, 404, 400, "view mine needs a token that belongs to a member"},
		{switchboard.RoleSalesperson, 404, 404, 404, "view mine needs a token that belongs to a member"},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			hs := newHarness(t)
			inboxScene(hs, switchboard.RoleAdmin)
			token := hs.roleToken(teamA, tt.role)
			hs.inbox.addConversation(pendingConv("c1", 10))
			hs.inbox.addContact(testContact("c2", teamA, branch1))
			hs.inbox.addConversation(followedConv("c2", "m-other"))
			if got := hs.call("GET", "/v1/conversations/c1", token, "").StatusCode; got != tt.pending {
				t.Errorf("pending: %d, want %d", got, tt.pending)
			}
			if got := hs.call("GET", "/v1/conversations/c2", token, "").StatusCode; got != tt.colleagues {
				t.Errorf("colleague's: %d, want %d", got, tt.colleagues)
			}
			resp := hs.call("POST", "/v1/conversations/c1/follow", token, "")
			if resp.StatusCode != tt.followCode {
				t.Errorf("follow: %d, want %d", resp.StatusCode, tt.followCode)
			}
			resp = hs.callQ("GET", "/v1/conversations?view=mine", token, "")
			if _, msg := errorOf(t, resp); resp.StatusCode != 400 || msg != tt.mineMessage {
				t.Errorf("mine: %d %q", resp.StatusCode, msg)
			}
		})
	}
}

func TestListConversationsThroughAPI(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleAdmin)
	// Waits of 10, 45, 90 and 150 minutes; c4 has the tag.
	for i, waited := range []int{45, 10, 150, 90} {
		id := fmt.Sprintf("c%d", i+1)
		ct := testContact(id, teamA, branch1)
		if id == "c4" {
			_ = ct.AddTag("vip", testNow)
		}
		hs.inbox.addContact(ct)
		hs.inbox.addConversation(pendingConv(id, waited))
	}
	hs.inbox.addConversation(followedConv("c9", "me"))
	hs.inbox.addContact(testContact("c9", teamA, branch1))
	must(t, hs.messages.PutMessage(context.Background(), &switchboard.Message{ID: "msg-1", TeamID: teamA, ConversationID: "c1",
		Direction: switchboard.Inbound, Kind: switchboard.MsgText, Text: strings.Repeat("長", 120), CreatedAt: minute(45)}))

	ids := func(l conversationList) []string {
		var out []string
		for _, it := range l.Items {
			out = append(out, it.ID)
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"view=pending_human", []string{"c3", "c4", "c1", "c2"}},
		{"", []string{"c3", "c4", "c1", "c2"}},
		{"view=pending_human&sort=newest", []string{"c2", "c1", "c4", "c3"}},
		{"view=pending_human&waitingMinutes=60", []string{"c3", "c4"}},
		{"view=pending_human&waitingMinutes=120", []string{"c3"}},
		{"view=pending_human&tag=vip", []string{"c4"}},
		{"view=pending_human&unread=true", []string{"c3", "c4", "c1", "c2"}},
		{"view=pending_human&channelId=ch-9", nil},
		{"view=mine", []string{"c9"}},
		{"view=team", []string{"c9"}},
		{"view=closed", nil},
	}
	for _, tt := range tests {
		var l conversationList
		resp := hs.callQ("GET", "/v1/conversations?"+tt.query, token, "")
		decodeBody(t, resp, &l)
		if got := ids(l); !slices.Equal(got, tt.want) {
			t.Errorf("%q: %v, want %v", tt.query, got, tt.want)
		}
		if l.Items == nil {
			t.Errorf("%q: items is null", tt.query)
		}
	}

	// Paging visits everything once.
	var got []string
	cursor := ""
	for range 10 {
		var l conversationList
		decodeBody(t, hs.callQ("GET", "/v1/conversations?view=pending_human&limit=3&cursor="+cursor, token, ""), &l)
		got = append(got, ids(l)...)
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
	}
	if want := []string{"c3", "c4", "c1", "c2"}; !slices.Equal(got, want) {
		t.Errorf("paged: %v, want %v", got, want)
	}

	// The fields of an item.
	var l conversationList
	decodeBody(t, hs.callQ("GET", "/v1/conversations?view=pending_human", token, ""), &l)
	byID := map[string]conversationItem{}
	for _, it := range l.Items {
		byID[it.ID] = it
	}
	for id, want := range map[string][2]int{"c1": {45, 30}, "c2": {10, 0}, "c3": {150, 120}, "c4": {90, 60}} {
		if it := byID[id]; !it.Waiting || it.WaitingMinutes != want[0] || it.WaitingMarker != want[1] {
			t.Errorf("%s: waiting %v %d min, marker %d; want %d min, marker %d", id, it.Waiting, it.WaitingMinutes, it.WaitingMarker, want[0], want[1])
		}
	}
	c1 := byID["c1"]
	if c1.Unread != 2 || c1.Contact == nil || c1.Contact.Name != "Amy c1" || c1.View != "pending_human" {
		t.Errorf("c1 = %+v", c1)
	}
	if c1.LastMessage == nil || c1.LastMessage.Text != strings.Repeat("長", 100)+"…" {
		t.Errorf("last message preview = %+v", c1.LastMessage)
	}
	if want := []switchboard.Action{switchboard.ActionFollow, switchboard.ActionClose}; !slices.Equal(c1.Actions, want) {
		t.Errorf("actions = %v, want %v", c1.Actions, want)
	}
	if !slices.Equal(byID["c4"].Contact.Tags, []string{"vip"}) {
		t.Errorf("c4 tags = %v", byID["c4"].Contact.Tags)
	}
}

func TestListQueryValidation(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleAdmin)
	tests := []struct {
		query, want string
	}{
		{"view=everything", "view must be one of pending_human, pending_bot, mine, team, closed"},
		{"sort=oldest", "sort must be longest_wait or newest"},
		{"waitingMinutes=45", "waitingMinutes must be 30, 60 or 120"},
		{"unread=yes", "unread must be true or false"},
		{"limit=0", "limit must be a whole number from 1 to 100"},
		{"limit=101", "limit must be a whole number from 1 to 100"},
		{"cursor=%25%25", "cursor is not one this listing returned"},
	}
	hs.conversations.listConversations = func(_ context.Context, _ string, q switchboard.ConversationQuery) (*switchboard.ConversationPage, error) {
		if q.Cursor != "" {
			return nil, switchboard.Errorf(switchboard.EInvalid, "cursor is not one this listing returned")
		}
		return &switchboard.ConversationPage{}, nil
	}
	for _, tt := range tests {
		resp := hs.callQ("GET", "/v1/conversations?"+tt.query, token, "")
		if resp.StatusCode != 400 {
			t.Errorf("%q: status %d, want 400", tt.query, resp.StatusCode)
			continue
		}
		if _, msg := errorOf(t, resp); msg != tt.want {
			t.Errorf("%q: %q, want %q", tt.query, msg, tt.want)
		}
	}
	for _, q := range []string{"", "q=", "q=%20%20", "q=" + strings.Repeat("x", 101), "q=a&cursor=9.x", "q=a&cursor=x"} {
		if got := hs.callQ("GET", "/v1/conversations/search?"+q, token, "").StatusCode; got != 400 {
			t.Errorf("search %q: %d, want 400", q, got)
		}
	}
}

// TestSearchAcrossViews: the search reads every view, pages across them and
// finds names, phones without separators, tags and message texts.
func TestSearchAcrossViews(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleSupervisor)
	convs := []switchboard.Conversation{pendingConv("p1", 5), pendingConv("p2", 6), followedConv("f1", "m-other"), closedConv("x1", "m-other")}
	for i, c := range convs {
		ct := testContact(c.ID, teamA, branch1)
		ct.Phone = fmt.Sprintf("0912-345-60%d", i+1)
		c.IndexContact(&ct)
		c.IndexMessage("Order " + c.ID + " arrived")
		hs.inbox.addContact(ct)
		hs.inbox.addConversation(c)
	}
	find := func(q string, limit int) []string {
		var got []string
		cursor := ""
		for range 20 {
			var l conversationList
			resp := hs.callQ("GET", fmt.Sprintf("/v1/conversations/search?q=%s&limit=%d&cursor=%s", q, limit, cursor), token, "")
			decodeBody(t, resp, &l)
			for _, it := range l.Items {
				got = append(got, it.ID)
			}
			if l.NextCursor == "" {
				return got
			}
			cursor = l.NextCursor
		}
		t.Fatalf("search %q did not end", q)
		return nil
	}
	tests := []struct {
		q     string
		limit int
		want  []string
	}{
		{"amy", 10, []string{"p1", "p2", "f1", "x1"}},
		{"amy", 1, []string{"p1", "p2", "f1", "x1"}},
		{"AMY%20F1", 10, []string{"f1"}},
		{"0912345604", 10, []string{"x1"}},
		{"order%20p2", 10, []string{"p2"}},
		{"nobody", 10, nil},
	}
	for _, tt := range tests {
		if got := find(tt.q, tt.limit); !slices.Equal(got, tt.want) {
			t.Errorf("search %q (limit %d) = %v, want %v", tt.q, tt.limit, got, tt.want)
		}
	}
}

func TestStateConflicts(t *testing.T) {
	tests := []struct {
		name     string
		conv     switchboard.Conversation
		path     string
		body     string
		wantCode int
		wantMsg  string
	}{
		{"follow in progress", followedConv("c1", "m-other"), "/v1/conversations/c1/follow", "", 409, "cannot follow a conversation in status in_progress"},
		{"reopen pending", pendingConv("c1", 5), "/v1/conversations/c1/reopen", "", 409, "cannot reopen a conversation in status pending"},
		{"transfer closed", closedConv("c1", "me"), "/v1/conversations/c1/transfer", `{"to":"m-target"}`, 409, "cannot transfer a conversation in status closed"},
		{"join twice", followedConv("c1", "m-other", "me"), "/v1/conversations/c1/join", "", 409, "member me already takes part in this conversation"},
		{"transfer to a stranger", followedConv("c1", "me"), "/v1/conversations/c1/transfer", `{"to":"m-nobody"}`, 400, `member "m-nobody" does not exist`},
		{"transfer to oneself", followedConv("c1", "me"), "/v1/conversations/c1/transfer", `{"to":"me"}`, 400, "member me already follows this conversation"},
		{"too many collaborators", followedConv("c1", "me", "a", "b", "c", "d", "e"), "/v1/conversations/c1/collaborators", `{"memberIds":["m-target"]}`, 400,
			"a conversation has at most 5 collaborators besides the follower; adding 1 to 5 would make 6"},
		{"no member ids", followedConv("c1", "me"), "/v1/conversations/c1/collaborators", `{"memberIds":[]}`, 400, "memberIds must list 1 to 5 members"},
		{"close a collaboration as a collaborator", followedConv("c1", "m-other", "me"), "/v1/conversations/c1/close", "", 403, "only the follower can close a collaboration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			token := inboxScene(hs, switchboard.RoleSupervisor)
			hs.inbox.addConversation(tt.conv)
			before := hs.inbox.conversation(teamA, "c1")
			resp := hs.call("POST", tt.path, token, tt.body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, resp.Body)
			}
			if _, msg := errorOf(t, resp); msg != tt.wantMsg {
				t.Errorf("message %q, want %q", msg, tt.wantMsg)
			}
			if after := hs.inbox.conversation(teamA, "c1"); after.Version != before.Version {
				t.Errorf("the conversation changed")
			}
		})
	}
}

// TestConcurrentFollowFakes: agents who all read a pending conversation
// follow it at once; one wins, the others meet 409, whatever their role
// (a CS agent loses sight of a colleague's conversation, but it saw this
// one, so the answer is the conflict, not 404).
func TestConcurrentFollowFakes(t *testing.T) {
	for _, role := range []switchboard.Role{switchboard.RoleCSAgent, switchboard.RoleSupervisor} {
		t.Run(string(role), func(t *testing.T) {
			hs := newHarness(t)
			inboxScene(hs, switchboard.RoleAdmin)
			hs.inbox.addConversation(pendingConv("c1", 5))
			var tokens []string
			for i := range 8 {
				id := fmt.Sprintf("agent-%d", i)
				hs.addMember(switchboard.Member{ID: id, TeamID: teamA, Name: id, Role: role, Active: true})
				tokens = append(tokens, hs.addToken(switchboard.Token{ID: "tok-" + id, TeamID: teamA, Name: id, Role: role, MemberID: id}))
			}
			// Every agent reads the conversation before any of them writes.
			var loaded sync.WaitGroup
			loaded.Add(len(tokens))
			get := hs.conversations.getConversation
			hs.conversations.getConversation = func(ctx context.Context, teamID, id string) (*switchboard.Conversation, error) {
				c, err := get(ctx, teamID, id)
				loaded.Done()
				loaded.Wait()
				return c, err
			}
			codes := make([]int, len(tokens))
			var wg sync.WaitGroup
			for i, tok := range tokens {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, err := hs.h.Handle(context.Background(), req("POST", "/v1/conversations/c1/follow", tok, ""))
					if err == nil {
						codes[i] = resp.StatusCode
					}
				}()
			}
			wg.Wait()
			ok, conflict := 0, 0
			for _, c := range codes {
				switch c {
				case 200:
					ok++
				case 409:
					conflict++
				}
			}
			if ok != 1 || conflict != len(tokens)-1 {
				t.Errorf("codes %v: want one 200 and the rest 409", codes)
			}
		})
	}
}

func TestActionsKeepCollaborationEntries(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleSupervisor)
	hs.inbox.addConversation(followedConv("c1", "me"))
	resp := hs.call("POST", "/v1/conversations/c1/collaborators", token, `{"memberIds":["m-target","m-other"]}`)
	var it conversationItem
	decodeBody(t, resp, &it)
	if resp.StatusCode != 200 || !slices.Equal(it.Collaborators, []string{"m-target", "m-other"}) {
		t.Fatalf("add: %d %v", resp.StatusCode, it.Collaborators)
	}
	entries := func() []string {
		hs.mem.mu.Lock()
		defer hs.mem.mu.Unlock()
		var out []string
		for k := range hs.inbox.collabs {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if got, want := entries(), []string{teamA + "/m-other/c1", teamA + "/m-target/c1"}; !slices.Equal(got, want) {
		t.Errorf("entries %v, want %v", got, want)
	}
	// Transfer to a collaborator: the old follower becomes one.
	decodeBody(t, hs.call("POST", "/v1/conversations/c1/transfer", token, `{"to":"m-target"}`), &it)
	if it.FollowerID != "m-target" || !slices.Contains(it.Collaborators, "me") {
		t.Errorf("after transfer: follower %s, collaborators %v", it.FollowerID, it.Collaborators)
	}
	if got, want := entries(), []string{teamA + "/m-other/c1", teamA + "/me/c1"}; !slices.Equal(got, want) {
		t.Errorf("entries %v, want %v", got, want)
	}
	// Leaving drops the entry.
	resp = hs.call("DELETE", "/v1/conversations/c1/collaborators/me", token, "")
	if resp.StatusCode != 200 {
		t.Fatalf("leave: %d %s", resp.StatusCode, resp.Body)
	}
	if got, want := entries(), []string{teamA + "/m-other/c1"}; !slices.Equal(got, want) {
		t.Errorf("entries %v, want %v", got, want)
	}
}

func TestGetConversationMarksRead(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleCSAgent)
	c := followedConv("c1", "m-other", "me")
	c.Unread = map[string]int{"m-other": 3, "me": 2}
	hs.inbox.addConversation(c)
	for i := range 3 {
		must(t, hs.messages.PutMessage(context.Background(), &switchboard.Message{ID: fmt.Sprintf("msg-%d", i), TeamID: teamA, ConversationID: "c1", Text: fmt.Sprint(i)}))
	}
	var d conversationDetail
	decodeBody(t, hs.callQ("GET", "/v1/conversations/c1?limit=2", token, ""), &d)
	if d.Conversation.Unread != 0 {
		t.Errorf("unread after reading = %d", d.Conversation.Unread)
	}
	if got := hs.inbox.conversation(teamA, "c1").Unread; got["me"] != 0 || got["m-other"] != 3 {
		t.Errorf("unread counts %v: only mine clears", got)
	}
	if len(d.Messages.Items) != 2 || d.Messages.Items[0].ID != "msg-2" || d.Messages.NextCursor == "" {
		t.Fatalf("messages page = %+v", d.Messages)
	}
	var rest messageList
	decodeBody(t, hs.callQ("GET", "/v1/conversations/c1/messages?cursor="+d.Messages.NextCursor, token, ""), &rest)
	if len(rest.Items) != 1 || rest.Items[0].ID != "msg-0" || rest.NextCursor != "" {
		t.Errorf("second page = %+v", rest)
	}
}

func TestBulk(t *testing.T) {
	ids := func(n int) string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("%q", fmt.Sprintf("b%02d", i)))
		}
		return "[" + strings.Join(out, ",") + "]"
	}
	tests := []struct {
		name      string
		role      switchboard.Role
		body      string
		wantCode  int
		wantMsg   string
		succeeded int
	}{
		{"follow 20", switchboard.RoleCSAgent, `{"action":"follow","ids":` + ids(20) + `}`, 200, "", 20},
		{"follow 21", switchboard.RoleCSAgent, `{"action":"follow","ids":` + ids(21) + `}`, 400, "follow takes 1 to 20 conversations at a time, not 21", 0},
		{"close 21", switchboard.RoleAdmin, `{"action":"close","ids":` + ids(21) + `}`, 400, "close takes 1 to 20 conversations at a time, not 21", 0},
		{"reopen 21", switchboard.RoleAdmin, `{"action":"reopen","ids":` + ids(21) + `}`, 400, "reopen takes 1 to 20 conversations at a time, not 21", 0},
		{"transfer 21", switchboard.RoleAdmin, `{"action":"transfer","to":"m-target","ids":` + ids(21) + `}`, 400, "transfer takes 1 to 20 conversations at a time, not 21", 0},
		{"delete 40", switchboard.RoleSupervisor, `{"action":"delete","ids":` + ids(40) + `}`, 200, "", 40},
		{"delete 41", switchboard.RoleSupervisor, `{"action":"delete","ids":` + ids(41) + `}`, 400, "delete takes 1 to 40 conversations at a time, not 41", 0},
		{"blacklist 41", switchboard.RoleAdmin, `{"action":"blacklist","ids":` + ids(41) + `}`, 400, "blacklist takes 1 to 40 conversations at a time, not 41", 0},
		{"repeated ids count once", switchboard.RoleCSAgent, `{"action":"follow","ids":["b00","b00","b01"]}`, 200, "", 2},
		{"delete as CS manager", switchboard.RoleCSManager, `{"action":"delete","ids":["b00"]}`, 403, "role cs_manager may not delete conversations", 0},
		{"blacklist as CS agent", switchboard.RoleCSAgent, `{"action":"blacklist","ids":["b00"]}`, 403, "role cs_agent may not blacklist conversations", 0},
		{"unknown action", switchboard.RoleAdmin, `{"action":"archive","ids":["b00"]}`, 400, "action must be one of follow, close, reopen, transfer, delete, blacklist", 0},
		{"no ids", switchboard.RoleAdmin, `{"action":"close","ids":[]}`, 400, "close takes 1 to 20 conversations at a time, not 0", 0},
		{"empty id", switchboard.RoleAdmin, `{"action":"close","ids":[""]}`, 400, "ids must be non-empty conversation ids", 0},
		{"transfer without to", switchboard.RoleAdmin, `{"action":"transfer","ids":["b00"]}`, 400, "to is required for transfer and only for transfer", 0},
		{"to without transfer", switchboard.RoleAdmin, `{"action":"close","to":"m-target","ids":["b00"]}`, 400, "to is required for transfer and only for transfer", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			token := inboxScene(hs, tt.role)
			for i := range 41 {
				id := fmt.Sprintf("b%02d", i)
				hs.inbox.addContact(testContact(id, teamA, branch1))
				hs.inbox.addConversation(pendingConv(id, i))
			}
			resp := hs.call("POST", "/v1/conversations/bulk", token, tt.body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, resp.Body)
			}
			if tt.wantMsg != "" {
				if _, msg := errorOf(t, resp); msg != tt.wantMsg {
					t.Errorf("message %q, want %q", msg, tt.wantMsg)
				}
				if w := hs.mem.writesTo(teamA); len(w) != 0 {
					t.Errorf("writes after a refused bulk request: %v", w)
				}
				return
			}
			var out bulkOutcome
			decodeBody(t, resp, &out)
			if out.Succeeded != tt.succeeded || out.Failed != 0 || len(out.Results) != tt.succeeded {
				t.Errorf("outcome %+v, want %d succeeded", out, tt.succeeded)
			}
		})
	}
}

// TestBulkCounts mixes conversations that succeed with ones that fail for
// different reasons, and checks each result and the counts.
func TestBulkCounts(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleCSAgent)
	hs.inbox.addConversation(pendingConv("ok1", 5))
	hs.inbox.addConversation(pendingConv("ok2", 6))
	hs.inbox.addConversation(followedConv("taken", "m-other")) // invisible to a CS agent
	hs.inbox.addConversation(followedConv("mine", "me"))       // already followed: 409
	hs.inbox.addConversation(switchboard.Conversation{ID: "bx", TeamID: teamB, Status: switchboard.StatusPending})
	var out bulkOutcome
	resp := hs.call("POST", "/v1/conversations/bulk", token, `{"action":"follow","ids":["ok1","taken","mine","missing","bx","ok2"]}`)
	decodeBody(t, resp, &out)
	if out.Succeeded != 2 || out.Failed != 4 {
		t.Fatalf("counts %d/%d, want 2/4: %s", out.Succeeded, out.Failed, resp.Body)
	}
	want := map[string]string{"ok1": "", "taken": "not_found", "mine": "conflict", "missing": "not_found", "bx": "not_found", "ok2": ""}
	for i, r := range out.Results {
		if r.ID != []string{"ok1", "taken", "mine", "missing", "bx", "ok2"}[i] {
			t.Errorf("result %d is %s: results are in request order", i, r.ID)
		}
		code := ""
		if r.Error != nil {
			code = r.Error.Code
		}
		if code != want[r.ID] || r.OK != (code == "") {
			t.Errorf("%s: ok %v code %q, want %q", r.ID, r.OK, code, want[r.ID])
		}
	}
	if c := hs.inbox.conversation(teamA, "ok1"); c.FollowerID != "me" || c.Status != switchboard.StatusInProgress {
		t.Errorf("ok1 = %+v", c)
	}
	if w := hs.mem.writesTo(teamB); len(w) != 0 {
		t.Errorf("writes to team B: %v", w)
	}
}

func TestBulkTransferAndBlacklist(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleSupervisor)
	hs.inbox.addConversation(followedConv("one", "m-other"))
	hs.inbox.addConversation(followedConv("collab", "m-other", "me"))
	var out bulkOutcome
	decodeBody(t, hs.call("POST", "/v1/conversations/bulk", token, `{"action":"transfer","to":"m-target","ids":["one","collab"]}`), &out)
	if out.Succeeded != 1 || out.Results[1].Error == nil || out.Results[1].Error.Message != "a collaboration cannot be transferred in bulk" {
		t.Errorf("transfer outcome %+v", out)
	}
	if c := hs.inbox.conversation(teamA, "one"); c.FollowerID != "m-target" {
		t.Errorf("one follows %s", c.FollowerID)
	}
	// A member who cannot receive conversations is refused for each.
	hs.addMember(switchboard.Member{ID: "m-marketer", TeamID: teamA, Name: "Mk", Role: switchboard.RoleMarketer, Active: true})
	decodeBody(t, hs.call("POST", "/v1/conversations/bulk", token, `{"action":"transfer","to":"m-marketer","ids":["one"]}`), &out)
	if out.Failed != 1 || out.Results[0].Error.Message != "member m-marketer is a marketer and cannot receive conversations" {
		t.Errorf("transfer to a marketer: %+v", out)
	}

	hs.inbox.addContact(testContact("one", teamA, branch1))
	must(t, hs.messages.PutMessage(context.Background(), &switchboard.Message{ID: "m1", TeamID: teamA, ConversationID: "one", Text: "hi"}))
	decodeBody(t, hs.call("POST", "/v1/conversations/bulk", token, `{"action":"blacklist","ids":["one"]}`), &out)
	if out.Succeeded != 1 {
		t.Fatalf("blacklist outcome %+v", out)
	}
	ct := hs.inbox.contact(teamA, "one")
	if !ct.Blocked || ct.Subscribed || !ct.SubscriptionChangedAt.Equal(testNow) {
		t.Errorf("blacklisted contact = blocked %v subscribed %v at %v", ct.Blocked, ct.Subscribed, ct.SubscriptionChangedAt)
	}
	if hs.inbox.conversation(teamA, "one") != nil || len(hs.inbox.messagesOf(teamA, "one")) != 0 {
		t.Errorf("history survived the blacklist")
	}
	// Blacklisting again: the conversation is gone, the contact stays blocked.
	decodeBody(t, hs.call("POST", "/v1/conversations/bulk", token, `{"action":"blacklist","ids":["one"]}`), &out)
	if out.Succeeded != 1 {
		t.Errorf("second blacklist %+v", out)
	}
}

func TestSendAsAgent(t *testing.T) {
	windowClosed := switchboard.Errorf(switchboard.EForbidden, "Messenger: the customer's last message was more than 7 days ago; the conversation can no longer be answered")
	tests := []struct {
		name     string
		role     switchboard.Role
		conv     switchboard.Conversation
		body     string
		key      string
		sendErr  error
		blocked  bool
		wantCode int
		wantMsg  string
		stored   switchboard.DeliveryStatus // "" for no message stored
	}{
		{"sent", "", followedConv("c1", "me"), `{"text":"Hello Amy"}`, "key-1", nil, false, 201, "", switchboard.DeliverySent},
		{"image", "", followedConv("c1", "me"), `{"kind":"image","mediaUrl":"https://cdn.example/a.png"}`, "", nil, false, 201, "", switchboard.DeliverySent},
		{"window closed", "", followedConv("c1", "me"), `{"text":"late"}`, "", windowClosed, false, 403, switchboard.ErrorMessage(windowClosed), switchboard.DeliveryFailed},
		{"rate limited", "", followedConv("c1", "me"), `{"text":"x"}`, "", switchboard.Errorf(switchboard.ERateLimited, "slow down"), false, 429, "slow down", switchboard.DeliveryFailed},
		{"not the follower", switchboard.RoleSupervisor, followedConv("c1", "m-other"), `{"text":"x"}`, "", nil, false, 403, "only the follower can reply", ""},
		{"a colleague's, for a CS agent", "", followedConv("c1", "m-other"), `{"text":"x"}`, "", nil, false, 404, "conversation not found", ""},
		{"collaborator may", "", followedConv("c1", "m-other", "me"), `{"text":"x"}`, "", nil, false, 201, "", switchboard.DeliverySent},
		{"pending", "", pendingConv("c1", 5), `{"text":"x"}`, "", nil, false, 409, "cannot reply a conversation in status pending", ""},
		{"blocked customer", "", followedConv("c1", "me"), `{"text":"x"}`, "", nil, true, 403, "the customer is blocked; turn their conversation status back on to reply", ""},
		{"empty text", "", followedConv("c1", "me"), `{"text":"  "}`, "", nil, false, 400, "text must be 1 to 5000 characters", ""},
		{"media without kind", "", followedConv("c1", "me"), `{"mediaUrl":"https://x.example/a.png"}`, "", nil, false, 400, "kind is required with mediaUrl: image, video, audio or file", ""},
		{"http media", "", followedConv("c1", "me"), `{"kind":"video","mediaUrl":"http://x.example/a.mp4"}`, "", nil, false, 400, "mediaUrl must be an https URL of at most 2000 characters", ""},
		{"sticker", "", followedConv("c1", "me"), `{"kind":"sticker","text":"x"}`, "", nil, false, 400, "kind must be text, image, video, audio or file", ""},
		{"long key", "", followedConv("c1", "me"), `{"text":"x"}`, strings.Repeat("k", 201), nil, false, 400, "Idempotency-Key must be at most 200 characters", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			role := tt.role
			if role == "" {
				role = switchboard.RoleCSAgent
			}
			token := inboxScene(hs, role)
			if tt.blocked {
				ct := hs.inbox.contact(teamA, "c1")
				ct.Blocked = true
				hs.inbox.addContact(*ct)
			}
			c := tt.conv
			c.Unread = map[string]int{"me": 4}
			hs.inbox.addConversation(c)
			var got *switchboard.SendRequest
			hs.sender.send = func(_ context.Context, r switchboard.SendRequest) (switchboard.SendResult, error) {
				got = &r
				if tt.sendErr != nil {
					return switchboard.SendResult{}, tt.sendErr
				}
				return switchboard.SendResult{PlatformMessageIDs: []string{"pm-1"}}, nil
			}
			ev := req("POST", "/v1/conversations/c1/messages", token, tt.body)
			if tt.key != "" {
				ev.Headers["idempotency-key"] = tt.key
			}
			resp := hs.do(ev)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, resp.Body)
			}
			if tt.wantMsg != "" {
				if _, msg := errorOf(t, resp); msg != tt.wantMsg {
					t.Errorf("message %q, want %q", msg, tt.wantMsg)
				}
			}
			msgs := hs.inbox.messagesOf(teamA, "c1")
			if tt.stored == "" {
				if len(msgs) != 0 || got != nil {
					t.Errorf("a refused message was stored (%d) or sent (%v)", len(msgs), got != nil)
				}
				return
			}
			if len(msgs) != 1 || msgs[0].Status != tt.stored || msgs[0].SenderMemberID != "me" || msgs[0].Direction != switchboard.Outbound {
				t.Fatalf("stored %+v, want one outbound message %s", msgs, tt.stored)
			}
			if got == nil || got.Purpose != switchboard.PurposeAgent || got.To.PlatformUserID != "U-c1" || !got.To.LastCustomerAt.Equal(c.LastCustomerAt) {
				t.Fatalf("send request %+v", got)
			}
			if tt.key != "" && !strings.HasSuffix(got.IdempotencyKey, "#"+tt.key) {
				t.Errorf("idempotency key %q does not carry the header's %q", got.IdempotencyKey, tt.key)
			}
			conv := hs.inbox.conversation(teamA, "c1")
			ct := hs.inbox.contact(teamA, "c1")
			if tt.stored == switchboard.DeliveryFailed {
				if msgs[0].FailureReason != tt.wantMsg {
					t.Errorf("failure reason %q, want %q", msgs[0].FailureReason, tt.wantMsg)
				}
				if !conv.LastStaffAt.IsZero() || conv.Unread["me"] != 4 || !ct.LastTeamInteractionAt.IsZero() {
					t.Errorf("a failed send counted as a reply")
				}
				return
			}
			if msgs[0].PlatformMessageID != "pm-1" {
				t.Errorf("platform id %q", msgs[0].PlatformMessageID)
			}
			if !conv.LastStaffAt.Equal(testNow) || conv.Unread["me"] != 0 || !ct.LastTeamInteractionAt.Equal(testNow) {
				t.Errorf("reply not recorded: staff at %v, unread %v, contact %v", conv.LastStaffAt, conv.Unread, ct.LastTeamInteractionAt)
			}
			var m switchboard.Message
			decodeBody(t, resp, &m)
			if m.Status != switchboard.DeliverySent || m.ID != msgs[0].ID {
				t.Errorf("answer %+v", m)
			}
			if m.Text != "" && !strings.Contains(conv.SearchText, strings.ToLower(m.Text)) {
				t.Errorf("search text %q lacks the message", conv.SearchText)
			}
		})
	}
}

func TestSendWithoutSender(t *testing.T) {
	hs := newHarness(t, func(c *Config) { c.Senders = nil })
	token := inboxScene(hs, switchboard.RoleCSAgent)
	hs.inbox.addConversation(followedConv("c1", "me"))
	resp := hs.call("POST", "/v1/conversations/c1/messages", token, `{"text":"x"}`)
	if _, msg := errorOf(t, resp); resp.StatusCode != 503 || msg != "sending on line channels is not available" {
		t.Errorf("%d %q", resp.StatusCode, msg)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
