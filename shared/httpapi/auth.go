package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// maxTokenLen bounds what is hashed and looked up: real tokens are 47 characters.
const maxTokenLen = 512

// bearer extracts the credentials of an "Authorization: Bearer <token>" header.
// The scheme is case-insensitive (RFC 7235).
func bearer(header string) (string, bool) {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	cred = strings.TrimSpace(cred)
	return cred, cred != ""
}

// authenticate turns the request's bearer token into a Caller: one read by the
// token's hash, then the expiry and the IP allowlist. A token bound to a member
// acts with that member's current role, and stops working when the member is
// deactivated or deleted.
func (h *Handler) authenticate(ctx context.Context, r *request) (Caller, error) {
	secret, ok := bearer(r.headers["authorization"])
	if !ok {
		return Caller{}, switchboard.Errorf(switchboard.EUnauthorized, "missing bearer token: send Authorization: Bearer <token>")
	}
	if !strings.HasPrefix(secret, switchboard.TokenPrefix) || len(secret) > maxTokenLen {
		return Caller{}, switchboard.Errorf(switchboard.EUnauthorized, "invalid token")
	}
	t, err := h.tokens.FindTokenByHash(ctx, switchboard.HashToken(secret))
	switch {
	case switchboard.ErrorCode(err) == switchboard.ENotFound:
		return Caller{}, switchboard.Errorf(switchboard.EUnauthorized, "invalid token")
	case err != nil:
		return Caller{}, err
	case t == nil || t.TeamID == "":
		return Caller{}, switchboard.Errorf(switchboard.EUnauthorized, "invalid token")
	}
	if t.Expired(h.now()) {
		return Caller{}, switchboard.Errorf(switchboard.EUnauthorized, "token expired")
	}
	if !t.AllowsIP(r.raw.RequestContext.HTTP.SourceIP) {
		return Caller{}, switchboard.Errorf(switchboard.EForbidden, "address not allowed")
	}
	c := Caller{TeamID: t.TeamID, Role: t.Role, TokenID: t.ID, MemberID: t.MemberID}
	if t.MemberID != "" {
		m, err := h.members.GetMember(ctx, t.TeamID, t.MemberID)
		switch {
		case switchboard.ErrorCode(err) == switchboard.ENotFound:
			return Caller{}, switchboard.Errorf(switchboard.EUnauthorized, "the token's member no longer exists")
		case err != nil:
			return Caller{}, err
		case !m.Active:
			return Caller{}, switchboard.Errorf(switchboard.EForbidden, "the token's member is deactivated")
		}
		c.Role = m.Role
	}
	if !c.Role.Valid() {
		return Caller{}, switchboard.Errorf(switchboard.EForbidden, "the token's role %q is not a known role", c.Role)
	}
	return c, nil
}

// authenticateAdmin checks the platform admin key of POST /v1/teams. Only its
// hash is configured, and the comparison takes the same time whatever the key.
func (h *Handler) authenticateAdmin(r *request) error {
	if h.adminHash == nil {
		if h.adminHashErr != "" {
			return switchboard.Errorf(switchboard.EForbidden, "%s", h.adminHashErr)
		}
		return switchboard.Errorf(switchboard.EForbidden, "team creation is disabled: set the AdminTokenHash parameter")
	}
	key, ok := bearer(r.headers["authorization"])
	if !ok {
		return switchboard.Errorf(switchboard.EUnauthorized, "missing bearer token: send the platform admin key as Authorization: Bearer <key>")
	}
	got, _ := hex.DecodeString(switchboard.HashToken(key))
	if subtle.ConstantTimeCompare(got, h.adminHash) != 1 {
		return switchboard.Errorf(switchboard.EUnauthorized, "invalid admin key")
	}
	return nil
}
