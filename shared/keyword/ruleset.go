package keyword

import (
	"cmp"
	"maps"
	"slices"

	"github.com/switchboard-chat/switchboard/shared/autotag"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Limits on a team's rule set. The router reads the whole set on every
// message it cannot answer from its cache, so the set must stay one read
// (dynamo.GetRuleSet is one Query): these counts, with the store's byte
// budget, keep it so. The seed sets no number; 500 rules is far more than the
// keyword lists of the seed's examples (001:L4011-L4060).
const (
	MaxReplyRules  = 500
	MaxAssignRules = 500
	MaxGroups      = 100
)

// RuleSet is everything a team configured for routing customer messages:
// keyword auto-reply rules, auto-assign rules, the groups both belong to, and
// the auto-tag settings. The router loads it in one read and caches it;
// Version tells a cached copy from a newer one.
type RuleSet struct {
	// Replies and Assign are ordered by creation (CreatedAt, then id), the
	// order Match and MatchAssign break ties in.
	Replies []Rule         `json:"replies"`
	Groups  []Group        `json:"groups"`
	Assign  []AssignRule   `json:"assign"`
	AutoTag autotag.Config `json:"autoTag"`
	// Version goes up with every change to the team's rules; 0 means the team
	// never saved any.
	Version int64 `json:"version"`
}

// Sort puts rules in creation order and groups in id order (ids are ULIDs, so
// that is creation order too).
func (rs *RuleSet) Sort() {
	slices.SortStableFunc(rs.Replies, func(a, b Rule) int { return byCreation(a.CreatedAt.Compare(b.CreatedAt), a.ID, b.ID) })
	slices.SortStableFunc(rs.Assign, func(a, b AssignRule) int { return byCreation(a.CreatedAt.Compare(b.CreatedAt), a.ID, b.ID) })
	slices.SortStableFunc(rs.Groups, func(a, b Group) int { return cmp.Compare(a.ID, b.ID) })
}

func byCreation(c int, a, b string) int {
	if c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// Input is what Decide needs for a message on channelID, with the set's rules.
func (rs *RuleSet) Input(channelID string, status Status, kind switchboard.MessageKind, text string) Input {
	in := Input{ChannelID: channelID, Status: status, Kind: kind, Text: text}
	for i := range rs.Replies {
		in.ReplyRules = append(in.ReplyRules, &rs.Replies[i])
	}
	for i := range rs.Assign {
		in.AssignRules = append(in.AssignRules, &rs.Assign[i])
	}
	for i := range rs.Groups {
		in.Groups = append(in.Groups, &rs.Groups[i])
	}
	return in
}

// Group returns the group with id, or nil.
func (rs *RuleSet) Group(id string) *Group {
	for i := range rs.Groups {
		if rs.Groups[i].ID == id {
			return &rs.Groups[i]
		}
	}
	return nil
}

// Reply returns the auto-reply rule with id, or nil.
func (rs *RuleSet) Reply(id string) *Rule {
	for i := range rs.Replies {
		if rs.Replies[i].ID == id {
			return &rs.Replies[i]
		}
	}
	return nil
}

// AssignRule returns the auto-assign rule with id, or nil.
func (rs *RuleSet) AssignRule(id string) *AssignRule {
	for i := range rs.Assign {
		if rs.Assign[i].ID == id {
			return &rs.Assign[i]
		}
	}
	return nil
}

// GroupRules returns the ids of the rules of both kinds in group id.
func (rs *RuleSet) GroupRules(id string) (replies, assigns []string) {
	for _, r := range rs.Replies {
		if r.GroupID == id {
			replies = append(replies, r.ID)
		}
	}
	for _, r := range rs.Assign {
		if r.GroupID == id {
			assigns = append(assigns, r.ID)
		}
	}
	return replies, assigns
}

// CheckReply validates an auto-reply rule about to be saved into the set: its
// own fields (Rule.Validate), then that its group exists, that each of its
// channels exists (when channels is not nil) and belongs to the group, and
// that a new rule stays within MaxReplyRules.
func (rs *RuleSet) CheckReply(r *Rule, channels map[string]bool) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if rs.Reply(r.ID) == nil && len(rs.Replies) >= MaxReplyRules {
		return switchboard.Errorf(switchboard.EInvalid, "a team has at most %d auto-reply rules", MaxReplyRules)
	}
	return rs.checkRefs(r.GroupID, r.ChannelIDs, channels)
}

// CheckAssign validates an auto-assign rule about to be saved, like
// CheckReply, and that each member it names exists (when members is not nil).
func (rs *RuleSet) CheckAssign(r *AssignRule, channels, members map[string]bool) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if rs.AssignRule(r.ID) == nil && len(rs.Assign) >= MaxAssignRules {
		return switchboard.Errorf(switchboard.EInvalid, "a team has at most %d auto-assign rules", MaxAssignRules)
	}
	if members != nil {
		for _, id := range r.MemberIDs {
			if !members[id] {
				return switchboard.Errorf(switchboard.EInvalid, "member %q does not exist", id)
			}
		}
	}
	return rs.checkRefs(r.GroupID, r.ChannelIDs, channels)
}

