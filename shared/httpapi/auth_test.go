package httpapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestAuthentication(t *testing.T) {
	hs := newHarness(t)
	valid := hs.roleToken(teamA, switchboard.RoleAdmin)
	expired := hs.addToken(switchboard.Token{ID: "tok-expired", TeamID: teamA, Name: "old", Role: switchboard.RoleAdmin, ExpiresAt: testNow})
	notYet := hs.addToken(switchboard.Token{ID: "tok-later", TeamID: teamA, Name: "later", Role: switchboard.RoleAdmin, ExpiresAt: testNow.Add(time.Second)})
	badRole := hs.addToken(switchboard.Token{ID: "tok-badrole", TeamID: teamA, Name: "x", Role: "overlord"})
	noTeam := hs.addToken(switchboard.Token{ID: "tok-noteam", Name: "x", Role: switchboard.RoleAdmin})

	tests := []struct {
		name       string
		header     string // the whole Authorization header; "" for none
		headerName string
		wantStatus int
		wantMsg    string
	}{
		{name: "no header", wantStatus: 401, wantMsg: "missing bearer token: send Authorization: Bearer <token>"},
		{name: "empty bearer", header: "Bearer ", wantStatus: 401, wantMsg: "missing bearer token: send Authorization: Bearer <token>"},
		{name: "basic scheme", header: "Basic dXNlcjpwYXNz", wantStatus: 401, wantMsg: "missing bearer token: send Authorization: Bearer <token>"},
		{name: "token without scheme", header: valid, wantStatus: 401, wantMsg: "missing bearer token: send Authorization: Bearer <token>"},
		{name: "not a team token", header: "Bearer abc", wantStatus: 401, wantMsg: "invalid token"},
		{name: "unknown token", header: "Bearer sbt_unknown", wantStatus: 401, wantMsg: "invalid token"},
		{name: "over-long token", header: "Bearer sbt_" + strings.Repeat("x", 600), wantStatus: 401, wantMsg: "invalid token"},
		{name: "expired at now", header: "Bearer " + expired, wantStatus: 401, wantMsg: "token expired"},
		{name: "token without team", header: "Bearer " + noTeam, wantStatus: 401, wantMsg: "invalid token"},
		{name: "unknown role", header: "Bearer " + badRole, wantStatus: 403, wantMsg: `the token's role "overlord" is not a known role`},
		{name: "valid", header: "Bearer " + valid, wantStatus: 200},
		{name: "expires in a second", header: "Bearer " + notYet, wantStatus: 200},
		{name: "scheme in any case", header: "bEaReR " + valid, wantStatus: 200},
		{name: "header name in any case", header: "Bearer " + valid, headerName: "Authorization", wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := req("GET", "/v1/team", "", "")
			if tt.header != "" {
				name := tt.headerName
				if name == "" {
					name = "authorization"
				}
				ev.Headers[name] = tt.header
			}
			resp := hs.do(ev)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			wantChallenge := ""
			if tt.wantStatus == 401 {
				wantChallenge = "Bearer"
			}
			if got := resp.Headers["www-authenticate"]; got != wantChallenge {
				t.Errorf("www-authenticate = %q, want %q", got, wantChallenge)
			}
			if tt.wantMsg != "" {
				if _, msg := errorOf(t, resp); msg != tt.wantMsg {
					t.Errorf("message = %q, want %q", msg, tt.wantMsg)
				}
			}
		})
	}
}

func TestAuthenticationLooksUpTheHashOnce(t *testing.T) {
	hs := newHarness(t)
	secret := hs.roleToken(teamA, switchboard.RoleAdmin)
	var hashes []string
	find := hs.tokens.findTokenByHash
	hs.tokens.findTokenByHash = func(ctx context.Context, hash string) (*switchboard.Token, error) {
		hashes = append(hashes, hash)
		return find(ctx, hash)
	}
	if resp := hs.call("GET", "/v1/team", secret, ""); resp.StatusCode != 200 {
		t.Fatalf("status = %d: %s", resp.StatusCode, resp.Body)
	}
	if got, want := strings.Join(hashes, ","), switchboard.HashToken(secret); got != want {
		t.Errorf("looked up %q, want exactly one lookup of %q", got, want)
	}
}

