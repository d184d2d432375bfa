package httpapi

import (
	"maps"
	"strings"
	"testing"
)

func TestRouting(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, "admin")
	hs.addChannel(testChannel("ch-1", teamA))

	tests := []struct {
		name       string
		method     string
		path       string
		stage      string
		wantStatus int
		wantCode   string
		wantAllow  string
	}{
		{name: "unknown path", method: "GET", path: "/v1/nope", wantStatus: 404, wantCode: "not_found"},
		{name: "outside /v1", method: "GET", path: "/webhooks/line/x", wantStatus: 404, wantCode: "not_found"},
		{name: "root", method: "GET", path: "/", wantStatus: 404, wantCode: "not_found"},
		{name: "relative path", method: "GET", path: "v1/team", wantStatus: 404, wantCode: "not_found"},
		{name: "too deep", method: "GET", path: "/v1/channels/ch-1/extra", wantStatus: 404, wantCode: "not_found"},
		{name: "empty id", method: "GET", path: "/v1/channels//", wantStatus: 404, wantCode: "not_found"},
		{name: "bad escape in id", method: "GET", path: "/v1/channels/%zz", wantStatus: 404, wantCode: "not_found"},
		{name: "over-long id", method: "GET", path: "/v1/channels/" + longID(), wantStatus: 404, wantCode: "not_found"},
		{name: "escaped slash in id", method: "GET", path: "/v1/channels/a%2Fb", wantStatus: 404, wantCode: "not_found"},
		{name: "wrong method on collection", method: "DELETE", path: "/v1/channels", wantStatus: 405, wantCode: "method_not_allowed", wantAllow: "GET, POST"},
		{name: "wrong method on item", method: "POST", path: "/v1/channels/ch-1", wantStatus: 405, wantCode: "method_not_allowed", wantAllow: "DELETE, GET, PATCH"},
		{name: "wrong method on status", method: "GET", path: "/v1/members/m-1/status", wantStatus: 405, wantCode: "method_not_allowed", wantAllow: "PUT"},
		{name: "wrong method on teams", method: "GET", path: "/v1/teams", wantStatus: 405, wantCode: "method_not_allowed", wantAllow: "POST"},
		{name: "405 needs no token", method: "PUT", path: "/v1/team", wantStatus: 405, wantCode: "method_not_allowed", wantAllow: "GET, PATCH"},
		{name: "match", method: "GET", path: "/v1/channels/ch-1", wantStatus: 200},
		{name: "lower-case method", method: "get", path: "/v1/channels/ch-1", wantStatus: 200},
		{name: "trailing slash forgiven", method: "GET", path: "/v1/channels/", wantStatus: 200},
		{name: "named stage stripped", method: "GET", path: "/prod/v1/team", stage: "prod", wantStatus: 200},
		{name: "other stage not stripped", method: "GET", path: "/prod/v1/team", stage: "dev", wantStatus: 404, wantCode: "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := req(tt.method, tt.path, admin, "")
			if tt.stage != "" {
				ev.RequestContext.Stage = tt.stage
			}
			resp := hs.do(ev)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantCode != "" {
				if code, _ := errorOf(t, resp); code != tt.wantCode {
					t.Errorf("code = %q, want %q", code, tt.wantCode)
				}
			}
			if got := resp.Headers["allow"]; got != tt.wantAllow {
				t.Errorf("allow = %q, want %q", got, tt.wantAllow)
			}
			if got := resp.Headers["x-request-id"]; got != ev.RequestContext.RequestID {
				t.Errorf("x-request-id = %q, want %q", got, ev.RequestContext.RequestID)
			}
		})
	}
}

func longID() string { return strings.Repeat("a", maxParamLen+1) }

func TestMatchParams(t *testing.T) {
	hs := newHarness(t)
	tests := []struct {
		method, path string
		wantRoute    string
		wantParams   map[string]string
	}{
		{"GET", "/v1/channels/01HZ", "GET /v1/channels/{id}", map[string]string{"id": "01HZ"}},
		{"PUT", "/v1/members/m%20x/status", "PUT /v1/members/{id}/status", map[string]string{"id": "m x"}},
		{"POST", "/v1/teams", "POST /v1/teams", nil},
		{"DELETE", "/v1/tokens/t1", "DELETE /v1/tokens/{id}", map[string]string{"id": "t1"}},
	}
	for _, tt := range tests {
		m := hs.h.match(tt.method, tt.path)
		if m.route == nil {
			t.Errorf("%s %s: no route", tt.method, tt.path)
			continue
		}
		if got := m.route.method + " " + m.route.pattern; got != tt.wantRoute {
			t.Errorf("%s %s: route %q, want %q", tt.method, tt.path, got, tt.wantRoute)
		}
		if !maps.Equal(m.params, tt.wantParams) {
			t.Errorf("%s %s: params %v, want %v", tt.method, tt.path, m.params, tt.wantParams)
		}
	}
}

func TestRoutesAreUnique(t *testing.T) {
	hs := newHarness(t)
	seen := map[string]bool{}
	for _, r := range hs.h.Routes() {
		if seen[r] {
			t.Errorf("route %s listed twice", r)
		}
		seen[r] = true
	}
	if got, want := len(seen), 73; got != want {
		t.Errorf("%d routes, want %d", got, want)
	}
}
