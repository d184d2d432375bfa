// Package whatsapp is a fake WhatsApp Cloud API for tests and the local
// runner: POST /{version}/{phone-number-id}/messages with a bearer token.
//
// It enforces the rules a sender meets in production: messaging_product
// "whatsapp", a recipient, a well-formed message of its type, 80 messages per
// second per business number (error 130429), the per-recipient pair limit
// (error 131056: bursts of PairBurst, then one message every PairInterval),
// and the customer service window: a message other than a template to a
// customer whose last message is older than 24 hours fails with 131047.
//
// Production reports 131047 asynchronously, in a "failed" status webhook after
// the send was accepted; this fake answers it synchronously (HTTP 400), which
// is simpler to test and asks the sender to handle the same code.
package whatsapp

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/infra/fakes/graph"
	"github.com/switchboard-chat/switchboard/infra/fakes/platform"
)

// Limits, as Meta documents them.
const (
	DefaultThroughput   = 80 // messages per second per business number
	DefaultPairBurst    = 45
	DefaultPairInterval = 6 * time.Second
	ServiceWindow       = 24 * time.Hour
	MaxTextLength       = 4096
)

// Error codes the fake answers with.
const (
	CodeInvalidParameter = 100
	CodeAuth             = 190
	CodeThroughput       = 130429
	CodeReEngagement     = 131047
	CodePairRate         = 131056
)

// Config sets up a Fake. The zero value accepts any token, with Meta's limits.
type Config struct {
	// Tokens are the accepted access tokens; when empty any non-empty
	// bearer token works.
	Tokens []string
	// Throughput overrides messages per second per number (negative:
	// unlimited).
	Throughput int
	// PairBurst and PairInterval override the pair limit (negative
	// PairBurst: unlimited).
	PairBurst    int
	PairInterval time.Duration
	// StrictWindow treats a recipient with no recorded inbound message as
	// outside the window; otherwise unknown recipients may be messaged.
	StrictWindow bool
	// Now is the fake's clock (time.Now when nil).
	Now func() time.Time
}

// Sent is a message the fake accepted.
type Sent struct {
	PhoneNumberID string          `json:"phoneNumberId"`
	To            string          `json:"to"`
	Type          string          `json:"type"`
	Message       json.RawMessage `json:"message"`
	ID            string          `json:"id"`
	At            time.Time       `json:"at"`
}

// Fake is the fake WhatsApp Cloud API.
type Fake struct {
	*platform.Server
	cfg     Config
	limiter platform.RateLimiter
	pairs   *platform.Bucket

	mu      sync.Mutex
	tokens  map[string]bool
	inbound map[string]time.Time // wa_id -> last customer message
	sent    []Sent
}

// New returns a Fake.
func New(cfg Config) *Fake {
	if cfg.Throughput == 0 {
		cfg.Throughput = DefaultThroughput
	}
	if cfg.PairBurst == 0 {
		cfg.PairBurst = DefaultPairBurst
	}
	if cfg.PairInterval <= 0 {
		cfg.PairInterval = DefaultPairInterval
	}
	f := &Fake{cfg: cfg, tokens: map[string]bool{}, inbound: map[string]time.Time{},
		pairs: &platform.Bucket{Burst: cfg.PairBurst, Interval: cfg.PairInterval}}
	for _, t := range cfg.Tokens {
		f.tokens[t] = true
	}
	f.Server = platform.NewServer("whatsapp", http.HandlerFunc(f.serve), cfg.Now)
	f.Control("POST /__fake/inbound", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			WaID string    `json:"waId"`
			At   time.Time `json:"at"`
		}
		if err := platform.DecodeJSON(r, &body); err != nil || body.WaID == "" {
			http.Error(w, `want {"waId","at"}`, http.StatusBadRequest)
			return
		}
		if body.At.IsZero() {
			body.At = f.Now()
		}
		f.SetLastInbound(body.WaID, body.At)
		w.WriteHeader(http.StatusNoContent)
	})
	f.Control("GET /__fake/sent", func(w http.ResponseWriter, r *http.Request) {
		platform.WriteJSON(w, http.StatusOK, f.Sent())
	})
	return f
}

// SetLastInbound records when the customer (wa_id, digits only) last wrote,
// which opens the 24-hour window.
func (f *Fake) SetLastInbound(waID string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inbound[normalise(waID)] = at
}

// Sent returns the accepted messages, oldest first.
func (f *Fake) Sent() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sent...)
}

var (
	versionPattern = regexp.MustCompile(`^v\d+\.\d+$`)
	phonePattern   = regexp.MustCompile(`^\+?[0-9][0-9 ()-]{5,20}$`)
)

