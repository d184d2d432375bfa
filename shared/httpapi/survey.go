package httpapi

import (
	"context"
	"log/slog"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// The satisfaction survey on an agent's close (001:L1679–L1683): the team's
// survey mode (kept with its auto-end setting) is none, automatic (every close
// sends it) or ask (the closing agent decides, with sendSurvey). Auto-end's own
// close sends it from the router.

// closeInput is the optional body of POST /v1/conversations/{id}/close.
type closeInput struct {
	// SendSurvey asks for the survey when the team's survey mode is ask.
	SendSurvey bool `json:"sendSurvey"`
}

// surveySetting reads the team's survey setting, or none when the deployment
// keeps no auto-end settings.
func (h *Handler) surveySetting(ctx context.Context, teamID string, asked bool) (*switchboard.AutoEnd, error) {
	s := &switchboard.AutoEnd{}
	if h.autoEnd != nil {
		got, err := h.autoEnd.AutoEndSettings(ctx, teamID)
		if err != nil {
			return nil, err
		}
		s = &got
	}
	if asked && s.Survey != switchboard.SurveyAsk && s.Survey != switchboard.SurveyAutomatic {
		return nil, switchboard.Errorf(switchboard.EInvalid, "sendSurvey needs the team's survey setting to be ask; it is %s", surveyModeName(s.Survey))
	}
	return s, nil
}

func surveyModeName(m switchboard.SurveyMode) string {
	if m == "" {
		return string(switchboard.SurveyNone)
	}
	return string(m)
}

// closeConversationRoute closes one conversation and, as the team's survey
// mode and the agent's choice say, sends the survey.
func (h *Handler) closeConversationRoute(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in closeInput
	if strings.TrimSpace(r.raw.Body) != "" {
		if err := decode(r, &in); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}
	v, err := h.viewer(ctx, r.caller)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	setting, err := h.surveySetting(ctx, v.TeamID, in.SendSurvey)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	c, ct, err := h.act(ctx, v, r.param("id"), "close", closeConversation)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if setting.SurveyOnAgentClose(in.SendSurvey) {
		h.sendSurvey(ctx, c, ct, setting.SurveyText)
	}
	return h.answerConversation(ctx, v, c, ct)
}

// sendSurvey sends the survey text to the customer of a conversation an agent
// has just closed, as a system message: outside the platform's window the
// sender refuses it and the message is recorded failed with the reason. The
// close stands either way, so a failure is logged rather than answered. The
// idempotency key is the close's, so a retried send is not delivered twice
// where the platform honours keys.
func (h *Handler) sendSurvey(ctx context.Context, c *switchboard.Conversation, ct *switchboard.Contact, text string) {
	log := h.log.With(slog.String("requestId", apigw.RequestIDFromContext(ctx)), slog.String("teamId", c.TeamID), slog.String("conversationId", c.ID))
	if ct == nil || ct.PlatformUserID == "" || ct.Blocked {
		log.InfoContext(ctx, "survey not sent: the conversation has no customer to send to")
		return
	}
	ch, sender, err := h.channelSender(ctx, c.TeamID, c.ChannelID)
	if err != nil {
		log.WarnContext(ctx, "survey not sent", slog.String("error", switchboard.ErrorMessage(err)))
		return
	}
	now := h.now().UTC()
	msg := &switchboard.Message{
		ID: h.newID(), TeamID: c.TeamID, ConversationID: c.ID, ContactID: ct.ID,
		Direction: switchboard.Outbound, Kind: switchboard.MsgText, Text: text,
		Status: switchboard.DeliverySending, CreatedAt: now,
	}
	out := switchboard.OutboundMessage{Kind: switchboard.MsgText, Text: text}
	to := switchboard.Recipient{PlatformUserID: ct.PlatformUserID, LastCustomerAt: c.LastCustomerAt}
	key := "survey#" + c.TeamID + "#" + c.ID + "#" + strconv.FormatInt(c.UpdatedAt.UnixNano(), 10)
	if err := h.deliver(ctx, ch, sender, to, msg, out, switchboard.PurposeSystem, key); err != nil {
		log.WarnContext(ctx, "survey not delivered", slog.String("error", switchboard.ErrorMessage(err)))
		return
	}
	if _, err := h.conversations.UpdateConversation(ctx, c.TeamID, c.ID, func(cur *switchboard.Conversation) (*switchboard.Conversation, error) {
		cur.OnBotMessage(now)
		return cur, nil
	}); err != nil {
		log.WarnContext(ctx, "survey sent but not recorded on the conversation", slog.String("error", err.Error()))
	}
}
