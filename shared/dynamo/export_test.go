package dynamo

import "context"

// MemberConversationIDsPaged exposes memberConversationIDs to the external
// tests, with Queries of page items so that a handful of conversations
// crosses pages.
func (s *Store) MemberConversationIDsPaged(ctx context.Context, teamID, memberID string, page int32) ([]string, error) {
	return s.memberConversationIDs(ctx, teamID, memberID, page)
}
