package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Fakes of the store interfaces as structs of function fields: a test replaces one
// field to make one call behave as it needs. A nil field fails the call loudly.

type fakeTeams struct {
	createTeam func(ctx context.Context, t *switchboard.Team) error
	getTeam    func(ctx context.Context, id string) (*switchboard.Team, error)
	updateTeam func(ctx context.Context, id string, fn func(*switchboard.Team) (*switchboard.Team, error)) (*switchboard.Team, error)
}

var _ TeamStore = (*fakeTeams)(nil)

func (f *fakeTeams) CreateTeam(ctx context.Context, t *switchboard.Team) error {
	if f.createTeam == nil {
		return errUnexpected("CreateTeam")
	}
	return f.createTeam(ctx, t)
}

func (f *fakeTeams) GetTeam(ctx context.Context, id string) (*switchboard.Team, error) {
	if f.getTeam == nil {
		return nil, errUnexpected("GetTeam")
	}
	return f.getTeam(ctx, id)
}

func (f *fakeTeams) UpdateTeam(ctx context.Context, id string, fn func(*switchboard.Team) (*switchboard.Team, error)) (*switchboard.Team, error) {
	if f.updateTeam == nil {
		return nil, errUnexpected("UpdateTeam")
	}
	return f.updateTeam(ctx, id, fn)
}

type fakeChannels struct {
	createChannel func(ctx context.Context, c *switchboard.Channel) error
	getChannel    func(ctx context.Context, teamID, id string) (*switchboard.Channel, error)
	listChannels  func(ctx context.Context, teamID string) ([]*switchboard.Channel, error)
	updateChannel func(ctx context.Context, teamID, id string, fn func(*switchboard.Channel) (*switchboard.Channel, error)) (*switchboard.Channel, error)
	deleteChannel func(ctx context.Context, teamID, id string) error
}

var _ ChannelStore = (*fakeChannels)(nil)

func (f *fakeChannels) CreateChannel(ctx context.Context, c *switchboard.Channel) error {
	if f.createChannel == nil {
		return errUnexpected("CreateChannel")
	}
	return f.createChannel(ctx, c)
}

func (f *fakeChannels) GetChannel(ctx context.Context, teamID, id string) (*switchboard.Channel, error) {
	if f.getChannel == nil {
		return nil, errUnexpected("GetChannel")
	}
	return f.getChannel(ctx, teamID, id)
}

func (f *fakeChannels) ListChannels(ctx context.Context, teamID string) ([]*switchboard.Channel, error) {
	if f.listChannels == nil {
		return nil, errUnexpected("ListChannels")
	}
	return f.listChannels(ctx, teamID)
}

func (f *fakeChannels) UpdateChannel(ctx context.Context, teamID, id string, fn func(*switchboard.Channel) (*switchboard.Channel, error)) (*switchboard.Channel, error) {
	if f.updateChannel == nil {
		return nil, errUnexpected("UpdateChannel")
	}
	return f.updateChannel(ctx, teamID, id, fn)
}

func (f *fakeChannels) DeleteChannel(ctx context.Context, teamID, id string) error {
	if f.deleteChannel == nil {
		return errUnexpected("DeleteChannel")
	}
	return f.deleteChannel(ctx, teamID, id)
}

type fakeMembers struct {
	createMember func(ctx context.Context, m *switchboard.Member) error
	getMember    func(ctx context.Context, teamID, id string) (*switchboard.Member, error)
	listMembers  func(ctx context.Context, teamID string) ([]*switchboard.Member, error)
	updateMember func(ctx context.Context, teamID, id string, fn func(*switchboard.Member) (*switchboard.Member, error)) (*switchboard.Member, error)
	deleteMember func(ctx context.Context, teamID, id string) error
}

var _ MemberStore = (*fakeMembers)(nil)

func (f *fakeMembers) CreateMember(ctx context.Context, m *switchboard.Member) error {
	if f.createMember == nil {
		return errUnexpected("CreateMember")
	}
	return f.createMember(ctx, m)
}

