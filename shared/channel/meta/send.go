package meta

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Defaults of the Graph API.
const (
	DefaultGraphBaseURL = "https://graph.facebook.com"
	DefaultGraphVersion = "v21.0"
)

// Limits of the Send API on what Switchboard renders.
const (
	maxMessengerText = 2000 // characters
	maxInstagramText = 1000 // bytes
	maxButtonText    = 640
	maxButtons       = 3
	maxTitle         = 20
	maxElementTitle  = 80
	maxPayload       = 1000
	maxQuickReplies  = 13
	maxURL           = 2000
)

// Sender sends through Meta's Send API, for Messenger and Instagram alike:
// POST {base}/{version}/{node}/messages with the page access token as a bearer
// header (never in the URL, which Go's errors quote). The node is the page id
// (the channel's PlatformID) on Messenger, and "me" on Instagram, whose
// account id is not a Graph node the page token can post to, and on a
// Messenger channel without a PlatformID.
//
// The window is checked before any call (switchboard.CheckWindow): every
// request carries its messaging_type, and HUMAN_AGENT after 24 hours.
//
// Graph sends one message per call. Text is a text message; image, video,
// audio and file (not on Instagram) are attachments, with their text as a
// second message; buttons (at most 3) make a button template on Messenger and
// a generic template on Instagram, which has no button template; quick replies
// (at most 13, payloads only) go under the last message. PlatformMessageIDs has
// one id per OutboundMessage, that of its first Graph message. When a later
// call fails, the error comes with the ids of what did go out.
type Sender struct {
	// BaseURL is DefaultGraphBaseURL, or a fake's URL; Version is the Graph
	// version path segment (DefaultGraphVersion when empty).
	BaseURL string
	Version string
	Client  *apiclient.Client
	Clock   switchboard.Clock
}

var _ switchboard.Sender = (*Sender)(nil)

// outBody is a Send API request.
type outBody struct {
	Recipient     outRecipient `json:"recipient"`
	MessagingType string       `json:"messaging_type"`
	Tag           string       `json:"tag,omitempty"`
	Message       outMessage   `json:"message"`
}

type outRecipient struct {
	ID string `json:"id"`
}

type outMessage struct {
	Text         string          `json:"text,omitempty"`
	Attachment   *outAttachment  `json:"attachment,omitempty"`
	QuickReplies []outQuickReply `json:"quick_replies,omitempty"`
}

type outAttachment struct {
	Type    string `json:"type"`
	Payload any    `json:"payload"`
}

type outMedia struct {
	URL        string `json:"url"`
	IsReusable bool   `json:"is_reusable"`
}

type outTemplate struct {
	TemplateType string       `json:"template_type"`
	Text         string       `json:"text,omitempty"`
	Buttons      []outButton  `json:"buttons,omitempty"`
	Elements     []outElement `json:"elements,omitempty"`
}

type outElement struct {
	Title    string      `json:"title"`
	Subtitle string      `json:"subtitle,omitempty"`
	ImageURL string      `json:"image_url,omitempty"`
	Buttons  []outButton `json:"buttons,omitempty"`
}

type outButton struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	Payload string `json:"payload,omitempty"`
	URL     string `json:"url,omitempty"`
}

type outQuickReply struct {
	ContentType string `json:"content_type"`
	Title       string `json:"title"`
	Payload     string `json:"payload"`
}

// Send delivers req's messages to one Messenger or Instagram user.
func (s *Sender) Send(ctx context.Context, req switchboard.SendRequest) (switchboard.SendResult, error) {
	win, err := apiclient.CheckSend(req, s.now(), switchboard.KindMessenger, switchboard.KindInstagram)
	if err != nil {
		return switchboard.SendResult{}, err
	}
	if req.Channel.Secrets.AccessToken == "" {
		return switchboard.SendResult{}, switchboard.Errorf(switchboard.EInvalid, "%s channel %s has no page access token", platformName(req.Channel.Kind), req.Channel.ID)
	}
	ig := req.Channel.Kind == switchboard.KindInstagram
	var parts [][]outMessage
	for i, m := range req.Messages {
		p, err := render(m, ig)
		if err != nil {
			return switchboard.SendResult{}, switchboard.Errorf(switchboard.EInvalid, "message %d: %s", i+1, switchboard.ErrorMessage(err))
		}
		parts = append(parts, p)
	}
	res := switchboard.SendResult{Via: "send"}
	for i, p := range parts {
		for j, m := range p {
			id, err := s.call(ctx, req, win, m)
			if err != nil {
				if len(req.Messages) > 1 {
					err = switchboard.Errorf(switchboard.ErrorCode(err), "message %d of %d: %s", i+1, len(req.Messages), switchboard.ErrorMessage(err))
				}
				return res, err
			}
			if j == 0 {
				res.PlatformMessageIDs = append(res.PlatformMessageIDs, id)
			}
		}
	}
	return res, nil
}

