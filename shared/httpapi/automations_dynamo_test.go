package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/remarketing"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var (
	_ SettingsStore = (*dynamo.Store)(nil)
	_ SiteKeyStore  = (*dynamo.Store)(nil)
	_ Automations   = (*remarketing.Service)(nil)
)

// TestAutomationsOnDynamoDB runs the automation routes over the DynamoDB
// store and the real remarketing service, as the api function wires them:
// settings round-trip and reach what the router and pixel read, one cart
// channel at a time, statistics and the export from recorded sends, clicks
// and orders, site keys that authenticate the pixel, and nothing reaching
// across teams.
func TestAutomationsOnDynamoDB(t *testing.T) {
	cfg := awstest.Config(t)
	ddb := awsclient.DynamoDB(cfg, awstest.Endpoint(t, awstest.EnvDynamoDB))
	store := dynamo.New(ddb, awstest.Table(t, ddb))
	svc := remarketing.New(remarketing.Config{Directory: store, Carts: store, Stats: store, Payments: store, Timers: store})
	key, hash := switchboard.NewTokenSecret()
	api := &realAPI{t: t, adminKey: key, h: New(Config{Teams: store, Channels: store, Members: store, Tokens: store,
		Contacts: store, Conversations: store, Messages: store, Rules: store, AdminTokenHash: hash,
		Settings: store, Automations: svc, SiteKeys: store})}
	tokenA, a := api.team("Alpha")
	tokenB, b := api.team("Beta")
	agentA := api.mustCreate(tokenA, "/v1/tokens", `{"name":"agent","role":"cs_agent"}`)["secret"].(string)
	line2 := api.mustCreate(tokenA, "/v1/channels", `{"kind":"line","name":"Second LINE","platformId":"U2","secrets":{"signingSecret":"s2","accessToken":"a2"}}`)["id"].(string)
	ctx := context.Background()

	t.Run("automation settings", func(t *testing.T) {
		body := `{"workingHours":true,"autoEnd":{"enabled":true,"afterMinutes":45,"survey":"automatic","surveyText":"Rate us"}}`
		if status, out := api.do(tokenA, "PUT", "/v1/settings/automation", body); status != 200 {
			t.Fatalf("PUT = %d %v", status, out)
		}
		got, err := store.AutoEndSettings(ctx, a["team"])
		if err != nil {
			t.Fatal(err)
		}
		if want := (switchboard.AutoEnd{Enabled: true, After: 45 * time.Minute, Survey: switchboard.SurveyAutomatic, SurveyText: "Rate us"}); got != want {
			t.Errorf("stored auto-end %+v, want %+v", got, want)
		}
		if status, _ := api.do(agentA, "PUT", "/v1/settings/automation", body); status != 403 {
			t.Errorf("CS agent PUT = %d, want 403", status)
		}
		_, out := api.do(agentA, "GET", "/v1/settings/automation", "")
		if out["workingHours"] != true {
			t.Errorf("CS agent GET = %v", out)
		}
		_, out = api.do(tokenB, "GET", "/v1/settings/automation", "")
		if out["workingHours"] != false || out["autoEnd"].(map[string]any)["enabled"] != false {
			t.Errorf("team B sees %v", out)
		}
	})

	t.Run("one cart channel at a time", func(t *testing.T) {
		_, out := api.do(tokenA, "GET", "/v1/cart/configs", "")
		if items := out["items"].([]any); len(items) != 2 {
			t.Fatalf("configs = %v, want both LINE channels", out)
		}
		on := `{"enabled":true,"messages":[{"enabled":true,"delay":{"hours":1},"botModuleId":"cart-1"},{"enabled":true,"delay":{"days":1},"botModuleId":"cart-2"}],"doNotDisturb":{"enabled":true,"start":"22:00","end":"08:00"}}`
		status, out := api.do(tokenA, "PUT", "/v1/cart/configs/"+a["channel"], on)
		if status != 200 || out["enabled"] != true || out["channelKind"] != "line" {
			t.Fatalf("PUT first = %d %v", status, out)
		}
		if status, out := api.do(tokenA, "PUT", "/v1/cart/configs/"+line2, on); status != 200 || out["enabled"] != true {
			t.Fatalf("PUT second = %d %v", status, out)
		}
		first, err := store.GetCartConfig(ctx, a["team"], a["channel"])
		if err != nil {
			t.Fatal(err)
		}
		if first.Enabled || first.Epoch != 1 {
			t.Errorf("enabling the second channel left the first %+v, want disabled at epoch 1", first)
		}
		status, out = api.do(tokenA, "PUT", "/v1/cart/configs/"+a["channel"], `{"messages":[{"enabled":true,"delay":{"hours":2},"botModuleId":"x"},{"enabled":true,"delay":{"hours":1},"botModuleId":"y"}]}`)
		if status != 400 || !strings.Contains(out["error"].(map[string]any)["message"].(string), "message 2: delay must be longer") {
			t.Errorf("decreasing delays: %d %v", status, out)
		}
		if status, _ := api.do(tokenA, "PUT", "/v1/cart/configs/"+b["channel"], on); status != 404 {
			t.Errorf("team A configuring team B's channel: %d, want 404", status)
		}
		if status, _ := api.do(tokenA, "PUT", "/v1/cart/active-channel", `{"channelId":"`+b["channel"]+`"}`); status != 404 {
			t.Errorf("team A activating team B's channel: %d, want 404", status)
		}
		status, out = api.do(tokenA, "PUT", "/v1/cart/active-channel", `{"channelId":""}`)
		if status != 200 {
			t.Fatalf("turning off everywhere: %d %v", status, out)
		}
		for _, it := range out["items"].([]any) {
			if it.(map[string]any)["enabled"] != false {
				t.Errorf("still enabled: %v", it)
			}
		}
		if status, _ := api.do(tokenA, "PUT", "/v1/cart/active-channel", `{}`); status != 400 {
			t.Errorf("no channelId: %d, want 400", status)
		}
		_, out = api.do(tokenB, "GET", "/v1/cart/configs", "")
		if items := out["items"].([]any); len(items) != 1 || items[0].(map[string]any)["enabled"] != false {
			t.Errorf("team B's configs = %v", out)
		}
	})

	t.Run("statistics and export", func(t *testing.T) {
		team, ch := a["team"], a["channel"]
		at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }
		for _, s := range []cart.SendRecord{{ID: "s1", ContactID: "c1", Index: 1, SentAt: at(3, 1)}, {ID: "s2", ContactID: "c2", Index: 1, SentAt: at(3, 2)}, {ID: "s3", ContactID: "c1", Index: 2, SentAt: at(4, 1)}} {
			if err := store.PutCartSend(ctx, team, ch, s); err != nil {
				t.Fatal(err)
			}
		}
		if err := store.PutCartClick(ctx, team, ch, "k1", cart.ClickRecord{SendID: "s1", ContactID: "c1", Index: 1, ClickedAt: at(3, 5)}); err != nil {
			t.Fatal(err)
		}
		if err := store.PutCartOrder(ctx, team, cart.OrderRecord{ID: "ORD-1", ContactID: "c1", MemberID: "M-7", Currency: "TWD", Total: 128000, PlacedAt: at(3, 6)}); err != nil {
			t.Fatal(err)
		}
		status, out := api.do(tokenA, "GET", "/v1/cart/configs/"+ch+"/stats?from=2026-11-01&to=2026-11-30", "")
		if status != 200 {
			t.Fatalf("stats = %d %v", status, out)
		}
		first := out["byIndex"].([]any)[0].(map[string]any)
		if first["sends"] != 2.0 || first["uniqueClicks"] != 1.0 || first["ctr"] != 0.5 || first["orders"] != 1.0 || first["conversion"] != 1.0 || first["revenue"].(map[string]any)["TWD"] != "1280.00" {
			t.Errorf("message 1 = %v", first)
		}
		if total := out["total"].(map[string]any); total["sends"] != 3.0 {
			t.Errorf("total = %v", total)
		}
		if status, _ := api.do(agentA, "GET", "/v1/cart/configs/"+ch+"/stats?from=2026-11-01&to=2026-11-30", ""); status != 403 {
			t.Errorf("CS agent reading statistics: %d, want 403", status)
		}
		if status, _ := api.do(tokenB, "GET", "/v1/cart/configs/"+ch+"/stats?from=2026-11-01&to=2026-11-30", ""); status != 404 {
			t.Errorf("team B reading team A's statistics: %d, want 404", status)
		}

		resp := api.raw(tokenA, "GET", "/v1/cart/configs/"+ch+"/orders?from=2026-11-01&to=2026-11-30", "")
		if resp.StatusCode != 200 || resp.Headers["content-type"] != "text/csv; charset=utf-8" {
			t.Fatalf("export = %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
		}
		lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(resp.Body, "\ufeff")), "\n")
		if got, want := strings.TrimSpace(lines[0]), strings.Join(cart.ExportHeader, ","); got != want {
			t.Errorf("header = %q, want %q", got, want)
		}
		if len(lines) != 2 || !strings.Contains(lines[1], "ORD-1") || !strings.Contains(lines[1], "2026-11-03 14:00:00") || !strings.Contains(lines[1], "M-7") {
			t.Errorf("rows = %q, want ORD-1 at Taipei time", lines[1:])
		}
		if status, out := api.do(tokenA, "GET", "/v1/cart/configs/"+ch+"/orders?from=2026-10-01&to=2026-11-30", ""); status != 400 {
			t.Errorf("a 61-day export: %d %v, want 400", status, out)
		}
	})

	t.Run("popup and payment reminder", func(t *testing.T) {
		if status, out := api.do(tokenA, "PUT", "/v1/cart/popup", `{"maxDisplaysPerDay":2,"showAfterNthAddToCart":3}`); status != 200 {
			t.Fatalf("PUT popup = %d %v", status, out)
		}
		if p, err := store.GetPopupPolicy(ctx, a["team"]); err != nil || p != (cart.PopupPolicy{MaxDisplaysPerDay: 2, ShowAfterNthAddToCart: 3}) {
			t.Errorf("stored popup %+v %v", p, err)
		}
		if status, _ := api.do(tokenA, "PUT", "/v1/cart/popup", `{"maxDisplaysPerDay":0,"showAfterNthAddToCart":3}`); status != 400 {
			t.Errorf("zero displays: %d, want 400", status)
		}
		_, out := api.do(tokenA, "GET", "/v1/payment-reminder", "")
		if out["enabled"] != false || out["daysAfter"] != 2.0 || out["hour"] != 14.0 {
			t.Errorf("default payment reminder = %v", out)
		}
		status, out := api.do(tokenA, "PUT", "/v1/payment-reminder", `{"enabled":true,"daysAfter":3,"hour":9,"message":"Your order is waiting","button":"Pay now"}`)
		if status != 200 || out["version"] != 1.0 {
			t.Fatalf("PUT payment reminder = %d %v", status, out)
		}
		if s, err := store.GetPayReminderSettings(ctx, a["team"]); err != nil || !s.Enabled || s.DaysAfter != 3 || s.Hour != 9 {
			t.Errorf("stored %+v %v", s, err)
		}
		for _, body := range []string{
			`{"enabled":true,"daysAfter":8,"hour":9,"message":"m","button":"b"}`,
			`{"enabled":true,"daysAfter":1,"hour":24,"message":"m","button":"b"}`,
			`{"enabled":true,"daysAfter":1,"hour":9,"message":"` + strings.Repeat("字", 341) + `","button":"b"}`,
		} {
			if status, _ := api.do(tokenA, "PUT", "/v1/payment-reminder", body); status != 400 {
				t.Errorf("PUT %.60s: %d, want 400", body, status)
			}
		}
		_, out = api.do(tokenB, "GET", "/v1/payment-reminder", "")
		if out["enabled"] != false {
			t.Errorf("team B's payment reminder = %v", out)
		}
	})

	t.Run("site keys", func(t *testing.T) {
		created := api.mustCreate(tokenA, "/v1/site-keys", `{"name":"Shop pages","kind":"browser"}`)
		plaintext, id := created["key"].(string), created["id"].(string)
		k, err := store.FindSiteKeyByHash(ctx, switchboard.HashToken(plaintext))
		if err != nil || k.TeamID != a["team"] || k.Kind != switchboard.SiteKeyBrowser {
			t.Fatalf("the pixel's lookup of the new key = %+v %v", k, err)
		}
		_, out := api.do(tokenA, "GET", "/v1/site-keys", "")
		if items := out["items"].([]any); len(items) != 1 || items[0].(map[string]any)["key"] != nil {
			t.Errorf("list = %v", out)
		}
		if status, _ := api.do(tokenB, "DELETE", "/v1/site-keys/"+id, ""); status != 404 {
			t.Errorf("team B deleting team A's key: %d, want 404", status)
		}
		if status, _ := api.do(agentA, "POST", "/v1/site-keys", `{"name":"x","kind":"server"}`); status != 403 {
			t.Errorf("CS agent creating a key: %d, want 403", status)
		}
		if status, _ := api.do(tokenA, "DELETE", "/v1/site-keys/"+id, ""); status != 204 {
			t.Errorf("DELETE = %d", status)
		}
		if _, err := store.FindSiteKeyByHash(ctx, switchboard.HashToken(plaintext)); switchboard.ErrorCode(err) != switchboard.ENotFound {
			t.Errorf("the revoked key still authenticates: %v", err)
		}
	})
}

// raw sends a request and returns the response as it is, for bodies that are
// not JSON.
func (a *realAPI) raw(token, method, pathAndQuery, body string) events.APIGatewayV2HTTPResponse {
	a.t.Helper()
	path, query, _ := strings.Cut(pathAndQuery, "?")
	req := events.APIGatewayV2HTTPRequest{
		RawPath:        path,
		RawQueryString: query,
		Headers:        map[string]string{"authorization": "Bearer " + token, "content-type": "application/json"},
		Body:           body,
	}
	req.RequestContext.HTTP.Method = method
	req.RequestContext.HTTP.SourceIP = "203.0.113.7"
	resp, err := a.h.Handle(context.Background(), req)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp
}
