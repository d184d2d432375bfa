package remarketing

import (
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestClickTokens(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	c := ClickToken{TeamID: "t1", ChannelID: "ch1", SendID: "cart/t1/v1/0/3/1", ContactID: "ct_1", Index: 1, Destination: "https://shop.example/p/1?x=1"}
	tok, err := SignClick(secret, c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyClick(secret, tok)
	if err != nil || got != c {
		t.Fatalf("verify = %+v, %v; want %+v", got, err, c)
	}
	payload, sig, _ := strings.Cut(tok, ".")
	forgedDest := c
	forgedDest.Destination = "https://evil.example/"
	other, _ := SignClick([]byte("another secret of some length!!"), forgedDest)
	otherPayload, _, _ := strings.Cut(other, ".")
	tests := []struct {
		name   string
		secret []byte
		token  string
	}{
		{"other secret", []byte("another secret of some length!!"), tok},
		{"no secret", nil, tok},
		{"payload swapped", secret, otherPayload + "." + sig},
		{"signature cut", secret, payload + "." + sig[:len(sig)-2]},
		{"no signature", secret, payload},
		{"empty", secret, ""},
		{"too long", secret, strings.Repeat("a", maxTokenLen+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := VerifyClick(tt.secret, tt.token); switchboard.ErrorCode(err) != switchboard.ENotFound {
				t.Fatalf("verify: %v, want ENotFound", err)
			}
		})
	}
	bad := c
	bad.Destination = "javascript:alert(1)"
	if _, err := SignClick(secret, bad); switchboard.ErrorCode(err) != switchboard.EInvalid {
		t.Fatalf("signing a javascript: link: %v, want EInvalid", err)
	}
}

func FuzzVerifyClick(f *testing.F) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	tok, _ := SignClick(secret, ClickToken{TeamID: "t", ChannelID: "c", Destination: "https://s.example/"})
	f.Add(tok)
	f.Add("e30.AAAA")
	f.Add("..")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := VerifyClick(secret, token)
		if err != nil {
			if switchboard.ErrorCode(err) != switchboard.ENotFound {
				t.Fatalf("error %v, want ENotFound", err)
			}
			return
		}
		if !webURL(c.Destination) || c.TeamID == "" {
			t.Fatalf("accepted token for %+v", c)
		}
	})
}

func TestRenderCart(t *testing.T) {
	cards := []cart.Card{
		{ProductID: "p3", Name: "A very long product name indeed", PriceText: "NT$30", URL: "https://s.example/3", ImageURL: "https://s.example/3.jpg"},
		{ProductID: "p2", Name: "Cup", PriceText: "NT$20"},
		{ProductID: "p1", Name: "Mug", PriceText: "NT$10", URL: "https://s.example/1"},
	}
	link := func(d string) string { return "https://sb.example/r?" + d }
	tests := []struct {
		name string
		c    cart.Content
		want []switchboard.OutboundMessage
	}{
		{"line", cart.Content{ChannelKind: switchboard.KindLINE, Index: 1, Cards: cards}, []switchboard.OutboundMessage{
			{Kind: switchboard.MsgImage, MediaURL: "https://s.example/3.jpg", PreviewURL: "https://s.example/3.jpg"},
			{Kind: switchboard.MsgText, Text: "Still thinking it over? These are waiting in your cart:\n• A very long product name indeed NT$30\n• Cup NT$20\n• Mug NT$10",
				Buttons: []switchboard.Button{
					{Label: "A very long product…", URL: "https://sb.example/r?https://s.example/3"},
					{Label: "Mug", URL: "https://sb.example/r?https://s.example/1"},
				}},
		}},
		{"whatsapp", cart.Content{ChannelKind: switchboard.KindWhatsApp, Index: 2, CustomMessage: "Still yours!", TemplateLanguage: "zh_TW", Cards: cards[:1]}, []switchboard.OutboundMessage{
			{Kind: switchboard.MsgText, Text: "A very long product name indeed NT$30",
				Template: &switchboard.Template{Name: CartTemplateName, Language: "zh_TW", Params: []string{"A very long product name indeed", "NT$30", "Still yours!"}},
				Buttons:  []switchboard.Button{{Label: "View product", URL: "https://sb.example/r?https://s.example/3"}}},
		}},
		{"empty cart", cart.Content{ChannelKind: switchboard.KindLINE}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RenderCart(tt.c, link)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d messages %+v, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if !equalMessage(got[i], tt.want[i]) {
					t.Fatalf("message %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
	if got := RenderCart(cart.Content{ChannelKind: switchboard.KindLINE, Cards: cards[2:]}, nil); got[0].Buttons[0].URL != "https://s.example/1" {
		t.Fatalf("without tracking the link is %q, want the product URL", got[0].Buttons[0].URL)
	}
}

func equalMessage(a, b switchboard.OutboundMessage) bool {
	if a.Kind != b.Kind || a.Text != b.Text || a.MediaURL != b.MediaURL || a.PreviewURL != b.PreviewURL || len(a.Buttons) != len(b.Buttons) {
		return false
	}
	for i := range a.Buttons {
		if a.Buttons[i] != b.Buttons[i] {
			return false
		}
	}
	if (a.Template == nil) != (b.Template == nil) {
		return false
	}
	if a.Template != nil && (a.Template.Name != b.Template.Name || a.Template.Language != b.Template.Language || strings.Join(a.Template.Params, "|") != strings.Join(b.Template.Params, "|")) {
		return false
	}
	return true
}
