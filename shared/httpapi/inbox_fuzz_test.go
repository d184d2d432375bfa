package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/autotag"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// FuzzInboxBodies decodes arbitrary bodies into every request type of the
// inbox and rule routes and applies what decodes: only EInvalid may come
// out, and nothing may panic.
func FuzzInboxBodies(f *testing.F) {
	f.Add([]byte(`{"attributes":{"age":{"type":"number","value":1e400},"d":{"type":"date","value":null}}}`))
	f.Add([]byte(`{"nativeName":null,"phone":"+886 912"}`))
	f.Add([]byte(`{"action":"transfer","ids":["a","a"],"to":"m"}`))
	f.Add([]byte(`{"kind":"image","mediaUrl":"https://x/%zz","text":""}`))
	f.Add([]byte(`{"groupId":"g","channelIds":["c"],"mode":"exact","keywords":[""],"reply":{"kind":"none"}}`))
	f.Add([]byte(`{"enabled":{"c":null},"name":""}`))
	f.Add([]byte(`{"enabled":true,"tags":[{"name":"abc","keywords":["\u0000"]}]}`))
	f.Add([]byte(`{"tags":["a\u0000b"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(what string, err error) {
			if err != nil && switchboard.ErrorCode(err) != switchboard.EInvalid {
				t.Fatalf("%s: code %q for %q: %v", what, switchboard.ErrorCode(err), body, err)
			}
		}
		for _, v := range []any{&bulkInput{}, &transferInput{}, &collaboratorsInput{}, &tagsInput{}, &replyInput{}, &replyPatch{},
			&groupInput{}, &groupPatch{}, &assignInput{}, &assignPatch{}, &autotag.Config{}} {
			check("decode", decodeJSON(body, v))
		}
		var p contactPatch
		if decodeJSON(body, &p) == nil {
			ct := &switchboard.Contact{ChannelKind: switchboard.KindWhatsApp, Attributes: map[string]switchboard.AttributeValue{"x": {Type: "text", Value: "y"}}}
			check("contact patch", p.apply(ct))
		}
		var s sendInput
		if decodeJSON(body, &s) == nil {
			_, err := s.outbound()
			check("send", err)
		}
		var ts tagsInput
		if decodeJSON(body, &ts) == nil {
			for _, tag := range ts.Tags {
				check("tag", switchboard.ValidTagName(tag))
			}
		}
	})
}

// FuzzInboxHandle throws arbitrary requests at the inbox and rule routes of
// a populated team, as members of different roles: the answer is never a
// 5xx, always well-formed, and never touches team B.
func FuzzInboxHandle(f *testing.F) {
	f.Add("POST", "conversations/c1/follow", "", "", uint8(0))
	f.Add("GET", "conversations", "view=mine&unread=true&waitingMinutes=30&tag=vip", "", uint8(1))
	f.Add("GET", "conversations/search", "q=%E5%90%8D&cursor=3.", "", uint8(2))
	f.Add("POST", "conversations/bulk", "", `{"action":"blacklist","ids":["c1","cb"]}`, uint8(3))
	f.Add("POST", "conversations/c2/messages", "", `{"text":"hi"}`, uint8(0))
	f.Add("DELETE", "conversations/c2/collaborators/m-target", "", "", uint8(1))
	f.Add("PATCH", "contacts/c1", "", `{"attributes":{"a":{"type":"boolean","value":false}}}`, uint8(2))
	f.Add("DELETE", "contacts/c1/tags/vip", "", "", uint8(3))
	f.Add("PATCH", "rules/groups/grp-1", "", `{"enabled":{"ch-1":null}}`, uint8(3))
	f.Add("PUT", "rules/autotag", "", `{"enabled":true,"tags":[]}`, uint8(2))
	f.Add("GET", "conversations/cb", "", "", uint8(3))
	f.Fuzz(func(t *testing.T, method, path, query, body string, who uint8) {
		hs := newHarness(t)
		hs.logs.Reset()
		roles := []switchboard.Role{switchboard.RoleCSAgent, switchboard.RoleSalesperson, switchboard.RoleMarketer, switchboard.RoleAdmin}
		token := inboxScene(hs, roles[int(who)%len(roles)])
		hs.inbox.addConversation(pendingConv("c1", 40))
		hs.inbox.addContact(testContact("c2", teamA, branch2))
		hs.inbox.addConversation(followedConv("c2", "me", "m-target"))
		hs.inbox.addContact(testContact("cb", teamB, branch1))
		hs.inbox.addConversation(switchboard.Conversation{ID: "cb", TeamID: teamB, Status: switchboard.StatusPending})
		seedRules(t, hs, teamA, "ch-1")
		seedRules(t, hs, teamB, "ch-b")
		before := hs.inbox.snapshotTeam(teamB)

		ev := req(method, "/v1/"+path, token, body)
		ev.RawQueryString = query
		resp, err := hs.h.Handle(context.Background(), ev)
		if err != nil {
			t.Fatalf("Handle error: %v", err)
		}
		if resp.StatusCode < 200 || resp.StatusCode >= 500 {
			t.Fatalf("status %d for %s %q ?%q: %s", resp.StatusCode, method, path, query, resp.Body)
		}
		if strings.HasPrefix(resp.Headers["content-type"], "application/json") && !json.Valid([]byte(resp.Body)) {
			t.Fatalf("invalid JSON body: %q", resp.Body)
		}
		if w := hs.mem.writesTo(teamB); len(w) != 0 {
			t.Fatalf("writes to team B: %v", w)
		}
		if hs.inbox.snapshotTeam(teamB) != before {
			t.Fatalf("team B changed")
		}
	})
}
