package bot

import (
	"encoding/json"
	"strings"
	"testing"

	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

var (
	lineKinds = []sb.ChannelKind{sb.KindLINE}
	fbKinds   = []sb.ChannelKind{sb.KindMessenger}
	waKinds   = []sb.ChannelKind{sb.KindWhatsApp}
	igKinds   = []sb.ChannelKind{sb.KindInstagram}
	webKinds  = []sb.ChannelKind{sb.KindWidget}
	allKinds  = []sb.ChannelKind{sb.KindLINE, sb.KindMessenger, sb.KindInstagram, sb.KindWhatsApp}
)

// testBot is a small valid bot for LINE and Messenger: a menu that leads to
// a prices module.
func testBot() *Bot {
	return &Bot{
		ID: "B1", TeamID: "T1", Name: "Shop", ChannelKinds: []sb.ChannelKind{sb.KindLINE, sb.KindMessenger},
		Modules: []Module{
			{ID: "menu", Name: "Menu", Cards: []Card{{
				Type: CardText, Text: "Hi {{system:customer_name}}, how can we help?",
				Buttons: []Button{{Label: "Prices", Action: ActionGoToModule, ModuleID: "prices"}},
			}}},
			{ID: "prices", Name: "Prices", Cards: []Card{{Type: CardText, Text: "Everything is 100 NTD."}}},
		},
	}
}

func goTo(label string) Button {
	return Button{Label: label, Action: ActionGoToModule, ModuleID: "prices"}
}

func nButtons(n int) []Button {
	bs := make([]Button, n)
	for i := range bs {
		bs[i] = goTo("Option " + string(rune('A'+i%26)))
	}
	return bs
}

func item() CarouselItem {
	return CarouselItem{ImageURL: "https://cdn.example.com/a.png", Title: "Shirt", Subtitle: "Cotton", Buttons: []Button{goTo("Buy")}}
}

func items(n int) []CarouselItem {
	out := make([]CarouselItem, n)
	for i := range out {
		out[i] = item()
	}
	return out
}

// withCard replaces the prices module's cards.
func withCard(cs ...Card) func(*Bot) {
	return func(b *Bot) { b.Modules[1].Cards = cs }
}

func TestValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	api := func(mut func(*APICall)) func(*Bot) {
		c := &APICall{Endpoint: "https://api.example.com/orders?phone={{system:phone}}", Method: "POST", Payload: `{"name":"{{system:customer_name}}"}`, Headers: map[string]string{"Authorization": "Bearer x"}}
		if mut != nil {
			mut(c)
		}
		return withCard(Card{Type: CardAPICall, API: c})
	}
	cond := func(c Condition) func(*Bot) {
		if c.MetModuleID == "" && c.NotMetModuleID == "" {
			c.MetModuleID = "menu"
		}
		return withCard(Card{Type: CardCondition, Condition: &c})
	}
	tests := []struct {
		name    string
		kinds   []sb.ChannelKind // nil: the bot's own
		mutate  func(*Bot)
		wantErr string // "" accepts
	}{
		{"valid bot", nil, nil, ""},
		// The bot itself.
		{"no name", nil, func(b *Bot) { b.Name = " " }, "bot name"},
		{"name of 101", nil, func(b *Bot) { b.Name = long(101) }, "bot name"},
		{"no channel kinds", nil, func(b *Bot) { b.ChannelKinds = nil }, "at least one channel kind"},
		{"unknown channel kind", nil, func(b *Bot) { b.ChannelKinds = []sb.ChannelKind{"fax"} }, `channel kind "fax"`},
		{"channel kind twice", nil, func(b *Bot) { b.ChannelKinds = []sb.ChannelKind{sb.KindLINE, sb.KindLINE} }, "twice"},
		{"no modules", nil, func(b *Bot) { b.Modules = nil }, "at least one module"},
		{"module id with a colon", nil, func(b *Bot) { b.Modules[1].ID = "pri:ces" }, `module 2: id "pri:ces"`},
		{"module id twice", nil, func(b *Bot) { b.Modules[1].ID = "menu" }, "used by another module"},
		{"21 cards", nil, func(b *Bot) {
			for i := 0; i < 20; i++ {
				b.Modules[1].Cards = append(b.Modules[1].Cards, Card{Type: CardSubscribe})
			}
		}, "at most 20 cards"},
		{"20 cards", nil, func(b *Bot) {
			for i := 0; i < 19; i++ {
				b.Modules[1].Cards = append(b.Modules[1].Cards, Card{Type: CardSubscribe})
			}
		}, ""},
		{"ref to a module", nil, func(b *Bot) { b.Refs = map[string]string{"summer-sale": "prices"} }, ""},
		{"ref to a missing module", nil, func(b *Bot) { b.Refs = map[string]string{"sale": "gone"} }, `ref "sale" names module "gone"`},
		{"ref with a space", nil, func(b *Bot) { b.Refs = map[string]string{"big sale": "prices"} }, `ref "big sale"`},
		{"welcome to a module", nil, func(b *Bot) { b.Welcome = map[string]string{"ch1": "menu"} }, ""},
		{"welcome to a missing module", nil, func(b *Bot) { b.Welcome = map[string]string{"ch1": "gone"} }, "welcome of channel ch1"},
		{"unknown card type", nil, withCard(Card{Type: "coupon2"}), `unknown card type "coupon2"`},
		{"card without a type", nil, withCard(Card{}), "needs a type"},

		// Text cards and buttons.
		{"empty text", nil, withCard(Card{Type: CardText, Text: "  "}), `module "prices", card 1 (text): text is required`},
		{"3 buttons", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: nButtons(3)}), ""},
		{"4 buttons", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: nButtons(4)}), "4 buttons; a text card carries at most 3"},
		{"4 buttons on a LINE-only bot", lineKinds, withCard(Card{Type: CardText, Text: "Pick", Buttons: nButtons(4)}), ""},
		{"10 buttons on a LINE-only bot", lineKinds, withCard(Card{Type: CardText, Text: "Pick", Buttons: nButtons(10)}), ""},
		{"11 buttons on a LINE-only bot", lineKinds, withCard(Card{Type: CardText, Text: "Pick", Buttons: nButtons(11)}), "LINE-only bot carries at most 10"},
		{"label of 20", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{goTo(long(20))}}), ""},
		{"label of 21", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{goTo(long(21))}}), "button text is at most 20"},
		{"label of 20 Chinese characters", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{goTo(strings.Repeat("價", 20))}}), ""},
		{"empty label", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{goTo("")}}), "button 1: a label is required"},
		{"no action", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "A"}}}), "an action is required"},
		{"unknown action", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "A", Action: "call"}}}), `action "call"`},
		{"go to a module of another bot", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "A", Action: ActionGoToModule, ModuleID: "other-bot-module"}}}), "only lead to modules of the same bot"},
		{"go to without module", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "A", Action: ActionGoToModule}}}), "needs a moduleId"},
		{"open URL on Messenger", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "Shop", Action: ActionOpenURL, URL: "https://shop.example.com"}}}), ""},
		{"open URL on WhatsApp", waKinds, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "Shop", Action: ActionOpenURL, URL: "https://shop.example.com"}}}), "WhatsApp cannot show a button that opens a URL"},
		{"open URL that is not http", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "Shop", Action: ActionOpenURL, URL: "javascript:alert(1)"}}}), "url must be an http or https URL"},
		{"add 5 tags", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "VIP", Action: ActionAddTags, Tags: []string{"a", "b", "c", "d", "e"}}}}), ""},
		{"add 6 tags", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "VIP", Action: ActionAddTags, Tags: []string{"a", "b", "c", "d", "e", "f"}}}}), "1 to 5 tags, not 6"},
		{"add no tags", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "VIP", Action: ActionAddTags}}}), "1 to 5 tags, not 0"},
		{"add a tag with a slash", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "VIP", Action: ActionAddTags, Tags: []string{"a/b"}}}}), "slash"},
		{"add tags then go to a missing module", nil, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "VIP", Action: ActionAddTags, Tags: []string{"vip"}, ModuleID: "gone"}}}), `module "gone"`},
		{"add tags on the widget", webKinds, withCard(Card{Type: CardText, Text: "Pick", Buttons: []Button{{Label: "VIP", Action: ActionAddTags, Tags: []string{"vip"}}}}), "tags cannot be added to contacts of the website widget"},
		{"640 characters with buttons on Messenger", fbKinds, withCard(Card{Type: CardText, Text: long(640), Buttons: nButtons(1)}), ""},
		{"641 characters with buttons on Messenger", fbKinds, withCard(Card{Type: CardText, Text: long(641), Buttons: nButtons(1)}), "Messenger allows 640"},
		{"81 characters with buttons on Instagram", igKinds, withCard(Card{Type: CardText, Text: long(81), Buttons: nButtons(1)}), "Instagram allows 80"},
		{"2001 characters on Messenger", fbKinds, withCard(Card{Type: CardText, Text: long(2001)}), "Messenger allows 2000"},
		{"5000 characters on LINE", lineKinds, withCard(Card{Type: CardText, Text: long(5000)}), ""},

		// Images and videos.
		{"png image", nil, withCard(Card{Type: CardImage, MediaURL: "https://cdn.example.com/a.png"}), ""},
		{"JPG image", nil, withCard(Card{Type: CardImage, MediaURL: "https://cdn.example.com/A.JPG?v=2"}), ""},
		{"jpeg image of 10 MB", nil, withCard(Card{Type: CardImage, MediaURL: "https://cdn.example.com/a.jpeg", SizeBytes: 10 << 20}), ""},
		{"image over 10 MB", nil, withCard(Card{Type: CardImage, MediaURL: "https://cdn.example.com/a.jpeg", SizeBytes: 10<<20 + 1}), "at most 10 MB"},
		{"gif image", nil, withCard(Card{Type: CardImage, MediaURL: "https://cdn.example.com/a.gif"}), "GIF is not supported"},
		{"http image", nil, withCard(Card{Type: CardImage, MediaURL: "http://cdn.example.com/a.png"}), "https URL"},
		{"video with preview on LINE", nil, withCard(Card{Type: CardVideo, MediaURL: "https://cdn.example.com/v.mp4", PreviewURL: "https://cdn.example.com/v.jpg"}), ""},
		{"video without preview on LINE", nil, withCard(Card{Type: CardVideo, MediaURL: "https://cdn.example.com/v.mp4"}), "LINE needs a preview image"},
		{"video without preview on Messenger", fbKinds, withCard(Card{Type: CardVideo, MediaURL: "https://cdn.example.com/v.mp4"}), ""},
		{"mov video", fbKinds, withCard(Card{Type: CardVideo, MediaURL: "https://cdn.example.com/v.mov"}), "mp4"},
		{"video over 10 MB", fbKinds, withCard(Card{Type: CardVideo, MediaURL: "https://cdn.example.com/v.mp4", SizeBytes: 11 << 20}), "at most 10 MB"},
		{"video on Instagram", igKinds, withCard(Card{Type: CardVideo, MediaURL: "https://cdn.example.com/v.mp4"}), "not on Instagram"},
		{"video on the widget", webKinds, withCard(Card{Type: CardVideo, MediaURL: "https://cdn.example.com/v.mp4"}), "not on the website widget"},

		// Carousels.
		{"carousel", nil, withCard(Card{Type: CardCarousel, Items: items(2)}), ""},
		{"carousel of 10", nil, withCard(Card{Type: CardCarousel, Items: items(10)}), ""},
		{"carousel of 11", nil, withCard(Card{Type: CardCarousel, Items: items(11)}), "1 to 10 cards, not 11"},
		{"empty carousel", nil, withCard(Card{Type: CardCarousel}), "1 to 10 cards, not 0"},
		{"carousel item without image", nil, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{Title: "T", Buttons: []Button{goTo("B")}}}}), "item 1: an image is required"},
		{"carousel item without title", nil, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Buttons: []Button{goTo("B")}}}}), "a title is required"},
		{"carousel item without button", nil, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: "T"}}}), "the first button is required"},
		{"carousel item with 4 buttons", fbKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: "T", Buttons: nButtons(4)}}}), "carousel card carries at most 3"},
		{"title of 40 on LINE", lineKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: long(40), Buttons: nButtons(1)}}}), ""},
		{"title of 41 on LINE", lineKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: long(41), Buttons: nButtons(1)}}}), "LINE allows 40"},
		{"title of 41 on Messenger", fbKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: long(41), Buttons: nButtons(1)}}}), ""},
		{"title of 81 on Messenger", fbKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: long(81), Buttons: nButtons(1)}}}), "Messenger allows 80"},
		{"subtitle of 300 on LINE", lineKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: "T", Subtitle: long(300), Buttons: nButtons(1)}}}), ""},
		{"subtitle of 301 on LINE", lineKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: "T", Subtitle: long(301), Buttons: nButtons(1)}}}), "LINE allows 300"},
		{"subtitle of 81 on Messenger", fbKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: "T", Subtitle: long(81), Buttons: nButtons(1)}}}), "Messenger allows 80"},
		{"subtitle of 120 on the widget", webKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: "T", Subtitle: long(120), Buttons: nButtons(1)}}}), ""},
		{"subtitle of 121 on the widget", webKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: "T", Subtitle: long(121), Buttons: nButtons(1)}}}), "the website widget allows 120"},
		{"title of 81 on the widget", webKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: long(81), Buttons: nButtons(1)}}}), "the website widget allows 80"},
		{"uneven buttons on LINE", lineKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{item(), {ImageURL: "https://c.example.com/a.png", Title: "T", Buttons: nButtons(2)}}}), "same number of buttons"},
		{"uneven buttons on Messenger", fbKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{item(), {ImageURL: "https://c.example.com/a.png", Title: "T", Buttons: nButtons(2)}}}), ""},
		{"carousel URL button on WhatsApp", waKinds, withCard(Card{Type: CardCarousel, Items: []CarouselItem{{ImageURL: "https://c.example.com/a.png", Title: "T", Buttons: []Button{{Label: "Web", Action: ActionOpenURL, URL: "https://x.example.com"}}}}}), "WhatsApp cannot"},

		// Quick replies and user input.
		{"quick reply last", nil, withCard(Card{Type: CardText, Text: "Hi"}, Card{Type: CardQuickReply, Text: "Size?", Buttons: nButtons(10)}), ""},
		{"quick reply of 11", nil, withCard(Card{Type: CardQuickReply, Text: "Size?", Buttons: nButtons(11)}), "1 to 10 buttons, not 11"},
		{"quick reply without buttons", nil, withCard(Card{Type: CardQuickReply, Text: "Size?"}), "1 to 10 buttons, not 0"},
		{"quick reply not last", nil, withCard(Card{Type: CardQuickReply, Text: "Size?", Buttons: nButtons(2)}, Card{Type: CardText, Text: "Hi"}), "a quick reply card must be the last card"},
		{"quick reply opening a URL on Messenger", fbKinds, withCard(Card{Type: CardQuickReply, Text: "Size?", Buttons: []Button{{Label: "Web", Action: ActionOpenURL, URL: "https://x.example.com"}}}), "Messenger quick replies cannot open a URL"},
		{"quick reply opening a URL on LINE", lineKinds, withCard(Card{Type: CardQuickReply, Text: "Size?", Buttons: []Button{{Label: "Web", Action: ActionOpenURL, URL: "https://x.example.com"}}}), ""},
		{"quick reply and user input in one module", nil, withCard(Card{Type: CardQuickReply, Text: "Size?", Buttons: nButtons(2)}, Card{Type: CardUserInput, Text: "Email?"}), "cannot share a module"},
		{"user input saving a date", nil, withCard(Card{Type: CardUserInput, Text: "Birthday?", Input: &UserInput{Attribute: "birthday", Type: sb.AttrDate, NextModuleID: "menu"}}), ""},
		{"user input saving a datetime", nil, withCard(Card{Type: CardUserInput, Text: "When?", Input: &UserInput{Attribute: "visit_at", Type: sb.AttrDateTime}}), ""},
		{"user input not last", nil, withCard(Card{Type: CardUserInput, Text: "Email?"}, Card{Type: CardText, Text: "Thanks"}), "a user input card must be the last card"},
		{"user input without question", nil, withCard(Card{Type: CardUserInput}), "question (text) is required"},
		{"user input of an unknown type", nil, withCard(Card{Type: CardUserInput, Text: "Q", Input: &UserInput{Attribute: "a", Type: "money"}}), `attribute type "money"`},
		{"user input into a bad attribute key", nil, withCard(Card{Type: CardUserInput, Text: "Q", Input: &UserInput{Attribute: "e-mail"}}), `attribute "e-mail"`},
		{"typed user input without attribute", nil, withCard(Card{Type: CardUserInput, Text: "Q", Input: &UserInput{Type: sb.AttrNumber}}), "name the attribute"},
		{"user input leading to a missing module", nil, withCard(Card{Type: CardUserInput, Text: "Q", Input: &UserInput{NextModuleID: "gone"}}), `next module "gone"`},

		// Conditions.
		{"tag condition", nil, cond(Condition{Field: FieldTag, Operator: OpAny, Tags: []string{"vip"}}), ""},
		{"tag condition without tags", nil, cond(Condition{Field: FieldTag, Operator: OpAll}), "1 to 20 tags"},
		{"member id exists", nil, cond(Condition{Field: FieldMemberID, Operator: OpExists, NotMetModuleID: "menu"}), ""},
		{"phone equals", nil, cond(Condition{Field: FieldPhone, Operator: OpEquals, Value: "0912345678"}), ""},
		{"email equals without value", nil, cond(Condition{Field: FieldEmail, Operator: OpEquals}), "needs a value"},
		{"attribute gte a number", nil, cond(Condition{Field: FieldAttribute, Attribute: "orders", Operator: OpGTE, Value: "3"}), ""},
		{"attribute gt a date", nil, cond(Condition{Field: FieldAttribute, Attribute: "birthday", Operator: OpGT, Value: "2000-01-01"}), ""},
		{"attribute gt a word", nil, cond(Condition{Field: FieldAttribute, Attribute: "orders", Operator: OpGT, Value: "many"}), "compares numbers, dates"},
		{"attribute without key", nil, cond(Condition{Field: FieldAttribute, Operator: OpExists}), "names one custom attribute"},
		{"phone binding", nil, cond(Condition{Field: FieldPhoneBinding, Operator: OpExists}), ""},
		{"phone binding equals", nil, cond(Condition{Field: FieldPhoneBinding, Operator: OpEquals, Value: "x"}), `operator "equals" does not apply to phone_binding`},
		{"points gte 100", nil, cond(Condition{Field: FieldPoints, Operator: OpGTE, Value: "100"}), ""},
		{"points gte lots", nil, cond(Condition{Field: FieldPoints, Operator: OpGTE, Value: "lots"}), "compared with a number"},
		{"unknown field", nil, cond(Condition{Field: "age", Operator: OpGT, Value: "3"}), `field "age"`},
		{"condition without branches", nil, withCard(Card{Type: CardCondition, Condition: &Condition{Field: FieldMemberID, Operator: OpExists}}), `"met" module, a "not met" module, or both`},
		{"condition to a missing module", nil, cond(Condition{Field: FieldMemberID, Operator: OpExists, MetModuleID: "gone"}), `module "gone"`},
		{"condition without settings", nil, withCard(Card{Type: CardCondition}), "condition settings are required"},
		{"condition not last", nil, withCard(Card{Type: CardCondition, Condition: &Condition{Field: FieldMemberID, Operator: OpExists, MetModuleID: "menu"}}, Card{Type: CardText, Text: "x"}), "must be the last card"},

		// API calls.
		{"API call", nil, api(nil), ""},
		{"API call to localhost", nil, api(func(c *APICall) { c.Endpoint = "http://localhost:8080/x" }), "internal"},
		{"API call to 127.0.0.1", nil, api(func(c *APICall) { c.Endpoint = "http://127.0.0.1/x" }), "loopback"},
		{"API call to 10.0.0.1", nil, api(func(c *APICall) { c.Endpoint = "https://10.0.0.1/x" }), "private"},
		{"API call to the metadata service", nil, api(func(c *APICall) { c.Endpoint = "http://169.254.169.254/latest/meta-data/" }), "link-local"},
		{"API call to [::1]", nil, api(func(c *APICall) { c.Endpoint = "http://[::1]:9000/" }), "loopback"},
		{"API call to [fd00::1]", nil, api(func(c *APICall) { c.Endpoint = "http://[fd00::1]/" }), "private"},
		{"API call to a mapped loopback", nil, api(func(c *APICall) { c.Endpoint = "http://[::ffff:127.0.0.1]/" }), "loopback"},
		{"API call with a variable host", nil, api(func(c *APICall) { c.Endpoint = "https://{{custom:host}}/x" }), "host may not hold variables"},
		{"API call over ftp", nil, api(func(c *APICall) { c.Endpoint = "ftp://api.example.com/x" }), "https:// or http://"},
		{"API call with credentials", nil, api(func(c *APICall) { c.Endpoint = "https://u:p@api.example.com/x" }), "credentials"},
		{"API GET with a payload", nil, api(func(c *APICall) { c.Method = "GET" }), "GET call carries no payload"},
		{"API DELETE", nil, api(func(c *APICall) { c.Method = "DELETE" }), `method "DELETE"`},
		{"API header with a bad name", nil, api(func(c *APICall) { c.Headers = map[string]string{"X Bad": "1"} }), "not a valid HTTP header name"},
		{"API Host header", nil, api(func(c *APICall) { c.Headers = map[string]string{"Host": "internal"} }), "set by Switchboard"},
		{"API header with a newline", nil, api(func(c *APICall) { c.Headers = map[string]string{"X-A": "1\r\nX-B: 2"} }), "one line"},
		{"API timeout of 10 s", nil, api(func(c *APICall) { c.TimeoutSeconds = 10 }), ""},
		{"API timeout of 11 s", nil, api(func(c *APICall) { c.TimeoutSeconds = 11 }), "timeoutSeconds"},
		{"API payload of 8 KiB + 1", nil, api(func(c *APICall) { c.Payload = long(8<<10 + 1) }), "payload is 8193 bytes"},
		{"API success to a missing module", nil, api(func(c *APICall) { c.SuccessModuleID = "gone" }), `module "gone"`},
		{"API call without settings", nil, withCard(Card{Type: CardAPICall}), "API call settings are required"},

		// Delays.
		{"delay", nil, withCard(Card{Type: CardText, Text: "Wait"}, Card{Type: CardDelay, Delay: &Delay{Minutes: 30, NextModuleID: "menu", SkipIfInteracted: true}}), ""},
		{"delay of 0 minutes", nil, withCard(Card{Type: CardDelay, Delay: &Delay{Minutes: 0, NextModuleID: "menu"}}), "1 to 10080 whole minutes, not 0"},
		{"delay over a week", nil, withCard(Card{Type: CardDelay, Delay: &Delay{Minutes: MaxDelayMinutes + 1, NextModuleID: "menu"}}), "not 10081"},
		{"delay without next module", nil, withCard(Card{Type: CardDelay, Delay: &Delay{Minutes: 5}}), `next module ""`},
		{"delay not last", nil, withCard(Card{Type: CardDelay, Delay: &Delay{Minutes: 5, NextModuleID: "menu"}}, Card{Type: CardText, Text: "x"}), "continues in its next module"},
		{"delay on the widget", webKinds, withCard(Card{Type: CardDelay, Delay: &Delay{Minutes: 5, NextModuleID: "menu"}}), "not on the website widget"},

		// Live agent, subscription.
		{"live agent last", nil, withCard(Card{Type: CardText, Text: "One moment"}, Card{Type: CardLiveAgent}), ""},
		{"live agent not last", nil, withCard(Card{Type: CardLiveAgent}, Card{Type: CardText, Text: "x"}), "nothing may follow a live agent card"},
		{"subscribe and unsubscribe", nil, withCard(Card{Type: CardSubscribe}, Card{Type: CardUnsubscribe}), ""},
		{"a LINE and Meta bot with everything", allKinds, withCard(Card{Type: CardImage, MediaURL: "https://cdn.example.com/a.png"}, Card{Type: CardCarousel, Items: items(3)}, Card{Type: CardQuickReply, Text: "More?", Buttons: nButtons(3)}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := testBot()
			if tt.mutate != nil {
				tt.mutate(b)
			}
			if tt.kinds != nil {
				b.ChannelKinds = tt.kinds
			}
			err := b.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error containing %q", tt.wantErr)
			}
			if got := sb.ErrorCode(err); got != sb.EInvalid {
				t.Errorf("code = %s, want %s", got, sb.EInvalid)
			}
			if got := sb.ErrorMessage(err); !strings.Contains(got, tt.wantErr) {
				t.Errorf("message = %q, want it to contain %q", got, tt.wantErr)
			}
		})
	}
}

