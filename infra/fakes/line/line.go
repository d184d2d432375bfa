// Package line is a fake LINE Messaging API (api.line.me and api-data.line.me)
// for tests and the local runner. It enforces the rules Switchboard's sender
// must live with: bearer channel access tokens, 1–5 messages per request,
// single-use reply tokens that expire, X-Line-Retry-Key idempotency (409 with
// x-line-accepted-request-id on a retry), at most 500 multicast recipients,
// per-endpoint rate limits, and LINE's error body {"message", "details"}.
package line

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/infra/fakes/platform"
)

// Default limits, as LINE documents them.
const (
	DefaultRateLimit     = 2000 // requests per second, most endpoints
	MulticastRateLimit   = 200  // requests per second
	DefaultReplyTokenTTL = time.Minute
	MaxMessages          = 5
	MaxMulticast         = 500
	MaxTextLength        = 5000
)

// Config sets up a Fake. The zero value accepts any channel access token and
// any unused reply token, with LINE's rate limits.
type Config struct {
	// ChannelTokens are the accepted channel access tokens; when empty any
	// non-empty bearer token is accepted.
	ChannelTokens []string
	// StrictReplyTokens accepts only reply tokens given to IssueReplyToken;
	// otherwise an unknown token is accepted once.
	StrictReplyTokens bool
	// ReplyTokenTTL is how long an issued reply token lives (one minute).
	ReplyTokenTTL time.Duration
	// RateLimits overrides the per-second limit of an endpoint, keyed
	// "reply", "push", "multicast", "profile" or "content"; 0 keeps the
	// default, a negative value disables the limit.
	RateLimits map[string]int
	// GenerateProfiles answers a profile request for an unknown user with a
	// made-up profile instead of 404, for the local runner.
	GenerateProfiles bool
	// Now is the fake's clock (time.Now when nil).
	Now func() time.Time
}

// Delivery is a message request LINE accepted.
type Delivery struct {
	Kind       string            `json:"kind"` // reply, push or multicast
	RequestID  string            `json:"requestId"`
	To         []string          `json:"to,omitempty"`
	ReplyToken string            `json:"replyToken,omitempty"`
	RetryKey   string            `json:"retryKey,omitempty"`
	Messages   []json.RawMessage `json:"messages"`
	At         time.Time         `json:"at"`
}

// Profile is a user profile.
type Profile struct {
	DisplayName   string `json:"displayName"`
	UserID        string `json:"userId"`
	PictureURL    string `json:"pictureUrl,omitempty"`
	StatusMessage string `json:"statusMessage,omitempty"`
	Language      string `json:"language,omitempty"`
}

type replyToken struct {
	issued time.Time
	used   bool
}

type content struct {
	contentType string
	data        []byte
}

// Fake is the fake LINE platform; serve it with net/http or httptest.
type Fake struct {
	*platform.Server
	cfg     Config
	limiter platform.RateLimiter

	mu          sync.Mutex
	tokens      map[string]bool
	replyTokens map[string]*replyToken
	retryKeys   map[string]string // X-Line-Retry-Key -> accepted request id
	deliveries  []Delivery
	profiles    map[string]Profile
	contents    map[string]content
}

