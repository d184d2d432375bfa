package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// tokenCreate is the body of POST /v1/tokens.
type tokenCreate struct {
	Name string `json:"name"`
	// Role may be omitted for a member's token, which then takes the member's role.
	Role       switchboard.Role `json:"role"`
	MemberID   string           `json:"memberId"`
	AllowedIPs []string         `json:"allowedIps"`
	// ExpiresAt is an RFC 3339 time; parsed here so a bad value gets a message
	// naming the field and the format.
	ExpiresAt string `json:"expiresAt"`
}

// tokenView is a token as the API lists it: never its hash, never its secret.
type tokenView struct {
	ID         string           `json:"id"`
	TeamID     string           `json:"teamId"`
	Name       string           `json:"name"`
	Role       switchboard.Role `json:"role"`
	MemberID   string           `json:"memberId,omitempty"`
	AllowedIPs []string         `json:"allowedIps"`
	CreatedAt  time.Time        `json:"createdAt"`
	ExpiresAt  *time.Time       `json:"expiresAt,omitempty"`
}

func newTokenView(t *switchboard.Token) tokenView {
	v := tokenView{
		ID:         t.ID,
		TeamID:     t.TeamID,
		Name:       t.Name,
		Role:       t.Role,
		MemberID:   t.MemberID,
		AllowedIPs: t.AllowedIPs,
		CreatedAt:  t.CreatedAt,
	}
	if v.AllowedIPs == nil {
		v.AllowedIPs = []string{}
	}
	if !t.ExpiresAt.IsZero() {
		at := t.ExpiresAt
		v.ExpiresAt = &at
	}
	return v
}

// createdTokenView is the answer to creating a token: the one time its secret is
// shown, since only the hash is stored.
type createdTokenView struct {
	tokenView
	Secret string `json:"secret"`
}

func newCreatedTokenView(t *switchboard.Token, secret string) createdTokenView {
	return createdTokenView{tokenView: newTokenView(t), Secret: secret}
}

func (h *Handler) listTokens(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	ts, err := h.tokens.ListTokens(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	items := make([]tokenView, 0, len(ts))
	for _, t := range ts {
		items = append(items, newTokenView(t))
	}
	return apigw.JSON(http.StatusOK, list[tokenView]{Items: items}), nil
}

func (h *Handler) createToken(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in tokenCreate
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	now := h.now().UTC()
	var expires time.Time
	if in.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, in.ExpiresAt)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "expiresAt must be an RFC 3339 time such as 2030-01-31T00:00:00Z")
		}
		if !t.After(now) {
			return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "expiresAt must be in the future")
		}
		expires = t.UTC()
	}
	if in.MemberID != "" {
		m, err := h.members.GetMember(ctx, r.caller.TeamID, in.MemberID)
		if switchboard.ErrorCode(err) == switchboard.ENotFound {
			return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.ENotFound, "memberId %q names no member of this team", in.MemberID)
		}
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		// A member's token acts with the member's role (see authenticate), so a
		// different role here would only mislead whoever reads the token list.
		switch in.Role {
		case "":
			in.Role = m.Role
		case m.Role:
		default:
			return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "role must be the member's role (%s) or omitted", m.Role)
		}
	}
	secret, hash := switchboard.NewTokenSecret()
	t := &switchboard.Token{
		ID:         h.newID(),
		TeamID:     r.caller.TeamID,
		Name:       in.Name,
		Role:       in.Role,
		MemberID:   in.MemberID,
		Hash:       hash,
		AllowedIPs: in.AllowedIPs,
		CreatedAt:  now,
		ExpiresAt:  expires,
	}
	if err := t.Validate(); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.tokens.CreateToken(ctx, t); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusCreated, newCreatedTokenView(t, secret)), nil
}

func (h *Handler) deleteToken(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	id := r.param("id")
	ts, err := h.tokens.ListTokens(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var target *switchboard.Token
	otherAdmins := 0
	now := h.now()
	for _, t := range ts {
		switch {
		case t.ID == id:
			target = t
		case t.Role == switchboard.RoleAdmin && t.MemberID == "" && !t.Expired(now):
			otherAdmins++
		}
	}
	if target == nil {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.ENotFound, "token not found")
	}
	// Only the platform admin can create teams, not tokens for an existing team,
	// so deleting the last admin token would lock the team out for good.
	if target.Role == switchboard.RoleAdmin && target.MemberID == "" && otherAdmins == 0 {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EConflict, "this is the team's last admin token; create another admin token before deleting it")
	}
	if err := h.tokens.DeleteToken(ctx, r.caller.TeamID, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.Empty(http.StatusNoContent), nil
}
