package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// fakeBots is a BotStore of function fields; a nil field fails the call.
type fakeBots struct {
	createBot   func(ctx context.Context, b *bot.Bot) error
	getBot      func(ctx context.Context, teamID, id string) (*bot.Bot, error)
	listBots    func(ctx context.Context, teamID string) ([]*bot.Bot, error)
	updateBot   func(ctx context.Context, teamID, id string, fn func(*bot.Bot) (*bot.Bot, error)) (*bot.Bot, error)
	deleteBot   func(ctx context.Context, teamID, id string) error
	markBotGone func(ctx context.Context, teamID, botID string) error
}

var _ BotStore = (*fakeBots)(nil)

func (f *fakeBots) CreateBot(ctx context.Context, b *bot.Bot) error {
	if f.createBot == nil {
		return errUnexpected("CreateBot")
	}
	return f.createBot(ctx, b)
}

func (f *fakeBots) GetBot(ctx context.Context, teamID, id string) (*bot.Bot, error) {
	if f.getBot == nil {
		return nil, errUnexpected("GetBot")
	}
	return f.getBot(ctx, teamID, id)
}

func (f *fakeBots) ListBots(ctx context.Context, teamID string) ([]*bot.Bot, error) {
	if f.listBots == nil {
		return nil, errUnexpected("ListBots")
	}
	return f.listBots(ctx, teamID)
}

func (f *fakeBots) UpdateBot(ctx context.Context, teamID, id string, fn func(*bot.Bot) (*bot.Bot, error)) (*bot.Bot, error) {
	if f.updateBot == nil {
		return nil, errUnexpected("UpdateBot")
	}
	return f.updateBot(ctx, teamID, id, fn)
}

func (f *fakeBots) DeleteBot(ctx context.Context, teamID, id string) error {
	if f.deleteBot == nil {
		return errUnexpected("DeleteBot")
	}
	return f.deleteBot(ctx, teamID, id)
}

func (f *fakeBots) MarkBotGone(ctx context.Context, teamID, botID string) error {
	if f.markBotGone == nil {
		return errUnexpected("MarkBotGone")
	}
	return f.markBotGone(ctx, teamID, botID)
}

// memBots keeps bots by team and id, and records every write in the
// harness's write log.
type memBots struct {
	mu   sync.Mutex
	mem  *memStore
	bots map[string]*bot.Bot // team/id
	gone []string
}

func newMemBots(mem *memStore) *memBots { return &memBots{mem: mem, bots: map[string]*bot.Bot{}} }

// add stores a one-module bot of team.
func (m *memBots) add(team, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bots[team+"/"+id] = &bot.Bot{ID: id, TeamID: team, Name: "bot " + id, ChannelKinds: []switchboard.ChannelKind{switchboard.KindLINE}, Version: 1,
		Modules: []bot.Module{{ID: "m", Cards: []bot.Card{{Type: bot.CardText, Text: "hello"}}}}}
}

