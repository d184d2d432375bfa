package dynamo

import (
	"context"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var _ switchboard.SiteKeyStore = (*Store)(nil)

// Site keys, like API tokens, are immutable: revoking is deleting.
var siteKeyRecord = record[switchboard.SiteKey]{
	what: "site key",
	key:  func(k *switchboard.SiteKey) key { return siteKeyKey(k.Hash) },
	index: func(k *switchboard.SiteKey) map[string]string {
		ik := siteKeyInTeam(k.TeamID, k.ID)
		return map[string]string{attrGSI1PK: ik.PK, attrGSI1SK: ik.SK}
	},
}

// CreateSiteKey stores a new site key under the hash of its plaintext: one
// conditional PutItem.
func (s *Store) CreateSiteKey(ctx context.Context, k *switchboard.SiteKey) error {
	if !validKeyPart(k.ID) || !validKeyPart(k.TeamID) || !validKeyPart(k.Hash) {
		return switchboard.Errorf(switchboard.EInvalid, "site key id, team id or hash is missing or malformed")
	}
	if err := k.Validate(); err != nil {
		return err
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.clock()
	}
	item, err := siteKeyRecord.item(k)
	if err != nil {
		return err
	}
	return putNew(ctx, s, "site key", item)
}

// FindSiteKeyByHash authenticates a pixel request: one GetItem by the hash.
func (s *Store) FindSiteKeyByHash(ctx context.Context, hash string) (*switchboard.SiteKey, error) {
	if !validKeyPart(hash) {
		return nil, notFound("site key")
	}
	return get[switchboard.SiteKey](ctx, s, "site key", siteKeyKey(hash))
}

// ListSiteKeys returns the team's site keys in id order: one Query of GSI1.
func (s *Store) ListSiteKeys(ctx context.Context, teamID string) ([]*switchboard.SiteKey, error) {
	if !validKeyPart(teamID) {
		return nil, nil
	}
	return queryAll[switchboard.SiteKey](ctx, s, siteKeysOfTeam(teamID), "site key", "list site keys")
}

// DeleteSiteKey revokes a site key of the team: one Query of GSI1 to find its
// hash, then one DeleteItem conditioned on the team.
func (s *Store) DeleteSiteKey(ctx context.Context, teamID, id string) error {
	if !validKeyPart(id) || !validKeyPart(teamID) {
		return notFound("site key")
	}
	keys, err := s.ListSiteKeys(ctx, teamID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == id {
			return remove(ctx, s, "site key", siteKeyKey(k.Hash), teamID)
		}
	}
	return notFound("site key")
}