func (f *fakeMembers) GetMember(ctx context.Context, teamID, id string) (*switchboard.Member, error) {
	if f.getMember == nil {
		return nil, errUnexpected("GetMember")
	}
	return f.getMember(ctx, teamID, id)
}

func (f *fakeMembers) ListMembers(ctx context.Context, teamID string) ([]*switchboard.Member, error) {
	if f.listMembers == nil {
		return nil, errUnexpected("ListMembers")
	}
	return f.listMembers(ctx, teamID)
}

func (f *fakeMembers) UpdateMember(ctx context.Context, teamID, id string, fn func(*switchboard.Member) (*switchboard.Member, error)) (*switchboard.Member, error) {
	if f.updateMember == nil {
		return nil, errUnexpected("UpdateMember")
	}
	return f.updateMember(ctx, teamID, id, fn)
}

func (f *fakeMembers) DeleteMember(ctx context.Context, teamID, id string) error {
	if f.deleteMember == nil {
		return errUnexpected("DeleteMember")
	}
	return f.deleteMember(ctx, teamID, id)
}

type fakeTokens struct {
	createToken     func(ctx context.Context, t *switchboard.Token) error
	findTokenByHash func(ctx context.Context, hash string) (*switchboard.Token, error)
	listTokens      func(ctx context.Context, teamID string) ([]*switchboard.Token, error)
	deleteToken     func(ctx context.Context, teamID, id string) error
}

var _ TokenStore = (*fakeTokens)(nil)

func (f *fakeTokens) CreateToken(ctx context.Context, t *switchboard.Token) error {
	if f.createToken == nil {
		return errUnexpected("CreateToken")
	}
	return f.createToken(ctx, t)
}

func (f *fakeTokens) FindTokenByHash(ctx context.Context, hash string) (*switchboard.Token, error) {
	if f.findTokenByHash == nil {
		return nil, errUnexpected("FindTokenByHash")
	}
	return f.findTokenByHash(ctx, hash)
}

func (f *fakeTokens) ListTokens(ctx context.Context, teamID string) ([]*switchboard.Token, error) {
	if f.listTokens == nil {
		return nil, errUnexpected("ListTokens")
	}
	return f.listTokens(ctx, teamID)
}

func (f *fakeTokens) DeleteToken(ctx context.Context, teamID, id string) error {
	if f.deleteToken == nil {
		return errUnexpected("DeleteToken")
	}
	return f.deleteToken(ctx, teamID, id)
}

func errUnexpected(name string) error { return fmt.Errorf("unexpected call to %s", name) }

// memStore is a map-backed store for happy paths and the cross-team test. Like
// the real store it scopes every read and write by team, and it records every
// write with the team it was addressed to.
type memStore struct {
	mu       sync.Mutex
	teams    map[string]*switchboard.Team
	channels map[string]*switchboard.Channel // by id
	members  map[string]*switchboard.Member
	tokens   map[string]*switchboard.Token
	writes   []write
}

// write is one recorded write call.
type write struct {
	op, teamID, id string
}

func newMemStore() *memStore {
	return &memStore{
		teams:    map[string]*switchboard.Team{},
		channels: map[string]*switchboard.Channel{},
		members:  map[string]*switchboard.Member{},
		tokens:   map[string]*switchboard.Token{},
	}
}

func (m *memStore) record(op, teamID, id string) {
	m.writes = append(m.writes, write{op, teamID, id})
}

// writesTo returns the recorded writes addressed to teamID.
func (m *memStore) writesTo(teamID string) []write {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []write
	for _, w := range m.writes {
		if w.teamID == teamID {
			out = append(out, w)
		}
	}
	return out
}

func notFound(what string) error {
	return switchboard.Errorf(switchboard.ENotFound, "%s not found", what)
}

