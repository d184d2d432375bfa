package httpapi

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestMembersCRUD(t *testing.T) {
	hs := newHarness(t)
	sup := hs.roleToken(teamA, switchboard.RoleSupervisor)

	resp := hs.call("POST", "/v1/members", sup, `{"name":"Bo","email":"bo@example.com","role":"cs_agent",
		"workingHours":[{"weekday":1,"start":"09:00","end":"18:00"}]}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, resp.Body)
	}
	var m switchboard.Member
	decodeBody(t, resp, &m)
	want := switchboard.Member{
		ID: "id-001", TeamID: teamA, Name: "Bo", Email: "bo@example.com", Role: switchboard.RoleCSAgent,
		Status: switchboard.MemberOffline, Active: true,
		WorkingHours: []switchboard.WorkingHours{{Weekday: time.Monday, Start: "09:00", End: "18:00"}},
		CreatedAt:    testNow, UpdatedAt: testNow,
	}
	if !memberEqual(m, want) {
		t.Errorf("created = %+v\nwant      %+v", m, want)
	}
	if s := hs.mem.members["id-001"]; s == nil || !memberEqual(*s, want) {
		t.Errorf("stored = %+v", s)
	}

	resp = hs.call("PATCH", "/v1/members/id-001", sup, `{"role":"sales_manager","branchId":"taipei-101","workingHours":[]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("patch: %d %s", resp.StatusCode, resp.Body)
	}
	var patched switchboard.Member
	decodeBody(t, resp, &patched)
	if patched.Role != switchboard.RoleSalesManager || patched.BranchID != "taipei-101" || len(patched.WorkingHours) != 0 || patched.Name != "Bo" || patched.Version != 1 {
		t.Errorf("patched = %+v", patched)
	}
	if s := hs.mem.members["id-001"]; len(s.WorkingHours) != 0 || s.Role != switchboard.RoleSalesManager {
		t.Errorf("stored after patch = %+v", s)
	}

	resp = hs.call("GET", "/v1/members/id-001", sup, "")
	decodeBody(t, resp, &m)
	if resp.StatusCode != 200 || m.Role != switchboard.RoleSalesManager {
		t.Errorf("get: %d %+v", resp.StatusCode, m)
	}

	var lst list[switchboard.Member]
	decodeBody(t, hs.call("GET", "/v1/members", sup, ""), &lst)
	if len(lst.Items) != 1 || lst.Items[0].ID != "id-001" {
		t.Errorf("list = %+v", lst.Items)
	}

	resp = hs.call("DELETE", "/v1/members/id-001", sup, "")
	if resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, resp.Body)
	}
	if resp = hs.call("GET", "/v1/members/id-001", sup, ""); resp.StatusCode != 404 {
		t.Errorf("get after delete: %d", resp.StatusCode)
	}
}

func memberEqual(a, b switchboard.Member) bool {
	return a.ID == b.ID && a.TeamID == b.TeamID && a.Name == b.Name && a.Email == b.Email && a.Role == b.Role &&
		a.Status == b.Status && a.Active == b.Active && a.BranchID == b.BranchID && slices.Equal(a.WorkingHours, b.WorkingHours) &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) && a.Version == b.Version
}

func TestListsAreNeverNull(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	hs.members.listMembers = func(context.Context, string) ([]*switchboard.Member, error) { return nil, nil }
	hs.channels.listChannels = func(context.Context, string) ([]*switchboard.Channel, error) { return nil, nil }
	hs.tokens.listTokens = func(context.Context, string) ([]*switchboard.Token, error) { return nil, nil }
	for _, path := range []string{"/v1/members", "/v1/channels", "/v1/tokens"} {
		resp := hs.call("GET", path, admin, "")
		if resp.StatusCode != 200 || resp.Body != `{"items":[]}` {
			t.Errorf("GET %s = %d %s, want 200 {\"items\":[]}", path, resp.StatusCode, resp.Body)
		}
	}
}

