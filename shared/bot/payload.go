package bot

import (
	"strconv"
	"strings"
)

// PayloadPrefix starts every postback payload a bot renders.
const PayloadPrefix = "bot:"

// maxPayload bounds what ParsePayload reads; rendered payloads are far
// shorter (LINE's postback data takes 300 characters).
const maxPayload = 300

// PayloadRef is what a bot payload names: a module of a bot and, for a
// button, the button's index among the module's buttons (Module.buttonAt),
// or -1 for the module itself (a rich-menu postback that starts a module).
type PayloadRef struct {
	BotID    string
	ModuleID string
	Button   int
}

// Payload renders the postback payload "bot:<botId>:<moduleId>[:<button>]" of
// a button (button ≥ 0) or of a module (button < 0). The payload names the
// bot, so a tap on a button of a deleted bot, or of another team's bot, is
// recognised as stale rather than run in the wrong place.
func Payload(botID, moduleID string, button int) string {
	p := PayloadPrefix + botID + ":" + moduleID
	if button >= 0 {
		p += ":" + strconv.Itoa(button)
	}
	return p
}

// ParsePayload reads a bot payload. A payload the customer's platform sent
// back is outside input: anything but a well-formed bot payload is refused
// (ok false), never guessed at.
func ParsePayload(s string) (PayloadRef, bool) {
	if len(s) > maxPayload {
		return PayloadRef{}, false
	}
	rest, ok := strings.CutPrefix(s, PayloadPrefix)
	if !ok {
		return PayloadRef{}, false
	}
	parts := strings.Split(rest, ":")
	if len(parts) < 2 || len(parts) > 3 || !ValidID(parts[0]) || !ValidID(parts[1]) {
		return PayloadRef{}, false
	}
	ref := PayloadRef{BotID: parts[0], ModuleID: parts[1], Button: -1}
	if len(parts) == 3 {
		n, err := strconv.Atoi(parts[2])
		if err != nil || n < 0 || n > 9999 || strconv.Itoa(n) != parts[2] {
			return PayloadRef{}, false
		}
		ref.Button = n
	}
	return ref, true
}
