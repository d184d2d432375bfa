// Package graph is a fake of Meta's Send API on the Graph API (Messenger and
// Instagram messaging) for tests and the local runner: POST
// /{version}/{page-id}/messages and /{version}/me/messages, with the access
// token as a query or form parameter or a bearer header.
//
// It enforces what a sender can get wrong: the token, recipient.id,
// messaging_type (RESPONSE, UPDATE, or MESSAGE_TAG with a tag), exactly one of
// text or attachment, the messaging window (any message within 24 h of the
// customer's last message, only HUMAN_AGENT-tagged ones up to 7 days, nothing
// after), and 300 calls per second per page. Errors use Graph's shape,
// {"error":{"message","type","code","error_subcode","fbtrace_id"}}.
//
// Graph reports a page over its rate limit with HTTP 400 and code 613 ("Calls
// to this api have exceeded the rate limit"), not 429; this fake does the
// same, so a sender must classify Graph errors by code, not only by status.
package graph

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/infra/fakes/platform"
)

// Limits, as Meta documents them.
const (
	DefaultPageRateLimit = 300 // calls per second per page
	StandardWindow       = 24 * time.Hour
	HumanAgentWindow     = 7 * 24 * time.Hour
	MaxTextLength        = 2000
)

// Error codes the fake answers with.
const (
	CodeInvalidParameter = 100
	CodePermission       = 10
	CodeAuth             = 190
	CodeRateLimit        = 613
	SubcodeOutsideWindow = 2018278
	SubcodeNoUser        = 2018001
)

// Config sets up a Fake. The zero value accepts any token for any page.
type Config struct {
	// PageTokens maps accepted access tokens to their page (or Instagram
	// account) id; when empty any non-empty token works for any page, and
	// /me is the page "me".
	PageTokens map[string]string
	// PageRateLimit overrides the calls per second per page (negative:
	// unlimited).
	PageRateLimit int
	// StrictWindow treats a recipient with no recorded inbound message as
	// outside every window; otherwise unknown recipients may be messaged.
	StrictWindow bool
	// Now is the fake's clock (time.Now when nil).
	Now func() time.Time
}

// Sent is a message the fake accepted.
type Sent struct {
	PageID        string          `json:"pageId"`
	RecipientID   string          `json:"recipientId"`
	MessagingType string          `json:"messagingType"`
	Tag           string          `json:"tag,omitempty"`
	Message       json.RawMessage `json:"message,omitempty"`
	SenderAction  string          `json:"senderAction,omitempty"`
	MessageID     string          `json:"messageId,omitempty"`
	At            time.Time       `json:"at"`
}

// Fake is the fake Graph API.
type Fake struct {
	*platform.Server
	cfg     Config
	limiter platform.RateLimiter

	mu      sync.Mutex
	inbound map[string]time.Time // page/recipient -> last customer message
	sent    []Sent
}

// New returns a Fake.
func New(cfg Config) *Fake {
	if cfg.PageRateLimit == 0 {
		cfg.PageRateLimit = DefaultPageRateLimit
	}
	f := &Fake{cfg: cfg, inbound: map[string]time.Time{}}
	f.Server = platform.NewServer("graph", http.HandlerFunc(f.serve), cfg.Now)
	f.Control("POST /__fake/inbound", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			PageID      string    `json:"pageId"`
			RecipientID string    `json:"recipientId"`
			At          time.Time `json:"at"`
		}
		if err := platform.DecodeJSON(r, &body); err != nil || body.RecipientID == "" {
			http.Error(w, `want {"pageId","recipientId","at"}`, http.StatusBadRequest)
			return
		}
		if body.At.IsZero() {
			body.At = f.Now()
		}
		f.SetLastInbound(body.PageID, body.RecipientID, body.At)
		w.WriteHeader(http.StatusNoContent)
	})
	f.Control("GET /__fake/sent", func(w http.ResponseWriter, r *http.Request) {
		platform.WriteJSON(w, http.StatusOK, f.Sent())
	})
	return f
}

// SetLastInbound records when the customer last wrote to the page, which
// opens the messaging windows. pageID may be empty to mean any page.
func (f *Fake) SetLastInbound(pageID, recipientID string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inbound[pageID+"/"+recipientID] = at
}

// Sent returns the accepted messages, oldest first.
func (f *Fake) Sent() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sent...)
}

