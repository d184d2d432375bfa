package remarketing

import (
	"strings"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Rendering limits: LINE and Messenger button labels take 20 characters, and
// a Messenger button template at most three buttons.
const (
	maxButtonLabel = 20
	maxCartButtons = 3
	// CartTemplateName is the WhatsApp message template of cart reminders,
	// which the team has approved with three body parameters: product name,
	// price, custom message (001:L4973–L4979).
	CartTemplateName = "cart_reminder"
)

// RenderCart turns a reminder's content into the messages sent. Until the bot
// builder renders the "abandoned cart" module (Content.BotModuleID, another
// issue), LINE and Messenger get the newest product's picture and a text
// listing the unpurchased products with their prices, with "view" buttons for
// the first three; WhatsApp gets the approved cart template with the last
// product. link turns a product URL into the tracked link the customer taps
// (the identity when links are not tracked).
func RenderCart(c cart.Content, link func(dest string) string) []switchboard.OutboundMessage {
	if link == nil {
		link = func(d string) string { return d }
	}
	if len(c.Cards) == 0 {
		return nil
	}
	if c.ChannelKind == switchboard.KindWhatsApp {
		card := c.Cards[0]
		m := switchboard.OutboundMessage{
			Kind: switchboard.MsgText,
			Text: card.Name + " " + card.PriceText,
			Template: &switchboard.Template{
				Name: CartTemplateName, Language: c.TemplateLanguage,
				Params: []string{card.Name, card.PriceText, c.CustomMessage},
			},
		}
		if card.URL != "" {
			m.Buttons = []switchboard.Button{{Label: "View product", URL: link(card.URL)}}
		}
		return []switchboard.OutboundMessage{m}
	}
	var out []switchboard.OutboundMessage
	if img := c.Cards[0].ImageURL; img != "" {
		out = append(out, switchboard.OutboundMessage{Kind: switchboard.MsgImage, MediaURL: img, PreviewURL: img})
	}
	var b strings.Builder
	b.WriteString("Still thinking it over? These are waiting in your cart:")
	for _, card := range c.Cards {
		b.WriteString("\n• ")
		b.WriteString(card.Name)
		b.WriteString(" ")
		b.WriteString(card.PriceText)
	}
	text := switchboard.OutboundMessage{Kind: switchboard.MsgText, Text: b.String()}
	for _, card := range c.Cards {
		if len(text.Buttons) == maxCartButtons {
			break
		}
		if card.URL == "" {
			continue
		}
		text.Buttons = append(text.Buttons, switchboard.Button{Label: label(card.Name), URL: link(card.URL)})
	}
	return append(out, text)
}

// label shortens a product name to a button label.
func label(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return "View"
	}
	if utf8.RuneCountInString(name) <= maxButtonLabel {
		return name
	}
	r := []rune(name)
	return string(r[:maxButtonLabel-1]) + "…"
}
