package line

import (
	"net/url"
	"strings"
	"unicode/utf16"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Render turns OutboundMessages into LINE messages, as the Sender documents,
// and returns for each OutboundMessage the index of its first LINE message.
// It is exported for senders of many recipients at once (multicast), which
// render once. At most 5 LINE messages may result; more is EInvalid, as is
// anything LINE would refuse, with the message's number in the reason.
func Render(msgs []switchboard.OutboundMessage) ([]messaging_api.MessageInterface, []int, error) {
	var out []messaging_api.MessageInterface
	first := make([]int, 0, len(msgs))
	for i, m := range msgs {
		parts, err := renderOne(m)
		if err != nil {
			return nil, nil, switchboard.Errorf(switchboard.EInvalid, "message %d: %s", i+1, switchboard.ErrorMessage(err))
		}
		first = append(first, len(out))
		out = append(out, parts...)
	}
	if len(out) > 5 {
		return nil, nil, switchboard.Errorf(switchboard.EInvalid, "these messages make %d LINE messages (media with text count twice); LINE sends at most 5 at once", len(out))
	}
	return out, first, nil
}

func invalid(format string, args ...any) error {
	return switchboard.Errorf(switchboard.EInvalid, format, args...)
}

// renderOne renders one OutboundMessage: an optional media part, then a text
// part (plain, or carrying its buttons), with quick replies on the last part.
func renderOne(m switchboard.OutboundMessage) ([]messaging_api.MessageInterface, error) {
	if m.Template != nil {
		return nil, invalid("message templates are WhatsApp only")
	}
	qr, err := quickReply(m.QuickReplies)
	if err != nil {
		return nil, err
	}
	if m.Kind == switchboard.MsgCarousel {
		c, err := carousel(m)
		if err != nil {
			return nil, err
		}
		c.QuickReply = qr
		return []messaging_api.MessageInterface{c}, nil
	}
	var parts []messaging_api.MessageInterface
	switch m.Kind {
	case switchboard.MsgText, "":
		if m.Text == "" {
			return nil, invalid("a text message needs text")
		}
	case switchboard.MsgImage:
		if !httpsURL(m.MediaURL) {
			return nil, invalid("LINE needs an https image URL")
		}
		preview := m.PreviewURL
		if preview == "" {
			preview = m.MediaURL
		}
		if !httpsURL(preview) {
			return nil, invalid("LINE needs an https preview URL")
		}
		parts = append(parts, &messaging_api.ImageMessage{OriginalContentUrl: m.MediaURL, PreviewImageUrl: preview})
	case switchboard.MsgVideo:
		if !httpsURL(m.MediaURL) {
			return nil, invalid("LINE needs an https video URL")
		}
		if !httpsURL(m.PreviewURL) {
			return nil, invalid("a LINE video needs an https preview image URL")
		}
		parts = append(parts, &messaging_api.VideoMessage{OriginalContentUrl: m.MediaURL, PreviewImageUrl: m.PreviewURL})
	case switchboard.MsgAudio:
		return nil, invalid("LINE audio messages need a duration, which Switchboard does not know; send the audio as a link")
	case switchboard.MsgFile:
		return nil, invalid("LINE bots cannot send files; send the file as a link")
	default:
		return nil, invalid("LINE cannot send a %q message", m.Kind)
	}
	switch {
	case len(m.Buttons) > 0:
		if m.Text == "" {
			return nil, invalid("buttons need a text to go with them")
		}
		p, err := buttons(m.Text, m.Buttons)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	case m.Text != "":
		if n := utf16Len(m.Text); n > maxText {
			return nil, invalid("text is %d characters; LINE allows %d", n, maxText)
		}
		parts = append(parts, &messaging_api.TextMessage{Text: m.Text})
	}
	if qr != nil {
		switch p := parts[len(parts)-1].(type) {
		case *messaging_api.TextMessage:
			p.QuickReply = qr
		case *messaging_api.ImageMessage:
			p.QuickReply = qr
		case *messaging_api.VideoMessage:
			p.QuickReply = qr
		case *messaging_api.TemplateMessage:
			p.QuickReply = qr
		case *messaging_api.FlexMessage:
			p.QuickReply = qr
		}
	}
	return parts, nil
}

// buttons renders text with buttons: a buttons template when LINE's template
// limits allow it, else a flex bubble.
func buttons(text string, bs []switchboard.Button) (messaging_api.MessageInterface, error) {
	if len(bs) > maxFlexButtons {
		return nil, invalid("%d buttons; LINE messages carry at most %d", len(bs), maxFlexButtons)
	}
	actions := make([]messaging_api.ActionInterface, len(bs))
	for i, b := range bs {
		a, err := action(b)
		if err != nil {
			return nil, invalid("button %d: %s", i+1, switchboard.ErrorMessage(err))
		}
		actions[i] = a
	}
	alt := clipUTF16(text, maxAltText)
	if len(bs) <= maxTemplateAction && utf16Len(text) <= maxTemplateText {
		return &messaging_api.TemplateMessage{AltText: alt, Template: &messaging_api.ButtonsTemplate{Text: text, Actions: actions}}, nil
	}
	if n := utf16Len(text); n > maxText {
		return nil, invalid("text is %d characters; LINE allows %d", n, maxText)
	}
	footer := make([]messaging_api.FlexComponentInterface, len(actions))
	for i, a := range actions {
		footer[i] = &messaging_api.FlexButton{Action: a, Style: messaging_api.FlexButtonSTYLE_LINK, Height: messaging_api.FlexButtonHEIGHT_SM}
	}
	return &messaging_api.FlexMessage{AltText: alt, Contents: &messaging_api.FlexBubble{
		Body: &messaging_api.FlexBox{Layout: messaging_api.FlexBoxLAYOUT_VERTICAL, Contents: []messaging_api.FlexComponentInterface{
			&messaging_api.FlexText{Text: text, Wrap: true},
		}},
		Footer: &messaging_api.FlexBox{Layout: messaging_api.FlexBoxLAYOUT_VERTICAL, Contents: footer},
	}}, nil
}

// action renders a button: a postback that shows its label as the
// customer's message, or a link.
func action(b switchboard.Button) (messaging_api.ActionInterface, error) {
	if b.Label == "" || utf16Len(b.Label) > maxLabel {
		return nil, invalid("label %q must be 1 to %d characters", b.Label, maxLabel)
	}
	switch {
	case b.Payload != "" && b.URL != "":
		return nil, invalid("a button has a payload or a URL, not both")
	case b.Payload != "":
		if utf16Len(b.Payload) > maxPostbackData {
			return nil, invalid("payload is over %d characters", maxPostbackData)
		}
		return &messaging_api.PostbackAction{Label: b.Label, Data: b.Payload, DisplayText: b.Label}, nil
	case b.URL != "":
		if !linkURL(b.URL) {
			return nil, invalid("URL must be http, https, line or tel, at most %d characters", maxURL)
		}
		return &messaging_api.UriAction{Label: b.Label, Uri: b.URL}, nil
	}
	return nil, invalid("a button needs a payload or a URL")
}

// quickReply renders quick replies, nil when there are none.
func quickReply(bs []switchboard.Button) (*messaging_api.QuickReply, error) {
	if len(bs) == 0 {
		return nil, nil
	}
	if len(bs) > maxQuickReplies {
		return nil, invalid("%d quick replies; LINE allows %d", len(bs), maxQuickReplies)
	}
	items := make([]messaging_api.QuickReplyItem, len(bs))
	for i, b := range bs {
		a, err := action(b)
		if err != nil {
			return nil, invalid("quick reply %d: %s", i+1, switchboard.ErrorMessage(err))
		}
		items[i] = messaging_api.QuickReplyItem{Type: "action", Action: a}
	}
	return &messaging_api.QuickReply{Items: items}, nil
}

func httpsURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && len(u) <= maxURL && strings.EqualFold(p.Scheme, "https") && p.Host != ""
}

func linkURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || len(u) > maxURL {
		return false
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https":
		return p.Host != ""
	case "line", "tel":
		return true
	}
	return false
}

// utf16Len counts characters the way LINE does, in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// clipUTF16 cuts s to at most n UTF-16 code units, on a rune boundary.
func clipUTF16(s string, n int) string {
	if utf16Len(s) <= n {
		return s
	}
	used := 0
	for i, r := range s {
		l := utf16.RuneLen(r)
		if used+l > n-1 {
			return s[:i] + "…"
		}
		used += l
	}
	return s
}
