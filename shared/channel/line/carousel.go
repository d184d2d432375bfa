package line

import (
	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// LINE's limits on a carousel as Switchboard renders it: a flex carousel of
// bubbles, each with the card's image as hero, its title and subtitle as body
// and its buttons as footer. A flex bubble takes the product's LINE limits
// (title 40, subtitle 300, 001:L3813), which a template carousel (60 and 120
// characters) would not.
const (
	maxCarouselCards   = 10
	maxCardButtons     = 3
	maxCardTitle       = 40
	maxCardSubtitle    = 300
	carouselAspectRate = "20:13"
)

// carousel renders a carousel message as one flex message.
func carousel(m switchboard.OutboundMessage) (*messaging_api.FlexMessage, error) {
	if n := len(m.Cards); n == 0 || n > maxCarouselCards {
		return nil, invalid("a carousel has 1 to %d cards on LINE, not %d", maxCarouselCards, n)
	}
	bubbles := make([]messaging_api.FlexBubble, len(m.Cards))
	for i, c := range m.Cards {
		b, err := bubble(c)
		if err != nil {
			return nil, invalid("card %d: %s", i+1, switchboard.ErrorMessage(err))
		}
		bubbles[i] = *b
	}
	alt := m.Text
	if alt == "" {
		alt = m.Cards[0].Title
	}
	return &messaging_api.FlexMessage{
		AltText:  clipUTF16(alt, maxAltText),
		Contents: &messaging_api.FlexCarousel{Contents: bubbles},
	}, nil
}

// bubble renders one card of a carousel.
func bubble(c switchboard.Card) (*messaging_api.FlexBubble, error) {
	if !httpsURL(c.ImageURL) {
		return nil, invalid("LINE needs an https image URL")
	}
	if n := utf16Len(c.Title); n == 0 || n > maxCardTitle {
		return nil, invalid("title is %d characters; LINE shows 1 to %d", n, maxCardTitle)
	}
	if n := utf16Len(c.Subtitle); n > maxCardSubtitle {
		return nil, invalid("subtitle is %d characters; LINE shows at most %d", n, maxCardSubtitle)
	}
	if n := len(c.Buttons); n == 0 || n > maxCardButtons {
		return nil, invalid("%d buttons; a LINE carousel card carries 1 to %d", n, maxCardButtons)
	}
	body := []messaging_api.FlexComponentInterface{
		&messaging_api.FlexText{Text: c.Title, Weight: messaging_api.FlexTextWEIGHT_BOLD, Wrap: true},
	}
	if c.Subtitle != "" {
		body = append(body, &messaging_api.FlexText{Text: c.Subtitle, Wrap: true, Size: "sm", Color: "#666666"})
	}
	footer := make([]messaging_api.FlexComponentInterface, len(c.Buttons))
	for i, b := range c.Buttons {
		a, err := action(b)
		if err != nil {
			return nil, invalid("button %d: %s", i+1, switchboard.ErrorMessage(err))
		}
		footer[i] = &messaging_api.FlexButton{Action: a, Style: messaging_api.FlexButtonSTYLE_LINK, Height: messaging_api.FlexButtonHEIGHT_SM}
	}
	return &messaging_api.FlexBubble{
		Hero: &messaging_api.FlexImage{
			Url: c.ImageURL, Size: "full", AspectRatio: carouselAspectRate,
			AspectMode: messaging_api.FlexImageASPECT_MODE_COVER,
		},
		Body:   &messaging_api.FlexBox{Layout: messaging_api.FlexBoxLAYOUT_VERTICAL, Contents: body},
		Footer: &messaging_api.FlexBox{Layout: messaging_api.FlexBoxLAYOUT_VERTICAL, Contents: footer},
	}, nil
}
