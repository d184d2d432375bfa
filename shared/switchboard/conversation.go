package switchboard

import (
	"context"
	"time"
)

// ConversationStatus is the status of a conversation "event" (SPEC §2).
type ConversationStatus string

// Conversation statuses.
const (
	StatusPending    ConversationStatus = "pending"
	StatusInProgress ConversationStatus = "in_progress"
	StatusClosed     ConversationStatus = "closed"
)

// PendingKind splits pending conversations between the bot and a human.
type PendingKind string

// Pending kinds.
const (
	PendingBot   PendingKind = "bot"
	PendingHuman PendingKind = "human"
)

// MaxCollaborators is the number of collaborators beside the follower (001:L4613).
const MaxCollaborators = 5

// Conversation is the current "event" between a contact and the team.
type Conversation struct {
	ID            string             `json:"id"`
	TeamID        string             `json:"teamId"`
	ContactID     string             `json:"contactId"`
	ChannelID     string             `json:"channelId"`
	Status        ConversationStatus `json:"status"`
	PendingKind   PendingKind        `json:"pendingKind,omitempty"`
	FollowerID    string             `json:"followerId,omitempty"`
	Collaborators []string           `json:"collaborators,omitempty"`
	// FollowedAt is when the current follower took the conversation; the inbox
	// sorts by it (000: sort by last message or follow time).
	FollowedAt time.Time `json:"followedAt,omitzero"`
	// Unread counts unread customer messages per reader: the follower and each
	// collaborator keep their own count (001:L4724), and PendingReader holds the
	// count while nobody follows. See conversation_state.go.
	Unread         map[string]int `json:"unread,omitempty"`
	LastMessageAt  time.Time      `json:"lastMessageAt,omitzero"`
	LastCustomerAt time.Time      `json:"lastCustomerAt,omitzero"`
	LastStaffAt    time.Time      `json:"lastStaffAt,omitzero"`
	// LastOutboundAt is when the team last sent the customer anything: an
	// agent's reply or an automatic one. LINE reports no reads, so when the
	// customer writes again the router marks what was sent before as read
	// (001:L1338), and this time tells it whether there is anything to mark
	// without reading the messages (see HasUnreadOutbound).
	LastOutboundAt time.Time `json:"lastOutboundAt,omitzero"`
	// BotInputUntil is set by the bot step while a user input card waits for
	// the customer's answer (001:L3828, at most an hour): until then the
	// router hands the customer's messages to the bot as answers, and the
	// keyword rules do not read them.
	BotInputUntil time.Time `json:"botInputUntil,omitzero"`
	// SearchText is the conversation's bounded, lower-cased search text: the
	// contact's details and its last messages' texts (IndexContact,
	// IndexMessage, see inbox.go), so the inbox searches a team's views
	// without scanning. It is stored but never shown.
	SearchText string `json:"-"`
	// History is the conversation's status record, oldest first and at most
	// MaxHistory entries (history.go).
	History []HistoryEntry `json:"history,omitempty"`
	// HistoryTotal counts every entry ever recorded, so a caller can tell
	// which entries a change added after the oldest were dropped
	// (HistorySince).
	HistoryTotal int64     `json:"historyTotal,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	Version      int64     `json:"version"`
}

// ConversationStore persists conversations; updates are optimistic so two
// agents acting at once cannot both win.
type ConversationStore interface {
	GetConversation(ctx context.Context, teamID, id string) (*Conversation, error)
	CreateConversation(ctx context.Context, c *Conversation) error
	UpdateConversation(ctx context.Context, teamID, id string, fn func(*Conversation) (*Conversation, error)) (*Conversation, error)
}