// fakes returns function-field fakes backed by m.
func (m *memStore) fakes() (*fakeTeams, *fakeChannels, *fakeMembers, *fakeTokens) {
	teams := &fakeTeams{
		createTeam: func(_ context.Context, t *switchboard.Team) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.record("CreateTeam", t.ID, t.ID)
			if _, ok := m.teams[t.ID]; ok {
				return switchboard.Errorf(switchboard.EConflict, "team exists")
			}
			cp := *t
			m.teams[t.ID] = &cp
			return nil
		},
		getTeam: func(_ context.Context, id string) (*switchboard.Team, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			t, ok := m.teams[id]
			if !ok {
				return nil, notFound("team")
			}
			cp := *t
			return &cp, nil
		},
		updateTeam: func(_ context.Context, id string, fn func(*switchboard.Team) (*switchboard.Team, error)) (*switchboard.Team, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.record("UpdateTeam", id, id)
			t, ok := m.teams[id]
			if !ok {
				return nil, notFound("team")
			}
			cp := *t
			next, err := fn(&cp)
			if err != nil {
				return nil, err
			}
			next.Version++
			stored := *next
			m.teams[id] = &stored
			return next, nil
		},
	}
	channels := &fakeChannels{
		createChannel: func(_ context.Context, c *switchboard.Channel) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.record("CreateChannel", c.TeamID, c.ID)
			cp := *c
			m.channels[c.ID] = &cp
			return nil
		},
		getChannel: func(_ context.Context, teamID, id string) (*switchboard.Channel, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			c, ok := m.channels[id]
			if !ok || c.TeamID != teamID {
				return nil, notFound("channel")
			}
			cp := *c
			return &cp, nil
		},
		listChannels: func(_ context.Context, teamID string) ([]*switchboard.Channel, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			var out []*switchboard.Channel
			for _, c := range m.channels {
				if c.TeamID == teamID {
					cp := *c
					out = append(out, &cp)
				}
			}
			slices.SortFunc(out, func(a, b *switchboard.Channel) int { return strings.Compare(a.ID, b.ID) })
			return out, nil
		},
		updateChannel: func(_ context.Context, teamID, id string, fn func(*switchboard.Channel) (*switchboard.Channel, error)) (*switchboard.Channel, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.record("UpdateChannel", teamID, id)
			c, ok := m.channels[id]
			if !ok || c.TeamID != teamID {
				return nil, notFound("channel")
			}
			cp := *c
			next, err := fn(&cp)
			if err != nil {
				return nil, err
			}
			next.Version++
			stored := *next
			m.channels[id] = &stored
			return next, nil
		},
		deleteChannel: func(_ context.Context, teamID, id string) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.record("DeleteChannel", teamID, id)
			c, ok := m.channels[id]
			if !ok || c.TeamID != teamID {
				return notFound("channel")
			}
			delete(m.channels, id)
			return nil
		},
	}
	members := &fakeMembers{
		createMember: func(_ context.Context, x *switchboard.Member) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.record("CreateMember", x.TeamID, x.ID)
			cp := *x
			m.members[x.ID] = &cp
			return nil
		},
		getMember: func(_ context.Context, teamID, id string) (*switchboard.Member, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			x, ok := m.members[id]
			if !ok || x.TeamID != teamID {
				return nil, notFound("member")
			}
			cp := *x
			return &cp, nil
		},
		listMembers: func(_ context.Context, teamID string) ([]*switchboard.Member, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			var out []*switchboard.Member
			for _, x := range m.members {
				if x.TeamID == teamID {
					cp := *x
					out = append(out, &cp)
				}
			}
			slices.SortFunc(out, func(a, b *switchboard.Member) int { return strings.Compare(a.ID, b.ID) })
			return out, nil
		},
		updateMember: func(_ context.Context, teamID, id string, fn func(*switchboard.Member) (*switchboard.Member, error)) (*switchboard.Member, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.record("UpdateMember", teamID, id)
			x, ok := m.members[id]
			if !ok || x.TeamID != teamID {
				return nil, notFound("member")
			}
			cp := *x
			next, err := fn(&cp)
			if err != nil {
				return nil, err
			}
			next.Version++
			stored := *next
			m.members[id] = &stored
			return next, nil
		},
		deleteMember: func(_ context.Context, teamID, id string) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.record("DeleteMember", teamID, id)
			x, ok := m.members[id]
			if !ok || x.TeamID != teamID {
				return notFound("member")
			}
			delete(m.members, id)
			return nil
		},
	}
	tokens := &fakeTokens{
		createToken: func(_ context.Context, t *switchboard.Token) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.record("CreateToken", t.TeamID, t.ID)
			cp := *t
			m.tokens[t.ID] = &cp
			return nil
		},
		findTokenByHash: func(_ context.Context, hash string) (*switchboard.Token, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, t := range m.tokens {
				if t.Hash == hash {
					cp := *t
					return &cp, nil
				}
			}
			return nil, notFound("token")
		},
		listTokens: func(_ context.Context, teamID string) ([]*switchboard.Token, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			var out []*switchboard.Token
			for _, t := range m.tokens {
				if t.TeamID == teamID {
					cp := *t
					out = append(out, &cp)
				}
			}
			slices.SortFunc(out, func(a, b *switchboard.Token) int { return strings.Compare(a.ID, b.ID) })
			return out, nil
		},
		deleteToken: func(_ context.Context, teamID, id string) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.record("DeleteToken", teamID, id)
			t, ok := m.tokens[id]
			if !ok || t.TeamID != teamID {
				return notFound("token")
			}
			delete(m.tokens, id)
			return nil
		},
	}
	return teams, channels, members, tokens
}

