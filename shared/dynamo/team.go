package dynamo

import (
	"context"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var teamRecord = record[switchboard.Team]{
	what: "team",
	key:  func(t *switchboard.Team) key { return teamKey(t.ID) },
	meta: func(t *switchboard.Team) (*int64, *time.Time, *time.Time) {
		return &t.Version, &t.CreatedAt, &t.UpdatedAt
	},
	keep: func(next, cur *switchboard.Team) {
		next.ID, next.CreatedAt = cur.ID, cur.CreatedAt
	},
}

// CreateTeam stores a new team with version 1: one conditional PutItem. An
// existing id is EConflict.
func (s *Store) CreateTeam(ctx context.Context, t *switchboard.Team) error {
	if !validKeyPart(t.ID) {
		return switchboard.Errorf(switchboard.EInvalid, "team id is missing or malformed")
	}
	return create(ctx, s, teamRecord, t)
}

// GetTeam reads a team: one GetItem.
func (s *Store) GetTeam(ctx context.Context, id string) (*switchboard.Team, error) {
	if !validKeyPart(id) {
		return nil, notFound("team")
	}
	return get[switchboard.Team](ctx, s, "team", teamKey(id))
}

// UpdateTeam applies fn under an optimistic version check: one GetItem and one
// PutItem per round.
func (s *Store) UpdateTeam(ctx context.Context, id string, fn func(*switchboard.Team) (*switchboard.Team, error)) (*switchboard.Team, error) {
	if !validKeyPart(id) {
		return nil, notFound("team")
	}
	return update(ctx, s, teamRecord, teamKey(id), nil, nil, fn)
}
