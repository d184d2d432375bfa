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

// ruleRefs are the team's channel and member ids, which rules must name.
func (h *Handler) ruleRefs(ctx context.Context, teamID string, withMembers bool) (channels, members map[string]bool, err error) {
	cs, err := h.channels.ListChannels(ctx, teamID)
	if err != nil {
		return nil, nil, err
	}
	channels = map[string]bool{}
	for _, c := range cs {
		channels[c.ID] = true
	}
	if !withMembers {
		return channels, nil, nil
	}
	ms, err := h.members.ListMembers(ctx, teamID)
	if err != nil {
		return nil, nil, err
	}
	members = map[string]bool{}
	for _, m := range ms {
		members[m.ID] = true
	}
	return channels, members, nil
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

func (h *Handler) listReplyRules(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	rs, err := h.rules.GetRuleSet(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	items := rs.Replies
	if items == nil {
		items = []keyword.Rule{}
	}
	return apigw.JSON(http.StatusOK, ruleList[keyword.Rule]{Items: items, Version: rs.Version}), nil
}

func (h *Handler) createReplyRule(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in replyInput
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	rule := &keyword.Rule{
		ID: h.newID(), GroupID: in.GroupID, ChannelIDs: in.ChannelIDs,
		Condition: keyword.Condition{Mode: in.Mode, Keywords: in.Keywords},
		Statuses:  in.Statuses, Reply: in.Reply, Tags: in.Tags, Paused: in.Paused,
	}
	if err := h.checkRule(ctx, r.caller.TeamID, func(rs *keyword.RuleSet, channels, _ map[string]bool) error {
		return rs.CheckReply(rule, channels)
	}, false); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.rules.PutReplyRule(ctx, r.caller.TeamID, rule); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusCreated, rule), nil
}

// checkRule validates a rule against the team's set and its channels (and
// members) before the store writes it; the store checks the set again, but
// only the API knows which channels and members exist.
func (h *Handler) checkRule(ctx context.Context, teamID string, check func(rs *keyword.RuleSet, channels, members map[string]bool) error, withMembers bool) error {
	rs, err := h.rules.GetRuleSet(ctx, teamID)
	if err != nil {
		return err
	}
	channels, members, err := h.ruleRefs(ctx, teamID, withMembers)
	if err != nil {
		return err
	}
	return check(rs, channels, members)
}

func (h *Handler) updateReplyRule(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in replyPatch
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	teamID := r.caller.TeamID
	rs, err := h.rules.GetRuleSet(ctx, teamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	channels, _, err := h.ruleRefs(ctx, teamID, false)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	rule, err := h.rules.UpdateReplyRule(ctx, teamID, r.param("id"), func(cur *keyword.Rule) (*keyword.Rule, error) {
		in.apply(cur)
		// Saving an edited rule is how an operator repairs one marked invalid.
		cur.Invalid = false
		return cur, rs.CheckReply(cur, channels)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, rule), nil
}

func (h *Handler) deleteReplyRule(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	if err := h.rules.DeleteReplyRule(ctx, r.caller.TeamID, r.param("id")); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.Empty(http.StatusNoContent), nil
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

func (h *Handler) listRuleGroups(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	rs, err := h.rules.GetRuleSet(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	items := rs.Groups
	if items == nil {
		items = []keyword.Group{}
	}
	return apigw.JSON(http.StatusOK, ruleList[keyword.Group]{Items: items, Version: rs.Version}), nil
}

func (h *Handler) createRuleGroup(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in groupInput
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	g := &keyword.Group{ID: h.newID(), Name: in.Name, Enabled: in.Enabled}
	if err := h.checkRule(ctx, r.caller.TeamID, func(rs *keyword.RuleSet, channels, _ map[string]bool) error {
		return rs.CheckGroup(g, channels)
	}, false); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.rules.PutRuleGroup(ctx, r.caller.TeamID, g); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusCreated, g), nil
}

func (h *Handler) updateRuleGroup(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in groupPatch
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	teamID := r.caller.TeamID
	rs, err := h.rules.GetRuleSet(ctx, teamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	channels, _, err := h.ruleRefs(ctx, teamID, false)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	g, err := h.rules.UpdateRuleGroup(ctx, teamID, r.param("id"), func(cur *keyword.Group) (*keyword.Group, error) {
		set(&cur.Name, in.Name)
		if cur.Enabled == nil {
			cur.Enabled = map[string]bool{}
		}
		for ch, on := range in.Enabled {
			if on == nil {
				delete(cur.Enabled, ch)
			} else {
				cur.Enabled[ch] = *on
			}
		}
		cur.Invalid = false
		return cur, rs.CheckGroup(cur, channels)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, g), nil
}

func (h *Handler) deleteRuleGroup(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	if err := h.rules.DeleteRuleGroup(ctx, r.caller.TeamID, r.param("id")); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.Empty(http.StatusNoContent), nil
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

func (h *Handler) listAssignRules(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	rs, err := h.rules.GetRuleSet(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	items := rs.Assign
	if items == nil {
		items = []keyword.AssignRule{}
	}
	return apigw.JSON(http.StatusOK, ruleList[keyword.AssignRule]{Items: items, Version: rs.Version}), nil
}

func (h *Handler) createAssignRule(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in assignInput
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	rule := &keyword.AssignRule{
		ID: h.newID(), GroupID: in.GroupID, ChannelIDs: in.ChannelIDs,
		Condition: keyword.Condition{Mode: in.Mode, Keywords: in.Keywords},
		Target:    in.Target, MemberIDs: in.MemberIDs, Role: in.Role, BranchID: in.BranchID,
		Order: in.Order, Tags: in.Tags, Paused: in.Paused,
	}
	if err := h.checkRule(ctx, r.caller.TeamID, func(rs *keyword.RuleSet, channels, members map[string]bool) error {
		return rs.CheckAssign(rule, channels, members)
	}, true); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.rules.PutAssignRule(ctx, r.caller.TeamID, rule); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusCreated, rule), nil
}

func (h *Handler) updateAssignRule(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in assignPatch
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	teamID := r.caller.TeamID
	rs, err := h.rules.GetRuleSet(ctx, teamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	channels, members, err := h.ruleRefs(ctx, teamID, true)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	rule, err := h.rules.UpdateAssignRule(ctx, teamID, r.param("id"), func(cur *keyword.AssignRule) (*keyword.AssignRule, error) {
		in.apply(cur)
		cur.Invalid = false
		return cur, rs.CheckAssign(cur, channels, members)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, rule), nil
}

func (h *Handler) deleteAssignRule(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	if err := h.rules.DeleteAssignRule(ctx, r.caller.TeamID, r.param("id")); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.Empty(http.StatusNoContent), nil
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
