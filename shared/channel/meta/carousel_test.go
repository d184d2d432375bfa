package meta_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/infra/fakes/graph"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestSendCarousel(t *testing.T) {
	card := sb.Card{ImageURL: "https://cdn.example.com/a.png", Title: "Shirt", Subtitle: "Cotton", Buttons: []sb.Button{
		{Label: "Buy", Payload: "bot:B1:m:0"}, {Label: "Web", URL: "https://shop.example.com/1"},
	}}
	msg := sb.OutboundMessage{Kind: sb.MsgCarousel, Cards: []sb.Card{card, {ImageURL: "https://cdn.example.com/b.png", Title: "Hat", Buttons: card.Buttons[:1]}}}
	for _, kind := range []sb.ChannelKind{sb.KindMessenger, sb.KindInstagram} {
		t.Run(string(kind), func(t *testing.T) {
			f, s := newGraph(t, graph.Config{})
			if _, err := s.Send(context.Background(), metaReq(kind, sb.PurposeResponse, time.Hour, msg)); err != nil {
				t.Fatal(err)
			}
			sent := f.Sent()
			if len(sent) != 1 {
				t.Fatalf("%d Graph messages, want 1", len(sent))
			}
			var m struct {
				Attachment struct {
					Type    string `json:"type"`
					Payload struct {
						TemplateType string `json:"template_type"`
						Elements     []struct {
							Title, Subtitle string
							ImageURL        string `json:"image_url"`
							Buttons         []struct{ Type, Title, Payload, URL string }
						} `json:"elements"`
					} `json:"payload"`
				} `json:"attachment"`
			}
			if err := json.Unmarshal(sent[0].Message, &m); err != nil {
				t.Fatal(err)
			}
			p := m.Attachment.Payload
			if m.Attachment.Type != "template" || p.TemplateType != "generic" || len(p.Elements) != 2 {
				t.Fatalf("message = %s", sent[0].Message)
			}
			e := p.Elements[0]
			if e.Title != "Shirt" || e.Subtitle != "Cotton" || e.ImageURL != card.ImageURL || len(e.Buttons) != 2 ||
				e.Buttons[0].Type != "postback" || e.Buttons[0].Payload != "bot:B1:m:0" || e.Buttons[1].Type != "web_url" {
				t.Errorf("element = %+v", e)
			}
		})
	}
}

func TestSendCarouselRefusals(t *testing.T) {
	ok := sb.Card{ImageURL: "https://cdn.example.com/a.png", Title: "T", Buttons: []sb.Button{{Label: "B", Payload: "p"}}}
	long := ok
	long.Title = strings.Repeat("t", 81)
	sub := ok
	sub.Subtitle = strings.Repeat("s", 81)
	many := ok
	many.Buttons = []sb.Button{{Label: "1", Payload: "p"}, {Label: "2", Payload: "p"}, {Label: "3", Payload: "p"}, {Label: "4", Payload: "p"}}
	tests := []struct {
		name  string
		cards []sb.Card
		want  string
	}{
		{"no cards", nil, "1 to 10 cards"},
		{"an 81-character title", []sb.Card{long}, "title must be 1 to 80"},
		{"an 81-character subtitle", []sb.Card{sub}, "subtitle is over 80"},
		{"4 buttons", []sb.Card{many}, "at most 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, s := newGraph(t, graph.Config{})
			_, err := s.Send(context.Background(), metaReq(sb.KindMessenger, sb.PurposeResponse, time.Hour, sb.OutboundMessage{Kind: sb.MsgCarousel, Cards: tt.cards}))
			if sb.ErrorCode(err) != sb.EInvalid || !strings.Contains(sb.ErrorMessage(err), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if len(f.Sent()) != 0 {
				t.Errorf("a refused carousel was sent")
			}
		})
	}
}
