package dynamo

import (
	"context"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var conversationRecord = record[switchboard.Conversation]{
	what: "conversation",
	key:  func(c *switchboard.Conversation) key { return conversationKey(c.TeamID, c.ID) },
	index: func(c *switchboard.Conversation) map[string]string {
		v := conversationInView(c)
		idx := map[string]string{attrGSI1PK: v.PK, attrGSI1SK: v.SK}
		if c.FollowerID != "" {
			f := conversationOfFollower(c)
			idx[attrGSI2PK], idx[attrGSI2SK] = f.PK, f.SK
		}
		return idx
	},
	meta: func(c *switchboard.Conversation) (*int64, *time.Time, *time.Time) {
		return &c.Version, &c.CreatedAt, &c.UpdatedAt
	},
	keep: func(next, cur *switchboard.Conversation) {
		next.ID, next.TeamID, next.CreatedAt = cur.ID, cur.TeamID, cur.CreatedAt
	},
}

// GetConversation reads a conversation of the team: one GetItem.
func (s *Store) GetConversation(ctx context.Context, teamID, id string) (*switchboard.Conversation, error) {
	if !validKeyPart(id) || !validKeyPart(teamID) {
		return nil, notFound("conversation")
	}
	return get[switchboard.Conversation](ctx, s, "conversation", conversationKey(teamID, id))
}

// CreateConversation stores a new conversation: one conditional PutItem.
func (s *Store) CreateConversation(ctx context.Context, c *switchboard.Conversation) error {
	if !validKeyPart(c.ID) || !validKeyPart(c.TeamID) {
		return switchboard.Errorf(switchboard.EInvalid, "conversation id or team id is missing or malformed")
	}
	return create(ctx, s, conversationRecord, c)
}

// UpdateConversation applies fn under an optimistic version check, so two
// agents acting at once cannot both win: one GetItem and one PutItem per round.
func (s *Store) UpdateConversation(ctx context.Context, teamID, id string, fn func(*switchboard.Conversation) (*switchboard.Conversation, error)) (*switchboard.Conversation, error) {
	if !validKeyPart(id) || !validKeyPart(teamID) {
		return nil, notFound("conversation")
	}
	return update(ctx, s, conversationRecord, conversationKey(teamID, id), nil, nil, fn)
}