// snapshotTeam serialises the bots of team.
func (m *memBots) snapshotTeam(team string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k, b := range m.bots {
		if b.TeamID == team {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		raw, _ := json.Marshal(m.bots[k])
		out = append(out, string(raw))
	}
	return strings.Join(out, "\n")
}

func copyOf(b *bot.Bot) *bot.Bot {
	raw, _ := json.Marshal(b)
	var cp bot.Bot
	_ = json.Unmarshal(raw, &cp)
	return &cp
}

func (m *memBots) fakes() *fakeBots {
	return &fakeBots{
		createBot: func(_ context.Context, b *bot.Bot) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.mem.record("CreateBot", b.TeamID, b.ID)
			k := b.TeamID + "/" + b.ID
			if _, ok := m.bots[k]; ok {
				return switchboard.Errorf(switchboard.EConflict, "bot exists")
			}
			for _, other := range m.bots {
				for ref := range b.Refs {
					if _, taken := other.Refs[ref]; taken && other.TeamID == b.TeamID {
						return switchboard.Errorf(switchboard.EConflict, "ref %q is already used by bot %s", ref, other.ID)
					}
				}
			}
			b.Version, b.CreatedAt, b.UpdatedAt = 1, testNow, testNow
			m.bots[k] = copyOf(b)
			return nil
		},
		getBot: func(_ context.Context, teamID, id string) (*bot.Bot, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			b, ok := m.bots[teamID+"/"+id]
			if !ok {
				return nil, notFound("bot")
			}
			return copyOf(b), nil
		},
		listBots: func(_ context.Context, teamID string) ([]*bot.Bot, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			var out []*bot.Bot
			for _, b := range m.bots {
				if b.TeamID == teamID {
					out = append(out, copyOf(b))
				}
			}
			slices.SortFunc(out, func(a, b *bot.Bot) int { return strings.Compare(a.ID, b.ID) })
			return out, nil
		},
		updateBot: func(_ context.Context, teamID, id string, fn func(*bot.Bot) (*bot.Bot, error)) (*bot.Bot, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.mem.record("UpdateBot", teamID, id)
			cur, ok := m.bots[teamID+"/"+id]
			if !ok {
				return nil, notFound("bot")
			}
			next, err := fn(copyOf(cur))
			if err != nil {
				return nil, err
			}
			next.ID, next.TeamID, next.Version = cur.ID, cur.TeamID, cur.Version+1
			m.bots[teamID+"/"+id] = copyOf(next)
			return next, nil
		},
		deleteBot: func(_ context.Context, teamID, id string) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.mem.record("DeleteBot", teamID, id)
			if _, ok := m.bots[teamID+"/"+id]; !ok {
				return notFound("bot")
			}
			delete(m.bots, teamID+"/"+id)
			return nil
		},
		markBotGone: func(_ context.Context, teamID, botID string) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.mem.record("MarkBotGone", teamID, botID)
			m.gone = append(m.gone, teamID+"/"+botID)
			return nil
		},
	}
}

// botHarness is a harness with a bot store and a bot of team A.
func botHarness(t *testing.T) (*harness, *memBots) {
	t.Helper()
	hs := newHarness(t)
	m := hs.bots
	hs.addChannel(testChannel("ch-1", teamA))
	hs.addChannel(switchboard.Channel{ID: "ch-wa", TeamID: teamA, Kind: switchboard.KindWhatsApp, Name: "wa"})
	m.bots[teamA+"/bot-1"] = &bot.Bot{ID: "bot-1", TeamID: teamA, Name: "Shop", ChannelKinds: []switchboard.ChannelKind{switchboard.KindLINE}, Version: 4,
		Modules: []bot.Module{{ID: "m1", Name: "Menu", Cards: []bot.Card{{Type: bot.CardText, Text: "Hi", Buttons: []bot.Button{{Label: "Again", Action: bot.ActionGoToModule, ModuleID: "m1"}}}}}},
		Refs:    map[string]string{"sale": "m1"}, Welcome: map[string]string{"ch-1": "m1"}}
	return hs, m
}

const botBody = `{"name":"Welcome bot","channelKinds":["line","messenger"],"modules":[
 {"id":"menu","name":"Menu","cards":[{"type":"text","text":"Hi {{system:customer_name}}","buttons":[{"label":"Prices","action":"go_to_module","moduleId":"prices"}]}]},
 {"name":"Prices","cards":[{"type":"text","text":"500 NTD"}]}
]}`