func TestAuthenticationStoreFailure(t *testing.T) {
	hs := newHarness(t)
	hs.tokens.findTokenByHash = func(context.Context, string) (*switchboard.Token, error) {
		return nil, switchboard.Wrap(switchboard.EUnavailable, errors.New("dynamodb throttled at table-xyz"), "storage is unavailable; retry later")
	}
	resp := hs.call("GET", "/v1/team", "sbt_whatever", "")
	if resp.StatusCode != 503 {
		t.Fatalf("status = %d, want 503", resp.StatusCode)
	}
	if strings.Contains(resp.Body, "table-xyz") {
		t.Errorf("body leaks the cause: %s", resp.Body)
	}
	if _, ok := resp.Headers["www-authenticate"]; ok {
		t.Errorf("a 503 must not ask for credentials")
	}
}

func TestIPAllowlist(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		source  string
		want    int
	}{
		{name: "no list allows all", allowed: nil, source: "203.0.113.9", want: 200},
		{name: "ipv4 exact", allowed: []string{"203.0.113.9"}, source: "203.0.113.9", want: 200},
		{name: "ipv4 other", allowed: []string{"203.0.113.9"}, source: "203.0.113.10", want: 403},
		{name: "ipv4 cidr in", allowed: []string{"198.51.100.0/24"}, source: "198.51.100.77", want: 200},
		{name: "ipv4 cidr out", allowed: []string{"198.51.100.0/24"}, source: "198.51.101.1", want: 403},
		{name: "ipv4 cidr with host bits", allowed: []string{"198.51.100.5/24"}, source: "198.51.100.200", want: 200},
		{name: "ipv6 exact", allowed: []string{"2001:db8::1"}, source: "2001:db8::1", want: 200},
		{name: "ipv6 other", allowed: []string{"2001:db8::1"}, source: "2001:db8::2", want: 403},
		{name: "ipv6 cidr in", allowed: []string{"2001:db8:abcd::/48"}, source: "2001:db8:abcd:12::5", want: 200},
		{name: "ipv6 cidr out", allowed: []string{"2001:db8:abcd::/48"}, source: "2001:db8:abce::5", want: 403},
		{name: "ipv4-mapped ipv6 source", allowed: []string{"203.0.113.0/24"}, source: "::ffff:203.0.113.4", want: 200},
		{name: "second entry matches", allowed: []string{"10.0.0.0/8", "2001:db8::/32"}, source: "2001:db8::9", want: 200},
		{name: "ipv4 list, ipv6 source", allowed: []string{"0.0.0.0/0"}, source: "2001:db8::9", want: 403},
		{name: "missing source", allowed: []string{"0.0.0.0/0"}, source: "", want: 403},
		{name: "garbage source", allowed: []string{"0.0.0.0/0"}, source: "not-an-ip", want: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			secret := hs.addToken(switchboard.Token{ID: "tok-ip", TeamID: teamA, Name: "ip", Role: switchboard.RoleAdmin, AllowedIPs: tt.allowed})
			ev := req("GET", "/v1/team", secret, "")
			ev.RequestContext.HTTP.SourceIP = tt.source
			resp := hs.do(ev)
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.want, resp.Body)
			}
			if tt.want == 403 {
				if _, msg := errorOf(t, resp); msg != "address not allowed" {
					t.Errorf("message = %q, want %q", msg, "address not allowed")
				}
			}
		})
	}
}

func TestMemberBoundToken(t *testing.T) {
	tests := []struct {
		name       string
		member     *switchboard.Member
		path       string
		wantStatus int
		wantMsg    string
	}{
		{name: "member's current role applies", member: &switchboard.Member{ID: "m-1", TeamID: teamA, Name: "Ann", Role: switchboard.RoleCSAgent, Active: true}, path: "/v1/tokens", wantStatus: 403, wantMsg: "role cs_agent may not read tokens"},
		{name: "promoted member gains the role", member: &switchboard.Member{ID: "m-1", TeamID: teamA, Name: "Ann", Role: switchboard.RoleAdmin, Active: true}, path: "/v1/tokens", wantStatus: 200},
		{name: "deactivated member", member: &switchboard.Member{ID: "m-1", TeamID: teamA, Name: "Ann", Role: switchboard.RoleAdmin, Active: false}, path: "/v1/team", wantStatus: 403, wantMsg: "the token's member is deactivated"},
		{name: "deleted member", member: nil, path: "/v1/team", wantStatus: 401, wantMsg: "the token's member no longer exists"},
		{name: "member of another team is not found", member: &switchboard.Member{ID: "m-1", TeamID: teamB, Name: "Ann", Role: switchboard.RoleAdmin, Active: true}, path: "/v1/team", wantStatus: 401, wantMsg: "the token's member no longer exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			if tt.member != nil {
				hs.addMember(*tt.member)
			}
			// The token says admin; the member's role must win.
			secret := hs.addToken(switchboard.Token{ID: "tok-m", TeamID: teamA, Name: "ann", Role: switchboard.RoleAdmin, MemberID: "m-1"})
			resp := hs.call("GET", tt.path, secret, "")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantMsg != "" {
				if _, msg := errorOf(t, resp); msg != tt.wantMsg {
					t.Errorf("message = %q, want %q", msg, tt.wantMsg)
				}
			}
		})
	}
}

