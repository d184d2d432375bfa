package dynamo

import (
	"context"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Tokens are immutable once created (revoking is deleting), so they carry no
// version and have no update.
var tokenRecord = record[switchboard.Token]{
	what: "token",
	key:  func(t *switchboard.Token) key { return tokenKey(t.Hash) },
	index: func(t *switchboard.Token) map[string]string {
		ik := tokenInTeam(t.TeamID, t.ID)
		return map[string]string{attrGSI1PK: ik.PK, attrGSI1SK: ik.SK}
	},
}

// CreateToken stores a new token under the hash of its plaintext: one
// conditional PutItem. A hash already stored is EConflict (it cannot happen
// with 256-bit random tokens, but a duplicate must not overwrite a token).
func (s *Store) CreateToken(ctx context.Context, t *switchboard.Token) error {
	if !validKeyPart(t.ID) || !validKeyPart(t.TeamID) || !validKeyPart(t.Hash) {
		return switchboard.Errorf(switchboard.EInvalid, "token id, team id or hash is missing or malformed")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.clock()
	}
	item, err := tokenRecord.item(t)
	if err != nil {
		return err
	}
	return putNew(ctx, s, "token", item)
}

// FindTokenByHash authenticates a request: one GetItem by the hash. Expiry and
// IP allowlists are the caller's to check.
func (s *Store) FindTokenByHash(ctx context.Context, hash string) (*switchboard.Token, error) {
	if !validKeyPart(hash) {
		return nil, notFound("token")
	}
	return get[switchboard.Token](ctx, s, "token", tokenKey(hash))
}

// ListTokens returns the team's tokens in id order: one Query of GSI1.
func (s *Store) ListTokens(ctx context.Context, teamID string) ([]*switchboard.Token, error) {
	if !validKeyPart(teamID) {
		return nil, nil
	}
	return queryAll[switchboard.Token](ctx, s, tokensOfTeam(teamID), "token", "list tokens")
}

// DeleteToken revokes a token of the team: one Query of GSI1 to find the hash
// the token is keyed by, then one DeleteItem conditioned on the team.
func (s *Store) DeleteToken(ctx context.Context, teamID, id string) error {
	if !validKeyPart(id) || !validKeyPart(teamID) {
		return notFound("token")
	}
	ik := tokenInTeam(teamID, id)
	items, _, err := queryPage(ctx, s, listing{Index: GSI1, PK: ik.PK, SKPrefix: ik.SK}, nil, 0, "find token")
	if err != nil {
		return err
	}
	for _, it := range items {
		t, err := decode[switchboard.Token](it, "token")
		if err != nil {
			return err
		}
		if t.ID == id && t.TeamID == teamID {
			return remove(ctx, s, "token", tokenKey(t.Hash), teamID)
		}
	}
	return notFound("token")
}