func TestCreateBot(t *testing.T) {
	hs, m := botHarness(t)
	token := hs.roleToken(teamA, switchboard.RoleMarketer)
	body := strings.Replace(botBody, `{"name":"Prices"`, `{"id":"prices","name":"Prices"`, 1)
	resp := hs.call("POST", "/v1/bots", token, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	var got bot.Bot
	decodeBody(t, resp, &got)
	if got.ID == "" || got.TeamID != teamA || got.Name != "Welcome bot" || got.Version != 1 || len(got.Modules) != 2 {
		t.Errorf("created = %+v", got)
	}
	if _, ok := m.bots[teamA+"/"+got.ID]; !ok {
		t.Errorf("the bot was not stored under team A")
	}

	t.Run("a module without id gets one", func(t *testing.T) {
		body := strings.Replace(botBody, `"moduleId":"prices"`, `"moduleId":"menu"`, 1)
		resp := hs.call("POST", "/v1/bots", token, body)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
		var got bot.Bot
		decodeBody(t, resp, &got)
		if !bot.ValidID(got.Modules[1].ID) {
			t.Errorf("module 2 id = %q", got.Modules[1].ID)
		}
	})
}

func TestCreateBotRefusals(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantCode int
		wantMsg  string
	}{
		{"a button to a module of another bot", strings.Replace(botBody, `"moduleId":"prices"`, `"moduleId":"m1"`, 1), 400, `module "menu", card 1 (text): button 1: module "m1" is not a module of this bot`},
		{"open URL on WhatsApp", `{"name":"B","channelKinds":["whatsapp"],"modules":[{"id":"m","cards":[{"type":"text","text":"t","buttons":[{"label":"Web","action":"open_url","url":"https://x.example.com"}]}]}]}`, 400, "WhatsApp cannot show a button that opens a URL"},
		{"carousel title over LINE's limit", `{"name":"B","channelKinds":["line"],"modules":[{"id":"m","cards":[{"type":"carousel","items":[{"imageUrl":"https://c.example.com/a.png","title":"` + strings.Repeat("x", 41) + `","buttons":[{"label":"b","action":"go_to_module","moduleId":"m"}]}]}]}]}`, 400, "LINE allows 40"},
		{"API call to the metadata service", `{"name":"B","channelKinds":["line"],"modules":[{"id":"m","cards":[{"type":"api_call","api":{"endpoint":"http://169.254.169.254/latest"}}]}]}`, 400, "link-local"},
		{"welcome on a channel of another kind", `{"name":"B","channelKinds":["line"],"welcome":{"ch-wa":"m"},"modules":[{"id":"m","cards":[{"type":"text","text":"t"}]}]}`, 400, "a whatsapp channel, but the bot is not published on whatsapp"},
		{"welcome on an unknown channel", `{"name":"B","channelKinds":["line"],"welcome":{"ch-x":"m"},"modules":[{"id":"m","cards":[{"type":"text","text":"t"}]}]}`, 400, "not a channel of the team"},
		{"a taken ref", `{"name":"B","channelKinds":["line"],"refs":{"sale":"m"},"modules":[{"id":"m","cards":[{"type":"text","text":"t"}]}]}`, 409, `ref "sale" is already used by bot bot-1`},
		{"a version on create", `{"name":"B","channelKinds":["line"],"version":3,"modules":[{"id":"m","cards":[{"type":"text","text":"t"}]}]}`, 400, "a new bot has no version"},
		{"an unknown field", `{"name":"B","channelKinds":["line"],"modules":[],"colour":"red"}`, 400, `unknown field "colour"`},
		{"no modules", `{"name":"B","channelKinds":["line"],"modules":[]}`, 400, "at least one module"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, m := botHarness(t)
			resp := hs.call("POST", "/v1/bots", hs.roleToken(teamA, switchboard.RoleAdmin), tt.body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, resp.Body)
			}
			if _, msg := errorOf(t, resp); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.wantMsg)
			}
			if len(m.bots) != 1 {
				t.Errorf("%d bots stored, want only the seeded one", len(m.bots))
			}
		})
	}
}

func TestCreateBotBodyLimit(t *testing.T) {
	hs, _ := botHarness(t)
	token := hs.roleToken(teamA, switchboard.RoleAdmin)
	// Over MaxRequestBody but under MaxBotBody: a large bot is accepted.
	var mods []string
	for i := range 120 {
		mods = append(mods, fmt.Sprintf(`{"id":"m%d","cards":[{"type":"text","text":"%s"}]}`, i, strings.Repeat("x", 600)))
	}
	big := `{"name":"Big","channelKinds":["line"],"modules":[` + strings.Join(mods, ",") + `]}`
	if len(big) <= MaxRequestBody || len(big) >= MaxBotBody {
		t.Fatalf("body of %d bytes does not test the limit", len(big))
	}
	if resp := hs.call("POST", "/v1/bots", token, big); resp.StatusCode != http.StatusCreated {
		t.Errorf("a %d KiB bot: status %d: %.200s", len(big)>>10, resp.StatusCode, resp.Body)
	}
	huge := `{"name":"Huge","channelKinds":["line"],"modules":[{"id":"m","cards":[{"type":"text","text":"` + strings.Repeat("x", MaxBotBody) + `"}]}]}`
	if resp := hs.call("POST", "/v1/bots", token, huge); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("an oversized bot: status %d, want 413", resp.StatusCode)
	}
}

