package switchboard

import (
	"context"
	"regexp"
	"time"
)

// ContactShards is the fixed number of shards a team's contacts are spread over,
// so an audience can be read by that many parallel queries (DESIGN.md, Storage).
const ContactShards = 16

// Contact is a customer as seen through one channel.
type Contact struct {
	ID             string      `json:"id"`
	TeamID         string      `json:"teamId"`
	ChannelID      string      `json:"channelId"`
	ChannelKind    ChannelKind `json:"channelKind"`
	PlatformUserID string      `json:"platformUserId"`
	// NativeName is the name the platform reports; read-only for the team
	// (001:L205). DisplayName is the name the team edits.
	NativeName  string `json:"nativeName,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	MemberID    string `json:"memberId,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Email       string `json:"email,omitempty"`
	Note        string `json:"note,omitempty"`
	BranchID    string `json:"branchId,omitempty"`
	// Addresses are the latest postal addresses the customer wrote in their
	// messages, newest first, at most MaxContactAddresses (SHOPLINE 003), so
	// an agent arranging a delivery need not scroll back for them.
	Addresses []string `json:"addresses,omitempty"`

	Subscribed            bool      `json:"subscribed"`
	SubscriptionChangedAt time.Time `json:"subscriptionChangedAt,omitzero"`
	// Blocked is the conversation "status active" switch turned off (blocked or
	// blacklisted): the contact's messages are not received (001:L1671).
	Blocked bool `json:"blocked"`

	Tags       map[string]TagCount       `json:"tags,omitempty"`
	Attributes map[string]AttributeValue `json:"attributes,omitempty"`
	Bindings   []Binding                 `json:"bindings,omitempty"`

	LastCustomerInteractionAt time.Time `json:"lastCustomerInteractionAt,omitzero"`
	LastTeamInteractionAt     time.Time `json:"lastTeamInteractionAt,omitzero"`
	LastMarketingAt           time.Time `json:"lastMarketingAt,omitzero"`
	LastCheckoutAt            time.Time `json:"lastCheckoutAt,omitzero"`

	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
}

// MaxContactAddresses is how many detected addresses a contact keeps.
const MaxContactAddresses = 3

// Name is what the inbox shows: the team's name for the contact when set, else
// the platform's.
func (c *Contact) Name() string {
	if c.DisplayName != "" {
		return c.DisplayName
	}
	return c.NativeName
}

// TagCount counts how often a tag was applied (tagging again increments, 004).
type TagCount struct {
	Count        int       `json:"count"`
	LastTaggedAt time.Time `json:"lastTaggedAt"`
}

// AttributeType is the type of a custom attribute (SPEC §7).
type AttributeType string

// Custom attribute types.
const (
	AttrText    AttributeType = "text"
	AttrNumber  AttributeType = "number"
	AttrDate    AttributeType = "date"
	AttrBoolean AttributeType = "boolean"
	// AttrDateTime holds an instant, stored as RFC 3339 in UTC; a bot's user
	// input card can save a date and time into one (SPEC §3).
	AttrDateTime AttributeType = "datetime"
)

// AttributeValue is one custom attribute value with its type.
type AttributeValue struct {
	Type  AttributeType `json:"type"`
	Value string        `json:"value"`
}

var attrKeyRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// ValidAttributeKey reports whether key is a legal custom attribute key: letters,
// digits and underscores, case-sensitive (SPEC §7).
func ValidAttributeKey(key string) bool { return attrKeyRE.MatchString(key) }

// Binding links a contact to an identity elsewhere: a website visitor, or the
// same person on another channel.
type Binding struct {
	Kind      string    `json:"kind"` // "visitor", "line", "messenger", "whatsapp", "member"
	ID        string    `json:"id"`
	ChannelID string    `json:"channelId,omitempty"`
	BoundAt   time.Time `json:"boundAt"`
}

// ContactStore persists contacts. A contact is found by its channel and platform
// user id, which is how every inbound event names it.
type ContactStore interface {
	GetContact(ctx context.Context, teamID, id string) (*Contact, error)
	FindContact(ctx context.Context, teamID, channelID, platformUserID string) (*Contact, error)
	// UpsertContact creates the contact named by channel and platform user id if
	// it does not exist, then applies fn under an optimistic version check.
	UpsertContact(ctx context.Context, teamID, channelID, platformUserID string, fn func(*Contact) (*Contact, error)) (*Contact, error)
	// ListContactShard returns one page of one shard of the team's contacts.
	ListContactShard(ctx context.Context, teamID string, shard int, cursor string, limit int) ([]*Contact, string, error)
}
