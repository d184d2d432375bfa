package widget

import (
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Limits of a carousel the widget shows (001:L3800: title 80, subtitle 120).
const (
	maxCarouselCards = 10
	maxCardTitle     = 80
	maxCardSubtitle  = 120
	maxCardButtons   = 3
)

// checkCarousel refuses a carousel the widget cannot show. The widget gets
// the cards as they are, in the message's "cards" field.
func checkCarousel(m switchboard.OutboundMessage) error {
	if n := len(m.Cards); n == 0 || n > maxCarouselCards {
		return invalid("a carousel has 1 to %d cards, not %d", maxCarouselCards, n)
	}
	for i, c := range m.Cards {
		switch {
		case !apiclient.WebURL(c.ImageURL, 2048, false):
			return invalid("card %d needs an http(s) image URL", i+1)
		case c.Title == "" || utf8.RuneCountInString(c.Title) > maxCardTitle:
			return invalid("card %d: title must be 1 to %d characters", i+1, maxCardTitle)
		case utf8.RuneCountInString(c.Subtitle) > maxCardSubtitle:
			return invalid("card %d: subtitle is over %d characters", i+1, maxCardSubtitle)
		case len(c.Buttons) > maxCardButtons:
			return invalid("card %d: at most %d buttons", i+1, maxCardButtons)
		}
		for j, b := range c.Buttons {
			if err := checkButton(b); err != nil {
				return invalid("card %d button %d: %s", i+1, j+1, switchboard.ErrorMessage(err))
			}
		}
	}
	return nil
}

// checkButton refuses a button the widget cannot show.
func checkButton(b switchboard.Button) error {
	switch {
	case b.Label == "" || utf8.RuneCountInString(b.Label) > maxLabel:
		return invalid("label must be 1 to %d characters", maxLabel)
	case (b.Payload == "") == (b.URL == ""):
		return invalid("a button needs a payload or a URL, not both")
	case len(b.Payload) > maxPayload:
		return invalid("payload is over %d characters", maxPayload)
	case b.URL != "" && !apiclient.WebURL(b.URL, 2048, false):
		return invalid("URL must be http(s)")
	}
	return nil
}