func TestGetAndListBots(t *testing.T) {
	hs, _ := botHarness(t)
	token := hs.roleToken(teamA, switchboard.RoleCSAgent)
	resp := hs.call("GET", "/v1/bots/bot-1", token, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	var b bot.Bot
	decodeBody(t, resp, &b)
	if b.ID != "bot-1" || len(b.Modules) != 1 || b.Modules[0].Cards[0].Buttons[0].ModuleID != "m1" {
		t.Errorf("bot = %+v", b)
	}
	resp = hs.call("GET", "/v1/bots", token, "")
	var l struct {
		Items []botSummary `json:"items"`
	}
	decodeBody(t, resp, &l)
	if len(l.Items) != 1 || l.Items[0].ID != "bot-1" || l.Items[0].ModuleCount != 1 || l.Items[0].Version != 4 || l.Items[0].Refs["sale"] != "m1" {
		t.Errorf("list = %+v", l.Items)
	}
	if strings.Contains(resp.Body, `"modules"`) {
		t.Errorf("the list carries whole definitions: %s", resp.Body)
	}
	// Another team sees none of it.
	other := hs.roleToken(teamB, switchboard.RoleAdmin)
	if resp := hs.call("GET", "/v1/bots/bot-1", other, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("team B reading team A's bot: status %d", resp.StatusCode)
	}
	if resp := hs.call("GET", "/v1/bots", other, ""); resp.Body != `{"items":[]}` {
		t.Errorf("team B's list = %s", resp.Body)
	}
}

func TestUpdateBot(t *testing.T) {
	body := `{"name":"Shop v2","channelKinds":["line"],"version":%d,"refs":{"sale":"m1"},"modules":[{"id":"m1","cards":[{"type":"text","text":"Hello"}]}]}`
	tests := []struct {
		name     string
		body     string
		id       string
		team     string
		wantCode int
		wantMsg  string
	}{
		{"at the version read", fmt.Sprintf(body, 4), "bot-1", teamA, 200, ""},
		{"without a version", strings.Replace(fmt.Sprintf(body, 4), `"version":4,`, "", 1), "bot-1", teamA, 200, ""},
		{"an older version", fmt.Sprintf(body, 3), "bot-1", teamA, 409, "changed since version 3 (it is at version 4)"},
		{"an invalid definition", `{"name":"x","channelKinds":["line"],"modules":[{"id":"m1","cards":[{"type":"delay","delay":{"minutes":0,"nextModuleId":"m1"}}]}]}`, "bot-1", teamA, 400, "whole minutes"},
		{"a missing bot", fmt.Sprintf(body, 1), "bot-9", teamA, 404, ""},
		{"another team's bot", fmt.Sprintf(body, 4), "bot-1", teamB, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, m := botHarness(t)
			resp := hs.call("PUT", "/v1/bots/"+tt.id, hs.roleToken(tt.team, switchboard.RoleSupervisor), tt.body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, resp.Body)
			}
			stored := m.bots[teamA+"/bot-1"]
			if tt.wantCode != 200 {
				if _, msg := errorOf(t, resp); !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("message = %q, want %q", msg, tt.wantMsg)
				}
				if stored.Name != "Shop" {
					t.Errorf("the bot changed on a refusal")
				}
				return
			}
			var got bot.Bot
			decodeBody(t, resp, &got)
			if got.Name != "Shop v2" || got.Version != 5 || got.ID != "bot-1" || got.Welcome != nil || stored.Modules[0].Cards[0].Text != "Hello" {
				t.Errorf("updated = %+v", got)
			}
		})
	}
}

func TestDeleteBot(t *testing.T) {
	hs, m := botHarness(t)
	token := hs.roleToken(teamA, switchboard.RoleCSManager)
	if resp := hs.call("DELETE", "/v1/bots/bot-1", hs.roleToken(teamB, switchboard.RoleAdmin), ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("team B deleting team A's bot: status %d", resp.StatusCode)
	}
	resp := hs.call("DELETE", "/v1/bots/bot-1", token, "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	if len(m.bots) != 0 || !slices.Equal(m.gone, []string{teamA + "/bot-1"}) {
		t.Errorf("bots %v, marked gone %v", m.bots, m.gone)
	}
	var ops []string
	for _, w := range hs.mem.writesTo(teamA) {
		ops = append(ops, w.op)
	}
	if want := []string{"MarkBotGone", "DeleteBot"}; !slices.Equal(ops, want) {
		t.Errorf("writes = %q, want the rules marked before the delete %q", ops, want)
	}
	if resp := hs.call("DELETE", "/v1/bots/bot-1", token, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleting again: status %d", resp.StatusCode)
	}
}

