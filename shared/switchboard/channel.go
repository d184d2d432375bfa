package switchboard

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// ChannelKind names a messaging platform. It is also the {kind} segment of the
// webhook route /webhooks/{kind}/{channelId}.
type ChannelKind string

// The channel kinds Switchboard connects.
const (
	KindLINE      ChannelKind = "line"
	KindMessenger ChannelKind = "messenger"
	KindInstagram ChannelKind = "instagram"
	KindWhatsApp  ChannelKind = "whatsapp"
	KindWidget    ChannelKind = "widget"
)

// ChannelKinds lists every kind, in a stable order for validation messages.
var ChannelKinds = []ChannelKind{KindLINE, KindMessenger, KindInstagram, KindWhatsApp, KindWidget}

// Valid reports whether k is a kind Switchboard knows.
func (k ChannelKind) Valid() bool {
	for _, c := range ChannelKinds {
		if k == c {
			return true
		}
	}
	return false
}

// Channel is one connected account of a team on one platform.
type Channel struct {
	ID     string      `json:"id"`
	TeamID string      `json:"teamId"`
	Kind   ChannelKind `json:"kind"`
	Name   string      `json:"name"`
	// PlatformID is the account's id on the platform: the LINE bot's user id (the
	// webhook "destination"), the Facebook page id, the Instagram account id, the
	// WhatsApp phone_number_id, or the widget id.
	PlatformID string `json:"platformId"`
	// OutboundURL is where the website widget receives the messages the team
	// sends (signed like its webhooks); only widget channels use it. It must be
	// https, or http on the loopback address for local development.
	OutboundURL string `json:"outboundUrl,omitempty"`
	// CommonMessages are the welcome, instant and offline messages, edited
	// apart from the rest of the channel by the roles that edit automatic
	// answers (PUT /v1/channels/{id}/common-messages).
	CommonMessages CommonMessages `json:"commonMessages"`
	// Secrets are never returned by the API and never logged.
	Secrets   ChannelSecrets `json:"-"`
	Enabled   bool           `json:"enabled"`
	CreatedAt time.Time      `json:"createdAt"`
	UpdatedAt time.Time      `json:"updatedAt"`
	Version   int64          `json:"version"`
}

// ChannelSecrets are the credentials of a channel.
type ChannelSecrets struct {
	// SigningSecret verifies inbound webhooks: the LINE channel secret, the Meta
	// app secret, or the widget token. A channel without one refuses every webhook.
	SigningSecret string `json:"signingSecret,omitempty"`
	// AccessToken authorises outbound calls: the LINE channel access token, the
	// page access token, or the WhatsApp system-user token.
	AccessToken string `json:"accessToken,omitempty"`
	// VerifyToken answers Meta's GET subscription handshake.
	VerifyToken string `json:"verifyToken,omitempty"`
}

// LogValue keeps secrets out of logs even when a whole channel is logged.
func (ChannelSecrets) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Validate checks the fields an operator sets when creating or editing a channel.
func (c *Channel) Validate() error {
	if !c.Kind.Valid() {
		return Errorf(EInvalid, "kind must be one of line, messenger, instagram, whatsapp, widget")
	}
	if c.Name == "" || len([]rune(c.Name)) > 100 {
		return Errorf(EInvalid, "channel name must be 1 to 100 characters")
	}
	if len(c.PlatformID) > 128 {
		return Errorf(EInvalid, "platformId must be at most 128 characters")
	}
	if c.OutboundURL != "" {
		if c.Kind != KindWidget {
			return Errorf(EInvalid, "outboundUrl is only used by widget channels")
		}
		if err := validOutboundURL(c.OutboundURL); err != nil {
			return err
		}
	}
	if len(c.Secrets.SigningSecret) > 512 || len(c.Secrets.AccessToken) > 4096 || len(c.Secrets.VerifyToken) > 512 {
		return Errorf(EInvalid, "a secret is too long")
	}
	if err := c.CommonMessages.Validate(); err != nil {
		return err
	}
	return nil
}

// ChannelStore persists channels.
type ChannelStore interface {
	CreateChannel(ctx context.Context, c *Channel) error
	// GetChannel returns a channel of the team; a channel of another team is
	// ENotFound, so ids cannot be probed across teams.
	GetChannel(ctx context.Context, teamID, id string) (*Channel, error)
	// LookupChannel finds a channel by id alone, for webhooks, whose URL carries
	// only the channel id.
	LookupChannel(ctx context.Context, id string) (*Channel, error)
	ListChannels(ctx context.Context, teamID string) ([]*Channel, error)
	UpdateChannel(ctx context.Context, teamID, id string, fn func(*Channel) (*Channel, error)) (*Channel, error)
	DeleteChannel(ctx context.Context, teamID, id string) error
}

// validOutboundURL accepts https URLs, and http only on the loopback host, so a
// team cannot make Switchboard post its signed messages in clear text across
// the network. Credentials in the URL are refused: URLs end up in logs.
func validOutboundURL(raw string) error {
	bad := Errorf(EInvalid, "outboundUrl must be an https URL (or http://127.0.0.1 or http://localhost for development), without credentials, of at most 2048 characters")
	if len(raw) > 2048 {
		return bad
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return bad
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		switch strings.ToLower(u.Hostname()) {
		case "127.0.0.1", "localhost", "::1":
			return nil
		}
	}
	return bad
}
