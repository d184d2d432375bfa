package httpapi

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestParsePeriod(t *testing.T) {
	taipei, err := time.LoadLocation("Asia/Taipei")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query      string
		wantFrom, wantTo time.Time
		wantErr          string
	}{
		{"dates are whole days in the team's zone", "from=2026-11-01&to=2026-11-30",
			time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), ""},
		{"one day", "from=2026-11-05&to=2026-11-05",
			time.Date(2026, 11, 4, 16, 0, 0, 0, time.UTC), time.Date(2026, 11, 5, 16, 0, 0, 0, time.UTC), ""},
		{"RFC 3339 times are taken as they are, to exclusive", "from=2026-11-01T00:00:00Z&to=2026-11-01T12:00:00%2B08:00",
			time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC), ""},
		{"mixed", "from=2026-11-01&to=2026-11-02T00:00:00Z",
			time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), ""},
		{"from missing", "to=2026-11-30", time.Time{}, time.Time{}, "from is required"},
		{"to missing", "from=2026-11-30", time.Time{}, time.Time{}, "to is required"},
		{"not a date", "from=yesterday&to=2026-11-30", time.Time{}, time.Time{}, "from must be a date"},
		{"US order", "from=11/01/2026&to=2026-11-30", time.Time{}, time.Time{}, "from must be a date"},
		{"backwards", "from=2026-11-30&to=2026-11-01", time.Time{}, time.Time{}, "must end after it starts"},
		{"empty by times", "from=2026-11-01T00:00:00Z&to=2026-11-01T00:00:00Z", time.Time{}, time.Time{}, "must end after it starts"},
		{"too long", "from=" + strings.Repeat("9", 65) + "&to=2026-11-30", time.Time{}, time.Time{}, "from is too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			from, to, err := parsePeriod(q, taipei)
			if tt.wantErr != "" {
				if switchboard.ErrorCode(err) != switchboard.EInvalid || !strings.Contains(switchboard.ErrorMessage(err), tt.wantErr) {
					t.Fatalf("err = %v, want EInvalid containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := from, tt.wantFrom; !got.Equal(want) {
				t.Errorf("from = %v, want %v", got, want)
			}
			if got, want := to, tt.wantTo; !got.Equal(want) {
				t.Errorf("to = %v, want %v", got, want)
			}
		})
	}
}

// FuzzParsePeriod feeds arbitrary query strings to the period parser: it must
// answer a period that ends after it starts, or an EInvalid error.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"from=2026-11-01&to=2026-11-30", "from=2026-11-01T00:00:00Z&to=2026-11-02", "from=&to=", "from=9999-12-31&to=9999-12-31", "to=0000-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		from, to, err := parsePeriod(q, time.UTC)
		if err != nil {
			if switchboard.ErrorCode(err) != switchboard.EInvalid {
				t.Fatalf("error %v is not EInvalid", err)
			}
			return
		}
		if !to.After(from) {
			t.Fatalf("period [%v, %v) is empty", from, to)
		}
	})
}

