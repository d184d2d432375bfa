// Package channel defines what ingest needs from a messaging platform's webhook:
// verify the request, then parse its body into normalised inbound events. One
// sub-package per platform implements it; this package also holds the helpers
// they share for signatures and headers, so every platform verifies the same way.
package channel

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// MaxBodyBytes is the largest webhook body accepted; larger bodies get 413.
// Meta batches up to 1,000 entries, which stays well under it.
const MaxBodyBytes = 1 << 20

// Request is a webhook request as received, before any parsing.
type Request struct {
	Method string
	// Headers have lower-case names, so lookups are case-insensitive.
	Headers map[string]string
	Query   map[string]string
	// Body is the raw bytes exactly as the platform sent them (already decoded
	// from base64 when API Gateway flagged it): signatures are computed over it.
	Body []byte
}

// Header returns the value of the named header, matching the name in any case.
func (r Request) Header(name string) string {
	if v, ok := r.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Webhook is one platform's inbound side.
type Webhook interface {
	// Verify checks the request's signature against the channel's signing secret
	// in constant time. A channel with no secret refuses every request. Failure
	// is an EUnauthorized error.
	Verify(ch *switchboard.Channel, req Request) error
	// Parse normalises a verified body into events stamped with the channel's team,
	// id and kind. A body that is not the platform's JSON is an EInvalid error whose
	// message says what is wrong. An empty result (LINE's connectivity check, or
	// only events Switchboard ignores) is not an error.
	Parse(ch *switchboard.Channel, body []byte) ([]switchboard.InboundEvent, error)
}

// Handshaker is implemented by platforms that verify a webhook URL with a GET
// request before sending events (Meta's hub.challenge).
type Handshaker interface {
	// Handshake returns the body to answer with, or EForbidden when the verify
	// token does not match.
	Handshake(ch *switchboard.Channel, query map[string]string) (string, error)
}

// Registry maps each channel kind to its webhook implementation. It is built once
// in main and read-only afterwards.
type Registry map[switchboard.ChannelKind]Webhook

// HMACSHA256 returns the HMAC-SHA256 of body under secret.
func HMACSHA256(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// EqualMAC compares two MACs in constant time.
func EqualMAC(got, want []byte) bool { return hmac.Equal(got, want) }

// ErrNoSecret is returned by Verify when the channel has no signing secret.
func ErrNoSecret() error {
	return switchboard.Errorf(switchboard.EUnauthorized, "channel has no signing secret configured; refusing all webhooks")
}

// ErrBadSignature is returned by Verify when the signature is missing or wrong.
func ErrBadSignature(header string) error {
	return switchboard.Errorf(switchboard.EUnauthorized, "missing or invalid %s signature", header)
}