// New returns a Fake.
func New(cfg Config) *Fake {
	if cfg.ReplyTokenTTL <= 0 {
		cfg.ReplyTokenTTL = DefaultReplyTokenTTL
	}
	f := &Fake{
		cfg:         cfg,
		tokens:      map[string]bool{},
		replyTokens: map[string]*replyToken{},
		retryKeys:   map[string]string{},
		profiles:    map[string]Profile{},
		contents:    map[string]content{},
	}
	for _, t := range cfg.ChannelTokens {
		f.tokens[t] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/bot/message/reply", f.limited("reply", f.reply))
	mux.HandleFunc("POST /v2/bot/message/push", f.limited("push", f.push))
	mux.HandleFunc("POST /v2/bot/message/multicast", f.limited("multicast", f.multicast))
	mux.HandleFunc("GET /v2/bot/profile/{userId}", f.limited("profile", f.profile))
	mux.HandleFunc("GET /v2/bot/message/{messageId}/content", f.limited("content", f.content))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not found", nil)
	})
	f.Server = platform.NewServer("line", mux, cfg.Now)
	f.Control("POST /__fake/reply-tokens", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Tokens []string `json:"tokens"`
		}
		if err := platform.DecodeJSON(r, &body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, t := range body.Tokens {
			f.IssueReplyToken(t)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	f.Control("POST /__fake/channel-tokens", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Tokens []string `json:"tokens"`
		}
		if err := platform.DecodeJSON(r, &body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, t := range body.Tokens {
			f.AddChannelToken(t)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	f.Control("POST /__fake/profiles", func(w http.ResponseWriter, r *http.Request) {
		var p Profile
		if err := platform.DecodeJSON(r, &p); err != nil || p.UserID == "" {
			http.Error(w, "want a profile with userId", http.StatusBadRequest)
			return
		}
		f.SetProfile(p)
		w.WriteHeader(http.StatusNoContent)
	})
	f.Control("GET /__fake/deliveries", func(w http.ResponseWriter, r *http.Request) {
		platform.WriteJSON(w, http.StatusOK, f.Deliveries())
	})
	return f
}

// AddChannelToken accepts another channel access token (and turns on token
// checking if no token was configured).
func (f *Fake) AddChannelToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = true
}

// IssueReplyToken registers a reply token as a webhook event would carry it,
// valid for ReplyTokenTTL from now.
func (f *Fake) IssueReplyToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replyTokens[token] = &replyToken{issued: f.Now()}
}

// SetProfile registers a user's profile.
func (f *Fake) SetProfile(p Profile) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.profiles[p.UserID] = p
}

// SetContent registers the content of a message (image, video, audio, file)
// served by the data API.
func (f *Fake) SetContent(messageID, contentType string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contents[messageID] = content{contentType, append([]byte(nil), data...)}
}

// Deliveries returns the message requests accepted so far, oldest first.
func (f *Fake) Deliveries() []Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Delivery(nil), f.deliveries...)
}

// Reset forgets requests, deliveries, reply tokens and retry keys; tokens,
// profiles and contents stay.
func (f *Fake) Reset() {
	f.Server.Reset()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deliveries = nil
	f.replyTokens = map[string]*replyToken{}
	f.retryKeys = map[string]string{}
}

// Detail is one entry of LINE's error details.
type Detail struct {
	Message  string `json:"message"`
	Property string `json:"property"`
}

func writeError(w http.ResponseWriter, status int, msg string, details []Detail) {
	body := map[string]any{"message": msg}
	if len(details) > 0 {
		body["details"] = details
	}
	platform.WriteJSON(w, status, body)
}

// limited wraps an endpoint with the request id header, authentication and
// its rate limit, in LINE's order: authentication first.
func (f *Fake) limited(endpoint string, h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		requestID := platform.RandomHex(16)
		w.Header().Set("X-Line-Request-Id", requestID)
		if !f.authorized(platform.BearerToken(r)) {
			writeError(w, http.StatusUnauthorized, "Authentication failed. Confirm that the access token in the authorization header is valid.", nil)
			return
		}
		limit := DefaultRateLimit
		if endpoint == "multicast" {
			limit = MulticastRateLimit
		}
		if v, ok := f.cfg.RateLimits[endpoint]; ok && v != 0 {
			limit = v
		}
		if !f.limiter.Allow(endpoint, limit, f.Now()) {
			writeError(w, http.StatusTooManyRequests, "The API rate limit has been exceeded. Try again later.", nil)
			return
		}
		h(w, r, requestID)
	}
}

func (f *Fake) authorized(token string) bool {
	if token == "" {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.tokens) == 0 || f.tokens[token]
}

type messageRequest struct {
	ReplyToken           *string           `json:"replyToken"`
	To                   json.RawMessage   `json:"to"`
	Messages             []json.RawMessage `json:"messages"`
	NotificationDisabled bool              `json:"notificationDisabled"`
}

var retryKeyPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// decode reads a message request and checks its messages; it writes the
// error answer and returns false when the request is invalid.
func decode(w http.ResponseWriter, r *http.Request, req *messageRequest) bool {
	if err := platform.DecodeJSON(r, req); err != nil {
		writeError(w, http.StatusBadRequest, "The request body could not be parsed as JSON", nil)
		return false
	}
	if details := checkMessages(req.Messages); len(details) > 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("The request body has %d error(s)", len(details)), details)
		return false
	}
	return true
}

var messageTypes = map[string]bool{
	"text": true, "textV2": true, "sticker": true, "image": true, "video": true, "audio": true,
	"location": true, "imagemap": true, "template": true, "flex": true,
}

// checkMessages applies LINE's message rules that a sender can get wrong.
func checkMessages(msgs []json.RawMessage) []Detail {
	if len(msgs) == 0 {
		return []Detail{{"must be specified", "messages"}}
	}
	if len(msgs) > MaxMessages {
		return []Detail{{fmt.Sprintf("Size must be between 1 and %d", MaxMessages), "messages"}}
	}
	var details []Detail
	for i, raw := range msgs {
		var m struct {
			Type        string `json:"type"`
			Text        string `json:"text"`
			PackageID   string `json:"packageId"`
			StickerID   string `json:"stickerId"`
			OriginalURL string `json:"originalContentUrl"`
			PreviewURL  string `json:"previewImageUrl"`
			AltText     string `json:"altText"`
		}
		prop := fmt.Sprintf("messages[%d]", i)
		if err := json.Unmarshal(raw, &m); err != nil {
			details = append(details, Detail{"must be an object", prop})
			continue
		}
		if !messageTypes[m.Type] {
			details = append(details, Detail{"Invalid message type", prop + ".type"})
			continue
		}
		switch m.Type {
		case "text", "textV2":
			if m.Text == "" {
				details = append(details, Detail{"must be specified", prop + ".text"})
			} else if n := len([]rune(m.Text)); n > MaxTextLength {
				details = append(details, Detail{fmt.Sprintf("Length must be between 0 and %d", MaxTextLength), prop + ".text"})
			}
		case "sticker":
			if m.PackageID == "" || m.StickerID == "" {
				details = append(details, Detail{"must be specified", prop + ".stickerId"})
			}
		case "image", "video":
			if m.OriginalURL == "" || m.PreviewURL == "" {
				details = append(details, Detail{"must be specified", prop + ".originalContentUrl"})
			}
		case "template", "flex", "imagemap":
			if m.AltText == "" {
				details = append(details, Detail{"must be specified", prop + ".altText"})
			}
		}
	}
	return details
}

func sentMessages(n int) []map[string]string {
	out := make([]map[string]string, n)
	for i := range out {
		out[i] = map[string]string{"id": fmt.Sprint(time.Now().UnixNano() + int64(i)), "quoteToken": platform.RandomHex(12)}
	}
	return out
}

func (f *Fake) reply(w http.ResponseWriter, r *http.Request, requestID string) {
	var req messageRequest
	if !decode(w, r, &req) {
		return
	}
	if req.ReplyToken == nil || *req.ReplyToken == "" {
		writeError(w, http.StatusBadRequest, "The request body has 1 error(s)", []Detail{{"must be specified", "replyToken"}})
		return
	}
	token := *req.ReplyToken
	now := f.Now()
	f.mu.Lock()
	t, issued := f.replyTokens[token]
	valid := false
	switch {
	case issued:
		valid = !t.used && now.Sub(t.issued) <= f.cfg.ReplyTokenTTL
		t.used = true
	case !f.cfg.StrictReplyTokens:
		valid = true
		f.replyTokens[token] = &replyToken{issued: now, used: true}
	}
	if valid {
		f.deliveries = append(f.deliveries, Delivery{Kind: "reply", RequestID: requestID, ReplyToken: token, Messages: req.Messages, At: now})
	}
	f.mu.Unlock()
	if !valid {
		writeError(w, http.StatusBadRequest, "Invalid reply token", nil)
		return
	}
	platform.WriteJSON(w, http.StatusOK, map[string]any{"sentMessages": sentMessages(len(req.Messages))})
}