// APIError is Graph's error document.
type APIError struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode,omitempty"`
	FBTraceID string `json:"fbtrace_id"`
}

// WriteError answers with Graph's error shape; the WhatsApp fake shares it.
func WriteError(w http.ResponseWriter, status int, e APIError, extra map[string]any) {
	if e.Type == "" {
		e.Type = "OAuthException"
	}
	e.FBTraceID = "A" + platform.RandomHex(10)
	body := map[string]any{}
	b, _ := json.Marshal(e)
	_ = json.Unmarshal(b, &body)
	for k, v := range extra {
		body[k] = v
	}
	platform.WriteJSON(w, status, map[string]any{"error": body})
}

func paramError(w http.ResponseWriter, msg string) {
	WriteError(w, http.StatusBadRequest, APIError{Message: "(#100) " + msg, Code: CodeInvalidParameter}, nil)
}

var versionPattern = regexp.MustCompile(`^v\d+\.\d+$`)

// Token returns the access token of a Graph request: the access_token query
// or form parameter, or a bearer header.
func Token(r *http.Request, form url.Values) string {
	if t := r.URL.Query().Get("access_token"); t != "" {
		return t
	}
	if t := form.Get("access_token"); t != "" {
		return t
	}
	return platform.BearerToken(r)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) > 0 && versionPattern.MatchString(parts[0]) {
		parts = parts[1:]
	}
	if len(parts) != 2 || parts[1] != "messages" || r.Method != http.MethodPost {
		WriteError(w, http.StatusBadRequest, APIError{Message: "Unknown path components: " + r.URL.Path, Code: 2500}, nil)
		return
	}
	body, form, err := readBody(r)
	if err != nil {
		paramError(w, err.Error())
		return
	}
	pageID, ok := f.authorize(w, Token(r, form), parts[0])
	if !ok {
		return
	}
	if !f.limiter.Allow(pageID, f.cfg.PageRateLimit, f.Now()) {
		WriteError(w, http.StatusBadRequest, APIError{Message: "(#613) Calls to this api have exceeded the rate limit.", Code: CodeRateLimit}, nil)
		return
	}
	f.send(w, pageID, body)
}

// sendRequest is a Send API request.
type sendRequest struct {
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	MessagingType string          `json:"messaging_type"`
	Tag           string          `json:"tag"`
	Message       json.RawMessage `json:"message"`
	SenderAction  string          `json:"sender_action"`
}

// readBody accepts JSON, or form fields holding JSON values (as Graph does).
func readBody(r *http.Request) (sendRequest, url.Values, error) {
	var req sendRequest
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err != nil {
			return req, nil, err
		}
		req.MessagingType = r.PostForm.Get("messaging_type")
		req.Tag = r.PostForm.Get("tag")
		req.SenderAction = r.PostForm.Get("sender_action")
		if v := r.PostForm.Get("recipient"); v != "" {
			if err := json.Unmarshal([]byte(v), &req.Recipient); err != nil {
				return req, nil, fmt.Errorf("param recipient must be JSON")
			}
		}
		if v := r.PostForm.Get("message"); v != "" {
			req.Message = json.RawMessage(v)
		}
		return req, r.PostForm, nil
	}
	if err := platform.DecodeJSON(r, &req); err != nil {
		return req, nil, fmt.Errorf("the request body is not valid JSON")
	}
	return req, url.Values{}, nil
}

func (f *Fake) authorize(w http.ResponseWriter, token, page string) (string, bool) {
	if token == "" {
		WriteError(w, http.StatusUnauthorized, APIError{Message: "An active access token must be used to query information about the current user.", Code: 2500}, nil)
		return "", false
	}
	if len(f.cfg.PageTokens) == 0 {
		return page, true
	}
	owner, ok := f.cfg.PageTokens[token]
	if !ok {
		WriteError(w, http.StatusUnauthorized, APIError{Message: "Invalid OAuth access token - Cannot parse access token", Code: CodeAuth}, nil)
		return "", false
	}
	if page != "me" && page != owner {
		WriteError(w, http.StatusForbidden, APIError{Message: "(#10) Application does not have permission for this action", Code: CodePermission}, nil)
		return "", false
	}
	return owner, true
}

