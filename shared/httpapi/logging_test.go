package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// accessLines returns the per-request log lines.
func accessLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		if line["msg"] == "request" {
			out = append(out, line)
		}
	}
	return out
}

func TestAccessLog(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		auth       bool
		wantRoute  string
		wantStatus float64
		wantTeam   string
	}{
		{name: "success", method: "GET", path: "/v1/channels/ch-1", auth: true, wantRoute: "GET /v1/channels/{id}", wantStatus: 200, wantTeam: teamA},
		{name: "unauthenticated", method: "GET", path: "/v1/team", wantRoute: "GET /v1/team", wantStatus: 401, wantTeam: ""},
		{name: "unmatched", method: "GET", path: "/v1/zzz", wantRoute: "unmatched", wantStatus: 404, wantTeam: ""},
		{name: "not found", method: "DELETE", path: "/v1/channels/none", auth: true, wantRoute: "DELETE /v1/channels/{id}", wantStatus: 404, wantTeam: teamA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			secret := hs.roleToken(teamA, switchboard.RoleAdmin)
			hs.addChannel(testChannel("ch-1", teamA))
			token := ""
			if tt.auth {
				token = secret
			}
			ev := req(tt.method, tt.path, token, "")
			hs.do(ev)
			lines := accessLines(t, hs.logs.String())
			if len(lines) != 1 {
				t.Fatalf("%d access lines, want 1: %s", len(lines), hs.logs.String())
			}
			l := lines[0]
			if l["requestId"] != ev.RequestContext.RequestID || l["route"] != tt.wantRoute || l["status"] != tt.wantStatus || l["teamId"] != tt.wantTeam || l["method"] != tt.method {
				t.Errorf("access line = %v", l)
			}
			if _, ok := l["durationMs"].(float64); !ok {
				t.Errorf("duration_ms missing: %v", l)
			}
			if strings.Contains(hs.logs.String(), secret) || strings.Contains(hs.logs.String(), "Bearer sbt_") {
				t.Errorf("logs hold the authorization header: %s", hs.logs.String())
			}
		})
	}
}

func TestServerErrorIsLoggedWithCause(t *testing.T) {
	hs := newHarness(t)
	secret := hs.roleToken(teamA, switchboard.RoleAdmin)
	hs.teams.getTeam = func(context.Context, string) (*switchboard.Team, error) {
		return nil, switchboard.Wrap(switchboard.EInternal, errTest("item decode failed: bad attribute"), "internal error")
	}
	resp := hs.call("GET", "/v1/team", secret, "")
	if resp.StatusCode != 500 || strings.Contains(resp.Body, "bad attribute") {
		t.Fatalf("status %d body %s", resp.StatusCode, resp.Body)
	}
	if !containsAll(hs.logs.String(), `"level":"ERROR"`, "bad attribute", `"route":"GET /v1/team"`, `"teamId":"team-a"`, `"requestId":"req-v1-team"`) {
		t.Errorf("error log lacks the cause or context: %s", hs.logs.String())
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestPanicIsAnswered(t *testing.T) {
	hs := newHarness(t)
	secret := hs.roleToken(teamA, switchboard.RoleAdmin)
	hs.channels.listChannels = func(context.Context, string) ([]*switchboard.Channel, error) {
		panic("boom: a bug in a handler or store")
	}
	resp := hs.call("GET", "/v1/channels", secret, "")
	if resp.StatusCode != 500 {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	if code, msg := errorOf(t, resp); code != "internal" || msg != "internal error" {
		t.Errorf("error = %s %q", code, msg)
	}
	if resp.Headers["x-request-id"] == "" || resp.Headers["cache-control"] != "no-store" {
		t.Errorf("headers = %v", resp.Headers)
	}
	if !strings.Contains(hs.logs.String(), "panic") {
		t.Errorf("panic not logged: %s", hs.logs.String())
	}
}

func TestResponseHeaders(t *testing.T) {
	hs := newHarness(t)
	secret := hs.roleToken(teamA, switchboard.RoleAdmin)
	for _, c := range []struct{ method, path, token string }{
		{"GET", "/v1/team", secret},
		{"GET", "/v1/team", ""},
		{"GET", "/v1/openapi.yaml", ""},
		{"POST", "/v1/nothing", ""},
	} {
		ev := req(c.method, c.path, c.token, "")
		resp := hs.do(ev)
		if got := resp.Headers["x-request-id"]; got != ev.RequestContext.RequestID {
			t.Errorf("%s %s: x-request-id = %q, want %q", c.method, c.path, got, ev.RequestContext.RequestID)
		}
		if got := resp.Headers["cache-control"]; got != "no-store" {
			t.Errorf("%s %s: cache-control = %q", c.method, c.path, got)
		}
	}
}
