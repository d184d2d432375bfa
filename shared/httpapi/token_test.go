package httpapi

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestCreateToken(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantMsg    string
		want       switchboard.Token // Hash is checked separately
	}{
		{
			name: "plain", body: `{"name":"CI","role":"marketer"}`, wantStatus: 201,
			want: switchboard.Token{ID: "id-001", TeamID: teamA, Name: "CI", Role: switchboard.RoleMarketer, CreatedAt: testNow},
		},
		{
			name: "allowlist and expiry", body: `{"name":"ERP","role":"cs_manager","allowedIps":["203.0.113.7","2001:db8::/32"],"expiresAt":"2027-01-01T08:00:00+08:00"}`, wantStatus: 201,
			want: switchboard.Token{ID: "id-001", TeamID: teamA, Name: "ERP", Role: switchboard.RoleCSManager, AllowedIPs: []string{"203.0.113.7", "2001:db8::/32"}, CreatedAt: testNow, ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		},
		{
			name: "member's token takes the member's role", body: `{"name":"Ann's","memberId":"m-1"}`, wantStatus: 201,
			want: switchboard.Token{ID: "id-001", TeamID: teamA, Name: "Ann's", Role: switchboard.RoleCSAgent, MemberID: "m-1", CreatedAt: testNow},
		},
		{
			name: "member's token with the member's role", body: `{"name":"Ann's","memberId":"m-1","role":"cs_agent"}`, wantStatus: 201,
			want: switchboard.Token{ID: "id-001", TeamID: teamA, Name: "Ann's", Role: switchboard.RoleCSAgent, MemberID: "m-1", CreatedAt: testNow},
		},
		{name: "member's token with another role", body: `{"name":"x","memberId":"m-1","role":"admin"}`, wantStatus: 400, wantMsg: "role must be the member's role (cs_agent) or omitted"},
		{name: "member of another team", body: `{"name":"x","memberId":"m-b"}`, wantStatus: 404, wantMsg: `memberId "m-b" names no member of this team`},
		{name: "no role", body: `{"name":"x"}`, wantStatus: 400, wantMsg: `role "" is not a known role`},
		{name: "no name", body: `{"role":"admin"}`, wantStatus: 400, wantMsg: "token name must be 1 to 100 characters"},
		{name: "bad ip", body: `{"name":"x","role":"admin","allowedIps":["10.0.0.300"]}`, wantStatus: 400, wantMsg: `allowedIps entry "10.0.0.300" is not an IP address or CIDR prefix`},
		{name: "bad cidr", body: `{"name":"x","role":"admin","allowedIps":["10.0.0.0/33"]}`, wantStatus: 400, wantMsg: `allowedIps entry "10.0.0.0/33" is not an IP address or CIDR prefix`},
		{name: "bad expiry", body: `{"name":"x","role":"admin","expiresAt":"tomorrow"}`, wantStatus: 400, wantMsg: "expiresAt must be an RFC 3339 time such as 2030-01-31T00:00:00Z"},
		{name: "expiry now", body: `{"name":"x","role":"admin","expiresAt":"2026-03-14T09:26:53Z"}`, wantStatus: 400, wantMsg: "expiresAt must be in the future"},
		{name: "hash not accepted", body: `{"name":"x","role":"admin","hash":"00"}`, wantStatus: 400, wantMsg: `unknown field "hash"`},
		{name: "team not accepted", body: `{"name":"x","role":"admin","teamId":"team-b"}`, wantStatus: 400, wantMsg: `unknown field "teamId"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			admin := hs.roleToken(teamA, switchboard.RoleAdmin)
			hs.addMember(switchboard.Member{ID: "m-1", TeamID: teamA, Name: "Ann", Role: switchboard.RoleCSAgent, Active: true})
			hs.addMember(switchboard.Member{ID: "m-b", TeamID: teamB, Name: "Bob", Role: switchboard.RoleCSAgent, Active: true})
			var given []switchboard.Token
			hs.tokens.createToken = func(_ context.Context, tok *switchboard.Token) error {
				given = append(given, *tok)
				return nil
			}
			resp := hs.call("POST", "/v1/tokens", admin, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantStatus != 201 {
				if _, msg := errorOf(t, resp); msg != tt.wantMsg {
					t.Errorf("message = %q, want %q", msg, tt.wantMsg)
				}
				if len(given) != 0 {
					t.Errorf("CreateToken called after a refusal: %+v", given)
				}
				return
			}
			var out struct {
				tokenView
				Secret string `json:"secret"`
			}
			decodeBody(t, resp, &out)
			if !strings.HasPrefix(out.Secret, switchboard.TokenPrefix) || len(out.Secret) != 47 {
				t.Fatalf("secret = %q, want sbt_ and 43 characters", out.Secret)
			}
			if len(given) != 1 {
				t.Fatalf("CreateToken called %d times", len(given))
			}
			got := given[0]
			if got.Hash != switchboard.HashToken(out.Secret) {
				t.Errorf("stored hash = %q, want the hash of the returned secret", got.Hash)
			}
			// Nothing the store received holds the plaintext.
			raw, _ := json.Marshal(got)
			if strings.Contains(string(raw), out.Secret) || strings.Contains(got.Name+got.ID+strings.Join(got.AllowedIPs, ""), out.Secret) {
				t.Errorf("store received the plaintext: %+v", got)
			}
			want := tt.want
			want.Hash = got.Hash
			if !tokenEqual(got, want) {
				t.Errorf("stored = %+v\nwant     %+v", got, want)
			}
			if out.ID != want.ID || out.Role != want.Role || out.MemberID != want.MemberID || out.TeamID != teamA {
				t.Errorf("response = %+v", out.tokenView)
			}
			if strings.Contains(resp.Body, got.Hash) {
				t.Errorf("response holds the hash")
			}
		})
	}
}

func tokenEqual(a, b switchboard.Token) bool {
	ia, ib := a.AllowedIPs, b.AllowedIPs
	a.AllowedIPs, b.AllowedIPs = nil, nil
	return a.ID == b.ID && a.TeamID == b.TeamID && a.Name == b.Name && a.Role == b.Role && a.MemberID == b.MemberID &&
		a.Hash == b.Hash && a.CreatedAt.Equal(b.CreatedAt) && a.ExpiresAt.Equal(b.ExpiresAt) && slices.Equal(ia, ib)
}

func TestTokenSecretShownOnce(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	resp := hs.call("POST", "/v1/tokens", admin, `{"name":"CI","role":"cs_agent"}`)
	var created struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	decodeBody(t, resp, &created)
	if created.Secret == "" {
		t.Fatalf("no secret in %s", resp.Body)
	}
	// The new token works...
	if r := hs.call("GET", "/v1/team", created.Secret, ""); r.StatusCode != 200 {
		t.Errorf("new token: status %d", r.StatusCode)
	}
	// ...and no later response shows its secret or any hash.
	lst := hs.call("GET", "/v1/tokens", admin, "")
	for _, body := range []string{lst.Body, hs.logs.String()} {
		if strings.Contains(body, created.Secret) {
			t.Errorf("secret shown again: %s", body)
		}
		for _, tok := range hs.mem.tokens {
			if strings.Contains(body, tok.Hash) {
				t.Errorf("hash of %s shown: %s", tok.ID, body)
			}
		}
	}
	var items list[map[string]any]
	decodeBody(t, lst, &items)
	if len(items.Items) != 2 {
		t.Fatalf("items = %v", items.Items)
	}
	for _, it := range items.Items {
		for _, k := range []string{"secret", "hash", "Hash"} {
			if _, ok := it[k]; ok {
				t.Errorf("list item has %q: %v", k, it)
			}
		}
	}
}

func TestTokenList(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	hs.addToken(switchboard.Token{ID: "tok-x", TeamID: teamA, Name: "x", Role: switchboard.RoleMarketer, AllowedIPs: []string{"10.0.0.0/8"}, ExpiresAt: testNow.Add(time.Hour)})
	hs.roleToken(teamB, switchboard.RoleAdmin)
	resp := hs.call("GET", "/v1/tokens", admin, "")
	var got list[tokenView]
	decodeBody(t, resp, &got)
	exp := testNow.Add(time.Hour)
	want := []tokenView{
		{ID: "tok-team-a-admin", TeamID: teamA, Name: "admin", Role: switchboard.RoleAdmin, AllowedIPs: []string{}, CreatedAt: testNow},
		{ID: "tok-x", TeamID: teamA, Name: "x", Role: switchboard.RoleMarketer, AllowedIPs: []string{"10.0.0.0/8"}, CreatedAt: testNow, ExpiresAt: &exp},
	}
	if len(got.Items) != len(want) {
		t.Fatalf("items = %+v", got.Items)
	}
	for i := range want {
		g, w := got.Items[i], want[i]
		if g.ID != w.ID || g.TeamID != w.TeamID || g.Name != w.Name || g.Role != w.Role || !slices.Equal(g.AllowedIPs, w.AllowedIPs) ||
			!g.CreatedAt.Equal(w.CreatedAt) || (g.ExpiresAt == nil) != (w.ExpiresAt == nil) || (g.ExpiresAt != nil && !g.ExpiresAt.Equal(*w.ExpiresAt)) {
			t.Errorf("item %d = %+v, want %+v", i, g, w)
		}
	}
	if !strings.Contains(resp.Body, `"allowedIps":[]`) {
		t.Errorf("an empty allowlist should be [] not absent: %s", resp.Body)
	}
}

func TestDeleteToken(t *testing.T) {
	tests := []struct {
		name       string
		extra      []switchboard.Token
		target     string
		wantStatus int
		wantMsg    string
	}{
		{name: "another token", extra: []switchboard.Token{{ID: "tok-x", TeamID: teamA, Name: "x", Role: switchboard.RoleMarketer}}, target: "tok-x", wantStatus: 204},
		{name: "own token with another admin left", extra: []switchboard.Token{{ID: "tok-2", TeamID: teamA, Name: "x", Role: switchboard.RoleAdmin}}, target: "tok-team-a-admin", wantStatus: 204},
		{name: "last admin token", target: "tok-team-a-admin", wantStatus: 409, wantMsg: "this is the team's last admin token; create another admin token before deleting it"},
		{name: "only other admin is expired", extra: []switchboard.Token{{ID: "tok-2", TeamID: teamA, Name: "x", Role: switchboard.RoleAdmin, ExpiresAt: testNow}}, target: "tok-team-a-admin", wantStatus: 409, wantMsg: "this is the team's last admin token; create another admin token before deleting it"},
		{name: "only other admin is a member's", extra: []switchboard.Token{{ID: "tok-2", TeamID: teamA, Name: "x", Role: switchboard.RoleAdmin, MemberID: "m-1"}}, target: "tok-team-a-admin", wantStatus: 409, wantMsg: "this is the team's last admin token; create another admin token before deleting it"},
		{name: "unknown", target: "tok-none", wantStatus: 404, wantMsg: "token not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			hs.addMember(switchboard.Member{ID: "m-1", TeamID: teamA, Name: "A", Role: switchboard.RoleAdmin, Active: true})
			admin := hs.roleToken(teamA, switchboard.RoleAdmin)
			for _, x := range tt.extra {
				hs.addToken(x)
			}
			n := len(hs.mem.tokens)
			resp := hs.call("DELETE", "/v1/tokens/"+tt.target, admin, "")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantStatus != 204 {
				if _, msg := errorOf(t, resp); msg != tt.wantMsg {
					t.Errorf("message = %q, want %q", msg, tt.wantMsg)
				}
				if len(hs.mem.tokens) != n {
					t.Errorf("tokens changed after a refusal")
				}
				return
			}
			if _, ok := hs.mem.tokens[tt.target]; ok || len(hs.mem.tokens) != n-1 {
				t.Errorf("tokens after delete: %v", hs.mem.tokens)
			}
		})
	}
}
