// Package httpapi is the operators' API of Switchboard: the JSON endpoints under
// /v1 through which a team manages itself, its channels, members and API tokens,
// answers its customers from the inbox, and edits its routing rules.
// It runs behind the API Gateway route ANY /v1/{proxy+}, receives HTTP API v2
// events through package apigw, and talks to storage only through the narrow
// store interfaces declared here, always scoped to the caller's team.
package httpapi

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// MaxRequestBody caps API request bodies. The largest legitimate body (a member
// with 28 working-hour intervals, or a channel with a 4 KiB access token) is a few
// KiB, so 64 KiB leaves room without letting a client make the function parse
// megabytes of JSON.
const MaxRequestBody = 64 << 10

// TeamStore is what the API needs of team storage.
type TeamStore interface {
	CreateTeam(ctx context.Context, t *switchboard.Team) error
	GetTeam(ctx context.Context, id string) (*switchboard.Team, error)
	UpdateTeam(ctx context.Context, id string, fn func(*switchboard.Team) (*switchboard.Team, error)) (*switchboard.Team, error)
}

// ChannelStore is what the API needs of channel storage: everything but the
// webhook's lookup by id alone, which the API must never use because it ignores
// the team.
type ChannelStore interface {
	CreateChannel(ctx context.Context, c *switchboard.Channel) error
	GetChannel(ctx context.Context, teamID, id string) (*switchboard.Channel, error)
	ListChannels(ctx context.Context, teamID string) ([]*switchboard.Channel, error)
	UpdateChannel(ctx context.Context, teamID, id string, fn func(*switchboard.Channel) (*switchboard.Channel, error)) (*switchboard.Channel, error)
	DeleteChannel(ctx context.Context, teamID, id string) error
}

// MemberStore is what the API needs of member storage.
type MemberStore interface {
	CreateMember(ctx context.Context, m *switchboard.Member) error
	GetMember(ctx context.Context, teamID, id string) (*switchboard.Member, error)
	ListMembers(ctx context.Context, teamID string) ([]*switchboard.Member, error)
	UpdateMember(ctx context.Context, teamID, id string, fn func(*switchboard.Member) (*switchboard.Member, error)) (*switchboard.Member, error)
	DeleteMember(ctx context.Context, teamID, id string) error
}

// TokenStore is what the API needs of token storage.
type TokenStore interface {
	CreateToken(ctx context.Context, t *switchboard.Token) error
	FindTokenByHash(ctx context.Context, hash string) (*switchboard.Token, error)
	ListTokens(ctx context.Context, teamID string) ([]*switchboard.Token, error)
	DeleteToken(ctx context.Context, teamID, id string) error
}

// The domain's store interfaces satisfy the narrow ones, so main can pass the
// DynamoDB store as it is.
var (
	_ TeamStore    = (switchboard.TeamStore)(nil)
	_ ChannelStore = (switchboard.ChannelStore)(nil)
	_ MemberStore  = (switchboard.MemberStore)(nil)
	_ TokenStore   = (switchboard.TokenStore)(nil)
)

// Config is everything the API needs, built once in main.
type Config struct {
	Teams    TeamStore
	Channels ChannelStore
	Members  MemberStore
	Tokens   TokenStore
	// Contacts, Conversations, Messages and Rules serve the inbox and the
	// routing rules (conversations.go, contacts.go, rules.go).
	Contacts      ContactStore
	Conversations ConversationStore
	Messages      MessageStore
	Rules         RuleStore
	// Bots serves the bot builder (bots.go). It is optional: without it the
	// bot routes answer 503, so a deployment that does not wire it fails
	// loudly there rather than at start.
	Bots BotStore
	// AutoEnd arms a conversation's auto-end timer when an agent replies
	// (SPEC §2). It is optional: without it no timer is armed, so auto-end
	// never closes anything.
	AutoEnd AutoEndStore
	// Settings, Automations and SiteKeys serve the automation settings, cart
	// remarketing and payment reminder configuration, and the website's site
	// keys (automations.go, sitekeys.go). Each is optional: without it its
	// routes answer 503.
	Settings    SettingsStore
	Automations Automations
	SiteKeys    SiteKeyStore
	// Senders deliver agents' messages, one per channel kind
	// (outbound.Senders). A kind without one answers 503 when an agent sends.
	Senders map[switchboard.ChannelKind]switchboard.Sender
	// Clock stamps createdAt/updatedAt and decides token expiry; time.Now when nil.
	Clock switchboard.Clock
	// NewID names new teams, channels, members and tokens; switchboard.NewID when nil.
	NewID switchboard.IDGen
	// AdminTokenHash is the hex SHA-256 (switchboard.HashToken) of the platform
	// admin key that may create teams. Empty disables team creation, which is the
	// safe default for a deployment nobody has configured.
	AdminTokenHash string
	// PublicBaseURL is the API's public origin, e.g. https://api.example.com, used
	// to show each channel's webhook URL. Empty shows only the path.
	PublicBaseURL string
	// Logger receives one JSON line per request; discarded when nil.
	Logger *slog.Logger
}

