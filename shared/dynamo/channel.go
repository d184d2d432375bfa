package dynamo

import (
	"context"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var channelRecord = record[switchboard.Channel]{
	what: "channel",
	key:  func(c *switchboard.Channel) key { return channelKey(c.ID) },
	index: func(c *switchboard.Channel) map[string]string {
		ik := channelInTeam(c.TeamID, c.ID)
		return map[string]string{attrGSI1PK: ik.PK, attrGSI1SK: ik.SK}
	},
	meta: func(c *switchboard.Channel) (*int64, *time.Time, *time.Time) {
		return &c.Version, &c.CreatedAt, &c.UpdatedAt
	},
	keep: func(next, cur *switchboard.Channel) {
		next.ID, next.TeamID, next.CreatedAt = cur.ID, cur.TeamID, cur.CreatedAt
	},
}

// CreateChannel stores a new channel, secrets included: one conditional
// PutItem. Channel ids are global (webhook URLs carry only the id), so an id
// taken by any team is EConflict.
func (s *Store) CreateChannel(ctx context.Context, c *switchboard.Channel) error {
	if !validKeyPart(c.ID) || !validKeyPart(c.TeamID) {
		return switchboard.Errorf(switchboard.EInvalid, "channel id or team id is missing or malformed")
	}
	return create(ctx, s, channelRecord, c)
}

// GetChannel reads a channel of the team: one GetItem. A channel of another
// team is ENotFound, exactly like a missing one.
func (s *Store) GetChannel(ctx context.Context, teamID, id string) (*switchboard.Channel, error) {
	c, err := s.LookupChannel(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.TeamID != teamID {
		return nil, notFound("channel")
	}
	return c, nil
}

// LookupChannel reads a channel by id alone, for webhooks: one GetItem.
func (s *Store) LookupChannel(ctx context.Context, id string) (*switchboard.Channel, error) {
	if !validKeyPart(id) {
		return nil, notFound("channel")
	}
	return get[switchboard.Channel](ctx, s, "channel", channelKey(id))
}

// ListChannels returns the team's channels in id order: one Query of GSI1
// (eventually consistent, so a channel created a moment ago may be missing).
func (s *Store) ListChannels(ctx context.Context, teamID string) ([]*switchboard.Channel, error) {
	if !validKeyPart(teamID) {
		return nil, nil
	}
	return queryAll[switchboard.Channel](ctx, s, channelsOfTeam(teamID), "channel", "list channels")
}

// UpdateChannel applies fn under an optimistic version check: one GetItem and
// one PutItem per round. A channel of another team is ENotFound.
func (s *Store) UpdateChannel(ctx context.Context, teamID, id string, fn func(*switchboard.Channel) (*switchboard.Channel, error)) (*switchboard.Channel, error) {
	if !validKeyPart(id) {
		return nil, notFound("channel")
	}
	visible := func(c *switchboard.Channel) bool { return c.TeamID == teamID }
	return update(ctx, s, channelRecord, channelKey(id), visible, nil, fn)
}

// DeleteChannel deletes a channel of the team: one DeleteItem conditioned on
// the team, so another team's channel is ENotFound and stays.
func (s *Store) DeleteChannel(ctx context.Context, teamID, id string) error {
	if !validKeyPart(id) || !validKeyPart(teamID) {
		return notFound("channel")
	}
	return remove(ctx, s, "channel", channelKey(id), teamID)
}
