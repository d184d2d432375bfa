package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// memberCreate is the body of POST /v1/members.
type memberCreate struct {
	Name         string                     `json:"name"`
	Email        string                     `json:"email"`
	Role         switchboard.Role           `json:"role"`
	Status       switchboard.MemberStatus   `json:"status"`
	Active       *bool                      `json:"active"`
	BranchID     string                     `json:"branchId"`
	WorkingHours []switchboard.WorkingHours `json:"workingHours"`
}

// memberPatch is the body of PATCH /v1/members/{id}; absent fields keep their
// value. Status has its own endpoint, which members may call for themselves.
type memberPatch struct {
	Name         *string                     `json:"name"`
	Email        *string                     `json:"email"`
	Role         *switchboard.Role           `json:"role"`
	Active       *bool                       `json:"active"`
	BranchID     *string                     `json:"branchId"`
	WorkingHours *[]switchboard.WorkingHours `json:"workingHours"`
}

// statusInput is the body of PUT /v1/members/{id}/status.
type statusInput struct {
	Status switchboard.MemberStatus `json:"status"`
}

// errAdminsOnly refuses a caller without PermManageAdmins who touches an admin.
func errAdminsOnly(c Caller) error {
	return switchboard.Errorf(switchboard.EForbidden, "role %s may not create, change or delete admin members", c.Role)
}

func (h *Handler) listMembers(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	ms, err := h.members.ListMembers(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if ms == nil {
		ms = []*switchboard.Member{}
	}
	return apigw.JSON(http.StatusOK, list[*switchboard.Member]{Items: ms}), nil
}

func (h *Handler) createMember(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in memberCreate
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if in.Role == switchboard.RoleAdmin && !r.caller.Role.Can(switchboard.PermManageAdmins) {
		return events.APIGatewayV2HTTPResponse{}, errAdminsOnly(r.caller)
	}
	now := h.now().UTC()
	m := &switchboard.Member{
		ID:           h.newID(),
		TeamID:       r.caller.TeamID,
		Name:         in.Name,
		Email:        in.Email,
		Role:         in.Role,
		Status:       in.Status,
		Active:       in.Active == nil || *in.Active,
		BranchID:     in.BranchID,
		WorkingHours: in.WorkingHours,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if m.Status == "" {
		m.Status = switchboard.MemberOffline
	}
	if err := m.Validate(); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.members.CreateMember(ctx, m); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusCreated, m), nil
}

func (h *Handler) getMember(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	m, err := h.members.GetMember(ctx, r.caller.TeamID, r.param("id"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, m), nil
}

func (h *Handler) updateMember(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in memberPatch
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	now := h.now().UTC()
	m, err := h.members.UpdateMember(ctx, r.caller.TeamID, r.param("id"), func(cur *switchboard.Member) (*switchboard.Member, error) {
		next := *cur
		if in.Name != nil {
			next.Name = *in.Name
		}
		if in.Email != nil {
			next.Email = *in.Email
		}
		if in.Role != nil {
			next.Role = *in.Role
		}
		if in.Active != nil {
			next.Active = *in.Active
		}
		if in.BranchID != nil {
			next.BranchID = *in.BranchID
		}
		if in.WorkingHours != nil {
			next.WorkingHours = *in.WorkingHours
		}
		// Checked against the stored member, inside the update, so a concurrent
		// promotion cannot slip past it.
		if (cur.Role == switchboard.RoleAdmin || next.Role == switchboard.RoleAdmin) && !r.caller.Role.Can(switchboard.PermManageAdmins) {
			return nil, errAdminsOnly(r.caller)
		}
		if err := next.Validate(); err != nil {
			return nil, err
		}
		next.UpdatedAt = now
		return &next, nil
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	// Deactivating takes the member out of its conversations (deactivation.go).
	// Any request that sets active to false does it, even for a member that
	// was inactive already, so sending it again finishes a release that
	// failed part-way.
	if in.Active != nil && !*in.Active && !m.Active {
		out, err := h.releaseMember(ctx, r.caller, m.ID)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return apigw.JSON(http.StatusOK, memberAnswer{Member: m, releaseOutcome: out}), nil
	}
	return apigw.JSON(http.StatusOK, m), nil
}

// deleteMember deactivates the member, takes it out of its conversations
// like a deactivation does, and only then deletes it: if some conversation
// cannot be updated the member stays, deactivated, and the answer is 503, so
// that sending the DELETE again retries them (after a delete nothing could).
func (h *Handler) deleteMember(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	id := r.param("id")
	m, err := h.members.GetMember(ctx, r.caller.TeamID, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if m.Role == switchboard.RoleAdmin && !r.caller.Role.Can(switchboard.PermManageAdmins) {
		return events.APIGatewayV2HTTPResponse{}, errAdminsOnly(r.caller)
	}
	if m.Active {
		now := h.now().UTC()
		_, err := h.members.UpdateMember(ctx, r.caller.TeamID, id, func(cur *switchboard.Member) (*switchboard.Member, error) {
			if cur.Role == switchboard.RoleAdmin && !r.caller.Role.Can(switchboard.PermManageAdmins) {
				return nil, errAdminsOnly(r.caller)
			}
			next := *cur
			next.Active, next.UpdatedAt = false, now
			return &next, nil
		})
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}
	out, err := h.releaseMember(ctx, r.caller, id)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if out.Failed > 0 {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EUnavailable,
			"member %s is deactivated but not deleted: %d of its conversations could not be updated; send the request again", id, out.Failed)
	}
	if err := h.members.DeleteMember(ctx, r.caller.TeamID, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	h.deleteMemberTokens(ctx, r.caller.TeamID, id)
	return apigw.Empty(http.StatusNoContent), nil
}

// deleteMemberTokens removes the tokens bound to a deleted member. It is
// housekeeping only: authentication already refuses a token whose member is
// gone, so a failure here is logged and the delete still succeeds.
func (h *Handler) deleteMemberTokens(ctx context.Context, teamID, memberID string) {
	toks, err := h.tokens.ListTokens(ctx, teamID)
	if err != nil {
		h.log.WarnContext(ctx, "listing a deleted member's tokens failed", "requestId", apigw.RequestIDFromContext(ctx), "teamId", teamID, "memberId", memberID, "error", err.Error())
		return
	}
	for _, t := range toks {
		if t.MemberID != memberID {
			continue
		}
		if err := h.tokens.DeleteToken(ctx, teamID, t.ID); err != nil {
			h.log.LogAttrs(ctx, slog.LevelWarn, "deleting a deleted member's token failed",
				slog.String("requestId", apigw.RequestIDFromContext(ctx)), slog.String("teamId", teamID),
				slog.String("tokenId", t.ID), slog.String("error", err.Error()))
		}
	}
}

func (h *Handler) setMemberStatus(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	id := r.param("id")
	if r.caller.MemberID != id && !r.caller.Role.Can(switchboard.PermManageMembers) {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EForbidden, "role %s may set only its own member's status", r.caller.Role)
	}
	var in statusInput
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	switch in.Status {
	case switchboard.MemberOnline, switchboard.MemberAway, switchboard.MemberOffline:
	default:
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "status must be online, away or offline")
	}
	now := h.now().UTC()
	m, err := h.members.UpdateMember(ctx, r.caller.TeamID, id, func(cur *switchboard.Member) (*switchboard.Member, error) {
		next := *cur
		next.Status = in.Status
		next.UpdatedAt = now
		return &next, nil
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, m), nil
}
