package apiclient

import (
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// MaxMessages is the most messages one send may carry: LINE's limit for a reply
// or push, applied to every platform so that a bot step or broadcast behaves
// the same everywhere.
const MaxMessages = 5

// CheckSend makes the checks every sender makes before it renders anything: a
// channel of one of kinds, a recipient, 1 to MaxMessages messages, and the
// platform's messaging window at now. It returns what the window requires.
// Failing here costs no request to the platform.
func CheckSend(req switchboard.SendRequest, now time.Time, kinds ...switchboard.ChannelKind) (switchboard.Window, error) {
	if req.Channel == nil {
		return switchboard.Window{}, switchboard.Errorf(switchboard.EInvalid, "send has no channel")
	}
	known := false
	for _, k := range kinds {
		known = known || req.Channel.Kind == k
	}
	if !known {
		return switchboard.Window{}, switchboard.Errorf(switchboard.EInvalid, "channel %s is of kind %q, which this sender does not serve", req.Channel.ID, req.Channel.Kind)
	}
	if req.To.PlatformUserID == "" {
		return switchboard.Window{}, switchboard.Errorf(switchboard.EInvalid, "send has no recipient")
	}
	if n := len(req.Messages); n < 1 || n > MaxMessages {
		return switchboard.Window{}, switchboard.Errorf(switchboard.EInvalid, "a send carries 1 to %d messages, not %d", MaxMessages, n)
	}
	return switchboard.CheckWindow(req.Channel.Kind, req.Purpose, req.To.LastCustomerAt, now, req.Messages)
}

// Secrets lists a channel's credentials for Request.Secrets.
func Secrets(ch *switchboard.Channel) []string {
	return []string{ch.Secrets.AccessToken, ch.Secrets.SigningSecret, ch.Secrets.VerifyToken}
}

// WebURL reports whether u is an absolute http(s) URL of at most max bytes,
// and, with httpsOnly, https: what platforms accept for media and links.
func WebURL(u string, max int, httpsOnly bool) bool {
	if u == "" || len(u) > max {
		return false
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	switch strings.ToLower(p.Scheme) {
	case "https":
		return true
	case "http":
		return !httpsOnly
	}
	return false
}
