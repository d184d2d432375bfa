package line_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/channel/line"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

func carouselCard(title string, buttons int) sb.Card {
	c := sb.Card{ImageURL: "https://cdn.example.com/a.png", Title: title, Subtitle: "Cotton, all sizes"}
	for i := range buttons {
		c.Buttons = append(c.Buttons, sb.Button{Label: "Buy " + string(rune('A'+i)), Payload: "bot:B1:m:" + string(rune('0'+i))})
	}
	return c
}

func TestRenderCarousel(t *testing.T) {
	msg := sb.OutboundMessage{Kind: sb.MsgCarousel, Cards: []sb.Card{carouselCard("Shirt", 2), carouselCard("Hat", 2)},
		QuickReplies: []sb.Button{{Label: "More", Payload: "bot:B1:more"}}}
	msgs, first, err := line.Render([]sb.OutboundMessage{msg})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || len(first) != 1 {
		t.Fatalf("%d LINE messages, want 1 flex message", len(msgs))
	}
	raw, _ := json.Marshal(msgs[0])
	var got struct {
		Type     string `json:"type"`
		AltText  string `json:"altText"`
		Contents struct {
			Type     string `json:"type"`
			Contents []struct {
				Type string `json:"type"`
				Hero struct {
					Type, URL string
				} `json:"hero"`
				Body struct {
					Contents []struct{ Text string } `json:"contents"`
				} `json:"body"`
				Footer struct {
					Contents []struct {
						Action struct{ Type, Label, Data string } `json:"action"`
					} `json:"contents"`
				} `json:"footer"`
			} `json:"contents"`
		} `json:"contents"`
		QuickReply struct {
			Items []any `json:"items"`
		} `json:"quickReply"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Type != "flex" || got.Contents.Type != "carousel" || len(got.Contents.Contents) != 2 || got.AltText != "Shirt" {
		t.Fatalf("message = %s", raw)
	}
	b := got.Contents.Contents[0]
	if b.Type != "bubble" || b.Hero.URL != "https://cdn.example.com/a.png" || b.Body.Contents[0].Text != "Shirt" || b.Body.Contents[1].Text != "Cotton, all sizes" {
		t.Errorf("bubble = %+v", b)
	}
	if a := b.Footer.Contents[1].Action; a.Type != "postback" || a.Label != "Buy B" || a.Data != "bot:B1:m:1" {
		t.Errorf("second button = %+v", a)
	}
	if len(got.QuickReply.Items) != 1 {
		t.Errorf("quick replies = %+v, want 1 under the carousel", got.QuickReply.Items)
	}
}

func TestRenderCarouselRefusals(t *testing.T) {
	cards := func(n int) []sb.Card {
		out := make([]sb.Card, n)
		for i := range out {
			out[i] = carouselCard("Card", 1)
		}
		return out
	}
	http := carouselCard("Card", 1)
	http.ImageURL = "http://cdn.example.com/a.png"
	tests := []struct {
		name  string
		cards []sb.Card
		want  string
	}{
		{"no cards", nil, "1 to 10 cards"},
		{"11 cards", cards(11), "1 to 10 cards"},
		{"a 41-character title", []sb.Card{carouselCard(strings.Repeat("t", 41), 1)}, "LINE shows 1 to 40"},
		{"a 301-character subtitle", []sb.Card{{ImageURL: "https://c.example.com/a.png", Title: "T", Subtitle: strings.Repeat("s", 301), Buttons: carouselCard("x", 1).Buttons}}, "at most 300"},
		{"4 buttons", []sb.Card{carouselCard("T", 4)}, "1 to 3"},
		{"no button", []sb.Card{carouselCard("T", 0)}, "1 to 3"},
		{"an http image", []sb.Card{http}, "https image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := line.Render([]sb.OutboundMessage{{Kind: sb.MsgCarousel, Cards: tt.cards}})
			if sb.ErrorCode(err) != sb.EInvalid || !strings.Contains(sb.ErrorMessage(err), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, _, err := line.Render([]sb.OutboundMessage{{Kind: sb.MsgCarousel, Cards: cards(10)}}); err != nil {
		t.Errorf("10 cards: %v", err)
	}
}
