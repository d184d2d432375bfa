package switchboard

import (
	"context"
	"time"
)

// MessageKind is the content type of a message.
type MessageKind string

// Message kinds. Images, video, audio, files and stickers send a new pending
// conversation to a human (SPEC §2).
const (
	MsgText     MessageKind = "text"
	MsgImage    MessageKind = "image"
	MsgVideo    MessageKind = "video"
	MsgAudio    MessageKind = "audio"
	MsgFile     MessageKind = "file"
	MsgSticker  MessageKind = "sticker"
	MsgLocation MessageKind = "location"
	MsgOther    MessageKind = "other"
)

// NeedsHuman reports whether a message of this kind goes to a human when it opens
// a conversation.
func (k MessageKind) NeedsHuman() bool {
	switch k {
	case MsgImage, MsgVideo, MsgAudio, MsgFile, MsgSticker:
		return true
	}
	return false
}

// Direction says who wrote a message.
type Direction string

// Directions.
const (
	Inbound  Direction = "in"
	Outbound Direction = "out"
	// System marks a note the conversation shows to the team, such as "Jess
	// 加入了協作對話。": it is never sent to the customer.
	System Direction = "system"
)

// DeliveryStatus is the delivery status of an outbound message (001:L1330).
type DeliveryStatus string

// Delivery statuses: sending → sent → received → read, or failed with a reason.
const (
	DeliverySending  DeliveryStatus = "sending"
	DeliverySent     DeliveryStatus = "sent"
	DeliveryReceived DeliveryStatus = "received"
	DeliveryRead     DeliveryStatus = "read"
	DeliveryFailed   DeliveryStatus = "failed"
)

// Message flags: contact details found in a customer's message.
const (
	FlagPhone   = "phone"
	FlagEmail   = "email"
	FlagAddress = "address"
)

// Message is one message of a conversation, in either direction.
type Message struct {
	ID                string         `json:"id"`
	TeamID            string         `json:"teamId"`
	ConversationID    string         `json:"conversationId"`
	ContactID         string         `json:"contactId"`
	Direction         Direction      `json:"direction"`
	Kind              MessageKind    `json:"kind"`
	Text              string         `json:"text,omitempty"`
	MediaURL          string         `json:"mediaUrl,omitempty"`
	PlatformMessageID string         `json:"platformMessageId,omitempty"`
	SenderMemberID    string         `json:"senderMemberId,omitempty"`
	Status            DeliveryStatus `json:"status,omitempty"`
	FailureReason     string         `json:"failureReason,omitempty"`
	// Flags mark what the router found in a customer's message: "phone",
	// "email" and "address" (SHOPLINE 003 §3, §16), so the inbox can flag it
	// and offer the details for the customer's profile.
	Flags     []string  `json:"flags,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// MessageStore persists messages.
type MessageStore interface {
	PutMessage(ctx context.Context, m *Message) error
	ListMessages(ctx context.Context, teamID, conversationID, cursor string, limit int) ([]*Message, string, error)
}

// IdempotencyStore remembers keys that were already acted on, forever or until a
// TTL, so redelivered events change nothing.
type IdempotencyStore interface {
	// Claim records key and reports true the first time; later calls report false.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}
