package whatsapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/channel/meta"
	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// DefaultAPIBaseURL is the Cloud API's host (the Graph API's).
const DefaultAPIBaseURL = "https://graph.facebook.com"

// ListButtonLabel opens a list message's rows. WhatsApp needs one and
// OutboundMessage has no field for it.
const ListButtonLabel = "Options"

// Limits of the Cloud API on what Switchboard renders.
const (
	maxText        = 4096
	maxCaption     = 1024
	maxBody        = 1024 // interactive body text
	maxReplyButton = 3
	maxButtonTitle = 20
	maxRows        = 10
	maxRowTitle    = 24
	maxReplyID     = 256
	maxURL         = 2000
)

var templateName = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)

// Sender sends through the WhatsApp Cloud API: POST
// {base}/{version}/{phone_number_id}/messages with the system-user token as a
// bearer header, one request per message.
//
// Outside the 24-hour customer service window only approved templates go out
// (switchboard.CheckWindow refuses the rest before any request, as WhatsApp
// would with error 131047). Rendering: text is a text message (with a link
// preview when it holds a URL); image, video and file (a document) carry
// their text as a caption; audio is followed by its text; a template becomes a
// template message with its params as the body's text parameters. Buttons and
// quick replies both become interactive messages, with the text as body and
// an image or video as header: up to 3 payload buttons are reply buttons, 4
// to 10 a list, and a single URL button a cta_url button; WhatsApp cannot mix
// links and replies. PlatformMessageIDs has one wamid per OutboundMessage,
// that of its first WhatsApp message; when a later request fails, the error
// comes with the ids of what did go out.
type Sender struct {
	// BaseURL is DefaultAPIBaseURL, or a fake's URL; Version is the Graph
	// version path segment (meta.DefaultGraphVersion when empty).
	BaseURL string
	Version string
	Client  *apiclient.Client
	Clock   switchboard.Clock
}

var _ switchboard.Sender = (*Sender)(nil)

// outMessage is a Cloud API message request; exactly one of the typed fields
// is set, named by Type.
type outMessage struct {
	MessagingProduct string          `json:"messaging_product"`
	RecipientType    string          `json:"recipient_type"`
	To               string          `json:"to"`
	Type             string          `json:"type"`
	Text             *outText        `json:"text,omitempty"`
	Image            *outMedia       `json:"image,omitempty"`
	Video            *outMedia       `json:"video,omitempty"`
	Audio            *outMedia       `json:"audio,omitempty"`
	Document         *outMedia       `json:"document,omitempty"`
	Template         *outTemplate    `json:"template,omitempty"`
	Interactive      *outInteractive `json:"interactive,omitempty"`
}

type outText struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url"`
}

