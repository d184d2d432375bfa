package dynamo

import (
	"context"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var contactRecord = record[switchboard.Contact]{
	what: "contact",
	key:  func(c *switchboard.Contact) key { return contactKey(c.TeamID, c.ID) },
	index: func(c *switchboard.Contact) map[string]string {
		ik := contactInShard(c.TeamID, c.ID)
		return map[string]string{attrGSI2PK: ik.PK, attrGSI2SK: ik.SK}
	},
	meta: func(c *switchboard.Contact) (*int64, *time.Time, *time.Time) {
		return &c.Version, &c.CreatedAt, &c.UpdatedAt
	},
	keep: func(next, cur *switchboard.Contact) {
		next.ID, next.TeamID, next.CreatedAt = cur.ID, cur.TeamID, cur.CreatedAt
		next.ChannelID, next.PlatformUserID = cur.ChannelID, cur.PlatformUserID
	},
}

// GetContact reads a contact of the team: one GetItem.
func (s *Store) GetContact(ctx context.Context, teamID, id string) (*switchboard.Contact, error) {
	if !validKeyPart(id) || !validKeyPart(teamID) {
		return nil, notFound("contact")
	}
	return get[switchboard.Contact](ctx, s, "contact", contactKey(teamID, id))
}

// FindContact reads the contact of a platform user in a channel: one GetItem,
// since the contact id is derived from them (ContactID).
func (s *Store) FindContact(ctx context.Context, teamID, channelID, platformUserID string) (*switchboard.Contact, error) {
	if !validKeyPart(teamID) || channelID == "" || platformUserID == "" {
		return nil, notFound("contact")
	}
	return s.GetContact(ctx, teamID, ContactID(teamID, channelID, platformUserID))
}

// UpsertContact creates the contact of a platform user in a channel if it does
// not exist, then applies fn under an optimistic version check: one GetItem and
// one PutItem per round. A new contact reaches fn with its identity, CreatedAt
// and version 0 set; two first messages racing to create it both succeed, one
// after the other.
func (s *Store) UpsertContact(ctx context.Context, teamID, channelID, platformUserID string, fn func(*switchboard.Contact) (*switchboard.Contact, error)) (*switchboard.Contact, error) {
	if !validKeyPart(teamID) || !validKeyPart(channelID) || platformUserID == "" {
		return nil, switchboard.Errorf(switchboard.EInvalid, "team id, channel id or platform user id is missing or malformed")
	}
	id := ContactID(teamID, channelID, platformUserID)
	fresh := func() *switchboard.Contact {
		return &switchboard.Contact{ID: id, TeamID: teamID, ChannelID: channelID, PlatformUserID: platformUserID}
	}
	return update(ctx, s, contactRecord, contactKey(teamID, id), nil, fresh, fn)
}

// ListContactShard returns one page of one shard of the team's contacts, in id
// order: one Query of GSI2. Reading all switchboard.ContactShards shards, each
// to the end, yields every contact exactly once.
func (s *Store) ListContactShard(ctx context.Context, teamID string, shard int, cursor string, limit int) ([]*switchboard.Contact, string, error) {
	if shard < 0 || shard >= switchboard.ContactShards {
		return nil, "", switchboard.Errorf(switchboard.EInvalid, "shard must be 0 to %d", switchboard.ContactShards-1)
	}
	if !validKeyPart(teamID) {
		return nil, "", nil
	}
	l := contactsOfShard(teamID, shard)
	return page[switchboard.Contact](ctx, s, l, cursor, limit, "contact", "list contacts")
}
