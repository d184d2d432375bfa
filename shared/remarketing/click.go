package remarketing

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strings"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Click tracking: every product link of a cart reminder points at
// GET /v1/pixel/r/{token}, which records the click and redirects. The token
// carries what the click is counted against and where it leads, signed with
// the deployment's click secret, so it needs no lookup and cannot be forged
// into an open redirect.

// ClickPath is the route of the redirect, before the token.
const ClickPath = "/v1/pixel/r/"

// Token limits: a LINE URI action takes 1000 characters, so the token stays
// well below, and anything longer is refused before decoding.
const (
	maxTokenLen = 1000
	macLen      = 16 // 128-bit truncated HMAC-SHA256
)

// ClickToken is what a tracked link stands for.
type ClickToken struct {
	TeamID    string `json:"t"`
	ChannelID string `json:"c"`
	// SendID is the reminder's send (the cart timer's key), so repeated clicks
	// on one delivery count as one unique click.
	SendID      string `json:"s"`
	ContactID   string `json:"k"`
	Index       int    `json:"i"`
	Destination string `json:"d"`
}

// SignClick returns the token of c under secret.
func SignClick(secret []byte, c ClickToken) (string, error) {
	if len(secret) == 0 {
		return "", switchboard.Errorf(switchboard.EInternal, "no click secret")
	}
	if !webURL(c.Destination) {
		return "", switchboard.Errorf(switchboard.EInvalid, "click destination must be an http or https URL")
	}
	body, err := json.Marshal(c)
	if err != nil {
		return "", switchboard.Wrap(switchboard.EInternal, err, "encode click token")
	}
	payload := base64.RawURLEncoding.EncodeToString(body)
	tok := payload + "." + base64.RawURLEncoding.EncodeToString(clickMAC(secret, payload))
	if len(tok) > maxTokenLen {
		return "", switchboard.Errorf(switchboard.ETooLarge, "click token would be %d characters", len(tok))
	}
	return tok, nil
}

// VerifyClick checks a token's signature and returns what it stands for. Any
// fault (length, encoding, signature, content) is ENotFound: to the customer
// the link simply does not exist.
func VerifyClick(secret []byte, token string) (ClickToken, error) {
	bad := switchboard.Errorf(switchboard.ENotFound, "link not found")
	if len(secret) == 0 || len(token) > maxTokenLen {
		return ClickToken{}, bad
	}
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || payload == "" {
		return ClickToken{}, bad
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, clickMAC(secret, payload)) {
		return ClickToken{}, bad
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ClickToken{}, bad
	}
	var c ClickToken
	if err := json.Unmarshal(body, &c); err != nil || c.TeamID == "" || c.ChannelID == "" || !webURL(c.Destination) {
		return ClickToken{}, bad
	}
	return c, nil
}

func clickMAC(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("switchboard-click-v1\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)[:macLen]
}

// linker returns the function that turns a product URL of one reminder into
// its tracked link, or leaves it as it is when tracking is not configured or
// the link would not fit.
func (s *Service) linker(base ClickToken) func(string) string {
	if len(s.secret) == 0 || s.baseURL == "" {
		return nil
	}
	prefix := strings.TrimRight(s.baseURL, "/") + ClickPath
	return func(dest string) string {
		c := base
		c.Destination = dest
		tok, err := SignClick(s.secret, c)
		if err != nil {
			return dest
		}
		return prefix + tok
	}
}

// Click records a click on a tracked link and returns where it leads. A click
// that cannot be recorded is logged and still redirected: the customer's
// navigation matters more than one count.
func (s *Service) Click(ctx context.Context, token string) (string, error) {
	c, err := VerifyClick(s.secret, token)
	if err != nil {
		return "", err
	}
	rec := cart.ClickRecord{SendID: c.SendID, ContactID: c.ContactID, Index: c.Index, ClickedAt: s.clock()}
	if err := s.stats.PutCartClick(ctx, c.TeamID, c.ChannelID, s.newID(), rec); err != nil {
		s.log.ErrorContext(ctx, "click not recorded", slog.String("teamId", c.TeamID), slog.String("error", err.Error()))
	} else {
		s.count("CartClicks", nil)
	}
	return c.Destination, nil
}
