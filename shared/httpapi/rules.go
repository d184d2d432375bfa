package httpapi

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/assign"
	"github.com/switchboard-chat/switchboard/shared/autotag"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Routing rules: keyword auto-reply (001:L3989), keyword auto-assign
// (001:L4174), the groups both belong to (enabled or paused per channel),
// and auto-tag (003 §14). Reading them is open to every role; editing needs
// PermManageRules (admin, supervisor, CS manager, marketer).

// RuleStore is what the API needs of rule storage.
type RuleStore interface {
	GetRuleSet(ctx context.Context, teamID string) (*keyword.RuleSet, error)
	PutReplyRule(ctx context.Context, teamID string, r *keyword.Rule) error
	UpdateReplyRule(ctx context.Context, teamID, id string, fn func(*keyword.Rule) (*keyword.Rule, error)) (*keyword.Rule, error)
	DeleteReplyRule(ctx context.Context, teamID, id string) error
	PutAssignRule(ctx context.Context, teamID string, r *keyword.AssignRule) error
	UpdateAssignRule(ctx context.Context, teamID, id string, fn func(*keyword.AssignRule) (*keyword.AssignRule, error)) (*keyword.AssignRule, error)
	DeleteAssignRule(ctx context.Context, teamID, id string) error
	PutRuleGroup(ctx context.Context, teamID string, g *keyword.Group) error
	UpdateRuleGroup(ctx context.Context, teamID, id string, fn func(*keyword.Group) (*keyword.Group, error)) (*keyword.Group, error)
	DeleteRuleGroup(ctx context.Context, teamID, id string) error
	PutAutoTagConfig(ctx context.Context, teamID string, cfg autotag.Config) error
	MarkChannelGone(ctx context.Context, teamID, channelID string) error
}

// MaxRulesBody caps the body of PUT /v1/rules/autotag: 60 tags of 20
// keywords of 40 characters (003 §14) may take over MaxRequestBody in
// Chinese, which is three bytes a character.
const MaxRulesBody = 256 << 10

// ruleList is the body of the rule list routes: the items and the version of
// the set they were read at.
type ruleList[T any] struct {
	Items   []T   `json:"items"`
	Version int64 `json:"version"`
}

// ruleContext is what validating a rule takes: the team's rule set, and the
// ids of its channels (and members) that rules may name. The store checks the
// set again when it writes, but only the API knows which channels and members
// exist.
type ruleContext struct {
	set      *keyword.RuleSet
	channels map[string]bool
	members  map[string]bool
}

// ruleContext reads what validating a rule of teamID takes; members only
// when the kind of rule names them.
func (h *Handler) ruleContext(ctx context.Context, teamID string, withMembers bool) (*ruleContext, error) {
	rs, err := h.rules.GetRuleSet(ctx, teamID)
	if err != nil {
		return nil, err
	}
	cs, err := h.channels.ListChannels(ctx, teamID)
	if err != nil {
		return nil, err
	}
	rc := &ruleContext{set: rs, channels: map[string]bool{}}
	for _, c := range cs {
		rc.channels[c.ID] = true
	}
	if !withMembers {
		return rc, nil
	}
	ms, err := h.members.ListMembers(ctx, teamID)
	if err != nil {
		return nil, err
	}
	rc.members = map[string]bool{}
	for _, m := range ms {
		rc.members[m.ID] = true
	}
	return rc, nil
}

// ruleKind is one kind of rule (auto-reply, auto-assign, group) for the four
// routes every kind has. They differ only in these: where the kind's list is
// in the set, how a body builds or edits one, how it is checked, and the
// store's calls. In is the create body, Patch the update body.
type ruleKind[T, In, Patch any] struct {
	// withMembers says whether the check needs the team's member ids.
	withMembers bool
	items       func(rs *keyword.RuleSet) []T
	build       func(in *In, id string) *T
	// edit applies a patch. Saving an edited rule is how an operator repairs
	// one marked invalid, so edit also clears the mark.
	edit   func(cur *T, p *Patch)
	check  func(rc *ruleContext, v *T) error
	put    func(ctx context.Context, teamID string, v *T) error
	update func(ctx context.Context, teamID, id string, fn func(*T) (*T, error)) (*T, error)
	del    func(ctx context.Context, teamID, id string) error
}

// handler is the type of a route's handler.
type handler = func(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error)

// list answers the kind's rules with the version of the set they were read at.
func (k ruleKind[T, In, Patch]) list(h *Handler) handler {
	return func(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
		rs, err := h.rules.GetRuleSet(ctx, r.caller.TeamID)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		items := k.items(rs)
		if items == nil {
			items = []T{}
		}
		return apigw.JSON(http.StatusOK, ruleList[T]{Items: items, Version: rs.Version}), nil
	}
}