func TestAdminKey(t *testing.T) {
	body := `{"name":"Acme"}`
	tests := []struct {
		name       string
		hash       string
		header     string
		wantStatus int
		wantMsg    string
	}{
		{name: "right key", hash: switchboard.HashToken(adminKey), header: "Bearer " + adminKey, wantStatus: 201},
		{name: "right key, upper-case hash", hash: strings.ToUpper(switchboard.HashToken(adminKey)), header: "Bearer " + adminKey, wantStatus: 201},
		{name: "wrong key", hash: switchboard.HashToken(adminKey), header: "Bearer " + adminKey + "x", wantStatus: 401, wantMsg: "invalid admin key"},
		{name: "team token is not the admin key", hash: switchboard.HashToken(adminKey), header: "Bearer sbt_test-tok-team-a-admin", wantStatus: 401, wantMsg: "invalid admin key"},
		{name: "no key", hash: switchboard.HashToken(adminKey), wantStatus: 401, wantMsg: "missing bearer token: send the platform admin key as Authorization: Bearer <key>"},
		{name: "disabled", hash: "", header: "Bearer " + adminKey, wantStatus: 403, wantMsg: "team creation is disabled: set the AdminTokenHash parameter"},
		{name: "disabled, no key", hash: "", wantStatus: 403, wantMsg: "team creation is disabled: set the AdminTokenHash parameter"},
		{name: "malformed hash", hash: "not-hex", header: "Bearer " + adminKey, wantStatus: 403, wantMsg: "team creation is disabled: the AdminTokenHash parameter is not a 64-digit hex SHA-256"},
		{name: "short hash", hash: "abcd", header: "Bearer abcd", wantStatus: 403, wantMsg: "team creation is disabled: the AdminTokenHash parameter is not a 64-digit hex SHA-256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, func(c *Config) { c.AdminTokenHash = tt.hash })
			hs.roleToken(teamA, switchboard.RoleAdmin)
			ev := req("POST", "/v1/teams", "", body)
			if tt.header != "" {
				ev.Headers["authorization"] = tt.header
			}
			resp := hs.do(ev)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantMsg != "" {
				if _, msg := errorOf(t, resp); msg != tt.wantMsg {
					t.Errorf("message = %q, want %q", msg, tt.wantMsg)
				}
			}
			created := 0
			for _, w := range hs.mem.writes {
				if w.op == "CreateTeam" {
					created++
				}
			}
			if wantCreated := map[bool]int{true: 1, false: 0}[tt.wantStatus == 201]; created != wantCreated {
				t.Errorf("CreateTeam called %d times, want %d", created, wantCreated)
			}
		})
	}
}

func TestTeamTokenCannotCreateTeams(t *testing.T) {
	hs := newHarness(t)
	secret := hs.roleToken(teamA, switchboard.RoleAdmin)
	resp := hs.call("POST", "/v1/teams", secret, `{"name":"Evil"}`)
	if resp.StatusCode != 401 {
		t.Fatalf("status = %d, want 401", resp.StatusCode)
	}
}

func TestBearer(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer   abc  ", "abc", true},
		{"  Bearer abc", "abc", true},
		{"Bearer", "", false},
		{"Bearer    ", "", false},
		{"Token abc", "", false},
		{"", "", false},
		{"Bearerabc", "", false},
	}
	for _, tt := range tests {
		got, ok := bearer(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("bearer(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}