type outMedia struct {
	Link     string `json:"link"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

type outTemplate struct {
	Name       string         `json:"name"`
	Language   outLanguage    `json:"language"`
	Components []outComponent `json:"components,omitempty"`
}

type outLanguage struct {
	Code string `json:"code"`
}

type outComponent struct {
	Type       string     `json:"type"`
	Parameters []outParam `json:"parameters"`
}

type outParam struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type outInteractive struct {
	Type   string     `json:"type"`
	Header *outHeader `json:"header,omitempty"`
	Body   outBody    `json:"body"`
	Action outAction  `json:"action"`
}

type outHeader struct {
	Type  string    `json:"type"`
	Image *outMedia `json:"image,omitempty"`
	Video *outMedia `json:"video,omitempty"`
}

type outBody struct {
	Text string `json:"text"`
}

type outAction struct {
	Name       string         `json:"name,omitempty"`
	Button     string         `json:"button,omitempty"`
	Buttons    []outButton    `json:"buttons,omitempty"`
	Sections   []outSection   `json:"sections,omitempty"`
	Parameters *outCTAURLArgs `json:"parameters,omitempty"`
}

type outButton struct {
	Type  string   `json:"type"`
	Reply outReply `json:"reply"`
}

type outReply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type outSection struct {
	Rows []outReply `json:"rows"`
}

type outCTAURLArgs struct {
	DisplayText string `json:"display_text"`
	URL         string `json:"url"`
}

// Send delivers req's messages to one WhatsApp user.
func (s *Sender) Send(ctx context.Context, req switchboard.SendRequest) (switchboard.SendResult, error) {
	if _, err := apiclient.CheckSend(req, s.now(), switchboard.KindWhatsApp); err != nil {
		return switchboard.SendResult{}, err
	}
	if req.Channel.Secrets.AccessToken == "" {
		return switchboard.SendResult{}, switchboard.Errorf(switchboard.EInvalid, "WhatsApp channel %s has no access token", req.Channel.ID)
	}
	if req.Channel.PlatformID == "" {
		return switchboard.SendResult{}, switchboard.Errorf(switchboard.EInvalid, "WhatsApp channel %s has no phone number id", req.Channel.ID)
	}
	var parts [][]outMessage
	for i, m := range req.Messages {
		p, err := render(m)
		if err != nil {
			return switchboard.SendResult{}, switchboard.Errorf(switchboard.EInvalid, "message %d: %s", i+1, switchboard.ErrorMessage(err))
		}
		parts = append(parts, p)
	}
	res := switchboard.SendResult{Via: "send"}
	for i, p := range parts {
		for j, m := range p {
			m.MessagingProduct, m.RecipientType, m.To = "whatsapp", "individual", req.To.PlatformUserID
			id, err := s.call(ctx, req.Channel, m)
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

// call sends one message and returns its wamid.
func (s *Sender) call(ctx context.Context, ch *switchboard.Channel, m outMessage) (string, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return "", switchboard.Wrap(switchboard.EInternal, err, "WhatsApp request could not be encoded")
	}
	base, version := s.BaseURL, s.Version
	if base == "" {
		base = DefaultAPIBaseURL
	}
	if version == "" {
		version = meta.DefaultGraphVersion
	}
	client := s.Client
	if client == nil {
		client = &apiclient.Client{}
	}
	resp, err := client.Do(ctx, apiclient.Request{
		Platform: "WhatsApp", Method: http.MethodPost,
		URL:     strings.TrimRight(base, "/") + "/" + version + "/" + url.PathEscape(ch.PlatformID) + "/messages",
		Header:  http.Header{"Authorization": {"Bearer " + ch.Secrets.AccessToken}, "Content-Type": {"application/json"}},
		Body:    body,
		Secrets: apiclient.Secrets(ch),
		Codes:   Codes,
	})
	if err != nil {
		return "", err
	}
	var out struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if json.Unmarshal(resp.Body, &out) == nil && len(out.Messages) > 0 {
		return out.Messages[0].ID, nil
	}
	return "", nil
}

// Codes classifies the Cloud API's error codes: 130429 (throughput), 131056
// (pair rate), 131048 (spam rate) and 80007 are rate limits; 131047
// (re-engagement: outside 24 hours), 131050 (the user stopped marketing
// messages), 131031 (account locked), 368 (policy block) and 470 are
// refusals; 131026 (undeliverable: not a WhatsApp user, old app) and 131051
// (unsupported type) are invalid sends; 131016 and 131000 are transient.
// Anything else falls back to meta.GraphCodes.
func Codes(p apiclient.PlatformError) (string, bool) {
	switch p.Code {
	case 130429, 131056, 131048, 80007:
		return switchboard.ERateLimited, true
	case 131047, 131050, 131031, 368, 470:
		return switchboard.EForbidden, true
	case 131026, 131051:
		return switchboard.EInvalid, true
	case 131016, 131000:
		return switchboard.EUnavailable, true
	}
	return meta.GraphCodes(p)
}

func (s *Sender) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock()
}

func invalid(format string, args ...any) error {
	return switchboard.Errorf(switchboard.EInvalid, format, args...)
}

// render turns one OutboundMessage into the WhatsApp messages that carry it.
func render(m switchboard.OutboundMessage) ([]outMessage, error) {
	if m.Template != nil {
		t, err := renderTemplate(m.Template)
		if err != nil {
			return nil, err
		}
		return []outMessage{{Type: "template", Template: t}}, nil
	}
	if m.Kind == switchboard.MsgCarousel {
		if len(m.QuickReplies) > 0 {
			return nil, invalid("WhatsApp cannot put quick replies under a carousel")
		}
		return carousel(m)
	}
	if len(m.Buttons) > 0 && len(m.QuickReplies) > 0 {
		return nil, invalid("WhatsApp shows buttons and quick replies the same way; use one or the other")
	}
	bs := m.Buttons
	if len(bs) == 0 {
		bs = m.QuickReplies
	}
	if len(bs) > 0 {
		i, err := renderInteractive(m, bs)
		if err != nil {
			return nil, err
		}
		return []outMessage{{Type: "interactive", Interactive: i}}, nil
	}
	switch m.Kind {
	case switchboard.MsgText, "":
		if m.Text == "" {
			return nil, invalid("a text message needs text")
		}
		if n := utf8.RuneCountInString(m.Text); n > maxText {
			return nil, invalid("text is %d characters; WhatsApp allows %d", n, maxText)
		}
		preview := strings.Contains(m.Text, "https://") || strings.Contains(m.Text, "http://")
		return []outMessage{{Type: "text", Text: &outText{Body: m.Text, PreviewURL: preview}}}, nil
	case switchboard.MsgImage, switchboard.MsgVideo, switchboard.MsgFile:
		media, err := mediaOf(m, m.Text)
		if err != nil {
			return nil, err
		}
		switch m.Kind {
		case switchboard.MsgImage:
			return []outMessage{{Type: "image", Image: media}}, nil
		case switchboard.MsgVideo:
			return []outMessage{{Type: "video", Video: media}}, nil
		}
		media.Filename = fileName(m.MediaURL)
		return []outMessage{{Type: "document", Document: media}}, nil
	case switchboard.MsgAudio:
		media, err := mediaOf(m, "")
		if err != nil {
			return nil, err
		}
		out := []outMessage{{Type: "audio", Audio: media}}
		if m.Text != "" {
			t, err := render(switchboard.OutboundMessage{Kind: switchboard.MsgText, Text: m.Text})
			if err != nil {
				return nil, err
			}
			out = append(out, t...)
		}
		return out, nil
	}
	return nil, invalid("WhatsApp cannot send a %q message", m.Kind)
}

// mediaOf checks a media URL and its caption.
func mediaOf(m switchboard.OutboundMessage, caption string) (*outMedia, error) {
	if !apiclient.WebURL(m.MediaURL, maxURL, true) {
		return nil, invalid("WhatsApp needs an https %s URL", m.Kind)
	}
	if n := utf8.RuneCountInString(caption); n > maxCaption {
		return nil, invalid("caption is %d characters; WhatsApp allows %d", n, maxCaption)
	}
	return &outMedia{Link: m.MediaURL, Caption: caption}, nil
}

// fileName names a document after the last segment of its URL.
func fileName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	seg := u.Path[strings.LastIndex(u.Path, "/")+1:]
	if len(seg) > 240 {
		return ""
	}
	return seg
}

// renderTemplate renders an approved template with its numbered body parameters.
func renderTemplate(t *switchboard.Template) (*outTemplate, error) {
	if !templateName.MatchString(t.Name) {
		return nil, invalid("template name %q must be lower-case letters, digits and underscores", t.Name)
	}
	if t.Language == "" {
		return nil, invalid("template %q needs a language code (such as en_US)", t.Name)
	}
	out := &outTemplate{Name: t.Name, Language: outLanguage{Code: t.Language}}
	if len(t.Params) > 0 {
		c := outComponent{Type: "body"}
		for i, p := range t.Params {
			if strings.TrimSpace(p) == "" {
				return nil, invalid("template %q parameter {{%d}} is empty; WhatsApp refuses empty parameters", t.Name, i+1)
			}
			c.Parameters = append(c.Parameters, outParam{Type: "text", Text: p})
		}
		out.Components = []outComponent{c}
	}
	return out, nil
}

// renderInteractive renders text (and an optional image or video header) with
// buttons: reply buttons, a list, or one link button.
func renderInteractive(m switchboard.OutboundMessage, bs []switchboard.Button) (*outInteractive, error) {
	if m.Text == "" {
		return nil, invalid("buttons need a text to go with them")
	}
	if n := utf8.RuneCountInString(m.Text); n > maxBody {
		return nil, invalid("text with buttons is %d characters; WhatsApp allows %d", n, maxBody)
	}
	out := &outInteractive{Body: outBody{Text: m.Text}}
	switch m.Kind {
	case switchboard.MsgText, "":
	case switchboard.MsgImage, switchboard.MsgVideo:
		media, err := mediaOf(m, "")
		if err != nil {
			return nil, err
		}
		out.Header = &outHeader{Type: string(m.Kind)}
		if m.Kind == switchboard.MsgImage {
			out.Header.Image = media
		} else {
			out.Header.Video = media
		}
	default:
		return nil, invalid("WhatsApp buttons go with text, an image or a video, not a %q message", m.Kind)
	}
	links := 0
	for i, b := range bs {
		switch {
		case b.Label == "":
			return nil, invalid("button %d needs a label", i+1)
		case b.Payload != "" && b.URL != "":
			return nil, invalid("button %d has a payload or a URL, not both", i+1)
		case b.URL != "":
			links++
		case b.Payload == "":
			return nil, invalid("button %d needs a payload or a URL", i+1)
		case len(b.Payload) > maxReplyID:
			return nil, invalid("button %d: payload is over %d characters", i+1, maxReplyID)
		}
	}
	switch {
	case links > 0 && (links > 1 || len(bs) > 1):
		return nil, invalid("WhatsApp sends one link button alone, without other buttons")
	case links == 1:
		b := bs[0]
		if !apiclient.WebURL(b.URL, maxURL, false) {
			return nil, invalid("button 1: URL must be http or https")
		}
		if utf8.RuneCountInString(b.Label) > maxButtonTitle {
			return nil, invalid("button 1: label %q is over %d characters", b.Label, maxButtonTitle)
		}
		out.Type = "cta_url"
		out.Action = outAction{Name: "cta_url", Parameters: &outCTAURLArgs{DisplayText: b.Label, URL: b.URL}}
	case len(bs) <= maxReplyButton:
		out.Type = "button"
		for i, b := range bs {
			if utf8.RuneCountInString(b.Label) > maxButtonTitle {
				return nil, invalid("button %d: label %q is over %d characters", i+1, b.Label, maxButtonTitle)
			}
			out.Action.Buttons = append(out.Action.Buttons, outButton{Type: "reply", Reply: outReply{ID: b.Payload, Title: b.Label}})
		}
	case len(bs) <= maxRows:
		if m.Kind != switchboard.MsgText && m.Kind != "" {
			return nil, invalid("WhatsApp lists (4 to %d buttons) cannot show an image or video", maxRows)
		}
		out.Type = "list"
		var rows []outReply
		for i, b := range bs {
			if utf8.RuneCountInString(b.Label) > maxRowTitle {
				return nil, invalid("button %d: label %q is over %d characters", i+1, b.Label, maxRowTitle)
			}
			rows = append(rows, outReply{ID: b.Payload, Title: b.Label})
		}
		out.Action = outAction{Button: ListButtonLabel, Sections: []outSection{{Rows: rows}}}
	default:
		return nil, invalid("%d buttons; WhatsApp shows at most %d", len(bs), maxRows)
	}
	return out, nil
}
