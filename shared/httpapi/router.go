package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// authKind says how a route authenticates its caller.
type authKind int

const (
	// authToken needs a team API token; the route then runs as its Caller.
	authToken authKind = iota
	// authNone is for public documents such as the OpenAPI description.
	authNone
	// authAdminKey needs the platform admin key (team creation only).
	authAdminKey
)

// maxParamLen bounds a path parameter: ids are 26-character ULIDs, and a longer
// value can only be a probe, answered 404 without touching storage.
const maxParamLen = 128

// route is one entry of the route table.
type route struct {
	method  string
	pattern string
	segs    []string
	auth    authKind
	// perm is checked before the handler runs; empty when the handler decides
	// (a member may set their own status) or the route is not token-authenticated.
	perm switchboard.Permission
	// action completes the 403 message "role X may not <action>".
	action string
	handle func(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error)
}

// routeTable is every route of the API. The OpenAPI document must list exactly
// these (method, path) pairs; a test holds the two together.
func (h *Handler) routeTable() []route {
	const (
		get, post, put, patch, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	)
	rs := []route{
		{method: get, pattern: "/v1/openapi.yaml", auth: authNone, handle: h.openAPI},
		{method: post, pattern: "/v1/teams", auth: authAdminKey, handle: h.createTeam},

		{method: get, pattern: "/v1/team", perm: switchboard.PermRead, action: "read the team", handle: h.getTeam},
		{method: patch, pattern: "/v1/team", perm: switchboard.PermManageTeam, action: "change the team", handle: h.updateTeam},

		{method: get, pattern: "/v1/channels", perm: switchboard.PermRead, action: "read channels", handle: h.listChannels},
		{method: post, pattern: "/v1/channels", perm: switchboard.PermManageChannels, action: "create channels", handle: h.createChannel},
		{method: get, pattern: "/v1/channels/{id}", perm: switchboard.PermRead, action: "read channels", handle: h.getChannel},
		{method: patch, pattern: "/v1/channels/{id}", perm: switchboard.PermManageChannels, action: "change channels", handle: h.updateChannel},
		{method: del, pattern: "/v1/channels/{id}", perm: switchboard.PermManageChannels, action: "delete channels", handle: h.deleteChannel},

		{method: get, pattern: "/v1/members", perm: switchboard.PermRead, action: "read members", handle: h.listMembers},
		{method: post, pattern: "/v1/members", perm: switchboard.PermManageMembers, action: "create members", handle: h.createMember},
		{method: get, pattern: "/v1/members/{id}", perm: switchboard.PermRead, action: "read members", handle: h.getMember},
		{method: patch, pattern: "/v1/members/{id}", perm: switchboard.PermManageMembers, action: "change members", handle: h.updateMember},
		{method: del, pattern: "/v1/members/{id}", perm: switchboard.PermManageMembers, action: "delete members", handle: h.deleteMember},
		{method: put, pattern: "/v1/members/{id}/status", handle: h.setMemberStatus},

		{method: get, pattern: "/v1/tokens", perm: switchboard.PermManageTokens, action: "read tokens", handle: h.listTokens},
		{method: post, pattern: "/v1/tokens", perm: switchboard.PermManageTokens, action: "create tokens", handle: h.createToken},
		{method: del, pattern: "/v1/tokens/{id}", perm: switchboard.PermManageTokens, action: "delete tokens", handle: h.deleteToken},
	}
	for i := range rs {
		rs[i].segs = strings.Split(strings.TrimPrefix(rs[i].pattern, "/"), "/")
	}
	return rs
}

// Routes lists every route as "METHOD /pattern", in table order, for
// documentation and for checks that the deployment forwards them all.
func (h *Handler) Routes() []string {
	out := make([]string, len(h.routes))
	for i, r := range h.routes {
		out[i] = r.method + " " + r.pattern
	}
	return out
}

// matched is the outcome of routing: a route and its parameters, or the methods
// the path does accept (405), or neither (404).
type matched struct {
	route  *route
	params map[string]string
	allow  []string
}

// match finds the route for method and path.
func (h *Handler) match(method, path string) matched {
	segs, ok := splitPath(path)
	if !ok {
		return matched{}
	}
	var m matched
	for i := range h.routes {
		r := &h.routes[i]
		params, ok := matchSegs(r.segs, segs)
		if !ok {
			continue
		}
		if r.method == method {
			return matched{route: r, params: params}
		}
		if !slices.Contains(m.allow, r.method) {
			m.allow = append(m.allow, r.method)
		}
	}
	slices.Sort(m.allow)
	return m
}

// splitPath splits an absolute path into segments, forgiving one trailing slash.
func splitPath(path string) ([]string, bool) {
	if !strings.HasPrefix(path, "/") {
		return nil, false
	}
	path = strings.TrimPrefix(path, "/")
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	return strings.Split(path, "/"), true
}

// matchSegs matches path segments against a pattern's, collecting {name}
// parameters, percent-decoded. Empty, undecodable or over-long parameters do not
// match, so they end in 404.
func matchSegs(pattern, segs []string) (map[string]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var params map[string]string
	for i, p := range pattern {
		if name, ok := strings.CutPrefix(p, "{"); ok {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" || len(v) > maxParamLen || strings.Contains(v, "/") {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[strings.TrimSuffix(name, "}")] = v
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}