// call sends one Graph message and returns its message_id.
func (s *Sender) call(ctx context.Context, req switchboard.SendRequest, win switchboard.Window, m outMessage) (string, error) {
	body, err := json.Marshal(outBody{
		Recipient: outRecipient{ID: req.To.PlatformUserID}, MessagingType: win.MessagingType, Tag: win.Tag, Message: m,
	})
	if err != nil {
		return "", switchboard.Wrap(switchboard.EInternal, err, "Send API request could not be encoded")
	}
	client := s.Client
	if client == nil {
		client = &apiclient.Client{}
	}
	resp, err := client.Do(ctx, apiclient.Request{
		Platform: platformName(req.Channel.Kind), Method: http.MethodPost, URL: s.url(req.Channel),
		Header:  http.Header{"Authorization": {"Bearer " + req.Channel.Secrets.AccessToken}, "Content-Type": {"application/json"}},
		Body:    body,
		Secrets: apiclient.Secrets(req.Channel),
		Codes:   GraphCodes,
	})
	if err != nil {
		return "", err
	}
	var out struct {
		MessageID string `json:"message_id"`
	}
	_ = json.Unmarshal(resp.Body, &out)
	return out.MessageID, nil
}

func (s *Sender) url(ch *switchboard.Channel) string {
	base, version := s.BaseURL, s.Version
	if base == "" {
		base = DefaultGraphBaseURL
	}
	if version == "" {
		version = DefaultGraphVersion
	}
	node := "me"
	if ch.Kind == switchboard.KindMessenger && ch.PlatformID != "" {
		node = url.PathEscape(ch.PlatformID)
	}
	return strings.TrimRight(base, "/") + "/" + version + "/" + node + "/messages"
}

func (s *Sender) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock()
}

// GraphCodes classifies the Graph error codes of the Send API, which come
// with HTTP 400 or 403 whatever they mean: 4, 17, 32, 613 and 80001–80014
// are rate limits; 10 (with 2018278 outside the window), 551 (the person is
// unavailable), 200–299 (permissions) and 190 (the token) are refusals the
// team must act on; 1, 2 and 131000 (the WhatsApp API's "something went
// wrong") are Meta's transient failures. The WhatsApp sender starts from it.
func GraphCodes(p apiclient.PlatformError) (string, bool) {
	switch {
	case p.Subcode == 2018278 || p.Subcode == 2018108 || p.Subcode == 2018109:
		return switchboard.EForbidden, true
	case p.Code == 4 || p.Code == 17 || p.Code == 32 || p.Code == 613 || (p.Code >= 80001 && p.Code <= 80014):
		return switchboard.ERateLimited, true
	case p.Code == 10 || p.Code == 551 || p.Code == 190 || (p.Code >= 200 && p.Code <= 299):
		return switchboard.EForbidden, true
	case p.Code == 1 || p.Code == 2 || p.Code == 131000:
		return switchboard.EUnavailable, true
	}
	return "", false
}

func platformName(k switchboard.ChannelKind) string {
	if k == switchboard.KindInstagram {
		return "Instagram"
	}
	return "Messenger"
}

func invalid(format string, args ...any) error {
	return switchboard.Errorf(switchboard.EInvalid, format, args...)
}