func TestAutomationSettingsRoutes(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)

	resp := hs.call("GET", "/v1/settings/automation", admin, "")
	if got, want := resp.Body, `{"workingHours":false,"autoEnd":{"enabled":false,"afterMinutes":0,"survey":"none","surveyText":""}}`; got != want {
		t.Errorf("default = %s, want %s", got, want)
	}

	tests := []struct {
		name, body string
		wantStatus int
		wantMsg    string
	}{
		{"on", `{"workingHours":true,"autoEnd":{"enabled":true,"afterMinutes":90,"survey":"automatic","surveyText":"How did we do?"}}`, 200, ""},
		{"enabled without a time", `{"autoEnd":{"enabled":true}}`, 400, "auto-end needs a time"},
		{"over 7 days", `{"autoEnd":{"enabled":true,"afterMinutes":10081}}`, 400, "afterMinutes must be 1 to 10080"},
		{"a number that would wrap", `{"autoEnd":{"enabled":true,"afterMinutes":307445734561825861}}`, 400, "afterMinutes must be 1 to 10080"},
		{"negative", `{"autoEnd":{"afterMinutes":-1}}`, 400, "afterMinutes must be 1 to 10080"},
		{"unknown survey", `{"autoEnd":{"enabled":true,"afterMinutes":5,"survey":"sometimes"}}`, 400, "survey must be none, automatic or ask"},
		{"nanoseconds are not accepted", `{"autoEnd":{"enabled":true,"after":60000000000}}`, 400, `unknown field "after"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := hs.call("PUT", "/v1/settings/automation", admin, tt.body)
			if got, want := resp.StatusCode, tt.wantStatus; got != want {
				t.Fatalf("status %d, want %d: %s", got, want, resp.Body)
			}
			if tt.wantMsg != "" {
				if _, msg := errorOf(t, resp); !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("message = %q, want it to contain %q", msg, tt.wantMsg)
				}
			}
		})
	}
	// The refused bodies left the first setting as it was.
	got := hs.auto.settings[teamA]
	want := switchboard.AssignSettings{WorkingHours: true, UpdatedAt: testNow, AutoEnd: switchboard.AutoEnd{
		Enabled: true, After: 90 * time.Minute, Survey: switchboard.SurveyAutomatic, SurveyText: "How did we do?"}}
	if got != want {
		t.Errorf("stored %+v, want %+v", got, want)
	}
	resp = hs.call("GET", "/v1/settings/automation", admin, "")
	var view automationSettings
	if err := json.Unmarshal([]byte(resp.Body), &view); err != nil {
		t.Fatal(err)
	}
	if view.AutoEnd.AfterMinutes != 90 || !view.WorkingHours || view.UpdatedAt == nil {
		t.Errorf("read back %+v", view)
	}
}

func TestCartStatsView(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	hs.addChannel(testChannel("ch-a", teamA))
	hs.auto.stats = cart.Summary{
		ByIndex: []cart.IndexStats{
			{Index: 1, Sends: 4, UniqueClicks: 2, Orders: 1, Revenue: map[string]cart.Amount{"TWD": 128050}},
			{Index: 2, Sends: 0, Revenue: map[string]cart.Amount{}},
		},
		Total: cart.IndexStats{Sends: 4, UniqueClicks: 2, Orders: 1, Revenue: map[string]cart.Amount{"TWD": 128050}},
	}
	resp := hs.callQ("GET", "/v1/cart/configs/ch-a/stats?from=2026-11-01&to=2026-11-30", admin, "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	var got cartStatsView
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatal(err)
	}
	want := indexStatsView{Index: 1, Sends: 4, UniqueClicks: 2, CTR: 0.5, Orders: 1, Conversion: 0.5, Revenue: map[string]string{"TWD": "1280.50"}}
	if g := got.ByIndex[0]; g.Index != want.Index || g.CTR != want.CTR || g.Conversion != want.Conversion || g.Revenue["TWD"] != "1280.50" {
		t.Errorf("byIndex[0] = %+v, want %+v", g, want)
	}
	if g := got.ByIndex[1]; g.CTR != 0 || g.Conversion != 0 {
		t.Errorf("no sends: rates %v, %v, want 0", g.CTR, g.Conversion)
	}
	if !got.From.Equal(time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC)) || !got.To.Equal(time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("period = [%v, %v), want November in Taipei", got.From, got.To)
	}

	resp = hs.callQ("GET", "/v1/cart/configs/ch-a/orders?from=2026-11-01&to=2026-11-30", admin, "")
	if got, want := resp.Headers["content-type"], "text/csv; charset=utf-8"; got != want {
		t.Errorf("content-type = %q, want %q", got, want)
	}
	if got, want := resp.Headers["content-disposition"], `attachment; filename="cart-orders-ch-a-20261031T160000Z-20261130T160000Z.csv"`; got != want {
		t.Errorf("content-disposition = %q, want %q", got, want)
	}
	if !strings.HasPrefix(resp.Body, "Platform,Channel Name\n") {
		t.Errorf("body = %q", resp.Body)
	}
}

// TestAutomationRoutesUnconfigured: a deployment that wires none of the
// automation stores answers 503 with a reason, never a panic.
func TestAutomationRoutesUnconfigured(t *testing.T) {
	hs := newHarness(t, func(c *Config) { c.Settings, c.Automations, c.SiteKeys = nil, nil, nil })
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	for _, path := range []string{"/v1/settings/automation", "/v1/cart/configs", "/v1/cart/popup", "/v1/payment-reminder", "/v1/site-keys"} {
		resp := hs.call("GET", path, admin, "")
		if resp.StatusCode != 503 {
			t.Errorf("GET %s: status %d, want 503: %s", path, resp.StatusCode, resp.Body)
		}
		if code, msg := errorOf(t, resp); code != "unavailable" || !strings.Contains(msg, "not configured") {
			t.Errorf("GET %s: %s %q", path, code, msg)
		}
	}
}

func TestSiteKeyRoutes(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)

	resp := hs.call("POST", "/v1/site-keys", admin, `{"name":"Shop server","kind":"server"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	var created createdSiteKeyView
	if err := json.Unmarshal([]byte(resp.Body), &created); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Key, switchboard.SiteKeyPrefix+"server_") {
		t.Errorf("key = %q", created.Key)
	}
	stored := hs.auto.keys[created.ID]
	if got, want := stored.Hash, switchboard.HashToken(created.Key); got != want {
		t.Errorf("stored hash %q, want the hash of the key", got)
	}
	if stored.TeamID != teamA {
		t.Errorf("stored for team %q", stored.TeamID)
	}
	list := hs.call("GET", "/v1/site-keys", admin, "")
	if strings.Contains(list.Body, created.Key) || strings.Contains(list.Body, stored.Hash) {
		t.Errorf("the list shows the key or its hash: %s", list.Body)
	}
	for _, tt := range []struct{ body, wantMsg string }{
		{`{"name":"x","kind":"public"}`, "kind must be browser or server"},
		{`{"kind":"browser"}`, "name must be 1 to 100 characters"},
	} {
		resp := hs.call("POST", "/v1/site-keys", admin, tt.body)
		if _, msg := errorOf(t, resp); resp.StatusCode != 400 || !strings.Contains(msg, tt.wantMsg) {
			t.Errorf("POST %s: %d %q, want 400 %q", tt.body, resp.StatusCode, msg, tt.wantMsg)
		}
	}
	if resp := hs.call("DELETE", "/v1/site-keys/"+created.ID, admin, ""); resp.StatusCode != 204 {
		t.Errorf("DELETE: status %d", resp.StatusCode)
	}
	if _, ok := hs.auto.keys[created.ID]; ok {
		t.Errorf("key still stored after DELETE")
	}
	if resp := hs.call("DELETE", "/v1/site-keys/"+created.ID, admin, ""); resp.StatusCode != 404 {
		t.Errorf("second DELETE: status %d, want 404", resp.StatusCode)
	}
}
