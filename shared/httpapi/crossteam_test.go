package httpapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// TestCrossTeamIsolation uses an admin token of team A against every route,
// addressing team B's channel, member and token ids. Every such request must
// answer 404, no store write may be addressed to team B, and team B's records
// must be exactly as before.
func TestCrossTeamIsolation(t *testing.T) {
	hs := newHarness(t)
	adminA := hs.roleToken(teamA, switchboard.RoleAdmin)
	hs.addChannel(testChannel("ch-a", teamA))
	hs.addMember(switchboard.Member{ID: "m-a", TeamID: teamA, Name: "A", Role: switchboard.RoleCSAgent, Active: true})

	hs.addChannel(testChannel("ch-b", teamB))
	hs.addMember(switchboard.Member{ID: "m-b", TeamID: teamB, Name: "B", Role: switchboard.RoleCSAgent, Active: true})
	hs.roleToken(teamB, switchboard.RoleAdmin)
	hs.addToken(switchboard.Token{ID: "tok-b", TeamID: teamB, Name: "b", Role: switchboard.RoleCSAgent, MemberID: "m-b"})
	// The inbox: a conversation (and contact) and rules in each team.
	for _, id := range []string{"conv-a", "conv-b"} {
		team := teamA
		if id == "conv-b" {
			team = teamB
		}
		ct := testContact(id, team, "")
		ct.ChannelID = "ch-" + id[len(id)-1:]
		hs.inbox.addContact(ct)
		c := pendingConv(id, 5)
		c.TeamID, c.ChannelID = team, ct.ChannelID
		hs.inbox.addConversation(c)
	}
	seedRules(t, hs, teamA, "ch-a")
	seedRulesWith(t, hs, teamB, "ch-b", "rule-b", "rule-b", "rule-b")
	// A bot in each team.
	hs.bots.add(teamA, "bot-a")
	hs.bots.add(teamB, "bot-b")
	// A site key in each team.
	hs.auto.addSiteKey(switchboard.SiteKey{ID: "sk-a", TeamID: teamA, Name: "A", Kind: switchboard.SiteKeyBrowser, Hash: "h-sk-a"})
	hs.auto.addSiteKey(switchboard.SiteKey{ID: "sk-b", TeamID: teamB, Name: "B", Kind: switchboard.SiteKeyServer, Hash: "h-sk-b"})
	autoBefore := hs.auto.snapshotTeam(teamB)
	botsBefore := hs.bots.snapshotTeam(teamB)
	before := snapshot(t, hs.mem, teamB)
	inboxBefore := hs.inbox.snapshotTeam(teamB)

	// A valid body per route, so a request is refused for the id, not the body.
	bodies := map[string]string{
		"PATCH /v1/team":                        `{"name":"Renamed A"}`,
		"POST /v1/channels":                     `{"kind":"line","name":"new"}`,
		"PATCH /v1/channels/{id}":               `{"name":"hijacked","secrets":{"signingSecret":"x"}}`,
		"POST /v1/members":                      `{"name":"new","role":"cs_agent"}`,
		"PATCH /v1/members/{id}":                `{"name":"hijacked","role":"admin"}`,
		"PUT /v1/members/{id}/status":           `{"status":"online"}`,
		"PUT /v1/channels/{id}/common-messages": `{"offline":{"enabled":true,"text":"hijacked"}}`,
		"POST /v1/tokens":                       `{"name":"new","role":"cs_agent"}`,

		"POST /v1/conversations/bulk":               `{"action":"delete","ids":["conv-a"]}`,
		"POST /v1/conversations/{id}/messages":      `{"text":"x"}`,
		"POST /v1/conversations/{id}/transfer":      `{"to":"m-a"}`,
		"POST /v1/conversations/{id}/collaborators": `{"memberIds":["m-a"]}`,
		"PATCH /v1/contacts/{id}":                   `{"note":"x"}`,
		"POST /v1/contacts/{id}/tags":               `{"tags":["x"]}`,
		"POST /v1/rules/replies":                    `{"groupId":"grp-1","channelIds":["ch-a"],"mode":"exact","keywords":["a"],"reply":{"kind":"text","text":"b"}}`,
		"PATCH /v1/rules/replies/{id}":              `{"paused":true}`,
		"POST /v1/rules/groups":                     `{"name":"G","enabled":{"ch-a":true}}`,
		"PATCH /v1/rules/groups/{id}":               `{"name":"hijacked"}`,
		"POST /v1/rules/assign":                     `{"groupId":"grp-1","channelIds":["ch-a"],"mode":"exact","keywords":["a"],"target":"role","role":"cs_agent","order":"random"}`,
		"PATCH /v1/rules/assign/{id}":               `{"paused":true}`,
		"PUT /v1/rules/autotag":                     `{"enabled":true,"tags":[{"name":"vip","keywords":["VIP"]}]}`,
		"POST /v1/bots":                             `{"name":"B","channelKinds":["line"],"modules":[{"id":"m","cards":[{"type":"text","text":"t"}]}]}`,
		"PUT /v1/bots/{id}":                         `{"name":"hijacked","channelKinds":["line"],"modules":[{"id":"m","cards":[{"type":"text","text":"t"}]}]}`,
		"PUT /v1/settings/automation":               `{"workingHours":true}`,
		"PUT /v1/cart/configs/{channelId}":          `{"enabled":true,"messages":[{"enabled":true,"delay":{"hours":1},"botModuleId":"m"}]}`,
		"PUT /v1/cart/active-channel":               `{"channelId":""}`,
		"PUT /v1/cart/popup":                        `{"maxDisplaysPerDay":2,"showAfterNthAddToCart":1}`,
		"PUT /v1/payment-reminder":                  `{"enabled":true,"daysAfter":2,"hour":14,"message":"Please pay","button":"Pay"}`,
		"POST /v1/site-keys":                        `{"name":"Shop","kind":"browser"}`,
	}
	period := "from=2026-11-01&to=2026-11-02"
	queries := map[string]string{"GET /v1/conversations/search": "q=amy",
		"GET /v1/cart/configs/{channelId}/stats": period, "GET /v1/cart/configs/{channelId}/orders": period}
	idOfB := map[string]string{"channels": "ch-b", "members": "m-b", "tokens": "tok-b", "conversations": "conv-b", "contacts": "conv-b", "rules": "rule-b", "bots": "bot-b", "site-keys": "sk-b"}
	bIDs := []string{"ch-b", "m-b", "tok-b", "tok-team-b-admin", "conv-b", "rule-b", "bot-b", "sk-b"}

	for _, r := range hs.h.routes {
		if r.auth != authToken {
			continue
		}
		key := r.method + " " + r.pattern
		t.Run(key, func(t *testing.T) {
			path := r.pattern
			if strings.Contains(path, "{id}") {
				collection := strings.Split(path, "/")[2]
				id, ok := idOfB[collection]
				if !ok {
					t.Fatalf("no team-B id for %s: extend this test", key)
				}
				path = strings.Replace(path, "{id}", id, 1)
			}
			// Channel-scoped routes name team B's channel.
			path = strings.Replace(path, "{channelId}", "ch-b", 1)
			ev := req(r.method, path, adminA, bodies[key])
			ev.RawQueryString = queries[key]
			resp := hs.do(ev)
			if strings.Contains(r.pattern, "{id}") || strings.Contains(r.pattern, "{channelId}") {
				if resp.StatusCode != 404 {
					t.Errorf("status %d, want 404: %s", resp.StatusCode, resp.Body)
				}
				return
			}
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				t.Errorf("status %d, want 2xx: %s", resp.StatusCode, resp.Body)
			}
			for _, id := range bIDs {
				if strings.Contains(resp.Body, `"`+id+`"`) || strings.Contains(resp.Body, teamB) {
					t.Errorf("response shows team B's %s: %s", id, resp.Body)
				}
			}
		})
	}

	// A body naming team B's member is refused the same way.
	resp := hs.call("POST", "/v1/tokens", adminA, `{"name":"x","memberId":"m-b"}`)
	if resp.StatusCode != 404 {
		t.Errorf("POST /v1/tokens with team B's member: status %d, want 404", resp.StatusCode)
	}

	if w := hs.mem.writesTo(teamB); len(w) != 0 {
		t.Errorf("writes addressed to team B: %v", w)
	}
	if after := snapshot(t, hs.mem, teamB); after != before {
		t.Errorf("team B changed:\nbefore %s\nafter  %s", before, after)
	}
	if after := hs.inbox.snapshotTeam(teamB); after != inboxBefore {
		t.Errorf("team B's inbox changed:\nbefore %s\nafter  %s", inboxBefore, after)
	}
	if after := hs.auto.snapshotTeam(teamB); after != autoBefore {
		t.Errorf("team B's automations changed:\nbefore %s\nafter  %s", autoBefore, after)
	}
	if after := hs.bots.snapshotTeam(teamB); after != botsBefore {
		t.Errorf("team B's bots changed:\nbefore %s\nafter  %s", botsBefore, after)
	}
	// The routes did run for team A, so the checks above are not vacuous.
	if len(hs.mem.writesTo(teamA)) == 0 {
		t.Errorf("no writes for team A at all")
	}
}

// snapshot serialises every record of teamID, secrets and hashes included.
func snapshot(t *testing.T, m *memStore, teamID string) string {
	t.Helper()
	type chanWithSecrets struct {
		*switchboard.Channel
		Secrets switchboard.ChannelSecrets
	}
	type tokWithHash struct {
		*switchboard.Token
		Hash string
	}
	var s struct {
		Team     *switchboard.Team
		Channels map[string]chanWithSecrets
		Members  map[string]*switchboard.Member
		Tokens   map[string]tokWithHash
	}
	s.Team = m.teams[teamID]
	s.Channels = map[string]chanWithSecrets{}
	s.Members = map[string]*switchboard.Member{}
	s.Tokens = map[string]tokWithHash{}
	for id, c := range m.channels {
		if c.TeamID == teamID {
			s.Channels[id] = chanWithSecrets{c, c.Secrets}
		}
	}
	for id, x := range m.members {
		if x.TeamID == teamID {
			s.Members[id] = x
		}
	}
	for id, x := range m.tokens {
		if x.TeamID == teamID {
			s.Tokens[id] = tokWithHash{x, x.Hash}
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