// render turns one OutboundMessage into the Graph messages that carry it.
func render(m switchboard.OutboundMessage, ig bool) ([]outMessage, error) {
	name := platformName(switchboard.KindMessenger)
	if ig {
		name = platformName(switchboard.KindInstagram)
	}
	if m.Template != nil {
		return nil, invalid("message templates are WhatsApp only")
	}
	qrs, err := quickReplies(m.QuickReplies)
	if err != nil {
		return nil, err
	}
	var out []outMessage
	switch m.Kind {
	case switchboard.MsgCarousel:
		t, err := carousel(m)
		if err != nil {
			return nil, err
		}
		return []outMessage{{Attachment: &outAttachment{Type: "template", Payload: t}, QuickReplies: qrs}}, nil
	case switchboard.MsgText, "":
		if m.Text == "" {
			return nil, invalid("a text message needs text")
		}
	case switchboard.MsgImage, switchboard.MsgVideo, switchboard.MsgAudio, switchboard.MsgFile:
		if ig && m.Kind == switchboard.MsgFile {
			return nil, invalid("Instagram cannot send files; send the file as a link")
		}
		if !apiclient.WebURL(m.MediaURL, maxURL, true) {
			return nil, invalid("%s needs an https %s URL", name, m.Kind)
		}
		out = append(out, outMessage{Attachment: &outAttachment{Type: string(m.Kind), Payload: outMedia{URL: m.MediaURL, IsReusable: true}}})
	default:
		return nil, invalid("%s cannot send a %q message", name, m.Kind)
	}
	switch {
	case len(m.Buttons) > 0:
		t, err := template(m.Text, m.Buttons, ig)
		if err != nil {
			return nil, err
		}
		out = append(out, outMessage{Attachment: &outAttachment{Type: "template", Payload: t}})
	case m.Text != "":
		if ig && len(m.Text) > maxInstagramText {
			return nil, invalid("text is %d bytes; Instagram allows %d", len(m.Text), maxInstagramText)
		}
		if n := utf8.RuneCountInString(m.Text); !ig && n > maxMessengerText {
			return nil, invalid("text is %d characters; Messenger allows %d", n, maxMessengerText)
		}
		out = append(out, outMessage{Text: m.Text})
	}
	out[len(out)-1].QuickReplies = qrs
	return out, nil
}

// template renders text with buttons: a button template on Messenger, a
// generic template with the text as its title on Instagram.
func template(text string, bs []switchboard.Button, ig bool) (outTemplate, error) {
	if text == "" {
		return outTemplate{}, invalid("buttons need a text to go with them")
	}
	if len(bs) > maxButtons {
		return outTemplate{}, invalid("%d buttons; Meta's templates carry at most %d", len(bs), maxButtons)
	}
	buttons := make([]outButton, len(bs))
	for i, b := range bs {
		if b.Label == "" || utf8.RuneCountInString(b.Label) > maxTitle {
			return outTemplate{}, invalid("button %d: label %q must be 1 to %d characters", i+1, b.Label, maxTitle)
		}
		switch {
		case b.Payload != "" && b.URL != "":
			return outTemplate{}, invalid("button %d has a payload or a URL, not both", i+1)
		case b.Payload != "":
			if len(b.Payload) > maxPayload {
				return outTemplate{}, invalid("button %d: payload is over %d characters", i+1, maxPayload)
			}
			buttons[i] = outButton{Type: "postback", Title: b.Label, Payload: b.Payload}
		case b.URL != "":
			if !apiclient.WebURL(b.URL, maxURL, false) {
				return outTemplate{}, invalid("button %d: URL must be http or https", i+1)
			}
			buttons[i] = outButton{Type: "web_url", Title: b.Label, URL: b.URL}
		default:
			return outTemplate{}, invalid("button %d needs a payload or a URL", i+1)
		}
	}
	if ig {
		if n := utf8.RuneCountInString(text); n > maxElementTitle {
			return outTemplate{}, invalid("text with buttons is %d characters; Instagram allows %d", n, maxElementTitle)
		}
		return outTemplate{TemplateType: "generic", Elements: []outElement{{Title: text, Buttons: buttons}}}, nil
	}
	if n := utf8.RuneCountInString(text); n > maxButtonText {
		return outTemplate{}, invalid("text with buttons is %d characters; Messenger allows %d", n, maxButtonText)
	}
	return outTemplate{TemplateType: "button", Text: text, Buttons: buttons}, nil
}

// quickReplies renders quick replies; Meta's only carry a payload.
func quickReplies(bs []switchboard.Button) ([]outQuickReply, error) {
	if len(bs) > maxQuickReplies {
		return nil, invalid("%d quick replies; Meta allows %d", len(bs), maxQuickReplies)
	}
	var out []outQuickReply
	for i, b := range bs {
		switch {
		case b.Label == "" || utf8.RuneCountInString(b.Label) > maxTitle:
			return nil, invalid("quick reply %d: label %q must be 1 to %d characters", i+1, b.Label, maxTitle)
		case b.URL != "" || b.Payload == "":
			return nil, invalid("quick reply %d: Meta's quick replies carry a payload and cannot open a URL", i+1)
		case len(b.Payload) > maxPayload:
			return nil, invalid("quick reply %d: payload is over %d characters", i+1, maxPayload)
		}
		out = append(out, outQuickReply{ContentType: "text", Title: b.Label, Payload: b.Payload})
	}
	return out, nil
}