// TestValidateNamesModuleAndCard checks the shape of a refusal: module, card
// number, card type and the rule.
func TestValidateNamesModuleAndCard(t *testing.T) {
	b := testBot()
	b.ChannelKinds = waKinds
	b.Modules[1].Cards = []Card{{Type: CardImage, MediaURL: "https://c.example.com/a.png"}, {Type: CardText, Text: "Shop", Buttons: []Button{{Label: "Web", Action: ActionOpenURL, URL: "https://x.example.com"}}}}
	err := Validate(b, nil)
	want := `module "prices", card 2 (text): button 1: WhatsApp cannot show a button that opens a URL`
	if got := sb.ErrorMessage(err); got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

// TestValidateForKinds checks that the kinds argument overrides the bot's.
func TestValidateForKinds(t *testing.T) {
	b := testBot()
	b.Modules[1].Cards = []Card{{Type: CardText, Text: "Pick", Buttons: nButtons(5)}}
	if err := Validate(b, lineKinds); err != nil {
		t.Errorf("Validate(LINE only) = %v, want nil", err)
	}
	if err := Validate(b, nil); err == nil {
		t.Errorf("Validate(bot's kinds: LINE and Messenger) = nil, want the 3-button limit")
	}
}

func TestValidateBroadcastModule(t *testing.T) {
	b := testBot()
	b.Modules[1].Cards = []Card{{Type: CardText, Text: "x"}, {Type: CardCondition, Condition: &Condition{Field: FieldMemberID, Operator: OpExists, MetModuleID: "menu"}}}
	tests := []struct {
		module  string
		wantErr string
	}{
		{"menu", ""},
		{"prices", "cannot be used in a broadcast"},
		{"gone", "no module"},
	}
	for _, tt := range tests {
		err := ValidateBroadcastModule(b, tt.module)
		got := sb.ErrorMessage(err)
		if (tt.wantErr == "") != (err == nil) || !strings.Contains(got, tt.wantErr) {
			t.Errorf("ValidateBroadcastModule(%s) = %q, want %q", tt.module, got, tt.wantErr)
		}
	}
}

// FuzzValidate feeds bot definitions as an operator's JSON: Validate must
// never panic, must refuse with EInvalid only, and a bot it accepts must be
// runnable: every button payload it renders parses back to its module.
func FuzzValidate(f *testing.F) {
	seed, _ := json.Marshal(testBot())
	f.Add(string(seed))
	f.Add(`{"name":"x","channelKinds":["line"],"modules":[{"id":"m","cards":[{"type":"quick_reply","text":"q","buttons":[{"label":"a","action":"go_to_module","moduleId":"m"}]}]}]}`)
	f.Add(`{"name":"x","channelKinds":["whatsapp"],"modules":[{"id":"m","cards":[{"type":"api_call","api":{"endpoint":"http://[::ffff:10.0.0.1]/"}}]}]}`)
	f.Add(`{"name":"x","channelKinds":["widget"],"modules":[{"id":"m","cards":[{"type":"carousel","items":[{"imageUrl":"https://a/b.png","title":"t","buttons":[{"label":"b","action":"add_tags","tags":["x"]}]}]}]}]}`)
	f.Add(`{"name":"x","channelKinds":["messenger"],"modules":[{"id":"m","cards":[{"type":"condition","condition":{"field":"attribute","attribute":"a","operator":"gt","value":"2024-01-01T00:00:00Z","metModuleId":"m"}}]}]}`)
	f.Fuzz(func(t *testing.T, raw string) {
		var b Bot
		if json.Unmarshal([]byte(raw), &b) != nil {
			return
		}
		err := b.Validate()
		if err != nil {
			if sb.ErrorCode(err) != sb.EInvalid {
				t.Fatalf("Validate refused with %s, want %s: %v", sb.ErrorCode(err), sb.EInvalid, err)
			}
			return
		}
		b.ID = "B1"
		for _, m := range b.Modules {
			n := 0
			for _, c := range m.Cards {
				for range cardButtons(c) {
					ref, ok := ParsePayload(Payload(b.ID, m.ID, n))
					if !ok || ref.ModuleID != m.ID || ref.Button != n {
						t.Fatalf("payload of button %d of module %q does not parse back: %+v", n, m.ID, ref)
					}
					if _, ok := m.buttonAt(n); !ok {
						t.Fatalf("button %d of module %q is not found by index", n, m.ID)
					}
					n++
				}
			}
		}
	})
}
