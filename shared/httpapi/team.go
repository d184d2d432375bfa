package httpapi

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// createTeamRequest is the body of POST /v1/teams.
type createTeamRequest struct {
	Name     string `json:"name"`
	TimeZone string `json:"timeZone"`
	// TokenName names the team's first admin token; "admin" when empty.
	TokenName string `json:"tokenName"`
}

// createTeamResponse returns the new team and its first admin token, whose
// secret is shown this once: without it nobody could use the team.
type createTeamResponse struct {
	Team  *switchboard.Team `json:"team"`
	Token createdTokenView  `json:"token"`
}

// teamPatch is the body of PATCH /v1/team; absent fields keep their value.
type teamPatch struct {
	Name     *string `json:"name"`
	TimeZone *string `json:"timeZone"`
}

func (h *Handler) createTeam(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in createTeamRequest
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	now := h.now().UTC()
	team := &switchboard.Team{ID: h.newID(), Name: in.Name, TimeZone: in.TimeZone, CreatedAt: now, UpdatedAt: now}
	if team.TimeZone == "" {
		team.TimeZone = switchboard.DefaultTimeZone
	}
	if err := team.Validate(); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if in.TokenName == "" {
		in.TokenName = "admin"
	}
	secret, hash := switchboard.NewTokenSecret()
	tok := &switchboard.Token{ID: h.newID(), TeamID: team.ID, Name: in.TokenName, Role: switchboard.RoleAdmin, Hash: hash, CreatedAt: now}
	// Validate the token before writing the team, so a bad tokenName leaves nothing behind.
	if err := tok.Validate(); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.teams.CreateTeam(ctx, team); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.tokens.CreateToken(ctx, tok); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusCreated, createTeamResponse{Team: team, Token: newCreatedTokenView(tok, secret)}), nil
}

func (h *Handler) getTeam(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	t, err := h.teams.GetTeam(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, t), nil
}

func (h *Handler) updateTeam(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in teamPatch
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	now := h.now().UTC()
	t, err := h.teams.UpdateTeam(ctx, r.caller.TeamID, func(cur *switchboard.Team) (*switchboard.Team, error) {
		next := *cur
		if in.Name != nil {
			next.Name = *in.Name
		}
		if in.TimeZone != nil {
			next.TimeZone = *in.TimeZone
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
	return apigw.JSON(http.StatusOK, t), nil
}