// accept records a push or multicast, unless its retry key was accepted
// before; then it answers 409 with the first request's id and delivers
// nothing.
func (f *Fake) accept(w http.ResponseWriter, r *http.Request, requestID string, d Delivery) bool {
	key := r.Header.Get("X-Line-Retry-Key")
	if key != "" && !retryKeyPattern.MatchString(key) {
		writeError(w, http.StatusBadRequest, "The value for the 'X-Line-Retry-Key' header is invalid", nil)
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if key != "" {
		if first, seen := f.retryKeys[key]; seen {
			w.Header().Set("X-Line-Accepted-Request-Id", first)
			writeError(w, http.StatusConflict, "The retry key is already accepted", nil)
			return false
		}
		f.retryKeys[key] = requestID
	}
	d.RetryKey = key
	f.deliveries = append(f.deliveries, d)
	return true
}

func (f *Fake) push(w http.ResponseWriter, r *http.Request, requestID string) {
	var req messageRequest
	if !decode(w, r, &req) {
		return
	}
	var to string
	if json.Unmarshal(req.To, &to) != nil || to == "" {
		writeError(w, http.StatusBadRequest, "The request body has 1 error(s)", []Detail{{"must be specified", "to"}})
		return
	}
	if !f.accept(w, r, requestID, Delivery{Kind: "push", RequestID: requestID, To: []string{to}, Messages: req.Messages, At: f.Now()}) {
		return
	}
	platform.WriteJSON(w, http.StatusOK, map[string]any{"sentMessages": sentMessages(len(req.Messages))})
}

func (f *Fake) multicast(w http.ResponseWriter, r *http.Request, requestID string) {
	var req messageRequest
	if !decode(w, r, &req) {
		return
	}
	var to []string
	if json.Unmarshal(req.To, &to) != nil || len(to) == 0 {
		writeError(w, http.StatusBadRequest, "The request body has 1 error(s)", []Detail{{"must be specified", "to"}})
		return
	}
	if len(to) > MaxMulticast {
		writeError(w, http.StatusBadRequest, "The request body has 1 error(s)", []Detail{{fmt.Sprintf("Size must be between 1 and %d", MaxMulticast), "to"}})
		return
	}
	if !f.accept(w, r, requestID, Delivery{Kind: "multicast", RequestID: requestID, To: to, Messages: req.Messages, At: f.Now()}) {
		return
	}
	platform.WriteJSON(w, http.StatusOK, map[string]any{})
}

func (f *Fake) profile(w http.ResponseWriter, r *http.Request, _ string) {
	id := r.PathValue("userId")
	f.mu.Lock()
	p, ok := f.profiles[id]
	f.mu.Unlock()
	if !ok && f.cfg.GenerateProfiles && len(id) > 4 {
		p, ok = Profile{UserID: id, DisplayName: "LINE user " + id[len(id)-4:], Language: "zh-TW"}, true
	}
	if !ok {
		writeError(w, http.StatusNotFound, "Not found", nil)
		return
	}
	platform.WriteJSON(w, http.StatusOK, p)
}

func (f *Fake) content(w http.ResponseWriter, r *http.Request, _ string) {
	f.mu.Lock()
	c, ok := f.contents[r.PathValue("messageId")]
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Not found", nil)
		return
	}
	w.Header().Set("Content-Type", c.contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(c.data)
}

// Recipients lists every user a push or multicast was accepted for, sorted,
// with repeats: a test of "no duplicate delivery" counts them.
func (f *Fake) Recipients() []string {
	var out []string
	for _, d := range f.Deliveries() {
		if d.Kind != "reply" {
			out = append(out, d.To...)
		}
	}
	sort.Strings(out)
	return out
}