// create builds a rule from the body, checks it and stores it.
func (k ruleKind[T, In, Patch]) create(h *Handler) handler {
	return func(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
		var in In
		if err := decode(r, &in); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		v := k.build(&in, h.newID())
		rc, err := h.ruleContext(ctx, r.caller.TeamID, k.withMembers)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if err := k.check(rc, v); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if err := k.put(ctx, r.caller.TeamID, v); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return apigw.JSON(http.StatusCreated, v), nil
	}
}

// updater applies the patch to the stored rule and checks the result inside
// the store's optimistic update.
func (k ruleKind[T, In, Patch]) updater(h *Handler) handler {
	return func(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
		var in Patch
		if err := decode(r, &in); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		rc, err := h.ruleContext(ctx, r.caller.TeamID, k.withMembers)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		v, err := k.update(ctx, r.caller.TeamID, r.param("id"), func(cur *T) (*T, error) {
			k.edit(cur, &in)
			return cur, k.check(rc, cur)
		})
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return apigw.JSON(http.StatusOK, v), nil
	}
}

// remove deletes the rule the route names.
func (k ruleKind[T, In, Patch]) remove() handler {
	return func(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
		if err := k.del(ctx, r.caller.TeamID, r.param("id")); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return apigw.Empty(http.StatusNoContent), nil
	}
}

// replyInput is the body of POST /v1/rules/replies.
type replyInput struct {
	GroupID    string           `json:"groupId"`
	ChannelIDs []string         `json:"channelIds"`
	Mode       keyword.Mode     `json:"mode"`
	Keywords   []string         `json:"keywords"`
	Statuses   []keyword.Status `json:"statuses"`
	Reply      keyword.Reply    `json:"reply"`
	Tags       []string         `json:"tags"`
	Paused     bool             `json:"paused"`
}

// replyPatch is the body of PATCH /v1/rules/replies/{id}; absent fields keep
// their value.
type replyPatch struct {
	GroupID    *string           `json:"groupId"`
	ChannelIDs *[]string         `json:"channelIds"`
	Mode       *keyword.Mode     `json:"mode"`
	Keywords   *[]string         `json:"keywords"`
	Statuses   *[]keyword.Status `json:"statuses"`
	Reply      *keyword.Reply    `json:"reply"`
	Tags       *[]string         `json:"tags"`
	Paused     *bool             `json:"paused"`
}

func (p *replyPatch) apply(r *keyword.Rule) {
	set(&r.GroupID, p.GroupID)
	set(&r.ChannelIDs, p.ChannelIDs)
	set(&r.Mode, p.Mode)
	set(&r.Keywords, p.Keywords)
	set(&r.Statuses, p.Statuses)
	set(&r.Reply, p.Reply)
	set(&r.Tags, p.Tags)
	set(&r.Paused, p.Paused)
}

// set copies *from into *to when the field was sent.
func set[T any](to *T, from *T) {
	if from != nil {
		*to = *from
	}
}

// replyRules are the keyword auto-reply routes.
func (h *Handler) replyRules() ruleKind[keyword.Rule, replyInput, replyPatch] {
	return ruleKind[keyword.Rule, replyInput, replyPatch]{
		items: func(rs *keyword.RuleSet) []keyword.Rule { return rs.Replies },
		build: func(in *replyInput, id string) *keyword.Rule {
			return &keyword.Rule{
				ID: id, GroupID: in.GroupID, ChannelIDs: in.ChannelIDs,
				Condition: keyword.Condition{Mode: in.Mode, Keywords: in.Keywords},
				Statuses:  in.Statuses, Reply: in.Reply, Tags: in.Tags, Paused: in.Paused,
			}
		},
		edit: func(cur *keyword.Rule, p *replyPatch) {
			p.apply(cur)
			cur.Invalid = false
		},
		check:  func(rc *ruleContext, v *keyword.Rule) error { return rc.set.CheckReply(v, rc.channels) },
		put:    h.rules.PutReplyRule,
		update: h.rules.UpdateReplyRule,
		del:    h.rules.DeleteReplyRule,
	}
}

// groupInput is the body of POST /v1/rules/groups.
type groupInput struct {
	Name    string          `json:"name"`
	Enabled map[string]bool `json:"enabled"`
}

// groupPatch is the body of PATCH /v1/rules/groups/{id}: a new name, and per
// channel true (enabled), false (paused) or null (taken out of the group).
type groupPatch struct {
	Name    *string          `json:"name"`
	Enabled map[string]*bool `json:"enabled"`
}