// normalise turns an input phone number into a wa_id (digits only).
func normalise(to string) string {
	var b strings.Builder
	for _, r := range to {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func writeError(w http.ResponseWriter, status, code int, title, details string) {
	extra := map[string]any{}
	if details != "" {
		extra["error_data"] = map[string]string{"messaging_product": "whatsapp", "details": details}
	}
	graph.WriteError(w, status, graph.APIError{Message: fmt.Sprintf("(#%d) %s", code, title), Code: code}, extra)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) > 0 && versionPattern.MatchString(parts[0]) {
		parts = parts[1:]
	}
	if len(parts) != 2 || parts[1] != "messages" || r.Method != http.MethodPost {
		writeError(w, http.StatusBadRequest, 2500, "Unknown path components: "+r.URL.Path, "")
		return
	}
	number := parts[0]
	token := platform.BearerToken(r)
	f.mu.Lock()
	ok := token != "" && (len(f.tokens) == 0 || f.tokens[token])
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusUnauthorized, CodeAuth, "Error validating access token: the session is invalid or has expired", "")
		return
	}
	var msg map[string]json.RawMessage
	if err := platform.DecodeJSON(r, &msg); err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalidParameter, "Invalid parameter", "the request body is not a JSON object")
		return
	}
	if product := str(msg["messaging_product"]); product != "whatsapp" {
		writeError(w, http.StatusBadRequest, CodeInvalidParameter, "Invalid parameter", "messaging_product must be \"whatsapp\"")
		return
	}
	to := str(msg["to"])
	if to == "" || !phonePattern.MatchString(to) {
		writeError(w, http.StatusBadRequest, CodeInvalidParameter, "Invalid parameter", "to must be the recipient's phone number")
		return
	}
	typ := str(msg["type"])
	if typ == "" {
		typ = "text"
	}
	if details := checkMessage(typ, msg); details != "" {
		writeError(w, http.StatusBadRequest, CodeInvalidParameter, "Invalid parameter", details)
		return
	}
	now := f.Now()
	waID := normalise(to)
	if !f.limiter.Allow(number, f.cfg.Throughput, now) {
		writeError(w, http.StatusBadRequest, CodeThroughput, "Rate limit hit", "Cloud API message throughput has been reached.")
		return
	}
	if typ != "template" && !f.inWindow(waID, now) {
		writeError(w, http.StatusBadRequest, CodeReEngagement, "Re-engagement message",
			"Message failed to send because more than 24 hours have passed since the customer last replied to this number.")
		return
	}
	if !f.pairs.Take(number+"/"+waID, now) {
		writeError(w, http.StatusBadRequest, CodePairRate, "(Business Account, Consumer Account) pair rate limit hit",
			"Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.")
		return
	}
	id := "wamid.HBgL" + strings.ToUpper(platform.RandomHex(16))
	raw, _ := json.Marshal(msg)
	f.mu.Lock()
	f.sent = append(f.sent, Sent{PhoneNumberID: number, To: waID, Type: typ, Message: raw, ID: id, At: now})
	f.mu.Unlock()
	out := map[string]any{"id": id}
	if typ == "template" {
		out["message_status"] = "accepted"
	}
	platform.WriteJSON(w, http.StatusOK, map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []map[string]string{{"input": to, "wa_id": waID}},
		"messages":          []map[string]any{out},
	})
}

func (f *Fake) inWindow(waID string, now time.Time) bool {
	f.mu.Lock()
	last, ok := f.inbound[waID]
	f.mu.Unlock()
	if !ok {
		return !f.cfg.StrictWindow
	}
	return now.Sub(last) <= ServiceWindow
}

func str(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// checkMessage checks the object named by the message's type.
func checkMessage(typ string, msg map[string]json.RawMessage) string {
	body, ok := msg[typ]
	if !ok {
		return fmt.Sprintf("a %s message needs a %q object", typ, typ)
	}
	if typ == "contacts" {
		var cards []json.RawMessage
		if json.Unmarshal(body, &cards) != nil || len(cards) == 0 {
			return "contacts must be a non-empty list"
		}
		return ""
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return fmt.Sprintf("%q must be an object", typ)
	}
	has := func(k string) bool { v, ok := obj[k]; return ok && string(v) != `""` && string(v) != "null" }
	switch typ {
	case "text":
		text := str(obj["body"])
		if text == "" {
			return "text.body is required"
		}
		if len([]rune(text)) > MaxTextLength {
			return fmt.Sprintf("text.body must be at most %d characters", MaxTextLength)
		}
	case "template":
		var lang struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(obj["language"], &lang)
		if !has("name") || lang.Code == "" {
			return "template.name and template.language.code are required"
		}
	case "interactive":
		if !has("type") || !has("action") {
			return "interactive.type and interactive.action are required"
		}
	case "image", "audio", "video", "document", "sticker":
		if !has("id") && !has("link") {
			return fmt.Sprintf("%s.id or %s.link is required", typ, typ)
		}
	case "reaction":
		if !has("message_id") {
			return "reaction.message_id is required"
		}
	case "location":
		if !has("latitude") || !has("longitude") {
			return "location.latitude and location.longitude are required"
		}
	default:
		return fmt.Sprintf("unsupported message type %q", typ)
	}
	return ""
}
