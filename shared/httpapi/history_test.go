package httpapi

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// TestConversationHistory walks a conversation through the actions of the
// inbox and reads its status record back, in SHOPLINE's wording with the
// members' names (001:L4638-L4700).
func TestConversationHistory(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleSupervisor)
	c := pendingConv("c1", 40)
	c.ContactID = "c1"
	hs.inbox.addConversation(c)
	steps := []struct{ method, path, body string }{
		{"POST", "/v1/conversations/c1/follow", ""},
		{"POST", "/v1/conversations/c1/collaborators", `{"memberIds":["m-target","m-other"]}`},
		{"POST", "/v1/conversations/c1/transfer", `{"to":"m-target"}`},
		{"POST", "/v1/conversations/c1/takeover", ""},
		{"DELETE", "/v1/conversations/c1/collaborators/m-other", ""},
		{"POST", "/v1/conversations/c1/close", ""},
		{"POST", "/v1/conversations/c1/reopen", ""},
	}
	for _, s := range steps {
		if resp := hs.call(s.method, s.path, token, s.body); resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", s.method, s.path, resp.StatusCode, resp.Body)
		}
	}
	// The conversation shows the system messages of the changes of people,
	// with the names of the moment; close and reopen show none.
	msgs, _, err := hs.messages.ListMessagesNewestFirst(context.Background(), teamA, "c1", "", 50)
	must(t, err)
	var texts []string
	for _, m := range slices.Backward(msgs) {
		if m.Direction != switchboard.System || m.Kind != switchboard.MsgText || m.SenderMemberID != "me" || !m.CreatedAt.Equal(testNow) {
			t.Errorf("message %+v: want a system text by me at %v", m, testNow)
		}
		texts = append(texts, m.Text)
	}
	wantTexts := []string{"Target 與其他 1 人加入了協作對話。", "Target 跟進了對話。", "Me 跟進了對話。", "Other 退出了協作對話。"}
	if !slices.Equal(texts, wantTexts) {
		t.Errorf("system messages %q, want %q", texts, wantTexts)
	}

	// A member deleted since is shown by id.
	hs.mem.mu.Lock()
	delete(hs.mem.members, "m-other")
	hs.mem.mu.Unlock()

	resp := hs.call("GET", "/v1/conversations/c1/history", token, "")
	var got historyList
	decodeBody(t, resp, &got)
	if resp.StatusCode != 200 {
		t.Fatalf("history: %d %s", resp.StatusCode, resp.Body)
	}
	want := []struct {
		kind    switchboard.HistoryKind
		members []string
		text    string
	}{
		{switchboard.HistoryFollowed, nil, "Me 跟進了對話。"},
		{switchboard.HistoryCollaboratorsAdded, []string{"m-target", "m-other"}, "Me 將 Target、m-other 加入了協作對話。"},
		{switchboard.HistoryTransferred, []string{"m-target"}, "Me 將對話轉給了 Target。"},
		{switchboard.HistoryTakenOver, []string{"m-target"}, "Me 接手跟進了 Target 的對話。"},
		{switchboard.HistoryCollaboratorRemoved, []string{"m-other"}, "Me 將 m-other 退出了協作對話。"},
		{switchboard.HistoryClosed, nil, "Me 結束了對話。"},
		{switchboard.HistoryReopened, nil, "Me 重啟了對話。"},
	}
	if len(got.Items) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(got.Items), len(want), got.Items)
	}
	for i, w := range want {
		g := got.Items[i]
		var ids []string
		for _, m := range g.Members {
			ids = append(ids, m.ID)
		}
		if g.Kind != w.kind || !slices.Equal(ids, w.members) || g.Text != w.text || g.ActorID != "me" || g.ActorName != "Me" || !g.At.Equal(testNow) {
			t.Errorf("entry %d = %+v, want %s %v %q by me at %v", i, g, w.kind, w.members, w.text, testNow)
		}
	}
}

// TestConversationHistoryVisibility: the record is as private as the
// conversation, and another team's conversation does not exist.
func TestConversationHistoryVisibility(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleCSAgent)
	hs.inbox.addConversation(followedConv("c1", "m-other"))
	other := followedConv("c2", "m-b")
	other.TeamID = teamB
	hs.inbox.addConversation(other)
	for _, id := range []string{"c1", "c2", "nope"} {
		if resp := hs.call("GET", "/v1/conversations/"+id+"/history", token, ""); resp.StatusCode != 404 {
			t.Errorf("%s: status %d, want 404: %s", id, resp.StatusCode, resp.Body)
		}
	}
	// An empty record is an empty list, not null.
	hs.inbox.addConversation(followedConv("c3", "me"))
	resp := hs.call("GET", "/v1/conversations/c3/history", token, "")
	if resp.StatusCode != 200 || resp.Body != `{"items":[]}` {
		t.Errorf("empty record: %d %s", resp.StatusCode, resp.Body)
	}
}

// TestSystemMessageFailureKeepsTheChange: the change is committed before its
// system message is written, so a failing write is logged and the action
// still succeeds, with the change in the status record.
func TestSystemMessageFailureKeepsTheChange(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleSupervisor)
	hs.inbox.addConversation(followedConv("c1", "me"))
	hs.messages.putMessage = func(context.Context, *switchboard.Message) error { return errors.New("dynamodb is down") }
	resp := hs.call("POST", "/v1/conversations/c1/collaborators", token, `{"memberIds":["m-target"]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("add: %d %s", resp.StatusCode, resp.Body)
	}
	c := hs.inbox.conversation(teamA, "c1")
	if got := c.HistorySince(0); len(got) != 1 || got[0].Kind != switchboard.HistoryCollaboratorsAdded {
		t.Errorf("history = %+v, want the addition", got)
	}
	if !strings.Contains(hs.logs.String(), "system message not added to the conversation") || !strings.Contains(hs.logs.String(), "dynamodb is down") {
		t.Errorf("logs = %s, want the failure", hs.logs.String())
	}
}

// TestBulkSystemMessagesListMembersOnce: a bulk transfer posts a system
// message on each conversation, reading the team's member names once for
// the whole request.
func TestBulkSystemMessagesListMembersOnce(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleSupervisor)
	ids := []string{"b1", "b2", "b3"}
	for _, id := range ids {
		hs.inbox.addConversation(followedConv(id, "m-other"))
	}
	var lists atomic.Int32
	list := hs.members.listMembers
	hs.members.listMembers = func(ctx context.Context, teamID string) ([]*switchboard.Member, error) {
		lists.Add(1)
		return list(ctx, teamID)
	}
	var out bulkOutcome
	decodeBody(t, hs.call("POST", "/v1/conversations/bulk", token, `{"action":"transfer","to":"m-target","ids":["b1","b2","b3"]}`), &out)
	if out.Succeeded != 3 {
		t.Fatalf("bulk transfer: %+v", out)
	}
	for _, id := range ids {
		msgs := hs.inbox.messagesOf(teamA, id)
		if len(msgs) != 1 || msgs[0].Direction != switchboard.System || msgs[0].Text != "Target 跟進了對話。" {
			t.Errorf("%s: messages %+v, want the one system message", id, msgs)
		}
	}
	if got, want := lists.Load(), int32(1); got != want {
		t.Errorf("ListMembers called %d times, want %d", got, want)
	}
}