// ruleGroups are the routes of the groups both kinds of rule belong to.
func (h *Handler) ruleGroups() ruleKind[keyword.Group, groupInput, groupPatch] {
	return ruleKind[keyword.Group, groupInput, groupPatch]{
		items: func(rs *keyword.RuleSet) []keyword.Group { return rs.Groups },
		build: func(in *groupInput, id string) *keyword.Group {
			return &keyword.Group{ID: id, Name: in.Name, Enabled: in.Enabled}
		},
		edit: func(cur *keyword.Group, p *groupPatch) {
			set(&cur.Name, p.Name)
			if cur.Enabled == nil {
				cur.Enabled = map[string]bool{}
			}
			for ch, on := range p.Enabled {
				if on == nil {
					delete(cur.Enabled, ch)
				} else {
					cur.Enabled[ch] = *on
				}
			}
			cur.Invalid = false
		},
		check:  func(rc *ruleContext, v *keyword.Group) error { return rc.set.CheckGroup(v, rc.channels) },
		put:    h.rules.PutRuleGroup,
		update: h.rules.UpdateRuleGroup,
		del:    h.rules.DeleteRuleGroup,
	}
}

// assignInput is the body of POST /v1/rules/assign.
type assignInput struct {
	GroupID    string           `json:"groupId"`
	ChannelIDs []string         `json:"channelIds"`
	Mode       keyword.Mode     `json:"mode"`
	Keywords   []string         `json:"keywords"`
	Target     keyword.Target   `json:"target"`
	MemberIDs  []string         `json:"memberIds"`
	Role       switchboard.Role `json:"role"`
	BranchID   string           `json:"branchId"`
	Order      assign.Order     `json:"order"`
	Tags       []string         `json:"tags"`
	Paused     bool             `json:"paused"`
}

// assignPatch is the body of PATCH /v1/rules/assign/{id}.
type assignPatch struct {
	GroupID    *string           `json:"groupId"`
	ChannelIDs *[]string         `json:"channelIds"`
	Mode       *keyword.Mode     `json:"mode"`
	Keywords   *[]string         `json:"keywords"`
	Target     *keyword.Target   `json:"target"`
	MemberIDs  *[]string         `json:"memberIds"`
	Role       *switchboard.Role `json:"role"`
	BranchID   *string           `json:"branchId"`
	Order      *assign.Order     `json:"order"`
	Tags       *[]string         `json:"tags"`
	Paused     *bool             `json:"paused"`
}

func (p *assignPatch) apply(r *keyword.AssignRule) {
	set(&r.GroupID, p.GroupID)
	set(&r.ChannelIDs, p.ChannelIDs)
	set(&r.Mode, p.Mode)
	set(&r.Keywords, p.Keywords)
	set(&r.Target, p.Target)
	set(&r.MemberIDs, p.MemberIDs)
	set(&r.Role, p.Role)
	set(&r.BranchID, p.BranchID)
	set(&r.Order, p.Order)
	set(&r.Tags, p.Tags)
	set(&r.Paused, p.Paused)
}

// assignRules are the keyword auto-assign routes; their rules name members.
func (h *Handler) assignRules() ruleKind[keyword.AssignRule, assignInput, assignPatch] {
	return ruleKind[keyword.AssignRule, assignInput, assignPatch]{
		withMembers: true,
		items:       func(rs *keyword.RuleSet) []keyword.AssignRule { return rs.Assign },
		build: func(in *assignInput, id string) *keyword.AssignRule {
			return &keyword.AssignRule{
				ID: id, GroupID: in.GroupID, ChannelIDs: in.ChannelIDs,
				Condition: keyword.Condition{Mode: in.Mode, Keywords: in.Keywords},
				Target:    in.Target, MemberIDs: in.MemberIDs, Role: in.Role, BranchID: in.BranchID,
				Order: in.Order, Tags: in.Tags, Paused: in.Paused,
			}
		},
		edit: func(cur *keyword.AssignRule, p *assignPatch) {
			p.apply(cur)
			cur.Invalid = false
		},
		check: func(rc *ruleContext, v *keyword.AssignRule) error {
			return rc.set.CheckAssign(v, rc.channels, rc.members)
		},
		put:    h.rules.PutAssignRule,
		update: h.rules.UpdateAssignRule,
		del:    h.rules.DeleteAssignRule,
	}
}

// autoTagView is the body of the auto-tag routes.
type autoTagView struct {
	autotag.Config
	Version int64 `json:"version"`
}

func (h *Handler) getAutoTag(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	rs, err := h.rules.GetRuleSet(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	cfg := rs.AutoTag
	if cfg.Tags == nil {
		cfg.Tags = []autotag.Tag{}
	}
	return apigw.JSON(http.StatusOK, autoTagView{Config: cfg, Version: rs.Version}), nil
}

func (h *Handler) putAutoTag(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	body, err := apigw.Body(r.raw, MaxRulesBody)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var in autotag.Config
	if err := decodeJSON(body, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if in.Tags == nil {
		in.Tags = []autotag.Tag{}
	}
	if err := h.rules.PutAutoTagConfig(ctx, r.caller.TeamID, in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	rs, err := h.rules.GetRuleSet(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, autoTagView{Config: in, Version: rs.Version}), nil
}
