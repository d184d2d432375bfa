package httpapi

import (
	"slices"
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
