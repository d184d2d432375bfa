package keyword

import (
	"slices"
	"time"

	"github.com/switchboard-chat/switchboard/shared/assign"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Target is who a keyword auto-assign rule assigns to (001:L4198).
type Target string

// Targets.
const (
	// TargetMember assigns to one of the listed members.
	TargetMember Target = "member"
	// TargetRole assigns to a member of a CS role (「指定客服權限」).
	TargetRole Target = "role"
	// TargetSalesRole assigns to a member of a sales role (「指定銷售權限」),
	// optionally of one branch.
	TargetSalesRole Target = "sales_role"
)

// AssignRule is one keyword auto-assign condition (001:L4174-L4218).
type AssignRule struct {
	ID         string   `json:"id"`
	GroupID    string   `json:"groupId"`
	ChannelIDs []string `json:"channelIds"`
	// Condition takes contains_any, contains_all or exact: the seed offers no
	// any-content mode for assignment (001:L4205-L4218).
	Condition
	Target    Target           `json:"target"`
	MemberIDs []string         `json:"memberIds,omitempty"`
	Role      switchboard.Role `json:"role,omitempty"`
	// BranchID narrows a sales-role target to one branch (OMO branch QR codes,
	// 001:L3049); empty means any branch.
	BranchID  string       `json:"branchId,omitempty"`
	Order     assign.Order `json:"order"`
	Tags      []string     `json:"tags,omitempty"`
	CreatedAt time.Time    `json:"createdAt"`
	Paused    bool         `json:"paused,omitempty"`
	Invalid   bool         `json:"invalid,omitempty"`
}

// assignStatuses are the only statuses auto-assign fires in: in progress
// means a human already has the conversation (001:L4175).
var assignStatuses = []Status{StatusPending, StatusBot, StatusClosed}

// Validate checks an auto-assign rule when it is saved.
func (r *AssignRule) Validate() error {
	if r.Mode == AnyContent {
		return switchboard.Errorf(switchboard.EInvalid, "auto-assign rules match keywords: use contains_any, contains_all or exact")
	}
	if err := validateCommon(r.GroupID, r.ChannelIDs, r.Condition, r.Tags); err != nil {
		return err
	}
	switch r.Target {
	case TargetMember:
		if len(r.MemberIDs) == 0 || len(r.MemberIDs) > MaxAssignMemberIDs {
			return switchboard.Errorf(switchboard.EInvalid, "assign to 1 to %d members", MaxAssignMemberIDs)
		}
		for i, id := range r.MemberIDs {
			if id == "" || slices.Contains(r.MemberIDs[:i], id) {
				return switchboard.Errorf(switchboard.EInvalid, "member ids must be non-empty and listed once")
			}
		}
		if r.Role != "" || r.BranchID != "" {
			return switchboard.Errorf(switchboard.EInvalid, "a member target takes no role or branch")
		}
	case TargetRole:
		if !r.Role.HandlesConversations() || r.Role.IsSales() {
			return switchboard.Errorf(switchboard.EInvalid, "role %q must be a role that answers customers and is not a sales role", r.Role)
		}
		if len(r.MemberIDs) > 0 || r.BranchID != "" {
			return switchboard.Errorf(switchboard.EInvalid, "a role target takes no member ids or branch")
		}
	case TargetSalesRole:
		if !r.Role.IsSales() {
			return switchboard.Errorf(switchboard.EInvalid, "role %q must be sales_manager or salesperson", r.Role)
		}
		if len(r.MemberIDs) > 0 {
			return switchboard.Errorf(switchboard.EInvalid, "a sales-role target takes no member ids")
		}
	default:
		return switchboard.Errorf(switchboard.EInvalid, "target must be member, role or sales_role, not %q", r.Target)
	}
	if r.Order != assign.Random && r.Order != assign.Sequential {
		return switchboard.Errorf(switchboard.EInvalid, "order must be random or sequential, not %q", r.Order)
	}
	return nil
}

// Candidates returns the team members the rule may assign to, for assign.Pick,
// which then skips the inactive and offline ones. Members of roles that do not
// answer customers are never candidates.
func (r *AssignRule) Candidates(members []*switchboard.Member) []*switchboard.Member {
	var out []*switchboard.Member
	for _, m := range members {
		if m == nil || !m.Role.HandlesConversations() {
			continue
		}
		var ok bool
		switch r.Target {
		case TargetMember:
			ok = slices.Contains(r.MemberIDs, m.ID)
		case TargetRole:
			ok = m.Role == r.Role
		case TargetSalesRole:
			ok = m.Role == r.Role && (r.BranchID == "" || m.BranchID == r.BranchID)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// MatchAssign returns the auto-assign rule that text triggers, with the same
// ordering as Match. Auto-assign fires only when the conversation is pending,
// bot or closed (001:L4175).
func MatchAssign(rules []*AssignRule, groups []*Group, channelID string, status Status, text string) (*AssignRule, bool) {
	if !slices.Contains(assignStatuses, status) {
		return nil, false
	}
	byID := groupIndex(groups)
	var cands []candidate[*AssignRule]
	for _, r := range rules {
		if r == nil || r.Invalid || r.Paused || r.Mode == AnyContent ||
			!slices.Contains(r.ChannelIDs, channelID) || !byID[r.GroupID].EnabledOn(channelID) {
			continue
		}
		cands = append(cands, candidate[*AssignRule]{r.Condition, r.CreatedAt, r.ID, r})
	}
	return pick(cands, text)
}

// MarkAssignInvalid marks the auto-assign rules one of whose channels is gone,
// or whose member target lists no member that still exists, and returns the
// ids it newly marked. A rule that still has some of its members keeps
// working with them.
func MarkAssignInvalid(rules []*AssignRule, existingMembers, existingChannels map[string]bool) []string {
	var changed []string
	for _, r := range rules {
		if r == nil || r.Invalid {
			continue
		}
		broken := false
		for _, ch := range r.ChannelIDs {
			if !existingChannels[ch] {
				broken = true
			}
		}
		if r.Target == TargetMember && !slices.ContainsFunc(r.MemberIDs, func(id string) bool { return existingMembers[id] }) {
			broken = true
		}
		if broken {
			r.Invalid = true
			changed = append(changed, r.ID)
		}
	}
	return changed
}
