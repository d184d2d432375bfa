package httpapi

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestCreateTeam(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantMsg    string
		wantTeam   switchboard.Team
		wantToken  string // the first token's name
	}{
		{
			name: "defaults", body: `{"name":"Acme"}`, wantStatus: 201,
			wantTeam:  switchboard.Team{ID: "id-001", Name: "Acme", TimeZone: "Asia/Taipei", CreatedAt: testNow, UpdatedAt: testNow},
			wantToken: "admin",
		},
		{
			name: "time zone and token name", body: `{"name":"Acme JP","timeZone":"Asia/Tokyo","tokenName":"bootstrap"}`, wantStatus: 201,
			wantTeam:  switchboard.Team{ID: "id-001", Name: "Acme JP", TimeZone: "Asia/Tokyo", CreatedAt: testNow, UpdatedAt: testNow},
			wantToken: "bootstrap",
		},
		{name: "no name", body: `{}`, wantStatus: 400, wantMsg: "team name must be 1 to 100 characters"},
		{name: "bad zone", body: `{"name":"A","timeZone":"Mars/Olympus"}`, wantStatus: 400, wantMsg: `unknown time zone "Mars/Olympus"`},
		{name: "long token name", body: `{"name":"A","tokenName":"` + strings.Repeat("t", 101) + `"}`, wantStatus: 400, wantMsg: "token name must be 1 to 100 characters"},
		{name: "unknown field", body: `{"name":"A","owner":"x"}`, wantStatus: 400, wantMsg: `unknown field "owner"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			var stored *switchboard.Token
			create := hs.tokens.createToken
			hs.tokens.createToken = func(ctx context.Context, tok *switchboard.Token) error {
				cp := *tok
				stored = &cp
				return create(ctx, tok)
			}
			ev := req("POST", "/v1/teams", adminKey, tt.body)
			resp := hs.do(ev)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantStatus != 201 {
				if _, msg := errorOf(t, resp); msg != tt.wantMsg {
					t.Errorf("message = %q, want %q", msg, tt.wantMsg)
				}
				if len(hs.mem.writes) != 0 {
					t.Errorf("writes after a refused create: %v", hs.mem.writes)
				}
				return
			}
			var out struct {
				Team  switchboard.Team `json:"team"`
				Token struct {
					tokenView
					Secret string `json:"secret"`
				} `json:"token"`
			}
			decodeBody(t, resp, &out)
			if out.Team != tt.wantTeam {
				t.Errorf("team = %+v, want %+v", out.Team, tt.wantTeam)
			}
			if got := hs.mem.teams["id-001"]; got == nil || *got != tt.wantTeam {
				t.Errorf("stored team = %+v", got)
			}
			if !strings.HasPrefix(out.Token.Secret, switchboard.TokenPrefix) || len(out.Token.Secret) != 47 {
				t.Errorf("secret = %q, want sbt_ and 43 characters", out.Token.Secret)
			}
			if out.Token.ID != "id-002" || out.Token.TeamID != "id-001" || out.Token.Role != switchboard.RoleAdmin || out.Token.Name != tt.wantToken {
				t.Errorf("token = %+v", out.Token.tokenView)
			}
			if stored == nil || stored.Hash != switchboard.HashToken(out.Token.Secret) || stored.TeamID != "id-001" || stored.Role != switchboard.RoleAdmin {
				t.Fatalf("stored token = %+v, want the hash of the returned secret", stored)
			}
			// The new secret works against the new team.
			resp = hs.call("GET", "/v1/team", out.Token.Secret, "")
			var team switchboard.Team
			decodeBody(t, resp, &team)
			if resp.StatusCode != 200 || team.ID != "id-001" {
				t.Errorf("GET /v1/team with the new token: %d %s", resp.StatusCode, resp.Body)
			}
		})
	}
}

func TestCreateTeamStoreFailure(t *testing.T) {
	hs := newHarness(t)
	hs.teams.createTeam = func(context.Context, *switchboard.Team) error {
		return errors.New("ConditionalCheckFailed on table prod-switchboard")
	}
	resp := hs.call("POST", "/v1/teams", adminKey, `{"name":"Acme"}`)
	if resp.StatusCode != 500 {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	if code, msg := errorOf(t, resp); code != "internal" || msg != "internal error" {
		t.Errorf("error = %s %q", code, msg)
	}
	for _, w := range hs.mem.writes {
		if w.op == "CreateToken" {
			t.Errorf("token created although the team was not")
		}
	}
}

func TestGetAndPatchTeam(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantMsg    string
		wantName   string
		wantZone   string
	}{
		{name: "rename", body: `{"name":"New name"}`, wantStatus: 200, wantName: "New name", wantZone: "Asia/Taipei"},
		{name: "zone", body: `{"timeZone":"Europe/Paris"}`, wantStatus: 200, wantName: "Team team-a", wantZone: "Europe/Paris"},
		{name: "empty patch", body: `{}`, wantStatus: 200, wantName: "Team team-a", wantZone: "Asia/Taipei"},
		{name: "bad zone", body: `{"timeZone":"Nowhere/Land"}`, wantStatus: 400, wantMsg: `unknown time zone "Nowhere/Land"`},
		{name: "too long", body: `{"name":"` + strings.Repeat("n", 101) + `"}`, wantStatus: 400, wantMsg: "team name must be 1 to 100 characters"},
		{name: "id is not patchable", body: `{"id":"team-b"}`, wantStatus: 400, wantMsg: `unknown field "id"`},
		{name: "name null keeps name", body: `{"name":null}`, wantStatus: 200, wantName: "Team team-a", wantZone: "Asia/Taipei"},
		{name: "wrong type", body: `{"name":7}`, wantStatus: 400, wantMsg: `field "name" must be a string, not number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			admin := hs.roleToken(teamA, switchboard.RoleAdmin)
			resp := hs.call("PATCH", "/v1/team", admin, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantStatus != 200 {
				if _, msg := errorOf(t, resp); msg != tt.wantMsg {
					t.Errorf("message = %q, want %q", msg, tt.wantMsg)
				}
				return
			}
			var got switchboard.Team
			decodeBody(t, hs.call("GET", "/v1/team", admin, ""), &got)
			if got.ID != teamA || got.Name != tt.wantName || got.TimeZone != tt.wantZone || got.Version != 2 {
				t.Errorf("team = %+v, want %s name %q zone %q version 2", got, teamA, tt.wantName, tt.wantZone)
			}
			if b := hs.mem.teams[teamB]; b.Name != "Team team-b" || b.Version != 1 {
				t.Errorf("team B changed: %+v", b)
			}
		})
	}
}
