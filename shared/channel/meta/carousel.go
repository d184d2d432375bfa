package meta

import (
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Limits of a generic template, which is how Messenger and Instagram show a
// carousel: up to 10 elements, each with an image, a title and subtitle of
// at most 80 characters, and up to 3 buttons.
const (
	maxElements      = 10
	maxElementSub    = 80
	maxElementButton = 3
)

// carousel renders a carousel message as a generic template.
func carousel(m switchboard.OutboundMessage) (outTemplate, error) {
	if n := len(m.Cards); n == 0 || n > maxElements {
		return outTemplate{}, invalid("a carousel has 1 to %d cards, not %d", maxElements, n)
	}
	els := make([]outElement, len(m.Cards))
	for i, c := range m.Cards {
		switch {
		case !apiclient.WebURL(c.ImageURL, maxURL, true):
			return outTemplate{}, invalid("card %d needs an https image URL", i+1)
		case c.Title == "" || utf8.RuneCountInString(c.Title) > maxElementTitle:
			return outTemplate{}, invalid("card %d: title must be 1 to %d characters", i+1, maxElementTitle)
		case utf8.RuneCountInString(c.Subtitle) > maxElementSub:
			return outTemplate{}, invalid("card %d: subtitle is over %d characters", i+1, maxElementSub)
		case len(c.Buttons) > maxElementButton:
			return outTemplate{}, invalid("card %d: %d buttons; a card carries at most %d", i+1, len(c.Buttons), maxElementButton)
		}
		bs, err := elementButtons(c.Buttons)
		if err != nil {
			return outTemplate{}, invalid("card %d: %s", i+1, switchboard.ErrorMessage(err))
		}
		els[i] = outElement{Title: c.Title, Subtitle: c.Subtitle, ImageURL: c.ImageURL, Buttons: bs}
	}
	return outTemplate{TemplateType: "generic", Elements: els}, nil
}

// elementButtons renders a card's buttons as the button template's are.
func elementButtons(bs []switchboard.Button) ([]outButton, error) {
	if len(bs) == 0 {
		return nil, nil
	}
	// template checks the labels, payloads and URLs; the text only has to
	// satisfy it.
	t, err := template("-", bs, false)
	if err != nil {
		return nil, err
	}
	return t.Buttons, nil
}
