package dynamo

import (
	"context"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var memberRecord = record[switchboard.Member]{
	what: "member",
	key:  func(m *switchboard.Member) key { return memberKey(m.TeamID, m.ID) },
	meta: func(m *switchboard.Member) (*int64, *time.Time, *time.Time) {
		return &m.Version, &m.CreatedAt, &m.UpdatedAt
	},
	keep: func(next, cur *switchboard.Member) {
		next.ID, next.TeamID, next.CreatedAt = cur.ID, cur.TeamID, cur.CreatedAt
	},
}

// CreateMember stores a new member: one conditional PutItem.
func (s *Store) CreateMember(ctx context.Context, m *switchboard.Member) error {
	if !validKeyPart(m.ID) || !validKeyPart(m.TeamID) {
		return switchboard.Errorf(switchboard.EInvalid, "member id or team id is missing or malformed")
	}
	return create(ctx, s, memberRecord, m)
}

// GetMember reads a member of the team: one GetItem.
func (s *Store) GetMember(ctx context.Context, teamID, id string) (*switchboard.Member, error) {
	if !validKeyPart(id) || !validKeyPart(teamID) {
		return nil, notFound("member")
	}
	return get[switchboard.Member](ctx, s, "member", memberKey(teamID, id))
}

// ListMembers returns the team's members in id order: one strongly consistent
// Query of the team's partition.
func (s *Store) ListMembers(ctx context.Context, teamID string) ([]*switchboard.Member, error) {
	if !validKeyPart(teamID) {
		return nil, nil
	}
	return queryAll[switchboard.Member](ctx, s, membersOfTeam(teamID), "member", "list members")
}

// UpdateMember applies fn under an optimistic version check: one GetItem and
// one PutItem per round.
func (s *Store) UpdateMember(ctx context.Context, teamID, id string, fn func(*switchboard.Member) (*switchboard.Member, error)) (*switchboard.Member, error) {
	if !validKeyPart(id) || !validKeyPart(teamID) {
		return nil, notFound("member")
	}
	return update(ctx, s, memberRecord, memberKey(teamID, id), nil, nil, fn)
}

// DeleteMember deletes a member of the team: one conditional DeleteItem.
func (s *Store) DeleteMember(ctx context.Context, teamID, id string) error {
	if !validKeyPart(id) || !validKeyPart(teamID) {
		return notFound("member")
	}
	return remove(ctx, s, "member", memberKey(teamID, id), "")
}