func TestMemberValidation(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		wantMsg string
	}{
		{name: "no name", method: "POST", path: "/v1/members", body: `{"role":"cs_agent"}`, wantMsg: "member name must be 1 to 100 characters"},
		{name: "bad email", method: "POST", path: "/v1/members", body: `{"name":"A","email":"nope","role":"cs_agent"}`, wantMsg: `email "nope" is not an e-mail address`},
		{name: "bad role", method: "POST", path: "/v1/members", body: `{"name":"A","role":"king"}`, wantMsg: `role "king" is not one of admin, supervisor, cs_manager, cs_agent, sales_manager, salesperson, marketer, marketing_cs`},
		{name: "sales without branch", method: "POST", path: "/v1/members", body: `{"name":"A","role":"salesperson"}`, wantMsg: "a salesperson must belong to a branch"},
		{name: "bad status", method: "POST", path: "/v1/members", body: `{"name":"A","role":"cs_agent","status":"busy"}`, wantMsg: "status must be online, away or offline"},
		{name: "bad hours", method: "POST", path: "/v1/members", body: `{"name":"A","role":"cs_agent","workingHours":[{"weekday":1,"start":"18:00","end":"09:00"}]}`, wantMsg: "working hours must be HH:MM with start before end"},
		{name: "bad weekday", method: "POST", path: "/v1/members", body: `{"name":"A","role":"cs_agent","workingHours":[{"weekday":7,"start":"09:00","end":"10:00"}]}`, wantMsg: "weekday must be 0 (Sunday) to 6"},
		{name: "weekday as string", method: "POST", path: "/v1/members", body: `{"name":"A","role":"cs_agent","workingHours":[{"weekday":"mon","start":"09:00","end":"10:00"}]}`, wantMsg: `field "workingHours.weekday" must be a number, not string`},
		{name: "patch status refused", method: "PATCH", path: "/v1/members/m-1", body: `{"status":"online"}`, wantMsg: `unknown field "status"`},
		{name: "patch to sales without branch", method: "PATCH", path: "/v1/members/m-1", body: `{"role":"sales_manager"}`, wantMsg: "a sales_manager must belong to a branch"},
		{name: "patch empty name", method: "PATCH", path: "/v1/members/m-1", body: `{"name":""}`, wantMsg: "member name must be 1 to 100 characters"},
		{name: "status value", method: "PUT", path: "/v1/members/m-1/status", body: `{"status":"asleep"}`, wantMsg: "status must be online, away or offline"},
		{name: "status missing", method: "PUT", path: "/v1/members/m-1/status", body: `{}`, wantMsg: "status must be online, away or offline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			admin := hs.roleToken(teamA, switchboard.RoleAdmin)
			hs.addMember(switchboard.Member{ID: "m-1", TeamID: teamA, Name: "M", Role: switchboard.RoleCSAgent, Active: true})
			before := *hs.mem.members["m-1"]
			resp := hs.call(tt.method, tt.path, admin, tt.body)
			if resp.StatusCode != 400 {
				t.Fatalf("status %d, want 400: %s", resp.StatusCode, resp.Body)
			}
			if _, msg := errorOf(t, resp); msg != tt.wantMsg {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
			if after := hs.mem.members["m-1"]; !memberEqual(*after, before) || len(hs.mem.members) != 1 {
				t.Errorf("a refused request changed members: %+v", hs.mem.members)
			}
		})
	}
}

func TestMemberStatus(t *testing.T) {
	tests := []struct {
		name       string
		role       switchboard.Role
		self       bool // the token belongs to the member whose status is set
		target     string
		wantStatus int
	}{
		{name: "agent sets own status", role: switchboard.RoleCSAgent, self: true, target: "m-agent", wantStatus: 200},
		{name: "agent cannot set another's", role: switchboard.RoleCSAgent, self: true, target: "m-other", wantStatus: 403},
		{name: "unbound agent token cannot", role: switchboard.RoleCSAgent, target: "m-agent", wantStatus: 403},
		{name: "marketer sets own status", role: switchboard.RoleMarketer, self: true, target: "m-agent", wantStatus: 200},
		{name: "supervisor sets another's", role: switchboard.RoleSupervisor, target: "m-other", wantStatus: 200},
		{name: "admin sets another's", role: switchboard.RoleAdmin, target: "m-other", wantStatus: 200},
		{name: "cs manager cannot set another's", role: switchboard.RoleCSManager, target: "m-other", wantStatus: 403},
		{name: "admin, unknown member", role: switchboard.RoleAdmin, target: "m-none", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			hs.addMember(switchboard.Member{ID: "m-agent", TeamID: teamA, Name: "Agent", Role: tt.role, Active: true})
			hs.addMember(switchboard.Member{ID: "m-other", TeamID: teamA, Name: "Other", Role: switchboard.RoleCSAgent, Active: true})
			tok := switchboard.Token{ID: "tok-1", TeamID: teamA, Name: "t", Role: tt.role}
			if tt.self {
				tok.MemberID = "m-agent"
			}
			secret := hs.addToken(tok)
			resp := hs.call("PUT", "/v1/members/"+tt.target+"/status", secret, `{"status":"online"}`)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			for id, m := range hs.mem.members {
				wantOnline := tt.wantStatus == 200 && id == tt.target
				if got := m.Status == switchboard.MemberOnline; got != wantOnline {
					t.Errorf("member %s online = %v, want %v", id, got, wantOnline)
				}
			}
			if tt.wantStatus == 200 {
				var m switchboard.Member
				decodeBody(t, resp, &m)
				if m.Status != switchboard.MemberOnline || !m.UpdatedAt.Equal(testNow) {
					t.Errorf("response member = %+v", m)
				}
			}
		})
	}
}