func (rs *RuleSet) checkRefs(groupID string, ruleChannels []string, channels map[string]bool) error {
	g := rs.Group(groupID)
	if g == nil {
		return switchboard.Errorf(switchboard.EInvalid, "group %q does not exist", groupID)
	}
	for _, ch := range ruleChannels {
		if channels != nil && !channels[ch] {
			return switchboard.Errorf(switchboard.EInvalid, "channel %q does not exist", ch)
		}
		if _, ok := g.Enabled[ch]; !ok {
			return switchboard.Errorf(switchboard.EInvalid, "channel %q is not a channel of group %q; add it to the group first", ch, g.Name)
		}
	}
	return nil
}

// CheckGroup validates a group about to be saved: its own fields
// (Group.Validate), that each channel exists (when channels is not nil), that
// no rule of the group is left with a channel the group no longer has, and
// that a new group stays within MaxGroups.
func (rs *RuleSet) CheckGroup(g *Group, channels map[string]bool) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if channels != nil {
		for _, ch := range slices.Sorted(maps.Keys(g.Enabled)) {
			if !channels[ch] {
				return switchboard.Errorf(switchboard.EInvalid, "channel %q does not exist", ch)
			}
		}
	}
	if rs.Group(g.ID) == nil {
		if len(rs.Groups) >= MaxGroups {
			return switchboard.Errorf(switchboard.EInvalid, "a team has at most %d rule groups", MaxGroups)
		}
		return nil
	}
	check := func(kind, id string, chs []string) error {
		for _, ch := range chs {
			if _, ok := g.Enabled[ch]; !ok {
				return switchboard.Errorf(switchboard.EInvalid, "channel %q is still used by %s rule %s of this group; change the rule first", ch, kind, id)
			}
		}
		return nil
	}
	for _, r := range rs.Replies {
		if r.GroupID == g.ID {
			if err := check("auto-reply", r.ID, r.ChannelIDs); err != nil {
				return err
			}
		}
	}
	for _, r := range rs.Assign {
		if r.GroupID == g.ID {
			if err := check("auto-assign", r.ID, r.ChannelIDs); err != nil {
				return err
			}
		}
	}
	return nil
}

// ChannelGone marks what a deleted channel breaks, with MarkInvalid,
// MarkAssignInvalid and MarkGroupsInvalid: every rule and group that targets
// the channel (001:L1316-L1320, 001:L4071). Bots and members are taken as
// existing, since only the channel went away. It returns the ids it newly
// marked, so the caller writes only those.
func (rs *RuleSet) ChannelGone(channelID string) (replies, assigns, groups []string) {
	channels, bots, members := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var rp []*Rule
	for i := range rs.Replies {
		r := &rs.Replies[i]
		rp = append(rp, r)
		for _, ch := range r.ChannelIDs {
			channels[ch] = true
		}
		bots[r.Reply.BotID] = true
	}
	var ap []*AssignRule
	for i := range rs.Assign {
		r := &rs.Assign[i]
		ap = append(ap, r)
		for _, ch := range r.ChannelIDs {
			channels[ch] = true
		}
		for _, m := range r.MemberIDs {
			members[m] = true
		}
	}
	var gp []*Group
	for i := range rs.Groups {
		g := &rs.Groups[i]
		gp = append(gp, g)
		for ch := range g.Enabled {
			channels[ch] = true
		}
	}
	delete(channels, channelID)
	return MarkInvalid(rp, bots, channels), MarkAssignInvalid(ap, members, channels), MarkGroupsInvalid(gp, channels)
}
