package switchboard

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"
)

// SiteKeyPrefix starts every plaintext site key, so a leaked key is easy to
// recognise; the kind follows it ("sbk_browser_", "sbk_server_").
const SiteKeyPrefix = "sbk_"

// SiteKeyKind says where a site key may be used, and so what it may do.
type SiteKeyKind string

// Site key kinds.
const (
	// SiteKeyBrowser is publishable: it sits in the shop's pages for the
	// pixel, so anyone can read it. It may only report cart events and ask
	// about the popup, which at worst skews a visitor's own cart.
	SiteKeyBrowser SiteKeyKind = "browser"
	// SiteKeyServer is secret, kept on the shop's server. It may also bind
	// visitors to contacts and report orders, which decide who is messaged.
	SiteKeyServer SiteKeyKind = "server"
)

// Valid reports whether k is a known kind.
func (k SiteKeyKind) Valid() bool { return k == SiteKeyBrowser || k == SiteKeyServer }

// SiteKey authenticates a team's website to the pixel endpoints. Like API
// tokens, only the hash of the plaintext is stored.
type SiteKey struct {
	ID     string      `json:"id"`
	TeamID string      `json:"teamId"`
	Name   string      `json:"name"`
	Kind   SiteKeyKind `json:"kind"`
	// Hash is the hex SHA-256 of the plaintext (HashToken).
	Hash      string    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
}

// NewSiteKeySecret returns a fresh plaintext site key of kind and its hash.
func NewSiteKeySecret(kind SiteKeyKind) (plaintext, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // cannot happen on supported platforms
	}
	plaintext = SiteKeyPrefix + string(kind) + "_" + base64.RawURLEncoding.EncodeToString(b)
	return plaintext, HashToken(plaintext)
}

// Validate checks the fields an operator sets.
func (k *SiteKey) Validate() error {
	if k.Name == "" || len([]rune(k.Name)) > 100 {
		return Errorf(EInvalid, "site key name must be 1 to 100 characters")
	}
	if !k.Kind.Valid() {
		return Errorf(EInvalid, "site key kind must be browser or server")
	}
	return nil
}

// SiteKeyStore persists site keys.
type SiteKeyStore interface {
	CreateSiteKey(ctx context.Context, k *SiteKey) error
	// FindSiteKeyByHash authenticates a pixel request: one read by the hash.
	FindSiteKeyByHash(ctx context.Context, hash string) (*SiteKey, error)
}