var tags = map[string]bool{"HUMAN_AGENT": true, "ACCOUNT_UPDATE": true, "CONFIRMED_EVENT_UPDATE": true, "POST_PURCHASE_UPDATE": true, "CUSTOMER_FEEDBACK": true}

func (f *Fake) send(w http.ResponseWriter, pageID string, req sendRequest) {
	if req.Recipient.ID == "" {
		paramError(w, "param recipient must be non-empty.")
		return
	}
	if req.SenderAction != "" && req.Message == nil {
		switch req.SenderAction {
		case "typing_on", "typing_off", "mark_seen":
		default:
			paramError(w, "param sender_action must be one of {MARK_SEEN, TYPING_ON, TYPING_OFF}")
			return
		}
		f.record(Sent{PageID: pageID, RecipientID: req.Recipient.ID, SenderAction: req.SenderAction, At: f.Now()})
		platform.WriteJSON(w, http.StatusOK, map[string]string{"recipient_id": req.Recipient.ID})
		return
	}
	switch req.MessagingType {
	case "RESPONSE", "UPDATE":
		if req.Tag != "" {
			paramError(w, "param tag is only allowed with messaging_type MESSAGE_TAG")
			return
		}
	case "MESSAGE_TAG":
		if !tags[req.Tag] {
			paramError(w, "param tag must be a supported message tag, such as HUMAN_AGENT")
			return
		}
	case "":
		paramError(w, "param messaging_type is required")
		return
	default:
		paramError(w, "param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
		return
	}
	if msg := checkMessage(req.Message); msg != "" {
		paramError(w, msg)
		return
	}
	if allowed, why := f.inWindow(pageID, req.Recipient.ID, req.Tag); !allowed {
		WriteError(w, http.StatusBadRequest, APIError{Message: "(#10) " + why, Code: CodePermission, Subcode: SubcodeOutsideWindow}, nil)
		return
	}
	id := "m_" + platform.RandomHex(20)
	f.record(Sent{PageID: pageID, RecipientID: req.Recipient.ID, MessagingType: req.MessagingType, Tag: req.Tag, Message: req.Message, MessageID: id, At: f.Now()})
	platform.WriteJSON(w, http.StatusOK, map[string]string{"recipient_id": req.Recipient.ID, "message_id": id})
}

// checkMessage requires exactly one of text and attachment.
func checkMessage(raw json.RawMessage) string {
	if raw == nil {
		return "param message must be non-empty."
	}
	var m struct {
		Text       *string `json:"text"`
		Attachment *struct {
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		} `json:"attachment"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return "param message must be a JSON object"
	}
	switch {
	case m.Text != nil && m.Attachment != nil:
		return "param message must contain text or attachment, not both"
	case m.Text != nil:
		if *m.Text == "" {
			return "param message[text] must be non-empty."
		}
		if len([]rune(*m.Text)) > MaxTextLength {
			return fmt.Sprintf("param message[text] must be UTF-8 encoded with %d or fewer characters", MaxTextLength)
		}
	case m.Attachment != nil:
		switch m.Attachment.Type {
		case "image", "video", "audio", "file", "template":
		default:
			return "param message[attachment][type] must be one of {image, video, audio, file, template}"
		}
		if len(m.Attachment.Payload) == 0 {
			return "param message[attachment][payload] is required"
		}
	default:
		return "param message must contain text or attachment"
	}
	return ""
}

// inWindow applies Messenger's windows to a send.
func (f *Fake) inWindow(pageID, recipient, tag string) (bool, string) {
	f.mu.Lock()
	last, ok := f.inbound[pageID+"/"+recipient]
	if !ok {
		last, ok = f.inbound["/"+recipient]
	}
	f.mu.Unlock()
	if !ok {
		if f.cfg.StrictWindow {
			return false, "This message is sent outside of allowed window."
		}
		return true, ""
	}
	age := f.Now().Sub(last)
	switch {
	case age <= StandardWindow:
		return true, ""
	case tag == "HUMAN_AGENT" && age <= HumanAgentWindow:
		return true, ""
	case tag == "HUMAN_AGENT":
		return false, "This message is sent outside of allowed window. HUMAN_AGENT messages may be sent up to 7 days after the person's last message."
	}
	return false, "This message is sent outside of allowed window."
}

func (f *Fake) record(s Sent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, s)
}