func TestCopyBot(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantName string
	}{
		{"default name", "", "Shop (copy)"},
		{"given name", `{"name":"Shop summer"}`, "Shop summer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, m := botHarness(t)
			resp := hs.call("POST", "/v1/bots/bot-1/copy", hs.roleToken(teamA, switchboard.RoleMarketer), tt.body)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			var got bot.Bot
			decodeBody(t, resp, &got)
			if got.ID == "bot-1" || got.Name != tt.wantName || got.Refs != nil || got.Welcome != nil {
				t.Errorf("copy = %+v", got)
			}
			mod := got.Modules[0]
			if mod.ID == "m1" || mod.Cards[0].Buttons[0].ModuleID != mod.ID {
				t.Errorf("copy's module %q, its button leads to %q; want a new id it leads to", mod.ID, mod.Cards[0].Buttons[0].ModuleID)
			}
			if len(m.bots) != 2 {
				t.Errorf("%d bots, want 2", len(m.bots))
			}
		})
	}
	t.Run("long names are cut", func(t *testing.T) {
		if got := copyName(strings.Repeat("名", 100)); len([]rune(got)) != bot.MaxNameLen || !strings.HasSuffix(got, " (copy)") {
			t.Errorf("copyName = %q (%d)", got, len([]rune(got)))
		}
	})
}

func TestBotsWithoutAStore(t *testing.T) {
	hs := newHarness(t, func(c *Config) { c.Bots = nil })
	resp := hs.call("GET", "/v1/bots", hs.roleToken(teamA, switchboard.RoleAdmin), "")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", resp.StatusCode)
	}
}

// botRoleCases are the bot routes' permissions: everyone reads, the rule
// editors write. TestRolePermissions counts them as covered.
var botRoleCases = []struct {
	route, path, body string
	writes            bool
}{
	{"GET /v1/bots", "/v1/bots", "", false},
	{"POST /v1/bots", "/v1/bots", `{"name":"B","channelKinds":["line"],"modules":[{"id":"m","cards":[{"type":"text","text":"t"}]}]}`, true},
	{"GET /v1/bots/{id}", "/v1/bots/bot-1", "", false},
	{"PUT /v1/bots/{id}", "/v1/bots/bot-1", `{"name":"B","channelKinds":["line"],"modules":[{"id":"m","cards":[{"type":"text","text":"t"}]}]}`, true},
	{"DELETE /v1/bots/{id}", "/v1/bots/bot-1", "", true},
	{"POST /v1/bots/{id}/copy", "/v1/bots/bot-1/copy", "", true},
}

func TestBotRolePermissions(t *testing.T) {
	editors := []switchboard.Role{switchboard.RoleAdmin, switchboard.RoleSupervisor, switchboard.RoleCSManager, switchboard.RoleMarketer}
	for _, c := range botRoleCases {
		for _, role := range switchboard.Roles {
			t.Run(c.route+" as "+string(role), func(t *testing.T) {
				hs, _ := botHarness(t)
				method, _, _ := strings.Cut(c.route, " ")
				resp := hs.call(method, c.path, hs.roleToken(teamA, role), c.body)
				allowed := !c.writes || slices.Contains(editors, role)
				if allowed {
					if resp.StatusCode < 200 || resp.StatusCode > 299 {
						t.Errorf("status %d, want 2xx: %s", resp.StatusCode, resp.Body)
					}
					return
				}
				if resp.StatusCode != http.StatusForbidden {
					t.Fatalf("status %d, want 403", resp.StatusCode)
				}
				if _, msg := errorOf(t, resp); msg != "role "+string(role)+" may not change bots" {
					t.Errorf("message = %q", msg)
				}
				if len(hs.mem.writes) != 0 {
					t.Errorf("writes after 403: %v", hs.mem.writes)
				}
			})
		}
	}
}