func TestSupervisorAndAdmins(t *testing.T) {
	tests := []struct {
		name       string
		role       switchboard.Role
		method     string
		path       string
		body       string
		wantStatus int
	}{
		{name: "supervisor cannot create an admin", role: switchboard.RoleSupervisor, method: "POST", path: "/v1/members", body: `{"name":"X","role":"admin"}`, wantStatus: 403},
		{name: "admin creates an admin", role: switchboard.RoleAdmin, method: "POST", path: "/v1/members", body: `{"name":"X","role":"admin"}`, wantStatus: 201},
		{name: "supervisor cannot promote to admin", role: switchboard.RoleSupervisor, method: "PATCH", path: "/v1/members/m-agent", body: `{"role":"admin"}`, wantStatus: 403},
		{name: "supervisor cannot edit an admin", role: switchboard.RoleSupervisor, method: "PATCH", path: "/v1/members/m-admin", body: `{"name":"Renamed"}`, wantStatus: 403},
		{name: "supervisor cannot demote an admin", role: switchboard.RoleSupervisor, method: "PATCH", path: "/v1/members/m-admin", body: `{"role":"cs_agent"}`, wantStatus: 403},
		{name: "supervisor cannot delete an admin", role: switchboard.RoleSupervisor, method: "DELETE", path: "/v1/members/m-admin", wantStatus: 403},
		{name: "supervisor edits an agent", role: switchboard.RoleSupervisor, method: "PATCH", path: "/v1/members/m-agent", body: `{"role":"supervisor"}`, wantStatus: 200},
		{name: "supervisor deletes an agent", role: switchboard.RoleSupervisor, method: "DELETE", path: "/v1/members/m-agent", wantStatus: 204},
		{name: "supervisor sets an admin's status", role: switchboard.RoleSupervisor, method: "PUT", path: "/v1/members/m-admin/status", body: `{"status":"away"}`, wantStatus: 200},
		{name: "admin demotes an admin", role: switchboard.RoleAdmin, method: "PATCH", path: "/v1/members/m-admin", body: `{"role":"cs_agent"}`, wantStatus: 200},
		{name: "admin deletes an admin", role: switchboard.RoleAdmin, method: "DELETE", path: "/v1/members/m-admin", wantStatus: 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			hs.addMember(switchboard.Member{ID: "m-admin", TeamID: teamA, Name: "Admin", Role: switchboard.RoleAdmin, Active: true})
			hs.addMember(switchboard.Member{ID: "m-agent", TeamID: teamA, Name: "Agent", Role: switchboard.RoleCSAgent, Active: true})
			before := map[string]switchboard.Member{}
			for id, m := range hs.mem.members {
				before[id] = *m
			}
			secret := hs.roleToken(teamA, tt.role)
			resp := hs.call(tt.method, tt.path, secret, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantStatus == 403 {
				if _, msg := errorOf(t, resp); msg != "role supervisor may not create, change or delete admin members" {
					t.Errorf("message = %q", msg)
				}
				if len(hs.mem.members) != len(before) {
					t.Errorf("members changed after 403")
				}
				for id, m := range hs.mem.members {
					if !memberEqual(*m, before[id]) {
						t.Errorf("member %s changed after 403: %+v", id, m)
					}
				}
			}
		})
	}
}

func TestDeleteMemberRemovesItsTokens(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	hs.addMember(switchboard.Member{ID: "m-1", TeamID: teamA, Name: "A", Role: switchboard.RoleCSAgent, Active: true})
	hs.addMember(switchboard.Member{ID: "m-2", TeamID: teamA, Name: "B", Role: switchboard.RoleCSAgent, Active: true})
	m1 := hs.addToken(switchboard.Token{ID: "tok-m1", TeamID: teamA, Name: "a", Role: switchboard.RoleCSAgent, MemberID: "m-1"})
	hs.addToken(switchboard.Token{ID: "tok-m2", TeamID: teamA, Name: "b", Role: switchboard.RoleCSAgent, MemberID: "m-2"})
	// Same member id in another team must be left alone.
	hs.addToken(switchboard.Token{ID: "tok-b-m1", TeamID: teamB, Name: "b", Role: switchboard.RoleCSAgent, MemberID: "m-1"})

	if resp := hs.call("DELETE", "/v1/members/m-1", admin, ""); resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, resp.Body)
	}
	var ids []string
	for id := range hs.mem.tokens {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if want := []string{"tok-b-m1", "tok-m2", "tok-team-a-admin"}; !slices.Equal(ids, want) {
		t.Errorf("tokens left = %v, want %v", ids, want)
	}
	if resp := hs.call("GET", "/v1/team", m1, ""); resp.StatusCode != 401 {
		t.Errorf("deleted member's token: status %d, want 401", resp.StatusCode)
	}
}

func TestDeleteMemberTokenCleanupFailureStillDeletes(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	hs.addMember(switchboard.Member{ID: "m-1", TeamID: teamA, Name: "A", Role: switchboard.RoleCSAgent, Active: true})
	calls := 0
	hs.tokens.listTokens = func(context.Context, string) ([]*switchboard.Token, error) {
		calls++
		return nil, errors.New("throttled")
	}
	resp := hs.call("DELETE", "/v1/members/m-1", admin, "")
	if resp.StatusCode != 204 {
		t.Fatalf("status %d, want 204: %s", resp.StatusCode, resp.Body)
	}
	if calls != 1 {
		t.Errorf("ListTokens called %d times, want 1", calls)
	}
	if !containsAll(hs.logs.String(), `"level":"WARN"`, "throttled", `"memberId":"m-1"`) {
		t.Errorf("cleanup failure not logged: %s", hs.logs.String())
	}
}
