package httpapi

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Plaintext secrets planted in channels; no response may ever contain them.
const (
	plainSigning = "SIGNING-secret-7f3a9c"
	plainAccess  = "ACCESS-token-51be02"
	plainVerify  = "VERIFY-token-c0ffee"
)

func testChannel(id, teamID string) switchboard.Channel {
	return switchboard.Channel{
		ID: id, TeamID: teamID, Kind: switchboard.KindLINE, Name: "LINE " + id, PlatformID: "U" + id, Enabled: true,
		Secrets: switchboard.ChannelSecrets{SigningSecret: plainSigning + id, AccessToken: plainAccess + id, VerifyToken: plainVerify + id},
	}
}

// assertNoSecrets fails when body holds any planted secret (or its prefix, which
// catches every channel's variant).
func assertNoSecrets(t *testing.T, body string) {
	t.Helper()
	for _, s := range []string{plainSigning, plainAccess, plainVerify, "NEW-signing", "NEW-access"} {
		if strings.Contains(body, s) {
			t.Errorf("response body contains secret %q: %s", s, body)
		}
	}
}

func TestChannelsCRUD(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	hs.addChannel(testChannel("ch-old", teamA))

	// Create.
	resp := hs.call("POST", "/v1/channels", admin, `{"kind":"messenger","name":"Shop page","platformId":"1234567890",
		"secrets":{"signingSecret":"`+plainSigning+`","accessToken":"`+plainAccess+`"}}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create: status %d %s", resp.StatusCode, resp.Body)
	}
	assertNoSecrets(t, resp.Body)
	var created channelView
	decodeBody(t, resp, &created)
	want := channelView{
		ID: "id-001", TeamID: teamA, Kind: switchboard.KindMessenger, Name: "Shop page", PlatformID: "1234567890", Enabled: true,
		Secrets:    secretsSet{SigningSecret: true, AccessToken: true, VerifyToken: false},
		WebhookURL: testBaseURL + "/webhooks/messenger/id-001",
		CreatedAt:  testNow, UpdatedAt: testNow,
	}
	if created != want {
		t.Errorf("created = %+v\nwant      %+v", created, want)
	}
	stored := hs.mem.channels["id-001"]
	if got, want := stored.Secrets, (switchboard.ChannelSecrets{SigningSecret: plainSigning, AccessToken: plainAccess}); got != want {
		t.Errorf("stored secrets = %#v, want %#v", got, want)
	}
	if stored.TeamID != teamA {
		t.Errorf("stored team = %q, want %q", stored.TeamID, teamA)
	}

	// Read one and all.
	resp = hs.call("GET", "/v1/channels/id-001", admin, "")
	if resp.StatusCode != 200 {
		t.Fatalf("get: status %d %s", resp.StatusCode, resp.Body)
	}
	assertNoSecrets(t, resp.Body)
	var got channelView
	decodeBody(t, resp, &got)
	if got != want {
		t.Errorf("get = %+v, want %+v", got, want)
	}
	resp = hs.call("GET", "/v1/channels", admin, "")
	assertNoSecrets(t, resp.Body)
	var lst list[channelView]
	decodeBody(t, resp, &lst)
	if len(lst.Items) != 2 || lst.Items[0].ID != "ch-old" || lst.Items[1].ID != "id-001" {
		t.Errorf("list = %+v, want ch-old and id-001", lst.Items)
	}
	if !lst.Items[0].Secrets.VerifyToken {
		t.Errorf("ch-old should report its verify token as set")
	}

	// Delete.
	resp = hs.call("DELETE", "/v1/channels/id-001", admin, "")
	if resp.StatusCode != 204 || resp.Body != "" {
		t.Fatalf("delete: status %d body %q", resp.StatusCode, resp.Body)
	}
	if _, ok := hs.mem.channels["id-001"]; ok {
		t.Errorf("channel still stored after delete")
	}
	resp = hs.call("DELETE", "/v1/channels/id-001", admin, "")
	if resp.StatusCode != 404 {
		t.Errorf("second delete: status %d, want 404", resp.StatusCode)
	}
}

func TestChannelPatch(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantStatus  int
		wantMsg     string
		wantSecrets switchboard.ChannelSecrets
		wantName    string
		wantEnabled bool
	}{
		{
			name: "omitted secrets keep their values", body: `{"name":"Renamed"}`, wantStatus: 200, wantName: "Renamed", wantEnabled: true,
			wantSecrets: switchboard.ChannelSecrets{SigningSecret: plainSigning + "ch-1", AccessToken: plainAccess + "ch-1", VerifyToken: plainVerify + "ch-1"},
		},
		{
			name: "one secret replaced", body: `{"secrets":{"accessToken":"NEW-access"}}`, wantStatus: 200, wantName: "LINE ch-1", wantEnabled: true,
			wantSecrets: switchboard.ChannelSecrets{SigningSecret: plainSigning + "ch-1", AccessToken: "NEW-access", VerifyToken: plainVerify + "ch-1"},
		},
		{
			name: "empty string clears", body: `{"secrets":{"verifyToken":"","signingSecret":"NEW-signing"},"enabled":false}`, wantStatus: 200, wantName: "LINE ch-1", wantEnabled: false,
			wantSecrets: switchboard.ChannelSecrets{SigningSecret: "NEW-signing", AccessToken: plainAccess + "ch-1"},
		},
		{name: "kind cannot change", body: `{"kind":"messenger"}`, wantStatus: 400, wantMsg: "kind cannot be changed: it is part of the webhook URL; create a new channel instead"},
		{name: "empty name", body: `{"name":""}`, wantStatus: 400, wantMsg: "channel name must be 1 to 100 characters"},
		{name: "unknown secret field", body: `{"secrets":{"password":"x"}}`, wantStatus: 400, wantMsg: `unknown field "password"`},
		{name: "secret too long", body: `{"secrets":{"signingSecret":"` + strings.Repeat("s", 513) + `"}}`, wantStatus: 400, wantMsg: "a secret is too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			admin := hs.roleToken(teamA, switchboard.RoleAdmin)
			hs.addChannel(testChannel("ch-1", teamA))
			before := *hs.mem.channels["ch-1"]
			resp := hs.call("PATCH", "/v1/channels/ch-1", admin, tt.body)
			assertNoSecrets(t, resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			after := hs.mem.channels["ch-1"]
			if tt.wantStatus != 200 {
				if _, msg := errorOf(t, resp); msg != tt.wantMsg {
					t.Errorf("message = %q, want %q", msg, tt.wantMsg)
				}
				if *after != before {
					t.Errorf("a refused patch changed the channel: %+v", after)
				}
				return
			}
			if after.Secrets != tt.wantSecrets {
				t.Errorf("secrets = %#v, want %#v", after.Secrets, tt.wantSecrets)
			}
			var v channelView
			decodeBody(t, resp, &v)
			if v.Name != tt.wantName || v.Enabled != tt.wantEnabled || after.Name != tt.wantName {
				t.Errorf("view = %+v, want name %q enabled %v", v, tt.wantName, tt.wantEnabled)
			}
			wantSet := secretsSet{tt.wantSecrets.SigningSecret != "", tt.wantSecrets.AccessToken != "", tt.wantSecrets.VerifyToken != ""}
			if v.Secrets != wantSet {
				t.Errorf("secrets set = %+v, want %+v", v.Secrets, wantSet)
			}
			if !v.UpdatedAt.Equal(testNow) || v.Version != 1 {
				t.Errorf("updatedAt %v version %d, want %v and 1", v.UpdatedAt, v.Version, testNow)
			}
		})
	}
}

func TestChannelCreateValidation(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantMsg string
	}{
		{name: "unknown kind", body: `{"kind":"telegram","name":"x"}`, wantMsg: "kind must be one of line, messenger, instagram, whatsapp, widget"},
		{name: "no name", body: `{"kind":"line"}`, wantMsg: "channel name must be 1 to 100 characters"},
		{name: "long platform id", body: `{"kind":"line","name":"x","platformId":"` + strings.Repeat("p", 129) + `"}`, wantMsg: "platformId must be at most 128 characters"},
		{name: "unknown field", body: `{"kind":"line","name":"x","colour":"red"}`, wantMsg: `unknown field "colour"`},
		{name: "wrong type", body: `{"kind":"line","name":"x","enabled":"yes"}`, wantMsg: `field "enabled" must be true or false, not string`},
		{name: "secrets wrong type", body: `{"kind":"line","name":"x","secrets":{"accessToken":5}}`, wantMsg: `field "secrets.accessToken" must be a string, not number`},
		{name: "empty body", body: ``, wantMsg: "request body is empty; send a JSON object"},
		{name: "array body", body: `[]`, wantMsg: "request body must be a JSON object, not array"},
		{name: "broken json", body: `{"kind":`, wantMsg: "request body is not valid JSON: it ends early"},
		{name: "two objects", body: `{"kind":"line","name":"x"}{}`, wantMsg: "request body must hold a single JSON object; found more after it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			admin := hs.roleToken(teamA, switchboard.RoleAdmin)
			resp := hs.call("POST", "/v1/channels", admin, tt.body)
			if resp.StatusCode != 400 {
				t.Fatalf("status %d, want 400: %s", resp.StatusCode, resp.Body)
			}
			if _, msg := errorOf(t, resp); msg != tt.wantMsg {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
			if len(hs.mem.writes) != 0 {
				t.Errorf("writes after a 400: %v", hs.mem.writes)
			}
		})
	}
}

func TestChannelCreateDefaults(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantEnabled bool
	}{
		{name: "enabled by default", body: `{"kind":"widget","name":"Site"}`, wantEnabled: true},
		{name: "created disabled", body: `{"kind":"widget","name":"Site","enabled":false}`, wantEnabled: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			admin := hs.roleToken(teamA, switchboard.RoleAdmin)
			resp := hs.call("POST", "/v1/channels", admin, tt.body)
			if resp.StatusCode != 201 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			var v channelView
			decodeBody(t, resp, &v)
			if v.Enabled != tt.wantEnabled || hs.mem.channels[v.ID].Enabled != tt.wantEnabled {
				t.Errorf("enabled = %v, want %v", v.Enabled, tt.wantEnabled)
			}
			if v.Secrets != (secretsSet{}) {
				t.Errorf("secrets set = %+v, want none", v.Secrets)
			}
		})
	}
}

func TestWebhookURL(t *testing.T) {
	tests := []struct {
		name    string
		baseURL string
		want    string
	}{
		{name: "with base", baseURL: "https://hooks.example.com", want: "https://hooks.example.com/webhooks/line/ch-1"},
		{name: "base with trailing slash", baseURL: "https://hooks.example.com/", want: "https://hooks.example.com/webhooks/line/ch-1"},
		{name: "base with a path", baseURL: "https://example.com/prod", want: "https://example.com/prod/webhooks/line/ch-1"},
		{name: "no base shows the path", baseURL: "", want: "/webhooks/line/ch-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, func(c *Config) { c.PublicBaseURL = tt.baseURL })
			admin := hs.roleToken(teamA, switchboard.RoleAdmin)
			hs.addChannel(testChannel("ch-1", teamA))
			var v channelView
			decodeBody(t, hs.call("GET", "/v1/channels/ch-1", admin, ""), &v)
			if v.WebhookURL != tt.want {
				t.Errorf("webhookUrl = %q, want %q", v.WebhookURL, tt.want)
			}
		})
	}
}

// TestSecretsNeverInResponses drives every channel route, success and failure,
// and checks no body holds a planted secret.
func TestSecretsNeverInResponses(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	agent := hs.roleToken(teamA, switchboard.RoleCSAgent)
	hs.addChannel(testChannel("ch-1", teamA))
	hs.addChannel(testChannel("ch-2", teamA))
	calls := []struct{ method, path, token, body string }{
		{"GET", "/v1/channels", admin, ""},
		{"GET", "/v1/channels", agent, ""},
		{"GET", "/v1/channels/ch-1", admin, ""},
		{"GET", "/v1/channels/ch-1", agent, ""},
		{"POST", "/v1/channels", admin, `{"kind":"line","name":"n","secrets":{"signingSecret":"` + plainSigning + `x","accessToken":"` + plainAccess + `x","verifyToken":"` + plainVerify + `x"}}`},
		{"POST", "/v1/channels", admin, `{"kind":"bogus","name":"n","secrets":{"signingSecret":"` + plainSigning + `y"}}`},
		{"POST", "/v1/channels", agent, `{"kind":"line","name":"n","secrets":{"signingSecret":"` + plainSigning + `z"}}`},
		{"PATCH", "/v1/channels/ch-1", admin, `{"name":"x","secrets":{"signingSecret":"` + plainSigning + `w"}}`},
		{"PATCH", "/v1/channels/ch-2", admin, `{"name":""}`},
		{"DELETE", "/v1/channels/ch-2", admin, ""},
	}
	for _, c := range calls {
		resp := hs.call(c.method, c.path, c.token, c.body)
		if resp.StatusCode >= 500 {
			t.Errorf("%s %s: status %d", c.method, c.path, resp.StatusCode)
		}
		assertNoSecrets(t, resp.Body)
	}
	for _, s := range []string{plainSigning, plainAccess, plainVerify} {
		if strings.Contains(hs.logs.String(), s) {
			t.Errorf("logs contain secret %q", s)
		}
	}
}

func TestChannelUpdateConflict(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	hs.channels.updateChannel = func(context.Context, string, string, func(*switchboard.Channel) (*switchboard.Channel, error)) (*switchboard.Channel, error) {
		return nil, switchboard.Errorf(switchboard.EConflict, "the channel changed meanwhile; read it again")
	}
	resp := hs.call("PATCH", "/v1/channels/ch-1", admin, `{"name":"x"}`)
	if resp.StatusCode != 409 {
		t.Fatalf("status %d, want 409", resp.StatusCode)
	}
	if _, msg := errorOf(t, resp); msg != "the channel changed meanwhile; read it again" {
		t.Errorf("message = %q", msg)
	}
}
