package httpapi

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// putCommonMessages replaces a channel's welcome, instant and offline
// messages. They have a route of their own because SPEC §2 lets more roles
// edit them (admin, supervisor, CS manager, marketer: PermManageRules) than
// may change the channel itself (admin).
func (h *Handler) putCommonMessages(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in switchboard.CommonMessages
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := in.Validate(); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	now := h.now().UTC()
	c, err := h.channels.UpdateChannel(ctx, r.caller.TeamID, r.param("id"), func(cur *switchboard.Channel) (*switchboard.Channel, error) {
		next := *cur
		next.CommonMessages = in
		next.UpdatedAt = now
		return &next, nil
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, h.channelView(c)), nil
}
