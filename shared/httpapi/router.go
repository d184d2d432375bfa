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
	replies, groups, assigns := h.replyRules(), h.ruleGroups(), h.assignRules()
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
		{method: put, pattern: "/v1/channels/{id}/common-messages", perm: switchboard.PermManageRules, action: "change common messages", handle: h.putCommonMessages},

		{method: get, pattern: "/v1/members", perm: switchboard.PermRead, action: "read members", handle: h.listMembers},
		{method: post, pattern: "/v1/members", perm: switchboard.PermManageMembers, action: "create members", handle: h.createMember},
		{method: get, pattern: "/v1/members/{id}", perm: switchboard.PermRead, action: "read members", handle: h.getMember},
		{method: patch, pattern: "/v1/members/{id}", perm: switchboard.PermManageMembers, action: "change members", handle: h.updateMember},
		{method: del, pattern: "/v1/members/{id}", perm: switchboard.PermManageMembers, action: "delete members", handle: h.deleteMember},
		{method: put, pattern: "/v1/members/{id}/status", handle: h.setMemberStatus},

		{method: get, pattern: "/v1/tokens", perm: switchboard.PermManageTokens, action: "read tokens", handle: h.listTokens},
		{method: post, pattern: "/v1/tokens", perm: switchboard.PermManageTokens, action: "create tokens", handle: h.createToken},
		{method: del, pattern: "/v1/tokens/{id}", perm: switchboard.PermManageTokens, action: "delete tokens", handle: h.deleteToken},

		// The inbox. Every role may read it; what each sees, and which actions
		// each may take, the handlers decide (visibility, the state machine).
		// Search comes before {id} so that it is not taken for an id.
		{method: get, pattern: "/v1/conversations", perm: switchboard.PermRead, action: "read conversations", handle: h.listConversations},
		{method: get, pattern: "/v1/conversations/search", perm: switchboard.PermRead, action: "read conversations", handle: h.searchConversations},
		{method: post, pattern: "/v1/conversations/bulk", perm: switchboard.PermRead, action: "act on conversations", handle: h.bulkConversations},
		{method: get, pattern: "/v1/conversations/{id}", perm: switchboard.PermRead, action: "read conversations", handle: h.getConversation},
		{method: get, pattern: "/v1/conversations/{id}/messages", perm: switchboard.PermRead, action: "read conversations", handle: h.listConversationMessages},
		{method: get, pattern: "/v1/conversations/{id}/history", perm: switchboard.PermRead, action: "read conversations", handle: h.conversationHistory},
		{method: post, pattern: "/v1/conversations/{id}/messages", perm: switchboard.PermRead, action: "send messages", handle: h.sendMessage},
		{method: post, pattern: "/v1/conversations/{id}/follow", perm: switchboard.PermRead, action: "follow conversations", handle: h.actionHandler("follow", follow)},
		{method: post, pattern: "/v1/conversations/{id}/close", perm: switchboard.PermRead, action: "close conversations", handle: h.closeConversationRoute},
		{method: post, pattern: "/v1/conversations/{id}/reopen", perm: switchboard.PermRead, action: "reopen conversations", handle: h.actionHandler("reopen", reopen)},
		{method: post, pattern: "/v1/conversations/{id}/transfer", perm: switchboard.PermRead, action: "transfer conversations", handle: h.transferConversation},
		{method: post, pattern: "/v1/conversations/{id}/collaborators", perm: switchboard.PermRead, action: "add collaborators", handle: h.addCollaborators},
		{method: del, pattern: "/v1/conversations/{id}/collaborators/{memberId}", perm: switchboard.PermRead, action: "remove collaborators", handle: h.removeCollaborator},
		{method: post, pattern: "/v1/conversations/{id}/join", perm: switchboard.PermRead, action: "join conversations", handle: h.actionHandler("join", join)},
		{method: post, pattern: "/v1/conversations/{id}/takeover", perm: switchboard.PermRead, action: "take over conversations", handle: h.actionHandler("takeover", takeover)},

		{method: get, pattern: "/v1/contacts/{id}", perm: switchboard.PermRead, action: "read contacts", handle: h.getContact},
		{method: patch, pattern: "/v1/contacts/{id}", perm: switchboard.PermRead, action: "change contacts", handle: h.updateContact},
		{method: post, pattern: "/v1/contacts/{id}/tags", perm: switchboard.PermRead, action: "tag contacts", handle: h.addTags},
		{method: get, pattern: "/v1/contacts/{id}/tags/log", perm: switchboard.PermRead, action: "read contacts", handle: h.listTagLog},
		{method: del, pattern: "/v1/contacts/{id}/tags/{tag}", perm: switchboard.PermRead, action: "untag contacts", handle: h.removeTag},

		{method: get, pattern: "/v1/rules/replies", perm: switchboard.PermRead, action: "read rules", handle: replies.list(h)},
		{method: post, pattern: "/v1/rules/replies", perm: switchboard.PermManageRules, action: "change rules", handle: replies.create(h)},
		{method: patch, pattern: "/v1/rules/replies/{id}", perm: switchboard.PermManageRules, action: "change rules", handle: replies.updater(h)},
		{method: del, pattern: "/v1/rules/replies/{id}", perm: switchboard.PermManageRules, action: "change rules", handle: replies.remove()},
		{method: get, pattern: "/v1/rules/groups", perm: switchboard.PermRead, action: "read rules", handle: groups.list(h)},
		{method: post, pattern: "/v1/rules/groups", perm: switchboard.PermManageRules, action: "change rules", handle: groups.create(h)},
		{method: patch, pattern: "/v1/rules/groups/{id}", perm: switchboard.PermManageRules, action: "change rules", handle: groups.updater(h)},
		{method: del, pattern: "/v1/rules/groups/{id}", perm: switchboard.PermManageRules, action: "change rules", handle: groups.remove()},
		{method: get, pattern: "/v1/rules/assign", perm: switchboard.PermRead, action: "read rules", handle: assigns.list(h)},
		{method: post, pattern: "/v1/rules/assign", perm: switchboard.PermManageRules, action: "change rules", handle: assigns.create(h)},
		{method: patch, pattern: "/v1/rules/assign/{id}", perm: switchboard.PermManageRules, action: "change rules", handle: assigns.updater(h)},
		{method: del, pattern: "/v1/rules/assign/{id}", perm: switchboard.PermManageRules, action: "change rules", handle: assigns.remove()},
		{method: get, pattern: "/v1/rules/autotag", perm: switchboard.PermRead, action: "read rules", handle: h.getAutoTag},
		{method: put, pattern: "/v1/rules/autotag", perm: switchboard.PermManageRules, action: "change rules", handle: h.putAutoTag},

		// The bot builder: editing a bot is editing an automatic answer, so
		// it takes the rules permission (bots.go).
		{method: get, pattern: "/v1/bots", perm: switchboard.PermRead, action: "read bots", handle: h.listBots},
		{method: post, pattern: "/v1/bots", perm: switchboard.PermManageRules, action: "change bots", handle: h.createBot},
		{method: get, pattern: "/v1/bots/{id}", perm: switchboard.PermRead, action: "read bots", handle: h.getBot},
		{method: put, pattern: "/v1/bots/{id}", perm: switchboard.PermManageRules, action: "change bots", handle: h.updateBot},
		{method: del, pattern: "/v1/bots/{id}", perm: switchboard.PermManageRules, action: "change bots", handle: h.deleteBot},
		{method: post, pattern: "/v1/bots/{id}/copy", perm: switchboard.PermManageRules, action: "change bots", handle: h.copyBot},

		// Automation settings, cart remarketing and payment reminders
		// (automations.go), and the website's site keys (sitekeys.go).
		{method: get, pattern: "/v1/settings/automation", perm: switchboard.PermRead, action: "read settings", handle: h.getAutomationSettings},
		{method: put, pattern: "/v1/settings/automation", perm: switchboard.PermManageRules, action: "change automation settings", handle: h.putAutomationSettings},
		{method: get, pattern: "/v1/cart/configs", perm: switchboard.PermRead, action: "read cart remarketing", handle: h.listCartConfigs},
		{method: put, pattern: "/v1/cart/configs/{channelId}", perm: switchboard.PermManageRules, action: "change cart remarketing", handle: h.putCartConfig},
		{method: get, pattern: "/v1/cart/configs/{channelId}/stats", perm: switchboard.PermManageRules, action: "read cart statistics", handle: h.cartStats},
		{method: get, pattern: "/v1/cart/configs/{channelId}/orders", perm: switchboard.PermManageRules, action: "export cart orders", handle: h.exportCartOrders},
		{method: put, pattern: "/v1/cart/active-channel", perm: switchboard.PermManageRules, action: "change cart remarketing", handle: h.setActiveCartChannel},
		{method: get, pattern: "/v1/cart/popup", perm: switchboard.PermRead, action: "read cart remarketing", handle: h.getPopupPolicy},
		{method: put, pattern: "/v1/cart/popup", perm: switchboard.PermManageRules, action: "change cart remarketing", handle: h.putPopupPolicy},
		{method: get, pattern: "/v1/payment-reminder", perm: switchboard.PermRead, action: "read the payment reminder", handle: h.getPayReminder},
		{method: put, pattern: "/v1/payment-reminder", perm: switchboard.PermManageRules, action: "change the payment reminder", handle: h.putPayReminder},
		{method: get, pattern: "/v1/site-keys", perm: switchboard.PermManageTokens, action: "read site keys", handle: h.listSiteKeys},
		{method: post, pattern: "/v1/site-keys", perm: switchboard.PermManageTokens, action: "create site keys", handle: h.createSiteKey},
		{method: del, pattern: "/v1/site-keys/{id}", perm: switchboard.PermManageTokens, action: "delete site keys", handle: h.deleteSiteKey},
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
