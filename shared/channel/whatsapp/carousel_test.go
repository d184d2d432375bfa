package whatsapp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	fakewa "github.com/switchboard-chat/switchboard/infra/fakes/whatsapp"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestSendCarousel(t *testing.T) {
	msg := sb.OutboundMessage{Kind: sb.MsgCarousel, Cards: []sb.Card{
		{ImageURL: "https://c.example/a.jpg", Title: "Shirt", Subtitle: "Cotton", Buttons: []sb.Button{{Label: "Buy", Payload: "bot:B1:m:0"}, {Label: "Details", Payload: "bot:B1:m:1"}}},
		{ImageURL: "https://c.example/b.jpg", Title: "Hat"},
	}}
	f, s := newWA(t, fakewa.Config{})
	res, err := s.Send(context.Background(), waReq(sb.PurposeResponse, time.Hour, msg))
	if err != nil {
		t.Fatal(err)
	}
	sent := f.Sent()
	if len(sent) != 2 || len(res.PlatformMessageIDs) != 1 {
		t.Fatalf("%d WhatsApp messages, %d ids; want one per card and the first's id", len(sent), len(res.PlatformMessageIDs))
	}
	norm := func(raw json.RawMessage) string {
		var v any
		_ = json.Unmarshal(raw, &v)
		b, _ := json.Marshal(v)
		return string(b)
	}
	want := []string{
		`{"interactive":{"action":{"buttons":[{"reply":{"id":"bot:B1:m:0","title":"Buy"},"type":"reply"},{"reply":{"id":"bot:B1:m:1","title":"Details"},"type":"reply"}]},"body":{"text":"Shirt\nCotton"},"header":{"image":{"link":"https://c.example/a.jpg"},"type":"image"},"type":"button"},"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"interactive"}`,
		`{"image":{"caption":"Hat","link":"https://c.example/b.jpg"},"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"image"}`,
	}
	for i := range want {
		if got := norm(sent[i].Message); got != want[i] {
			t.Errorf("card %d =\n%s\nwant\n%s", i+1, got, want[i])
		}
	}
}

func TestSendCarouselRefusals(t *testing.T) {
	card := sb.Card{ImageURL: "https://c.example/a.jpg", Title: "T", Buttons: []sb.Button{{Label: "B", Payload: "p"}}}
	mixed := card
	mixed.Buttons = []sb.Button{{Label: "B", Payload: "p"}, {Label: "Web", URL: "https://x.example"}}
	tests := []struct {
		name string
		msg  sb.OutboundMessage
		want string
	}{
		{"no cards", sb.OutboundMessage{Kind: sb.MsgCarousel}, "1 to 10 cards"},
		{"quick replies", sb.OutboundMessage{Kind: sb.MsgCarousel, Cards: []sb.Card{card}, QuickReplies: []sb.Button{{Label: "Q", Payload: "q"}}}, "quick replies under a carousel"},
		{"a link beside a reply", sb.OutboundMessage{Kind: sb.MsgCarousel, Cards: []sb.Card{mixed}}, "one link button alone"},
		{"no title", sb.OutboundMessage{Kind: sb.MsgCarousel, Cards: []sb.Card{{ImageURL: card.ImageURL}}}, "needs a title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, s := newWA(t, fakewa.Config{})
			_, err := s.Send(context.Background(), waReq(sb.PurposeResponse, time.Hour, tt.msg))
			if sb.ErrorCode(err) != sb.EInvalid || !strings.Contains(sb.ErrorMessage(err), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if len(f.Sent()) != 0 {
				t.Errorf("a refused carousel was sent")
			}
		})
	}
}
