package httpapi

import (
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/assign"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// seedRules gives a team group grp-1 on channel, auto-reply rule rule-1 and
// auto-assign rule asg-1, written straight into the fake so no write is
// recorded.
func seedRules(t *testing.T, hs *harness, teamID, channel string) {
	t.Helper()
	seedRulesWith(t, hs, teamID, channel, "grp-1", "rule-1", "asg-1")
}

// seedRulesWith is seedRules with the ids given.
func seedRulesWith(t *testing.T, hs *harness, teamID, channel, groupID, replyID, assignID string) {
	t.Helper()
	rs := &keyword.RuleSet{
		Groups: []keyword.Group{{ID: groupID, Name: "Main", Enabled: map[string]bool{channel: true}}},
		Replies: []keyword.Rule{{
			ID: replyID, GroupID: groupID, ChannelIDs: []string{channel},
			Condition: keyword.Condition{Mode: keyword.ContainsAny, Keywords: []string{"price"}},
			Reply:     keyword.Reply{Kind: keyword.ReplyText, Text: "It is 100."}, CreatedAt: testNow,
		}},
		Assign: []keyword.AssignRule{{
			ID: assignID, GroupID: groupID, ChannelIDs: []string{channel},
			Condition: keyword.Condition{Mode: keyword.Exact, Keywords: []string{"agent"}},
			Target:    keyword.TargetRole, Role: switchboard.RoleCSAgent, Order: assign.Random, CreatedAt: testNow,
		}},
		Version: 3,
	}
	hs.mem.mu.Lock()
	defer hs.mem.mu.Unlock()
	hs.inbox.rules[teamID] = rs
}

func TestRuleValidationMessages(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		wantCode                 int
		wantMsg                  string
	}{
		{"unknown channel", "POST", "/v1/rules/replies", `{"groupId":"grp-1","channelIds":["ch-9"],"mode":"exact","keywords":["a"],"reply":{"kind":"text","text":"b"}}`, 400, `channel "ch-9" does not exist`},
		{"unknown group", "POST", "/v1/rules/replies", `{"groupId":"nope","channelIds":["ch-1"],"mode":"exact","keywords":["a"],"reply":{"kind":"text","text":"b"}}`, 400, `group "nope" does not exist`},
		{"two exact keywords", "POST", "/v1/rules/replies", `{"groupId":"grp-1","channelIds":["ch-1"],"mode":"exact","keywords":["a","b"],"reply":{"kind":"text","text":"b"}}`, 400, "an exact rule takes exactly one keyword, not 2"},
		{"http image", "POST", "/v1/rules/replies", `{"groupId":"grp-1","channelIds":["ch-1"],"mode":"exact","keywords":["a"],"reply":{"kind":"image","imageUrl":"http://x"}}`, 400, "reply image must be an https URL of at most 2000 characters"},
		{"unknown reply field", "POST", "/v1/rules/replies", `{"groupId":"grp-1","channelIds":["ch-1"],"mode":"exact","keywords":["a"],"reply":{"kind":"text","txt":"b"}}`, 400, `unknown field "txt"`},
		{"patch into a bad mode", "PATCH", "/v1/rules/replies/rule-1", `{"mode":"regex"}`, 400, `mode must be contains_any, contains_all, exact or any_content, not "regex"`},
		{"patch a missing rule", "PATCH", "/v1/rules/replies/nope", `{"paused":true}`, 404, "auto-reply rule not found"},
		{"group without channels", "POST", "/v1/rules/groups", `{"name":"G","enabled":{}}`, 400, "a group needs at least one channel"},
		{"group drops a used channel", "PATCH", "/v1/rules/groups/grp-1", `{"enabled":{"ch-1":null,"ch-2":true}}`, 400, `channel "ch-1" is still used by auto-reply rule rule-1 of this group; change the rule first`},
		{"assign to a stranger", "POST", "/v1/rules/assign", `{"groupId":"grp-1","channelIds":["ch-1"],"mode":"exact","keywords":["a"],"target":"member","memberIds":["m-nobody"],"order":"random"}`, 400, `member "m-nobody" does not exist`},
		{"assign any content", "POST", "/v1/rules/assign", `{"groupId":"grp-1","channelIds":["ch-1"],"mode":"any_content","target":"role","role":"cs_agent","order":"random"}`, 400, "auto-assign rules match keywords: use contains_any, contains_all or exact"},
		{"auto-tag name too short", "PUT", "/v1/rules/autotag", `{"enabled":true,"tags":[{"name":"ab","keywords":["x"]}]}`, 400, `tag name "ab" is 2 characters; it must be 3 to 40`},
		{"delete a missing group", "DELETE", "/v1/rules/groups/nope", ``, 404, "rule group not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			token := hs.roleToken(teamA, switchboard.RoleMarketer)
			hs.addChannel(testChannel("ch-1", teamA))
			hs.addChannel(testChannel("ch-2", teamA))
			seedRules(t, hs, teamA, "ch-1")
			resp := hs.call(tt.method, tt.path, token, tt.body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, resp.Body)
			}
			if _, msg := errorOf(t, resp); msg != tt.wantMsg {
				t.Errorf("message %q, want %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestRulesLifecycle(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	hs.addChannel(testChannel("ch-1", teamA))
	hs.addChannel(testChannel("ch-2", teamA))

	var g keyword.Group
	resp := hs.call("POST", "/v1/rules/groups", admin, `{"name":"Stores","enabled":{"ch-1":true,"ch-2":false}}`)
	decodeBody(t, resp, &g)
	if resp.StatusCode != 201 || g.ID == "" || g.EnabledOn("ch-2") {
		t.Fatalf("group: %d %+v", resp.StatusCode, g)
	}
	var r keyword.Rule
	resp = hs.call("POST", "/v1/rules/replies", admin, `{"groupId":"`+g.ID+`","channelIds":["ch-1","ch-2"],"mode":"contains_any","keywords":["Price"],"reply":{"kind":"text","text":"100"},"tags":["asked-price"]}`)
	decodeBody(t, resp, &r)
	if resp.StatusCode != 201 || r.ID == "" || r.CreatedAt.IsZero() {
		t.Fatalf("rule: %d %s", resp.StatusCode, resp.Body)
	}
	// Enable the group on ch-2.
	resp = hs.call("PATCH", "/v1/rules/groups/"+g.ID, admin, `{"enabled":{"ch-2":true}}`)
	decodeBody(t, resp, &g)
	if !g.EnabledOn("ch-1") || !g.EnabledOn("ch-2") {
		t.Errorf("group after enabling ch-2: %+v", g.Enabled)
	}
	// Deleting a channel marks the rule and group invalid (001:L1316).
	if code := hs.call("DELETE", "/v1/channels/ch-2", admin, "").StatusCode; code != 204 {
		t.Fatalf("delete channel: %d", code)
	}
	var list ruleList[keyword.Rule]
	decodeBody(t, hs.call("GET", "/v1/rules/replies", admin, ""), &list)
	if len(list.Items) != 1 || !list.Items[0].Invalid {
		t.Fatalf("after the channel went: %+v", list.Items)
	}
	version := list.Version
	// Saving it again without the channel repairs it.
	resp = hs.call("PATCH", "/v1/rules/groups/"+g.ID, admin, `{"enabled":{"ch-2":null}}`)
	if resp.StatusCode != 400 {
		t.Errorf("dropping ch-2 from the group while the rule uses it: %d", resp.StatusCode)
	}
	resp = hs.call("PATCH", "/v1/rules/replies/"+r.ID, admin, `{"channelIds":["ch-1"]}`)
	r = keyword.Rule{}
	decodeBody(t, resp, &r)
	if resp.StatusCode != 200 || r.Invalid || len(r.ChannelIDs) != 1 {
		t.Fatalf("repair: %d %s", resp.StatusCode, resp.Body)
	}
	resp = hs.call("PATCH", "/v1/rules/groups/"+g.ID, admin, `{"enabled":{"ch-2":null}}`)
	var repaired keyword.Group
	decodeBody(t, resp, &repaired)
	if resp.StatusCode != 200 || repaired.Invalid || len(repaired.Enabled) != 1 {
		t.Errorf("group repair: %d %s", resp.StatusCode, resp.Body)
	}
	decodeBody(t, hs.call("GET", "/v1/rules/replies", admin, ""), &list)
	if list.Version <= version {
		t.Errorf("version %d did not go up from %d", list.Version, version)
	}

	var at autoTagView
	resp = hs.call("PUT", "/v1/rules/autotag", admin, `{"enabled":true,"tags":[{"name":"shipping","keywords":["運費","delivery"]}]}`)
	decodeBody(t, resp, &at)
	if resp.StatusCode != 200 || !at.Enabled || len(at.Tags) != 1 {
		t.Fatalf("auto-tag: %d %s", resp.StatusCode, resp.Body)
	}
	// The auto-tag body may be larger than other bodies: 60 tags of 20
	// Chinese keywords of 40 characters.
	var b strings.Builder
	b.WriteString(`{"enabled":true,"tags":[`)
	for i := range 60 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"name":"標籤` + strings.Repeat("名", 30) + string(rune('A'+i%26)) + string(rune('a'+i/26)) + `","keywords":[`)
		for k := range 20 {
			if k > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"` + strings.Repeat("字", 38) + string(rune('A'+k)) + `"`)
		}
		b.WriteString("]}")
	}
	b.WriteString("]}")
	if b.Len() <= MaxRequestBody {
		t.Fatalf("the big auto-tag body is only %d bytes", b.Len())
	}
	if resp := hs.call("PUT", "/v1/rules/autotag", admin, b.String()); resp.StatusCode != 200 {
		t.Errorf("60 full tags: %d %s", resp.StatusCode, resp.Body)
	}

	// Deleting the group deletes its rules.
	if code := hs.call("DELETE", "/v1/rules/groups/"+g.ID, admin, "").StatusCode; code != 204 {
		t.Fatalf("delete group: %d", code)
	}
	decodeBody(t, hs.call("GET", "/v1/rules/replies", admin, ""), &list)
	if len(list.Items) != 0 {
		t.Errorf("rules survived their group: %+v", list.Items)
	}
}