// Handler serves the operators' API. It is safe for concurrent use.
type Handler struct {
	teams         TeamStore
	channels      ChannelStore
	members       MemberStore
	tokens        TokenStore
	contacts      ContactStore
	conversations ConversationStore
	messages      MessageStore
	rules         RuleStore
	bots          BotStore
	autoEnd       AutoEndStore
	settings      SettingsStore
	automations   Automations
	siteKeys      SiteKeyStore
	senders       map[switchboard.ChannelKind]switchboard.Sender
	now           switchboard.Clock
	newID         switchboard.IDGen
	// adminHash is the decoded AdminTokenHash; nil when team creation is off.
	adminHash []byte
	// adminHashErr explains why a configured AdminTokenHash cannot be used.
	adminHashErr string
	baseURL      string
	log          *slog.Logger
	routes       []route
}

// New builds the handler. It panics when a store is missing, because that is a
// wiring bug in main that must fail at cold start rather than on some request.
func New(cfg Config) *Handler {
	if cfg.Teams == nil || cfg.Channels == nil || cfg.Members == nil || cfg.Tokens == nil ||
		cfg.Contacts == nil || cfg.Conversations == nil || cfg.Messages == nil || cfg.Rules == nil {
		panic("httpapi.New: Teams, Channels, Members, Tokens, Contacts, Conversations, Messages and Rules stores are required")
	}
	h := &Handler{
		teams:         cfg.Teams,
		channels:      cfg.Channels,
		members:       cfg.Members,
		tokens:        cfg.Tokens,
		contacts:      cfg.Contacts,
		conversations: cfg.Conversations,
		messages:      cfg.Messages,
		rules:         cfg.Rules,
		bots:          cfg.Bots,
		autoEnd:       cfg.AutoEnd,
		settings:      cfg.Settings,
		automations:   cfg.Automations,
		siteKeys:      cfg.SiteKeys,
		senders:       cfg.Senders,
		now:           cfg.Clock,
		newID:         cfg.NewID,
		baseURL:       strings.TrimRight(strings.TrimSpace(cfg.PublicBaseURL), "/"),
		log:           cfg.Logger,
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.newID == nil {
		h.newID = switchboard.NewID
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if s := strings.TrimSpace(cfg.AdminTokenHash); s != "" {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != 32 {
			h.adminHashErr = "team creation is disabled: the AdminTokenHash parameter is not a 64-digit hex SHA-256"
			h.log.Error("AdminTokenHash is not a hex SHA-256; team creation is disabled", "length", len(s))
		} else {
			h.adminHash = b
		}
	}
	h.routes = h.routeTable()
	return h
}

// Caller is who is making a request, established from the bearer token. Every
// store call a handler makes is scoped to Caller.TeamID, never to a team named
// in the path or body, so one team can never address another's records.
type Caller struct {
	TeamID string
	// Role is the token's role, or the role of the member the token belongs to.
	Role    switchboard.Role
	TokenID string
	// MemberID is set when the token belongs to a member.
	MemberID string
}

// request is one matched request as handlers see it.
type request struct {
	raw     events.APIGatewayV2HTTPRequest
	headers map[string]string
	params  map[string]string
	caller  Caller
}

// param returns a path parameter of the matched route.
func (r *request) param(name string) string { return r.params[name] }

// Handle serves one API Gateway HTTP API event. It never returns an error: every
// failure is answered with a JSON error body, so API Gateway never substitutes its
// own opaque 500.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, err error) {
	start := time.Now()
	reqID := apigw.RequestID(ev)
	ctx = apigw.ContextWithRequestID(ctx, reqID)
	method := strings.ToUpper(ev.RequestContext.HTTP.Method)
	path := requestPath(ev)
	rt := "unmatched"
	var caller Caller
	// apigw.Error adds the request id itself, from ctx.
	log := h.log

	defer func() {
		if p := recover(); p != nil {
			resp = apigw.Error(ctx, h.log.With("route", rt, "teamId", caller.TeamID), fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
			err = nil
		}
		resp = apigw.WithRequestID(resp, reqID)
		if resp.Headers == nil {
			resp.Headers = map[string]string{}
		}
		// Responses may carry a token secret once; nothing here may be cached.
		resp.Headers["cache-control"] = "no-store"
		h.log.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("requestId", reqID),
			slog.String("method", method),
			slog.String("route", rt),
			slog.String("teamId", caller.TeamID),
			slog.String("tokenId", caller.TokenID),
			slog.Int("status", resp.StatusCode),
			slog.Int64("durationMs", time.Since(start).Milliseconds()),
		)
	}()

	m := h.match(method, path)
	switch {
	case m.route == nil && len(m.allow) == 0:
		return apigw.Error(ctx, log, switchboard.Errorf(switchboard.ENotFound, "no route %s %s", method, path)), nil
	case m.route == nil:
		log.InfoContext(ctx, "request refused", "requestId", reqID, "status", http.StatusMethodNotAllowed, "code", codeMethodNotAllowed)
		resp := apigw.JSON(http.StatusMethodNotAllowed, apigw.ErrorBody{Error: apigw.ErrorDetail{
			Code:    codeMethodNotAllowed,
			Message: fmt.Sprintf("method %s is not allowed on %s; use %s", method, path, strings.Join(m.allow, ", ")),
		}})
		resp.Headers["allow"] = strings.Join(m.allow, ", ")
		return resp, nil
	}
	rt = m.route.method + " " + m.route.pattern
	r := &request{raw: ev, headers: apigw.Headers(ev), params: m.params}
	log = log.With("route", rt)

	switch m.route.auth {
	case authToken:
		c, err := h.authenticate(ctx, r)
		if err != nil {
			return challenge(apigw.Error(ctx, log, err)), nil
		}
		caller = c
		r.caller = c
		log = log.With("teamId", c.TeamID)
		if m.route.perm != "" && !c.Role.Can(m.route.perm) {
			return apigw.Error(ctx, log, switchboard.Errorf(switchboard.EForbidden, "role %s may not %s", c.Role, m.route.action)), nil
		}
	case authAdminKey:
		if err := h.authenticateAdmin(r); err != nil {
			return challenge(apigw.Error(ctx, log, err)), nil
		}
	}

	out, err := m.route.handle(ctx, r)
	if err != nil {
		return apigw.Error(ctx, log, err), nil
	}
	return out, nil
}

// codeMethodNotAllowed is the error code of a 405. A wrong method is a routing
// outcome, not a domain failure, so it has no domain error code.
const codeMethodNotAllowed = "method_not_allowed"

// challenge adds the www-authenticate header RFC 6750 asks for on a 401.
func challenge(resp events.APIGatewayV2HTTPResponse) events.APIGatewayV2HTTPResponse {
	if resp.StatusCode == http.StatusUnauthorized {
		resp.Headers["www-authenticate"] = "Bearer"
	}
	return resp
}

// requestPath is the path the route table is matched against. With a named
// stage (not $default) API Gateway puts the stage in rawPath, so it is removed.
func requestPath(ev events.APIGatewayV2HTTPRequest) string {
	p := ev.RawPath
	if p == "" {
		p = ev.RequestContext.HTTP.Path
	}
	if st := ev.RequestContext.Stage; st != "" && st != "$default" {
		if rest, ok := strings.CutPrefix(p, "/"+st+"/"); ok {
			p = "/" + rest
		}
	}
	return p
}
