package switchboard

import (
	"context"
	"regexp"
	"time"
)

// Role is a member's role (SPEC §2). It decides what a member or API token may see
// and do.
type Role string

// The roles of SPEC §2.
const (
	RoleAdmin        Role = "admin"
	RoleSupervisor   Role = "supervisor"
	RoleCSManager    Role = "cs_manager"
	RoleCSAgent      Role = "cs_agent"
	RoleSalesManager Role = "sales_manager"
	RoleSalesperson  Role = "salesperson"
	RoleMarketer     Role = "marketer"
	RoleMarketingCS  Role = "marketing_cs"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleSupervisor, RoleCSManager, RoleCSAgent, RoleSalesManager, RoleSalesperson, RoleMarketer, RoleMarketingCS}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// IsSales reports whether the role is bound to a branch (OMO sales roles see only
// customers bound to their branch, 001:L1011).
func (r Role) IsSales() bool { return r == RoleSalesManager || r == RoleSalesperson }

// Permission is something a caller may do through the operators' API.
type Permission string

// Permissions checked by the API. Each maps to the roles allowed in Can.
const (
	PermManageTeam     Permission = "team:manage"
	PermManageChannels Permission = "channels:manage"
	PermManageMembers  Permission = "members:manage"
	PermManageTokens   Permission = "tokens:manage"
	// PermManageAdmins is needed to create, edit or delete a member whose role is
	// (or would become) admin, so a supervisor who manages members cannot raise
	// anyone, themself included, above their own role.
	PermManageAdmins Permission = "admins:manage"
	PermRead         Permission = "read"
	// PermManageRules edits keyword auto-reply, auto-assign and auto-tag
	// rules. SPEC §2 gives channel common messages to admin, supervisor, CS
	// manager and marketer; rules are the same kind of automatic answer, so
	// the same roles edit them.
	PermManageRules Permission = "rules:manage"
	// PermDeleteConversations deletes conversations and blacklists contacts:
	// admin and supervisor by default (001:L401, 001:L2396).
	PermDeleteConversations Permission = "conversations:delete"
)

// Can reports whether role r has permission p. Channel and token management stay
// with admins because they touch credentials; supervisors also manage members
// and delete conversations; CS managers and marketers also edit routing rules.
func (r Role) Can(p Permission) bool {
	switch p {
	case PermRead:
		return r.Valid()
	case PermManageMembers, PermDeleteConversations:
		return r == RoleAdmin || r == RoleSupervisor
	case PermManageRules:
		return r == RoleAdmin || r == RoleSupervisor || r == RoleCSManager || r == RoleMarketer
	case PermManageTeam, PermManageChannels, PermManageTokens, PermManageAdmins:
		return r == RoleAdmin
	}
	return false
}

// MemberStatus is a member's online status; offline members are skipped by
// assignment.
type MemberStatus string

// Member statuses.
const (
	MemberOnline  MemberStatus = "online"
	MemberAway    MemberStatus = "away"
	MemberOffline MemberStatus = "offline"
)

// WorkingHours is one weekly interval in the team's time zone, "HH:MM" to "HH:MM".
type WorkingHours struct {
	Weekday time.Weekday `json:"weekday"`
	Start   string       `json:"start"`
	End     string       `json:"end"`
}

var clockRE = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)

// Contains reports whether t (already in the team's time zone) falls within h.
func (h WorkingHours) Contains(t time.Time) bool {
	if t.Weekday() != h.Weekday {
		return false
	}
	now := t.Format("15:04")
	return now >= h.Start && now < h.End
}

// Member is a person of the team who answers conversations.
type Member struct {
	ID           string         `json:"id"`
	TeamID       string         `json:"teamId"`
	Name         string         `json:"name"`
	Email        string         `json:"email"`
	Role         Role           `json:"role"`
	Status       MemberStatus   `json:"status"`
	Active       bool           `json:"active"`
	BranchID     string         `json:"branchId,omitempty"`
	WorkingHours []WorkingHours `json:"workingHours,omitempty"`
	CreatedAt    time.Time      `json:"createdAt"`
	UpdatedAt    time.Time      `json:"updatedAt"`
	Version      int64          `json:"version"`
}

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// Validate checks the fields an operator sets.
func (m *Member) Validate() error {
	if m.Name == "" || len([]rune(m.Name)) > 100 {
		return Errorf(EInvalid, "member name must be 1 to 100 characters")
	}
	if m.Email != "" && !emailRE.MatchString(m.Email) {
		return Errorf(EInvalid, "email %q is not an e-mail address", m.Email)
	}
	if !m.Role.Valid() {
		return Errorf(EInvalid, "role %q is not one of admin, supervisor, cs_manager, cs_agent, sales_manager, salesperson, marketer, marketing_cs", m.Role)
	}
	switch m.Status {
	case MemberOnline, MemberAway, MemberOffline:
	default:
		return Errorf(EInvalid, "status must be online, away or offline")
	}
	if m.Role.IsSales() && m.BranchID == "" {
		return Errorf(EInvalid, "a %s must belong to a branch", m.Role)
	}
	if len(m.WorkingHours) > 7*4 {
		return Errorf(EInvalid, "at most 28 working-hour intervals")
	}
	for _, h := range m.WorkingHours {
		if h.Weekday < time.Sunday || h.Weekday > time.Saturday {
			return Errorf(EInvalid, "weekday must be 0 (Sunday) to 6")
		}
		if !clockRE.MatchString(h.Start) || !clockRE.MatchString(h.End) || h.Start >= h.End {
			return Errorf(EInvalid, "working hours must be HH:MM with start before end")
		}
	}
	return nil
}

// WithinWorkingHours reports whether the member works at t (in the team's zone).
// A member with no working hours set is never within them.
func (m *Member) WithinWorkingHours(t time.Time) bool {
	for _, h := range m.WorkingHours {
		if h.Contains(t) {
			return true
		}
	}
	return false
}

// MemberStore persists members.
type MemberStore interface {
	CreateMember(ctx context.Context, m *Member) error
	GetMember(ctx context.Context, teamID, id string) (*Member, error)
	ListMembers(ctx context.Context, teamID string) ([]*Member, error)
	UpdateMember(ctx context.Context, teamID, id string, fn func(*Member) (*Member, error)) (*Member, error)
	DeleteMember(ctx context.Context, teamID, id string) error
}
