package httpapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// realAPI is the API over the DynamoDB store on DynamoDB Local, so the
// cross-team guarantee is proven on the keys the deployed system uses, not only
// on the fakes.
type realAPI struct {
	t        *testing.T
	h        *Handler
	adminKey string
}

func newRealAPI(t *testing.T) *realAPI {
	t.Helper()
	cfg := awstest.Config(t)
	ddb := awsclient.DynamoDB(cfg, awstest.Endpoint(t, "SWITCHBOARD_DYNAMODB_ENDPOINT"))
	store := dynamo.New(ddb, awstest.Table(t, ddb))
	key, hash := switchboard.NewTokenSecret()
	h := New(Config{Teams: store, Channels: store, Members: store, Tokens: store,
		Contacts: store, Conversations: store, Messages: store, Rules: store, AdminTokenHash: hash})
	return &realAPI{t: t, h: h, adminKey: key}
}

// do sends a request and decodes the JSON answer into a generic map. path
// may carry a query string.
func (a *realAPI) do(token, method, path, body string) (int, map[string]any) {
	a.t.Helper()
	resp := a.raw(token, method, path, body)
	var out map[string]any
	if resp.Body != "" {
		_ = json.Unmarshal([]byte(resp.Body), &out)
	}
	return resp.StatusCode, out
}

func (a *realAPI) mustCreate(token, path, body string) map[string]any {
	a.t.Helper()
	status, out := a.do(token, "POST", path, body)
	if status != 201 && status != 200 {
		a.t.Fatalf("POST %s = %d: %v", path, status, out)
	}
	return out
}

// team creates a team with a channel, a member and a second token, and returns
// the admin token and the ids.
func (a *realAPI) team(name string) (token string, ids map[string]string) {
	out := a.mustCreate(a.adminKey, "/v1/teams", `{"name":"`+name+`"}`)
	token = out["token"].(map[string]any)["secret"].(string)
	ch := a.mustCreate(token, "/v1/channels", `{"kind":"line","name":"`+name+` LINE","platformId":"U1","secrets":{"signingSecret":"secret-`+name+`","accessToken":"at-`+name+`"}}`)
	m := a.mustCreate(token, "/v1/members", `{"name":"Agent `+name+`","email":"a@`+strings.ToLower(name)+`.example","role":"cs_agent","status":"online","active":true}`)
	tk := a.mustCreate(token, "/v1/tokens", `{"name":"ci","role":"supervisor"}`)
	return token, map[string]string{
		"channel": ch["id"].(string),
		"member":  m["id"].(string),
		"token":   tk["id"].(string),
		"team":    out["team"].(map[string]any)["id"].(string),
	}
}

func TestCrossTeamIsolationOnDynamoDB(t *testing.T) {
	api := newRealAPI(t)
	tokenA, _ := api.team("Alpha")
	tokenB, b := api.team("Beta")

	tests := []struct {
		method, path, body string
	}{
		{"GET", "/v1/channels/" + b["channel"], ""},
		{"PATCH", "/v1/channels/" + b["channel"], `{"name":"stolen"}`},
		{"DELETE", "/v1/channels/" + b["channel"], ""},
		{"GET", "/v1/members/" + b["member"], ""},
		{"PATCH", "/v1/members/" + b["member"], `{"name":"stolen"}`},
		{"PUT", "/v1/members/" + b["member"] + "/status", `{"status":"offline"}`},
		{"DELETE", "/v1/members/" + b["member"], ""},
		{"DELETE", "/v1/tokens/" + b["token"], ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			if got, _ := api.do(tokenA, tt.method, tt.path, tt.body); got != 404 {
				t.Errorf("team A on team B's record: status = %d, want 404", got)
			}
		})
	}

	// Lists with A's token hold only A's records; B's records are untouched.
	for _, path := range []string{"/v1/channels", "/v1/members", "/v1/tokens"} {
		_, out := api.do(tokenA, "GET", path, "")
		raw, _ := json.Marshal(out)
		for _, id := range b {
			if strings.Contains(string(raw), id) {
				t.Errorf("GET %s with team A's token shows team B's id %s", path, id)
			}
		}
	}
	_, team := api.do(tokenA, "GET", "/v1/team", "")
	if got := team["id"]; got == b["team"] {
		t.Errorf("GET /v1/team with team A's token = team B")
	}
	checks := []struct{ path, field, want string }{
		{"/v1/channels/" + b["channel"], "name", "Beta LINE"},
		{"/v1/members/" + b["member"], "name", "Agent Beta"},
		{"/v1/members/" + b["member"], "status", "online"},
	}
	for _, c := range checks {
		status, out := api.do(tokenB, "GET", c.path, "")
		if status != 200 || out[c.field] != c.want {
			t.Errorf("team B's %s %s = %d %v, want 200 %q", c.path, c.field, status, out[c.field], c.want)
		}
	}
	_, toks := api.do(tokenB, "GET", "/v1/tokens", "")
	raw, _ := json.Marshal(toks)
	if !strings.Contains(string(raw), b["token"]) {
		t.Errorf("team B's token %s was deleted", b["token"])
	}
	// Secrets never come back, from the real store either.
	_, ch := api.do(tokenB, "GET", "/v1/channels/"+b["channel"], "")
	raw, _ = json.Marshal(ch)
	if strings.Contains(string(raw), "secret-Beta") || strings.Contains(string(raw), "at-Beta") {
		t.Errorf("channel response leaks a secret: %s", raw)
	}
}
