package widget_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/channel/widget"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestSendCarousel(t *testing.T) {
	st, srv, s := newSite(t)
	card := sb.Card{ImageURL: "https://cdn.example.com/a.png", Title: "Shirt", Subtitle: strings.Repeat("s", 120), Buttons: []sb.Button{{Label: "Buy", Payload: "bot:B1:m:0"}}}
	if _, err := s.Send(context.Background(), widgetReq(srv.URL, sb.OutboundMessage{Kind: sb.MsgCarousel, Cards: []sb.Card{card}})); err != nil {
		t.Fatal(err)
	}
	var body widget.OutboundBody
	if err := json.Unmarshal(st.bodies[0], &body); err != nil {
		t.Fatal(err)
	}
	if m := body.Messages[0]; m.Kind != sb.MsgCarousel || len(m.Cards) != 1 || m.Cards[0].Title != "Shirt" || m.Cards[0].Buttons[0].Payload != "bot:B1:m:0" {
		t.Errorf("posted = %+v", body.Messages)
	}
	tests := []struct {
		name string
		card sb.Card
		want string
	}{
		{"an 81-character title", sb.Card{ImageURL: card.ImageURL, Title: strings.Repeat("t", 81)}, "title must be 1 to 80"},
		{"a 121-character subtitle", sb.Card{ImageURL: card.ImageURL, Title: "T", Subtitle: strings.Repeat("s", 121)}, "subtitle is over 120"},
		{"a button with both", sb.Card{ImageURL: card.ImageURL, Title: "T", Buttons: []sb.Button{{Label: "B", Payload: "p", URL: "https://x.example"}}}, "not both"},
		{"no image", sb.Card{Title: "T"}, "image URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Send(context.Background(), widgetReq(srv.URL, sb.OutboundMessage{Kind: sb.MsgCarousel, Cards: []sb.Card{tt.card}}))
			if sb.ErrorCode(err) != sb.EInvalid || !strings.Contains(sb.ErrorMessage(err), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if len(st.bodies) != 1 {
		t.Errorf("%d posts, want only the valid carousel", len(st.bodies))
	}
}
