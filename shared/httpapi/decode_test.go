package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestDecodeJSON(t *testing.T) {
	type inner struct {
		N int `json:"n"`
	}
	type target struct {
		Name  string   `json:"name"`
		On    *bool    `json:"on"`
		Count int      `json:"count"`
		List  []string `json:"list"`
		In    inner    `json:"in"`
	}
	tests := []struct {
		name    string
		body    string
		wantErr string
		want    target
	}{
		{name: "ok", body: `{"name":"x","count":2,"list":["a"],"in":{"n":1}}`, want: target{Name: "x", Count: 2, List: []string{"a"}, In: inner{N: 1}}},
		{name: "surrounding space", body: " \n{\"name\":\"x\"}\n ", want: target{Name: "x"}},
		{name: "empty", body: "", wantErr: "request body is empty; send a JSON object"},
		{name: "blank", body: "  \n", wantErr: "request body is empty; send a JSON object"},
		{name: "unknown field", body: `{"nmae":"x"}`, wantErr: `unknown field "nmae"`},
		{name: "unknown nested field", body: `{"in":{"m":1}}`, wantErr: `unknown field "m"`},
		{name: "string for number", body: `{"count":"2"}`, wantErr: `field "count" must be a number, not string`},
		{name: "fraction for int", body: `{"count":1.5}`, wantErr: `field "count" must be a number, not number 1.5`},
		{name: "number for bool", body: `{"on":1}`, wantErr: `field "on" must be true or false, not number`},
		{name: "object for list", body: `{"list":{}}`, wantErr: `field "list" must be an array, not object`},
		{name: "nested type", body: `{"in":{"n":"x"}}`, wantErr: `field "in.n" must be a number, not string`},
		{name: "string body", body: `"hello"`, wantErr: "request body must be a JSON object, not string"},
		{name: "syntax", body: `{"name" "x"}`, wantErr: "request body is not valid JSON (at byte 9): invalid character '\"' after object key"},
		{name: "truncated", body: `{"name":"x"`, wantErr: "request body is not valid JSON: it ends early"},
		{name: "trailing object", body: `{}{}`, wantErr: "request body must hold a single JSON object; found more after it"},
		{name: "trailing garbage", body: `{} x`, wantErr: "request body must hold a single JSON object; found more after it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got target
			err := decodeJSON([]byte(tt.body), &got)
			if tt.wantErr != "" {
				if code := switchboard.ErrorCode(err); code != switchboard.EInvalid {
					t.Fatalf("code = %q, want invalid (err %v)", code, err)
				}
				if msg := switchboard.ErrorMessage(err); msg != tt.wantErr {
					t.Errorf("message = %q, want %q", msg, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(tt.want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("got %s, want %s", gotJSON, wantJSON)
			}
		})
	}
}

func TestRequestBodyLimits(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	tests := []struct {
		name       string
		body       string
		b64        bool
		wantStatus int
		wantMsg    string
	}{
		{name: "over 64 KiB", body: `{"name":"` + strings.Repeat("x", MaxRequestBody) + `"}`, wantStatus: 413, wantMsg: "body is 65547 bytes; the limit is 64 KiB"},
		{name: "base64 body decoded", body: base64.StdEncoding.EncodeToString([]byte(`{"name":"From base64"}`)), b64: true, wantStatus: 200},
		{name: "broken base64", body: "%%%", b64: true, wantStatus: 400, wantMsg: "body is flagged as base64 but is not valid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := req("PATCH", "/v1/team", admin, tt.body)
			ev.IsBase64Encoded = tt.b64
			resp := hs.do(ev)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantMsg != "" {
				if _, msg := errorOf(t, resp); msg != tt.wantMsg {
					t.Errorf("message = %q, want %q", msg, tt.wantMsg)
				}
			}
		})
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"name":"x","role":"admin","allowedIps":["10.0.0.1"],"expiresAt":"2030-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"name":"x","workingHours":[{"weekday":1,"start":"09:00","end":"10:00"}]}`))
	f.Add([]byte(`{"secrets":{"signingSecret":""}}`))
	f.Add([]byte(`[1,2`))
	f.Add([]byte(`{"a":1}{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{&tokenCreate{}, &memberCreate{}, &memberPatch{}, &channelCreate{}, &channelPatch{}, &teamPatch{}, &createTeamRequest{}, &statusInput{}} {
			err := decodeJSON(body, v)
			if err != nil && switchboard.ErrorCode(err) != switchboard.EInvalid {
				t.Fatalf("%T: code %q for %q: %v", v, switchboard.ErrorCode(err), body, err)
			}
		}
	})
}

// FuzzHandle throws arbitrary requests at the whole handler: whatever comes in,
// the answer is a well-formed response, never a 5xx, never a secret, and never a
// write to another team.
func FuzzHandle(f *testing.F) {
	f.Add("GET", "/v1/channels/ch-b", `{}`, uint8(1))
	f.Add("PATCH", "/v1/channels/ch-a", `{"name":"x","secrets":{"accessToken":"y"}}`, uint8(1))
	f.Add("POST", "/v1/members", `{"name":"x","role":"admin"}`, uint8(2))
	f.Add("PUT", "/v1/members/m-a/status", `{"status":"online"}`, uint8(3))
	f.Add("POST", "/v1/teams", `{"name":"T"}`, uint8(4))
	f.Add("DELETE", "/v1/tokens/tok-team-a-admin", ``, uint8(1))
	f.Add("GET", "/v1/openapi.yaml", ``, uint8(0))
	f.Fuzz(func(t *testing.T, method, path, body string, who uint8) {
		hs := newHarness(t)
		hs.logs.Reset()
		tokens := []string{
			"",
			hs.roleToken(teamA, switchboard.RoleAdmin),
			hs.roleToken(teamA, switchboard.RoleSupervisor),
			hs.addToken(switchboard.Token{ID: "tok-agent", TeamID: teamA, Name: "a", Role: switchboard.RoleCSAgent, MemberID: "m-a"}),
			adminKey,
		}
		hs.addChannel(testChannel("ch-a", teamA))
		hs.addChannel(testChannel("ch-b", teamB))
		hs.addMember(switchboard.Member{ID: "m-a", TeamID: teamA, Name: "A", Role: switchboard.RoleCSAgent, Active: true})
		hs.addMember(switchboard.Member{ID: "m-b", TeamID: teamB, Name: "B", Role: switchboard.RoleCSAgent, Active: true})
		hs.roleToken(teamB, switchboard.RoleAdmin)
		before := snapshot(t, hs.mem, teamB)

		resp, err := hs.h.Handle(context.Background(), req(method, path, tokens[int(who)%len(tokens)], body))
		if err != nil {
			t.Fatalf("Handle error: %v", err)
		}
		if resp.StatusCode < 200 || resp.StatusCode >= 500 {
			t.Fatalf("status %d for %s %q: %s", resp.StatusCode, method, path, resp.Body)
		}
		if resp.StatusCode != 204 && resp.Headers["content-type"] == "" {
			t.Fatalf("no content-type on %d", resp.StatusCode)
		}
		if strings.HasPrefix(resp.Headers["content-type"], "application/json") && !json.Valid([]byte(resp.Body)) {
			t.Fatalf("invalid JSON body: %q", resp.Body)
		}
		for _, s := range []string{plainSigning, plainAccess, plainVerify} {
			if strings.Contains(resp.Body, s) || strings.Contains(hs.logs.String(), s) {
				t.Fatalf("secret %q leaked", s)
			}
		}
		if w := hs.mem.writesTo(teamB); len(w) != 0 {
			t.Fatalf("writes to team B: %v", w)
		}
		if after := snapshot(t, hs.mem, teamB); after != before {
			t.Fatalf("team B changed")
		}
	})
}
