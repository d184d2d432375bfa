package channel

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// sha256Prefix starts the "sha256=<hex>" signature format that Meta (Messenger,
// Instagram, WhatsApp) uses and that the website widget copies, so one verifier
// serves all four.
const sha256Prefix = "sha256="

// maxChallenge caps the hub.challenge echoed back by HubHandshake. Meta sends a
// short number; anything longer is not Meta, and echoing arbitrary long input
// back would only help someone probing the endpoint.
const maxChallenge = 256

// SignSHA256Hex returns the "sha256=<hex HMAC-SHA256(secret, body)>" header value.
// Tests, fake platforms and the sample re-signer use it to produce exactly what
// the platform would send.
func SignSHA256Hex(secret string, body []byte) string {
	return sha256Prefix + hex.EncodeToString(HMACSHA256(secret, body))
}

// VerifySHA256Hex checks a "sha256=<hex>" signature in the named header against
// the HMAC-SHA256 of the raw body under the channel's signing secret, in constant
// time. A channel without a secret refuses everything, so a half-configured
// channel can never be fed forged events.
func VerifySHA256Hex(ch *switchboard.Channel, req Request, header string) error {
	if ch == nil || ch.Secrets.SigningSecret == "" {
		return ErrNoSecret()
	}
	v := req.Header(header)
	if len(v) < len(sha256Prefix) || !strings.EqualFold(v[:len(sha256Prefix)], sha256Prefix) {
		return ErrBadSignature(header)
	}
	got, err := hex.DecodeString(v[len(sha256Prefix):])
	if err != nil || len(got) != sha256.Size {
		return ErrBadSignature(header)
	}
	if !EqualMAC(got, HMACSHA256(ch.Secrets.SigningSecret, req.Body)) {
		return ErrBadSignature(header)
	}
	return nil
}

// HubHandshake answers Meta's webhook subscription check (Messenger, Instagram and
// WhatsApp share it): a GET with hub.mode=subscribe and the verify token the
// operator typed into Meta's dashboard is answered with hub.challenge. Anything
// else, including a channel with no verify token, is EForbidden, so an
// unconfigured channel cannot be subscribed by whoever guesses its URL.
func HubHandshake(ch *switchboard.Channel, query map[string]string) (string, error) {
	if ch == nil || ch.Secrets.VerifyToken == "" {
		return "", switchboard.Errorf(switchboard.EForbidden, "channel has no verify token configured; refusing the subscription handshake")
	}
	if query["hub.mode"] != "subscribe" {
		return "", switchboard.Errorf(switchboard.EForbidden, "hub.mode must be subscribe")
	}
	// Comparing digests keeps the comparison constant-time in the token's length too.
	got := sha256.Sum256([]byte(query["hub.verify_token"]))
	want := sha256.Sum256([]byte(ch.Secrets.VerifyToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return "", switchboard.Errorf(switchboard.EForbidden, "hub.verify_token does not match the channel's verify token")
	}
	challenge := query["hub.challenge"]
	if challenge == "" || len(challenge) > maxChallenge {
		return "", switchboard.Errorf(switchboard.EForbidden, "hub.challenge must be 1 to %d characters", maxChallenge)
	}
	return challenge, nil
}
