package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// secretsInput carries channel secrets in a request. A field left out keeps its
// current value on PATCH; an empty string clears it.
type secretsInput struct {
	SigningSecret *string `json:"signingSecret"`
	AccessToken   *string `json:"accessToken"`
	VerifyToken   *string `json:"verifyToken"`
}

// apply copies the secrets that were sent onto s.
func (in *secretsInput) apply(s *switchboard.ChannelSecrets) {
	if in == nil {
		return
	}
	if in.SigningSecret != nil {
		s.SigningSecret = *in.SigningSecret
	}
	if in.AccessToken != nil {
		s.AccessToken = *in.AccessToken
	}
	if in.VerifyToken != nil {
		s.VerifyToken = *in.VerifyToken
	}
}

// channelCreate is the body of POST /v1/channels.
type channelCreate struct {
	Kind       switchboard.ChannelKind `json:"kind"`
	Name       string                  `json:"name"`
	PlatformID string                  `json:"platformId"`
	// OutboundURL is where a widget channel receives the team's messages.
	OutboundURL string        `json:"outboundUrl"`
	Secrets     *secretsInput `json:"secrets"`
	// Enabled defaults to true: a channel is created to be used.
	Enabled *bool `json:"enabled"`
}

// channelPatch is the body of PATCH /v1/channels/{id}; absent fields keep their
// value.
type channelPatch struct {
	// Kind is accepted only to refuse it clearly: the kind is part of the webhook
	// URL the platform already calls, so changing it would silently break ingest.
	Kind        *string       `json:"kind"`
	Name        *string       `json:"name"`
	PlatformID  *string       `json:"platformId"`
	OutboundURL *string       `json:"outboundUrl"`
	Secrets     *secretsInput `json:"secrets"`
	Enabled     *bool         `json:"enabled"`
}

// secretsSet says which secrets a channel has, never what they are.
type secretsSet struct {
	SigningSecret bool `json:"signingSecret"`
	AccessToken   bool `json:"accessToken"`
	VerifyToken   bool `json:"verifyToken"`
}

// channelView is a channel as the API shows it: without secret values, with the
// webhook URL to paste into the platform's console.
type channelView struct {
	ID          string                  `json:"id"`
	TeamID      string                  `json:"teamId"`
	Kind        switchboard.ChannelKind `json:"kind"`
	Name        string                  `json:"name"`
	PlatformID  string                  `json:"platformId"`
	OutboundURL string                  `json:"outboundUrl,omitempty"`
	Enabled     bool                    `json:"enabled"`
	Secrets     secretsSet              `json:"secrets"`
	WebhookURL  string                  `json:"webhookUrl"`
	// CommonMessages change through PUT /v1/channels/{id}/common-messages.
	CommonMessages switchboard.CommonMessages `json:"commonMessages"`
	CreatedAt      time.Time                  `json:"createdAt"`
	UpdatedAt      time.Time                  `json:"updatedAt"`
	Version        int64                      `json:"version"`
}

func (h *Handler) channelView(c *switchboard.Channel) channelView {
	return channelView{
		ID:          c.ID,
		TeamID:      c.TeamID,
		Kind:        c.Kind,
		Name:        c.Name,
		PlatformID:  c.PlatformID,
		OutboundURL: c.OutboundURL,
		Enabled:     c.Enabled,
		Secrets: secretsSet{
			SigningSecret: c.Secrets.SigningSecret != "",
			AccessToken:   c.Secrets.AccessToken != "",
			VerifyToken:   c.Secrets.VerifyToken != "",
		},
		WebhookURL:     h.webhookURL(c),
		CommonMessages: c.CommonMessages,
		CreatedAt:      c.CreatedAt,
		UpdatedAt:      c.UpdatedAt,
		Version:        c.Version,
	}
}

// webhookURL is where the platform must send the channel's events: the ingest
// route /webhooks/{kind}/{channelId} on the public origin.
func (h *Handler) webhookURL(c *switchboard.Channel) string {
	return h.baseURL + "/webhooks/" + url.PathEscape(string(c.Kind)) + "/" + url.PathEscape(c.ID)
}

func (h *Handler) listChannels(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	cs, err := h.channels.ListChannels(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	items := make([]channelView, 0, len(cs))
	for _, c := range cs {
		items = append(items, h.channelView(c))
	}
	return apigw.JSON(http.StatusOK, list[channelView]{Items: items}), nil
}

func (h *Handler) createChannel(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in channelCreate
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	now := h.now().UTC()
	c := &switchboard.Channel{
		ID:          h.newID(),
		TeamID:      r.caller.TeamID,
		Kind:        in.Kind,
		Name:        in.Name,
		PlatformID:  in.PlatformID,
		OutboundURL: in.OutboundURL,
		Enabled:     in.Enabled == nil || *in.Enabled,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	in.Secrets.apply(&c.Secrets)
	if err := c.Validate(); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.channels.CreateChannel(ctx, c); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusCreated, h.channelView(c)), nil
}

func (h *Handler) getChannel(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	c, err := h.channels.GetChannel(ctx, r.caller.TeamID, r.param("id"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, h.channelView(c)), nil
}

func (h *Handler) updateChannel(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in channelPatch
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if in.Kind != nil {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "kind cannot be changed: it is part of the webhook URL; create a new channel instead")
	}
	now := h.now().UTC()
	c, err := h.channels.UpdateChannel(ctx, r.caller.TeamID, r.param("id"), func(cur *switchboard.Channel) (*switchboard.Channel, error) {
		next := *cur
		if in.Name != nil {
			next.Name = *in.Name
		}
		if in.PlatformID != nil {
			next.PlatformID = *in.PlatformID
		}
		if in.OutboundURL != nil {
			next.OutboundURL = *in.OutboundURL
		}
		if in.Enabled != nil {
			next.Enabled = *in.Enabled
		}
		in.Secrets.apply(&next.Secrets)
		if err := next.Validate(); err != nil {
			return nil, err
		}
		next.UpdatedAt = now
		return &next, nil
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, h.channelView(c)), nil
}

func (h *Handler) deleteChannel(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	id := r.param("id")
	// Read first so a missing channel is a 404 whatever the store's delete does
	// with an absent key.
	if _, err := h.channels.GetChannel(ctx, r.caller.TeamID, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	// The rules that target the channel are marked invalid first (001:L1316):
	// marking is idempotent, so if the delete then fails, retrying it marks
	// nothing new and deletes; the other order could leave rules unmarked.
	if err := h.rules.MarkChannelGone(ctx, r.caller.TeamID, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := h.channels.DeleteChannel(ctx, r.caller.TeamID, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.Empty(http.StatusNoContent), nil
}

// list is the body of every list endpoint. Items is never null, so clients can
// iterate without a check.
type list[T any] struct {
	Items []T `json:"items"`
}
