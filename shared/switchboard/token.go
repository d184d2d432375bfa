package switchboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/netip"
	"strings"
	"time"
)

// TokenPrefix starts every plaintext API token, so leaked tokens are easy to
// recognise by secret scanners.
const TokenPrefix = "sbt_"

// Token is a team's API token. Only its hash is stored: the plaintext is shown once
// when it is created and cannot be recovered.
type Token struct {
	ID     string `json:"id"`
	TeamID string `json:"teamId"`
	Name   string `json:"name"`
	Role   Role   `json:"role"`
	// MemberID ties the token to a member, whose role and visibility then apply.
	MemberID string `json:"memberId,omitempty"`
	// Hash is the hex SHA-256 of the plaintext. Tokens carry 256 random bits, so a
	// fast hash is enough: there is nothing to brute-force.
	Hash string `json:"-"`
	// AllowedIPs optionally limits the addresses the token is accepted from
	// (001:L1399), as CIDR prefixes or single addresses.
	AllowedIPs []string  `json:"allowedIps,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt,omitzero"`
}

// NewTokenSecret returns a fresh plaintext token and its hash.
func NewTokenSecret() (plaintext, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // cannot happen on supported platforms
	}
	plaintext = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return plaintext, HashToken(plaintext)
}

// HashToken returns the stored form of a plaintext token.
func HashToken(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}

// Validate checks the fields an operator sets.
func (t *Token) Validate() error {
	if t.Name == "" || len([]rune(t.Name)) > 100 {
		return Errorf(EInvalid, "token name must be 1 to 100 characters")
	}
	if !t.Role.Valid() {
		return Errorf(EInvalid, "role %q is not a known role", t.Role)
	}
	if len(t.AllowedIPs) > 50 {
		return Errorf(EInvalid, "at most 50 allowed IP entries")
	}
	for _, s := range t.AllowedIPs {
		if _, err := parsePrefix(s); err != nil {
			return Errorf(EInvalid, "allowedIps entry %q is not an IP address or CIDR prefix", s)
		}
	}
	return nil
}

// AllowsIP reports whether the token may be used from ip. An empty allowlist
// allows every address; an unparsable ip is refused when a list is set.
func (t *Token) AllowsIP(ip string) bool {
	if len(t.AllowedIPs) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, s := range t.AllowedIPs {
		if p, err := parsePrefix(s); err == nil && p.Contains(addr) {
			return true
		}
	}
	return false
}

// Expired reports whether the token has an expiry that is not after now.
func (t *Token) Expired(now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// TokenStore persists API tokens.
type TokenStore interface {
	CreateToken(ctx context.Context, t *Token) error
	// FindTokenByHash authenticates a request: one read by the hash of what the
	// caller presented.
	FindTokenByHash(ctx context.Context, hash string) (*Token, error)
	ListTokens(ctx context.Context, teamID string) ([]*Token, error)
	DeleteToken(ctx context.Context, teamID, id string) error
}