// Fixed values of the harness.
const (
	adminKey     = "platform-admin-key-for-tests"
	testBaseURL  = "https://api.example.test"
	teamA, teamB = "team-a", "team-b"
)

var testNow = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// harness is a Handler over a memStore, with fakes a test may override.
type harness struct {
	t        *testing.T
	mem      *memStore
	teams    *fakeTeams
	channels *fakeChannels
	members  *fakeMembers
	tokens   *fakeTokens
	// The inbox's stores and the sender of every channel kind.
	inbox         *memInbox
	contacts      *fakeContacts
	conversations *fakeConversations
	messages      *fakeMessages
	rules         *fakeRules
	sender        *fakeSender
	bots          *memBots        // the bot builder's bots (bots_test.go)
	auto          *memAutomations // automation settings and site keys (automations_test.go)
	h             *Handler
	logs          *bytes.Buffer
	// ids counts the ids handed out; bulk actions ask for them from
	// several goroutines at once.
	ids atomic.Int64
}

func newHarness(t *testing.T, configure ...func(*Config)) *harness {
	t.Helper()
	hs := &harness{t: t, mem: newMemStore(), logs: &bytes.Buffer{}}
	hs.teams, hs.channels, hs.members, hs.tokens = hs.mem.fakes()
	hs.inbox = newMemInbox(hs.mem)
	hs.contacts, hs.conversations, hs.messages, hs.rules = hs.inbox.fakes()
	hs.bots = newMemBots(hs.mem)
	hs.auto = newMemAutomations(hs.channels)
	hs.sender = &fakeSender{send: func(_ context.Context, r switchboard.SendRequest) (switchboard.SendResult, error) {
		hs.mem.mu.Lock()
		defer hs.mem.mu.Unlock()
		hs.inbox.sent = append(hs.inbox.sent, r)
		return switchboard.SendResult{PlatformMessageIDs: []string{fmt.Sprintf("pm-%d", len(hs.inbox.sent))}, Via: "push"}, nil
	}}
	senders := map[switchboard.ChannelKind]switchboard.Sender{}
	for _, k := range switchboard.ChannelKinds {
		senders[k] = hs.sender
	}
	cfg := Config{
		Teams:          hs.teams,
		Channels:       hs.channels,
		Members:        hs.members,
		Tokens:         hs.tokens,
		Contacts:       hs.contacts,
		Conversations:  hs.conversations,
		Messages:       hs.messages,
		Rules:          hs.rules,
		Bots:           hs.bots.fakes(),
		Settings:       hs.auto,
		Automations:    hs.auto,
		SiteKeys:       hs.auto,
		Senders:        senders,
		Clock:          func() time.Time { return testNow },
		NewID:          func() string { return fmt.Sprintf("id-%03d", hs.ids.Add(1)) },
		AdminTokenHash: switchboard.HashToken(adminKey),
		PublicBaseURL:  testBaseURL,
		Logger:         slog.New(slog.NewJSONHandler(hs.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, c := range configure {
		c(&cfg)
	}
	hs.h = New(cfg)
	for _, id := range []string{teamA, teamB} {
		hs.mem.teams[id] = &switchboard.Team{ID: id, Name: "Team " + id, TimeZone: "Asia/Taipei", CreatedAt: testNow, UpdatedAt: testNow, Version: 1}
	}
	return hs
}

// addToken stores a token and returns its plaintext secret.
func (hs *harness) addToken(tok switchboard.Token) string {
	secret := switchboard.TokenPrefix + "test-" + tok.ID
	tok.Hash = switchboard.HashToken(secret)
	if tok.CreatedAt.IsZero() {
		tok.CreatedAt = testNow
	}
	hs.mem.tokens[tok.ID] = &tok
	return secret
}

// roleToken stores a token of role in team and returns its secret.
func (hs *harness) roleToken(teamID string, role switchboard.Role) string {
	return hs.addToken(switchboard.Token{ID: "tok-" + teamID + "-" + string(role), TeamID: teamID, Name: string(role), Role: role})
}

func (hs *harness) addChannel(c switchboard.Channel) {
	if c.CreatedAt.IsZero() {
		c.CreatedAt, c.UpdatedAt = testNow, testNow
	}
	hs.mem.channels[c.ID] = &c
}

func (hs *harness) addMember(m switchboard.Member) {
	if m.CreatedAt.IsZero() {
		m.CreatedAt, m.UpdatedAt = testNow, testNow
	}
	if m.Status == "" {
		m.Status = switchboard.MemberOffline
	}
	hs.mem.members[m.ID] = &m
}

// req builds an API Gateway v2 event.
func req(method, path, token, body string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: "ANY /v1/{proxy+}",
		RawPath:  path,
		Headers:  map[string]string{"content-type": "application/json"},
		Body:     body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-" + strings.ReplaceAll(strings.Trim(path, "/"), "/", "-"),
			Stage:     "$default",
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "198.51.100.20"},
		},
	}
	if token != "" {
		ev.Headers["authorization"] = "Bearer " + token
	}
	return ev
}

// do serves one request and fails the test if Handle returns an error.
func (hs *harness) do(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	hs.t.Helper()
	resp, err := hs.h.Handle(context.Background(), ev)
	if err != nil {
		hs.t.Fatalf("Handle returned error %v", err)
	}
	return resp
}

// call is do(req(...)).
func (hs *harness) call(method, path, token, body string) events.APIGatewayV2HTTPResponse {
	hs.t.Helper()
	return hs.do(req(method, path, token, body))
}

// errorOf decodes an error body, failing when it is not one.
func errorOf(t *testing.T, resp events.APIGatewayV2HTTPResponse) (code, message string) {
	t.Helper()
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &b); err != nil || b.Error.Code == "" {
		t.Fatalf("status %d body %q is not an error body (%v)", resp.StatusCode, resp.Body, err)
	}
	return b.Error.Code, b.Error.Message
}

// decodeBody decodes a JSON response body into v.
func decodeBody(t *testing.T, resp events.APIGatewayV2HTTPResponse, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(resp.Body), v); err != nil {
		t.Fatalf("status %d body %q: %v", resp.StatusCode, resp.Body, err)
	}
}
