package switchboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// InboundType is what happened on the platform, normalised across channels.
type InboundType string

// Inbound event types.
const (
	InMessage  InboundType = "message"  // the customer sent a message
	InPostback InboundType = "postback" // the customer tapped a button that carries a payload
	InFollow   InboundType = "follow"   // LINE follow, Messenger "Get Started", widget opened
	InUnfollow InboundType = "unfollow" // LINE unfollow (block)
	InReferral InboundType = "referral" // m.me ?ref= link or ad referral (001:L3889)
	InStatus   InboundType = "status"   // delivery / read / failed status of our outbound message(s)
)

// InboundEvent is one platform event, normalised. It is the body of every
// message on inbound.fifo.
type InboundEvent struct {
	// ID is the platform's own id of the event (LINE webhookEventId, Meta mid,
	// WhatsApp wamid); where the platform gives none, a hash of the event's
	// content, so redeliveries still get the same id.
	ID          string      `json:"id"`
	TeamID      string      `json:"teamId"`
	ChannelID   string      `json:"channelId"`
	ChannelKind ChannelKind `json:"channelKind"`
	Type        InboundType `json:"type"`
	// CustomerID is the platform user id: LINE userId, PSID, IGSID, WhatsApp
	// phone (wa_id), or the widget visitor id.
	CustomerID string `json:"customerId"`
	// CustomerName is the name the platform reported with the event, if any.
	CustomerName string    `json:"customerName,omitempty"`
	OccurredAt   time.Time `json:"occurredAt"`
	ReplyToken   string    `json:"replyToken,omitempty"`
	Redelivery   bool      `json:"redelivery,omitempty"`

	Message  *InboundMessage `json:"message,omitempty"`
	Postback *Postback       `json:"postback,omitempty"`
	Referral *Referral       `json:"referral,omitempty"`
	Status   *StatusUpdate   `json:"status,omitempty"`
}

// InboundMessage is the content of a customer's message.
type InboundMessage struct {
	ID   string      `json:"id"`
	Kind MessageKind `json:"kind"`
	Text string      `json:"text,omitempty"`
	// MediaID is the platform's id for fetching media (LINE content id, WhatsApp
	// media id); MediaURL a direct URL where the platform gives one.
	MediaID  string `json:"mediaId,omitempty"`
	MediaURL string `json:"mediaUrl,omitempty"`
	MimeType string `json:"mimeType,omitempty"`
	FileName string `json:"fileName,omitempty"`
	// StickerID is "packageId/stickerId" on LINE.
	StickerID string  `json:"stickerId,omitempty"`
	Latitude  float64 `json:"latitude,omitempty"`
	Longitude float64 `json:"longitude,omitempty"`
	Address   string  `json:"address,omitempty"`
	// QuickReplyPayload is the payload of a quick-reply button the text came from.
	QuickReplyPayload string `json:"quickReplyPayload,omitempty"`
	// ReplyToID is the platform id of the message this one quotes, if any.
	ReplyToID string `json:"replyToId,omitempty"`
}

// Postback is a button tap that carries a payload.
type Postback struct {
	Payload string `json:"payload"`
	Title   string `json:"title,omitempty"`
	// Referral is set when a postback (e.g. "Get Started") came through a ref link.
	Referral *Referral `json:"referral,omitempty"`
}

// Referral is an entry through a link or an ad (m.me/page?ref=..., 001:L3889).
type Referral struct {
	Ref    string `json:"ref"`
	Source string `json:"source,omitempty"`
	Type   string `json:"type,omitempty"`
}

// StatusUpdate reports what happened to messages we sent.
type StatusUpdate struct {
	Status DeliveryStatus `json:"status"`
	// MessageIDs are platform ids of our outbound messages the status is for.
	// Meta's read and delivery events may instead give only a watermark.
	MessageIDs []string  `json:"messageIds,omitempty"`
	Watermark  time.Time `json:"watermark,omitzero"`
	ErrorCode  string    `json:"errorCode,omitempty"`
	ErrorTitle string    `json:"errorTitle,omitempty"`
}

// GroupID is the FIFO message group of the event: one conversation (team,
// channel, customer) is processed in order, different conversations in parallel.
// It is a hash so that it always fits SQS's 128-character, restricted-alphabet
// limit whatever the platform ids look like.
func (e *InboundEvent) GroupID() string {
	return shortHash(e.TeamID, e.ChannelID, e.CustomerID)
}

// DedupID is the FIFO deduplication id: the platform event id, scoped to the
// channel and hashed to fit SQS's limits.
func (e *InboundEvent) DedupID() string {
	return shortHash(e.ChannelID, e.ID)
}

func shortHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:20])
}

// InboundPublisher hands normalised events to the router, in as few requests as
// possible.
type InboundPublisher interface {
	PublishInbound(ctx context.Context, events []InboundEvent) error
}
