package httpapi

import (
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// TestRolePermissions calls every token-authenticated route with a token of
// every role and checks who is let through, from an explicit list per route
// rather than from Role.Can, so a change to the rules has to change this too.
func TestRolePermissions(t *testing.T) {
	all := switchboard.Roles
	admin := []switchboard.Role{switchboard.RoleAdmin}
	adminSup := []switchboard.Role{switchboard.RoleAdmin, switchboard.RoleSupervisor}
	// Rules are edited by the roles SPEC §2 gives channel common messages.
	ruleEditors := []switchboard.Role{switchboard.RoleAdmin, switchboard.RoleSupervisor, switchboard.RoleCSManager, switchboard.RoleMarketer}
	tests := []struct {
		route   string // "METHOD /pattern" as in the route table
		path    string
		body    string
		allowed []switchboard.Role
		wantMsg string // message of the 403
	}{
		{"GET /v1/team", "/v1/team", "", all, ""},
		{"PATCH /v1/team", "/v1/team", `{"name":"N"}`, admin, "may not change the team"},
		{"GET /v1/channels", "/v1/channels", "", all, ""},
		{"POST /v1/channels", "/v1/channels", `{"kind":"line","name":"N"}`, admin, "may not create channels"},
		{"GET /v1/channels/{id}", "/v1/channels/ch-1", "", all, ""},
		{"PATCH /v1/channels/{id}", "/v1/channels/ch-1", `{"name":"N"}`, admin, "may not change channels"},
		{"DELETE /v1/channels/{id}", "/v1/channels/ch-1", "", admin, "may not delete channels"},
		{"PUT /v1/channels/{id}/common-messages", "/v1/channels/ch-1/common-messages", `{"welcome":{"enabled":true,"text":"Hi"}}`, ruleEditors, "may not change common messages"},
		{"GET /v1/members", "/v1/members", "", all, ""},
		{"POST /v1/members", "/v1/members", `{"name":"N","role":"cs_agent"}`, adminSup, "may not create members"},
		{"GET /v1/members/{id}", "/v1/members/m-1", "", all, ""},
		{"PATCH /v1/members/{id}", "/v1/members/m-1", `{"name":"N"}`, adminSup, "may not change members"},
		{"DELETE /v1/members/{id}", "/v1/members/m-1", "", adminSup, "may not delete members"},
		{"PUT /v1/members/{id}/status", "/v1/members/m-1/status", `{"status":"away"}`, adminSup, "may set only its own member's status"},
		{"GET /v1/tokens", "/v1/tokens", "", admin, "may not read tokens"},
		{"POST /v1/tokens", "/v1/tokens", `{"name":"N","role":"cs_agent"}`, admin, "may not create tokens"},
		{"DELETE /v1/tokens/{id}", "/v1/tokens/tok-x", "", admin, "may not delete tokens"},
		{"GET /v1/rules/replies", "/v1/rules/replies", "", all, ""},
		{"POST /v1/rules/replies", "/v1/rules/replies", `{"groupId":"grp-1","channelIds":["ch-1"],"mode":"contains_any","keywords":["price"],"reply":{"kind":"text","text":"hi"}}`, ruleEditors, "may not change rules"},
		{"PATCH /v1/rules/replies/{id}", "/v1/rules/replies/rule-1", `{"paused":true}`, ruleEditors, "may not change rules"},
		{"DELETE /v1/rules/replies/{id}", "/v1/rules/replies/rule-1", "", ruleEditors, "may not change rules"},
		{"GET /v1/rules/groups", "/v1/rules/groups", "", all, ""},
		{"POST /v1/rules/groups", "/v1/rules/groups", `{"name":"G","enabled":{"ch-1":true}}`, ruleEditors, "may not change rules"},
		{"PATCH /v1/rules/groups/{id}", "/v1/rules/groups/grp-1", `{"enabled":{"ch-1":false}}`, ruleEditors, "may not change rules"},
		{"DELETE /v1/rules/groups/{id}", "/v1/rules/groups/grp-1", "", ruleEditors, "may not change rules"},
		{"GET /v1/rules/assign", "/v1/rules/assign", "", all, ""},
		{"POST /v1/rules/assign", "/v1/rules/assign", `{"groupId":"grp-1","channelIds":["ch-1"],"mode":"exact","keywords":["agent"],"target":"role","role":"cs_agent","order":"random"}`, ruleEditors, "may not change rules"},
		{"PATCH /v1/rules/assign/{id}", "/v1/rules/assign/asg-1", `{"paused":true}`, ruleEditors, "may not change rules"},
		{"DELETE /v1/rules/assign/{id}", "/v1/rules/assign/asg-1", "", ruleEditors, "may not change rules"},
		{"GET /v1/rules/autotag", "/v1/rules/autotag", "", all, ""},
		{"PUT /v1/rules/autotag", "/v1/rules/autotag", `{"enabled":true,"tags":[{"name":"vip","keywords":["VIP"]}]}`, ruleEditors, "may not change rules"},
		{"GET /v1/settings/automation", "/v1/settings/automation", "", all, ""},
		{"PUT /v1/settings/automation", "/v1/settings/automation", `{"workingHours":true,"autoEnd":{"enabled":true,"afterMinutes":30}}`, ruleEditors, "may not change automation settings"},
		{"GET /v1/cart/configs", "/v1/cart/configs", "", all, ""},
		{"PUT /v1/cart/configs/{channelId}", "/v1/cart/configs/ch-1", `{"enabled":true,"messages":[{"enabled":true,"delay":{"hours":1},"botModuleId":"m"}]}`, ruleEditors, "may not change cart remarketing"},
		{"GET /v1/cart/configs/{channelId}/stats", "/v1/cart/configs/ch-1/stats?from=2026-11-01&to=2026-11-02", "", ruleEditors, "may not read cart statistics"},
		{"GET /v1/cart/configs/{channelId}/orders", "/v1/cart/configs/ch-1/orders?from=2026-11-01&to=2026-11-02", "", ruleEditors, "may not export cart orders"},
		{"PUT /v1/cart/active-channel", "/v1/cart/active-channel", `{"channelId":""}`, ruleEditors, "may not change cart remarketing"},
		{"GET /v1/cart/popup", "/v1/cart/popup", "", all, ""},
		{"PUT /v1/cart/popup", "/v1/cart/popup", `{"maxDisplaysPerDay":2,"showAfterNthAddToCart":1}`, ruleEditors, "may not change cart remarketing"},
		{"GET /v1/payment-reminder", "/v1/payment-reminder", "", all, ""},
		{"PUT /v1/payment-reminder", "/v1/payment-reminder", `{"enabled":true,"daysAfter":2,"hour":14,"message":"Please pay","button":"Pay"}`, ruleEditors, "may not change the payment reminder"},
		{"GET /v1/site-keys", "/v1/site-keys", "", admin, "may not read site keys"},
		{"POST /v1/site-keys", "/v1/site-keys", `{"name":"Shop","kind":"browser"}`, admin, "may not create site keys"},
		{"DELETE /v1/site-keys/{id}", "/v1/site-keys/sk-1", "", admin, "may not delete site keys"},
	}

	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.route] = true
		for _, role := range switchboard.Roles {
			t.Run(tt.route+" as "+string(role), func(t *testing.T) {
				hs := newHarness(t)
				hs.addChannel(testChannel("ch-1", teamA))
				hs.addMember(switchboard.Member{ID: "m-1", TeamID: teamA, Name: "M", Role: switchboard.RoleCSAgent, Active: true})
				hs.addToken(switchboard.Token{ID: "tok-x", TeamID: teamA, Name: "x", Role: switchboard.RoleMarketer})
				seedRules(t, hs, teamA, "ch-1")
				hs.auto.addSiteKey(switchboard.SiteKey{ID: "sk-1", TeamID: teamA, Name: "Shop", Kind: switchboard.SiteKeyBrowser, Hash: "h-sk-1"})
				secret := hs.roleToken(teamA, role)
				method, _, _ := strings.Cut(tt.route, " ")
				resp := hs.callQ(method, tt.path, secret, tt.body)
				if slices.Contains(tt.allowed, role) {
					if resp.StatusCode < 200 || resp.StatusCode > 299 {
						t.Errorf("status %d, want 2xx: %s", resp.StatusCode, resp.Body)
					}
					return
				}
				if resp.StatusCode != 403 {
					t.Fatalf("status %d, want 403: %s", resp.StatusCode, resp.Body)
				}
				if _, msg := errorOf(t, resp); msg != "role "+string(role)+" "+tt.wantMsg {
					t.Errorf("message = %q, want %q", msg, "role "+string(role)+" "+tt.wantMsg)
				}
				if len(hs.mem.writes) != 0 {
					t.Errorf("writes after 403: %v", hs.mem.writes)
				}
			})
		}
	}
	// The inbox routes let every role in and leave the rest to visibility
	// and the state machine; TestInboxRolePermissions covers them per role.
	for _, c := range inboxRoleCases {
		covered[c.route] = true
	}
	// The bot routes need a bot store; TestBotRolePermissions covers them.
	for _, c := range botRoleCases {
		covered[c.route] = true
	}
	hs := newHarness(t)
	for _, r := range hs.h.routes {
		if r.auth == authToken && !covered[r.method+" "+r.pattern] {
			t.Errorf("route %s %s has no permission test", r.method, r.pattern)
		}
	}
}
