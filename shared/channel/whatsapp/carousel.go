package whatsapp

import (
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// maxCarouselCards is the most cards of a carousel: WhatsApp has no carousel
// for free-form messages, so each card goes out as a message of its own.
const maxCarouselCards = 10

// carousel renders a carousel as one message per card, in order: an
// interactive message with the card's image as header, its title and
// subtitle as body and its buttons (reply buttons, or one link button), or
// an image with the title and subtitle as caption when the card has no
// buttons.
func carousel(m switchboard.OutboundMessage) ([]outMessage, error) {
	if n := len(m.Cards); n == 0 || n > maxCarouselCards {
		return nil, invalid("a carousel has 1 to %d cards, not %d", maxCarouselCards, n)
	}
	out := make([]outMessage, 0, len(m.Cards))
	for i, c := range m.Cards {
		if c.Title == "" {
			return nil, invalid("card %d needs a title", i+1)
		}
		text := c.Title
		if c.Subtitle != "" {
			text += "\n" + c.Subtitle
		}
		if n := utf8.RuneCountInString(text); n > maxBody {
			return nil, invalid("card %d: title and subtitle are %d characters; WhatsApp allows %d", i+1, n, maxBody)
		}
		card := switchboard.OutboundMessage{Kind: switchboard.MsgImage, MediaURL: c.ImageURL, Text: text}
		if len(c.Buttons) == 0 {
			media, err := mediaOf(card, text)
			if err != nil {
				return nil, invalid("card %d: %s", i+1, switchboard.ErrorMessage(err))
			}
			out = append(out, outMessage{Type: "image", Image: media})
			continue
		}
		it, err := renderInteractive(card, c.Buttons)
		if err != nil {
			return nil, invalid("card %d: %s", i+1, switchboard.ErrorMessage(err))
		}
		out = append(out, outMessage{Type: "interactive", Interactive: it})
	}
	return out, nil
}
