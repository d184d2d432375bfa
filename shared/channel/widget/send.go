package widget

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Limits of what Switchboard pushes to a widget; the widget is ours, so these
// only keep one send reasonable for a browser.
const (
	maxText        = 5000
	maxLabel       = 40
	maxPayload     = 1000
	maxButtonCount = 13
)

// OutboundBody is the JSON Switchboard posts to the widget's outboundUrl,
// signed in the x-switchboard-signature header exactly like the widget's own
// webhooks ("sha256=" + hex HMAC-SHA256 under the widget token), so the
// widget's server verifies it with the same code:
//
//	{
//	  "channelId": "01J…",
//	  "visitorId": "v_3f9c2a71e4b84d0c",
//	  "messages": [ {"kind":"text","text":"Hi!","quickReplies":[{"label":"Yes","payload":"YES"}]} ],
//	  "idempotencyKey": "…"          // the same on every retry of one send: deduplicate on it
//	}
//
// Messages are switchboard.OutboundMessage as JSON (kind, text, mediaUrl,
// previewUrl, buttons, quickReplies, and cards for a carousel). The widget
// answers 2xx, optionally with {"messageIds": ["…", …]}, one per message,
// which become the send's platform message ids; any other status is an error
// classified like a platform's.
type OutboundBody struct {
	ChannelID      string                        `json:"channelId"`
	VisitorID      string                        `json:"visitorId"`
	Messages       []switchboard.OutboundMessage `json:"messages"`
	IdempotencyKey string                        `json:"idempotencyKey"`
}

// OutboundAnswer is the optional body of the widget's 2xx answer.
type OutboundAnswer struct {
	MessageIDs []string `json:"messageIds,omitempty"`
}

// Sender pushes messages to a website widget's outboundUrl. The widget has no
// messaging window; only text, image, video, audio and file messages, with
// buttons and quick replies, are sent.
type Sender struct {
	Client *apiclient.Client
	Clock  switchboard.Clock
	// NewID names a send without an idempotency key, so that retries of it
	// can still be deduplicated; nil means switchboard.NewID.
	NewID switchboard.IDGen
}

var _ switchboard.Sender = (*Sender)(nil)

// Send posts req's messages to the widget.
func (s *Sender) Send(ctx context.Context, req switchboard.SendRequest) (switchboard.SendResult, error) {
	now := time.Now
	if s.Clock != nil {
		now = s.Clock
	}
	if _, err := apiclient.CheckSend(req, now(), switchboard.KindWidget); err != nil {
		return switchboard.SendResult{}, err
	}
	ch := req.Channel
	if ch.OutboundURL == "" {
		return switchboard.SendResult{}, switchboard.Errorf(switchboard.EInvalid, "widget channel has no outboundUrl")
	}
	if !outboundURL(ch.OutboundURL) {
		return switchboard.SendResult{}, switchboard.Errorf(switchboard.EInvalid, "widget channel's outboundUrl must be https (or http on the loopback address)")
	}
	if ch.Secrets.SigningSecret == "" {
		return switchboard.SendResult{}, switchboard.Errorf(switchboard.EInvalid, "widget channel has no widget token to sign with")
	}
	msgs := make([]switchboard.OutboundMessage, len(req.Messages))
	for i, m := range req.Messages {
		if m.Kind == "" && m.Template == nil {
			m.Kind = switchboard.MsgText // as every other sender reads it
		}
		if err := check(m); err != nil {
			return switchboard.SendResult{}, switchboard.Errorf(switchboard.EInvalid, "message %d: %s", i+1, switchboard.ErrorMessage(err))
		}
		msgs[i] = m
	}
	key := req.IdempotencyKey
	if key == "" {
		if s.NewID != nil {
			key = s.NewID()
		} else {
			key = switchboard.NewID()
		}
	}
	body, err := json.Marshal(OutboundBody{ChannelID: ch.ID, VisitorID: req.To.PlatformUserID, Messages: msgs, IdempotencyKey: key})
	if err != nil {
		return switchboard.SendResult{}, switchboard.Wrap(switchboard.EInternal, err, "widget message could not be encoded")
	}
	client := s.Client
	if client == nil {
		client = &apiclient.Client{}
	}
	resp, err := client.Do(ctx, apiclient.Request{
		Platform: "widget", Method: http.MethodPost, URL: ch.OutboundURL,
		Header:  http.Header{SignatureHeader: {channel.SignSHA256Hex(ch.Secrets.SigningSecret, body)}, "Content-Type": {"application/json"}},
		Body:    body,
		Secrets: apiclient.Secrets(ch),
	})
	if err != nil {
		return switchboard.SendResult{}, err
	}
	var ans OutboundAnswer
	_ = json.Unmarshal(resp.Body, &ans)
	return switchboard.SendResult{PlatformMessageIDs: ans.MessageIDs, Via: "send"}, nil
}

// outboundURL repeats Channel.Validate's rule, since a channel stored before
// the rule existed must not make Switchboard post in clear text.
func outboundURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return true
	case "http":
		h := strings.ToLower(u.Hostname())
		return h == "127.0.0.1" || h == "localhost" || h == "::1"
	}
	return false
}

func invalid(format string, args ...any) error {
	return switchboard.Errorf(switchboard.EInvalid, format, args...)
}

// check refuses what a widget cannot show.
func check(m switchboard.OutboundMessage) error {
	if m.Template != nil {
		return invalid("message templates are WhatsApp only")
	}
	switch m.Kind {
	case switchboard.MsgCarousel:
		if err := checkCarousel(m); err != nil {
			return err
		}
	case switchboard.MsgText:
		if m.Text == "" {
			return invalid("a text message needs text")
		}
	case switchboard.MsgImage, switchboard.MsgVideo, switchboard.MsgAudio, switchboard.MsgFile:
		if !apiclient.WebURL(m.MediaURL, 2048, false) {
			return invalid("a %s message needs an http(s) media URL", m.Kind)
		}
		if m.PreviewURL != "" && !apiclient.WebURL(m.PreviewURL, 2048, false) {
			return invalid("the preview URL must be http(s)")
		}
	default:
		return invalid("the widget cannot show a %q message", m.Kind)
	}
	if n := utf8.RuneCountInString(m.Text); n > maxText {
		return invalid("text is %d characters; the widget takes %d", n, maxText)
	}
	if len(m.Buttons)+len(m.QuickReplies) > maxButtonCount {
		return invalid("at most %d buttons and quick replies", maxButtonCount)
	}
	for i, b := range append(append([]switchboard.Button(nil), m.Buttons...), m.QuickReplies...) {
		switch {
		case b.Label == "" || utf8.RuneCountInString(b.Label) > maxLabel:
			return invalid("button %d: label must be 1 to %d characters", i+1, maxLabel)
		case (b.Payload == "") == (b.URL == ""):
			return invalid("button %d needs a payload or a URL, not both", i+1)
		case len(b.Payload) > maxPayload:
			return invalid("button %d: payload is over %d characters", i+1, maxPayload)
		case b.URL != "" && !apiclient.WebURL(b.URL, 2048, false):
			return invalid("button %d: URL must be http(s)", i+1)
		}
	}
	return nil
}
