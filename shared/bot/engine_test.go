package bot

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

var t0 = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

// testClock is a clock a test moves by hand.
type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time { return c.now }

func engineAt(c *testClock, api APICaller) *Engine { return &Engine{Clock: c.Now, API: api} }

func newSession() *Session { return &Session{TeamID: "T1", ConversationID: "C1"} }

func customer() *sb.Contact {
	return &sb.Contact{ID: "C1", TeamID: "T1", NativeName: "Mei", LastCustomerInteractionAt: t0}
}

// shopBot is the bot the flow tests run: a menu of buttons, a question, a
// condition, a delay and a hand-off.
func shopBot() *Bot {
	text := func(s string, bs ...Button) Card { return Card{Type: CardText, Text: s, Buttons: bs} }
	return &Bot{
		ID: "B1", TeamID: "T1", Name: "Shop", Version: 3, ChannelKinds: []sb.ChannelKind{sb.KindLINE, sb.KindMessenger},
		Modules: []Module{
			{ID: "menu", Cards: []Card{text("Hi {{system:customer_name}}!",
				Button{Label: "Prices", Action: ActionGoToModule, ModuleID: "prices"},
				Button{Label: "Join VIP", Action: ActionAddTags, Tags: []string{"vip"}, ModuleID: "welcome-vip"},
				Button{Label: "Website", Action: ActionOpenURL, URL: "https://shop.example.com"},
			)}},
			{ID: "prices", Cards: []Card{text("Shirts are 500 NTD.")}},
			{ID: "welcome-vip", Cards: []Card{text("Welcome to VIP.")}},
			{ID: "birthday", Cards: []Card{{Type: CardUserInput, Text: "Your birthday?", Input: &UserInput{Attribute: "birthday", Type: sb.AttrDate, NextModuleID: "thanks"}}}},
			{ID: "thanks", Cards: []Card{text("Thanks, {{system:customer_name}}! Saved {{custom:birthday}}.")}},
			{ID: "check", Cards: []Card{{Type: CardCondition, Condition: &Condition{Field: FieldTag, Operator: OpAny, Tags: []string{"vip"}, MetModuleID: "vip", NotMetModuleID: "regular"}}}},
			{ID: "vip", Cards: []Card{text("VIP price: 400 NTD.")}},
			{ID: "regular", Cards: []Card{text("Price: 500 NTD.")}},
			{ID: "remind", Cards: []Card{text("We will remind you."), {Type: CardDelay, Delay: &Delay{Minutes: 30, NextModuleID: "reminder", SkipIfInteracted: true}}}},
			{ID: "remind-always", Cards: []Card{{Type: CardDelay, Delay: &Delay{Minutes: 10, NextModuleID: "reminder"}}}},
			{ID: "reminder", Cards: []Card{text("Your cart is waiting.")}},
			{ID: "human", Cards: []Card{text("Let me find a colleague."), {Type: CardLiveAgent, Text: "Connecting you now."}}},
			{ID: "size", Cards: []Card{text("Pick a size"), {Type: CardQuickReply, Text: "Size?", Buttons: []Button{
				{Label: "S", Action: ActionGoToModule, ModuleID: "prices"}, {Label: "M", Action: ActionGoToModule, ModuleID: "prices"},
			}}}},
			{ID: "sub", Cards: []Card{{Type: CardUnsubscribe}, text("You will get no more news."), {Type: CardSubscribe}}},
			{ID: "looping", Cards: []Card{text("again"), {Type: CardCondition, Condition: &Condition{Field: FieldTag, Operator: OpNone, Tags: []string{"x"}, MetModuleID: "looping"}}}},
			{ID: "carousel", Cards: []Card{text("Our picks", Button{Label: "More", Action: ActionGoToModule, ModuleID: "prices"}), {Type: CardCarousel, Items: []CarouselItem{
				{ImageURL: "https://c.example.com/1.png", Title: "Shirt for {{system:customer_name}}", Subtitle: "Cotton", Buttons: []Button{{Label: "Buy", Action: ActionGoToModule, ModuleID: "prices"}, {Label: "Web", Action: ActionOpenURL, URL: "https://shop.example.com/1"}}},
				{ImageURL: "https://c.example.com/2.png", Title: "Hat", Buttons: []Button{{Label: "Buy", Action: ActionGoToModule, ModuleID: "vip"}, {Label: "VIP", Action: ActionAddTags, Tags: []string{"hat"}}}},
			}}}},
		},
	}
}

func texts(msgs []sb.OutboundMessage) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

func step(t *testing.T, e *Engine, b *Bot, s *Session, c *sb.Contact, in Input) *Result {
	t.Helper()
	if in.ChannelKind == "" {
		in.ChannelKind = sb.KindLINE
	}
	res, err := e.Step(context.Background(), b, s, c, in)
	if err != nil {
		t.Fatalf("Step: %v", err)
	}
	return res
}

func start(module string) Input { return Input{Kind: InputStart, BotID: "B1", ModuleID: module} }

func tap(payload string) Input { return Input{Kind: InputPayload, Payload: payload} }

func reply(text string, at time.Time) Input {
	return Input{Kind: InputMessage, Message: &sb.InboundMessage{Kind: sb.MsgText, Text: text}, At: at}
}

func hasLog(res *Result, part string) bool {
	return slices.ContainsFunc(res.Log, func(l string) bool { return strings.Contains(l, part) })
}

func TestButtonMenu(t *testing.T) {
	clk := &testClock{now: t0}
	e := engineAt(clk, nil)
	b := shopBot()
	res := step(t, e, b, newSession(), customer(), start("menu"))
	if got, want := texts(res.Messages), []string{"Hi Mei!"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("texts = %q, want %q", got, want)
	}
	wantButtons := []sb.Button{
		{Label: "Prices", Payload: "bot:B1:menu:0"},
		{Label: "Join VIP", Payload: "bot:B1:menu:1"},
		{Label: "Website", URL: "https://shop.example.com"},
	}
	if got := res.Messages[0].Buttons; !reflect.DeepEqual(got, wantButtons) {
		t.Errorf("buttons = %+v, want %+v", got, wantButtons)
	}
	s := res.Session
	if s.Waiting != WaitButtons || s.BotID != "B1" || s.ModuleID != "menu" || s.BotVersion != 3 {
		t.Errorf("session = %+v, want waiting on menu's buttons", s)
	}
	if !s.ExpiresAt.Equal(t0.Add(DefaultSessionTTL)) {
		t.Errorf("expires at %s, want a day later", s.ExpiresAt)
	}

	tests := []struct {
		name     string
		payload  string
		want     []string
		wantTags []string
	}{
		{"go to module", "bot:B1:menu:0", []string{"Shirts are 500 NTD."}, nil},
		{"add tags then go to module", "bot:B1:menu:1", []string{"Welcome to VIP."}, []string{"vip"}},
		{"a rich-menu postback starts a module", "bot:B1:prices", []string{"Shirts are 500 NTD."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.now = t0.Add(time.Minute)
			r := step(t, e, b, s, customer(), tap(tt.payload))
			if got := texts(r.Messages); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("texts = %q, want %q", got, tt.want)
			}
			if !reflect.DeepEqual(r.Changes.AddTags, tt.wantTags) {
				t.Errorf("tags = %q, want %q", r.Changes.AddTags, tt.wantTags)
			}
			if r.Session.Waiting != WaitNone || r.Session.BotID != "" {
				t.Errorf("session after a module of plain text = %+v, want the flow ended", r.Session)
			}
			if r.Session.Seq != s.Seq+1 {
				t.Errorf("seq = %d, want %d", r.Session.Seq, s.Seq+1)
			}
		})
	}
}

func TestCarouselButtonsAreNumberedAcrossTheModule(t *testing.T) {
	e := engineAt(&testClock{now: t0}, nil)
	res := step(t, e, shopBot(), newSession(), customer(), start("carousel"))
	if len(res.Messages) != 2 {
		t.Fatalf("%d messages, want a text and a carousel", len(res.Messages))
	}
	c := res.Messages[1]
	if c.Kind != sb.MsgCarousel || len(c.Cards) != 2 {
		t.Fatalf("second message = %+v, want a carousel of 2", c)
	}
	if c.Cards[0].Title != "Shirt for Mei" {
		t.Errorf("title = %q, want variables rendered", c.Cards[0].Title)
	}
	got := []sb.Button{res.Messages[0].Buttons[0], c.Cards[0].Buttons[0], c.Cards[0].Buttons[1], c.Cards[1].Buttons[0], c.Cards[1].Buttons[1]}
	want := []sb.Button{
		{Label: "More", Payload: "bot:B1:carousel:0"},
		{Label: "Buy", Payload: "bot:B1:carousel:1"},
		{Label: "Web", URL: "https://shop.example.com/1"},
		{Label: "Buy", Payload: "bot:B1:carousel:3"},
		{Label: "VIP", Payload: "bot:B1:carousel:4"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("buttons = %+v, want %+v", got, want)
	}
	r := step(t, e, shopBot(), res.Session, customer(), tap("bot:B1:carousel:3"))
	if got := texts(r.Messages); !reflect.DeepEqual(got, []string{"VIP price: 400 NTD."}) {
		t.Errorf("tap on the second card's first button = %q", got)
	}
	r = step(t, e, shopBot(), res.Session, customer(), tap("bot:B1:carousel:4"))
	if len(r.Messages) != 0 || !reflect.DeepEqual(r.Changes.AddTags, []string{"hat"}) {
		t.Errorf("tag button = %q, tags %q; want no message and the tag", texts(r.Messages), r.Changes.AddTags)
	}
}

func TestUserInput(t *testing.T) {
	b := shopBot()
	clk := &testClock{now: t0}
	e := engineAt(clk, nil)
	asked := step(t, e, b, newSession(), customer(), start("birthday"))
	if got := texts(asked.Messages); !reflect.DeepEqual(got, []string{"Your birthday?"}) {
		t.Fatalf("texts = %q", got)
	}
	if asked.Session.Waiting != WaitInput || !asked.Session.WaitingSince.Equal(t0) {
		t.Fatalf("session = %+v, want waiting for input since t0", asked.Session)
	}
	tests := []struct {
		name      string
		answer    string
		after     time.Duration
		want      []string
		wantAttr  string
		wantWait  WaitKind
		wantLog   string
		wantSince time.Duration // from t0, when still waiting
	}{
		{"a date within the hour", "1990/05/01", 30 * time.Minute, []string{"Thanks, Mei! Saved 1990-05-01."}, "1990-05-01", WaitNone, "", 0},
		{"exactly an hour later", "1990-05-01", time.Hour, []string{"Thanks, Mei! Saved 1990-05-01."}, "1990-05-01", WaitNone, "", 0},
		{"after more than an hour", "1990-05-01", time.Hour + time.Second, nil, "", WaitNone, "does not advance", 0},
		{"a wrong type is asked again", "next week", 10 * time.Minute, []string{"Please answer with a date, such as 2025-12-31.", "Your birthday?"}, "", WaitInput, "asking again", 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.now = t0.Add(tt.after)
			r := step(t, e, b, asked.Session, customer(), reply(tt.answer, clk.now))
			if got := texts(r.Messages); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("texts = %q, want %q", got, tt.want)
			}
			if got := r.Changes.Attributes["birthday"]; got.Value != tt.wantAttr || (tt.wantAttr != "" && got.Type != sb.AttrDate) {
				t.Errorf("birthday = %+v, want %q (date)", got, tt.wantAttr)
			}
			if r.Session.Waiting != tt.wantWait {
				t.Errorf("waiting = %q, want %q", r.Session.Waiting, tt.wantWait)
			}
			if tt.wantWait != WaitNone && !r.Session.WaitingSince.Equal(t0.Add(tt.wantSince)) {
				t.Errorf("waiting since %s, want %s", r.Session.WaitingSince, t0.Add(tt.wantSince))
			}
			if tt.wantLog != "" && !hasLog(r, tt.wantLog) {
				t.Errorf("log = %q, want a line with %q", r.Log, tt.wantLog)
			}
		})
	}
	// A re-prompt gives the customer another hour.
	clk.now = t0.Add(50 * time.Minute)
	again := step(t, e, b, asked.Session, customer(), reply("soon", clk.now))
	clk.now = t0.Add(100 * time.Minute)
	done := step(t, e, b, again.Session, customer(), reply("1990-05-01", clk.now))
	if got := done.Changes.Attributes["birthday"].Value; got != "1990-05-01" {
		t.Errorf("answer 50 minutes after the re-prompt: birthday = %q, want saved", got)
	}
}

func TestUserInputAcceptsAnyReplyForText(t *testing.T) {
	b := shopBot()
	b.Modules[3].Cards[0].Input = &UserInput{Attribute: "photo", NextModuleID: "prices"}
	e := engineAt(&testClock{now: t0}, nil)
	asked := step(t, e, b, newSession(), customer(), start("birthday"))
	r := step(t, e, b, asked.Session, customer(), Input{Kind: InputMessage, Message: &sb.InboundMessage{Kind: sb.MsgImage, MediaURL: "https://cdn.example.com/p.jpg"}})
	if got := r.Changes.Attributes["photo"]; got.Value != "https://cdn.example.com/p.jpg" || got.Type != sb.AttrText {
		t.Errorf("photo = %+v, want the image URL as text", got)
	}
	if got := texts(r.Messages); !reflect.DeepEqual(got, []string{"Shirts are 500 NTD."}) {
		t.Errorf("texts = %q, want the next module", got)
	}
}

func TestCondition(t *testing.T) {
	e := engineAt(&testClock{now: t0}, nil)
	vip := customer()
	vip.Tags = map[string]sb.TagCount{"vip": {Count: 1}}
	tests := []struct {
		name    string
		contact *sb.Contact
		want    []string
	}{
		{"met", vip, []string{"VIP price: 400 NTD."}},
		{"not met", customer(), []string{"Price: 500 NTD."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := step(t, e, shopBot(), newSession(), tt.contact, start("check"))
			if got := texts(r.Messages); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("texts = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("a tag added in the same step counts", func(t *testing.T) {
		b := shopBot()
		b.Modules[2].Cards = []Card{{Type: CardText, Text: "Welcome to VIP."}, {Type: CardCondition, Condition: &Condition{Field: FieldTag, Operator: OpAny, Tags: []string{"vip"}, MetModuleID: "vip"}}}
		r := step(t, e, b, newSession(), customer(), tap("bot:B1:menu:1"))
		if got := texts(r.Messages); !reflect.DeepEqual(got, []string{"Welcome to VIP.", "VIP price: 400 NTD."}) {
			t.Errorf("texts = %q", got)
		}
	})
	t.Run("a branch without a module ends the flow", func(t *testing.T) {
		b := shopBot()
		b.Modules[5].Cards[0].Condition.NotMetModuleID = ""
		r := step(t, e, b, newSession(), customer(), start("check"))
		if len(r.Messages) != 0 || !hasLog(r, "no module for that branch") {
			t.Errorf("texts = %q, log %q", texts(r.Messages), r.Log)
		}
	})
}

// apiBot is a bot whose "order" module calls endpoint.
func apiBot(endpoint string) *Bot {
	b := shopBot()
	b.Modules = append(b.Modules,
		Module{ID: "order", Cards: []Card{{Type: CardAPICall, API: &APICall{
			Method: "POST", Endpoint: endpoint + "/orders?phone={{system:phone}}",
			Headers:         map[string]string{"Authorization": "Bearer {{custom:token}}"},
			Payload:         `{"name":"{{system:customer_name}}","member":"{{system:member_id}}"}`,
			SuccessModuleID: "prices", FailureModuleID: "regular",
		}}, {Type: CardText, Text: "never reached"}}},
		Module{ID: "order-continue", Cards: []Card{{Type: CardAPICall, API: &APICall{Endpoint: endpoint + "/status"}}, {Type: CardText, Text: "after the call"}}},
	)
	return b
}

func TestAPICall(t *testing.T) {
	type seen struct {
		path, query, auth, ctype string
		body                     map[string]string
	}
	var got seen
	srv, hits := endpoint(t, func(w http.ResponseWriter, r *http.Request) {
		got = seen{path: r.URL.Path, query: r.URL.RawQuery, auth: r.Header.Get("Authorization"), ctype: r.Header.Get("Content-Type")}
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &got.body)
		switch r.URL.Path {
		case "/orders":
			_, _ = w.Write([]byte(`{"messages":[{"kind":"text","text":"Order 12 ships today"},{"kind":"image","mediaUrl":"https://cdn.example.com/box.png"}]}`))
		case "/status":
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	c := customer()
	c.NativeName = `Mei "the" Lin`
	c.MemberID = "M-7"
	c.Phone = "0912 345&x"
	c.Attributes = map[string]sb.AttributeValue{"token": {Value: "t0k"}}

	e := engineAt(&testClock{now: t0}, NewHTTPCaller(HTTPCallerOptions{AllowLoopback: true}))
	r := step(t, e, apiBot(srv.URL), newSession(), c, start("order"))
	if want := []string{"Order 12 ships today", "", "Shirts are 500 NTD."}; !reflect.DeepEqual(texts(r.Messages), want) {
		t.Errorf("texts = %q, want the answer then the success module %q", texts(r.Messages), want)
	}
	if r.Messages[1].Kind != sb.MsgImage || r.Messages[1].MediaURL != "https://cdn.example.com/box.png" {
		t.Errorf("second message = %+v, want the image of the answer", r.Messages[1])
	}
	want := seen{path: "/orders", query: "phone=0912%20345%26x", auth: "Bearer t0k", ctype: "application/json",
		body: map[string]string{"name": `Mei "the" Lin`, "member": "M-7"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("request = %+v, want %+v", got, want)
	}
	if r.Session.Vars["api_status"] != "200" {
		t.Errorf("vars = %v, want api_status 200", r.Session.Vars)
	}

	t.Run("failure takes the failure path, else the next card", func(t *testing.T) {
		r := step(t, e, apiBot(srv.URL), newSession(), c, start("order-continue"))
		if want := []string{"after the call"}; !reflect.DeepEqual(texts(r.Messages), want) {
			t.Errorf("texts = %q, want %q", texts(r.Messages), want)
		}
		if !hasLog(r, "HTTP 500") {
			t.Errorf("log = %q, want the status", r.Log)
		}
	})
	t.Run("without the loopback switch the call is refused", func(t *testing.T) {
		before := hits.Load()
		e := engineAt(&testClock{now: t0}, NewHTTPCaller(HTTPCallerOptions{}))
		r := step(t, e, apiBot(srv.URL), newSession(), c, start("order"))
		if want := []string{"Price: 500 NTD."}; !reflect.DeepEqual(texts(r.Messages), want) {
			t.Errorf("texts = %q, want the failure module %q", texts(r.Messages), want)
		}
		if hits.Load() != before {
			t.Errorf("the endpoint was reached")
		}
	})
	for _, target := range []string{"http://127.0.0.1:1", "http://10.0.0.1", "http://169.254.169.254", "http://[::1]:1"} {
		t.Run("refused "+target, func(t *testing.T) {
			// A definition that skipped validation is still refused when run.
			e := engineAt(&testClock{now: t0}, NewHTTPCaller(HTTPCallerOptions{}))
			r := step(t, e, apiBot(target), newSession(), c, start("order"))
			if want := []string{"Price: 500 NTD."}; !reflect.DeepEqual(texts(r.Messages), want) {
				t.Errorf("texts = %q, want the failure module", texts(r.Messages))
			}
			if !hasLog(r, "may not reach") {
				t.Errorf("log = %q, want the refusal", r.Log)
			}
		})
	}
	t.Run("a variable cannot move the host", func(t *testing.T) {
		b := apiBot(srv.URL)
		b.Modules[len(b.Modules)-2].Cards[0].API.Endpoint = "http://api.example.com{{custom:token}}/x"
		c := customer()
		c.Attributes = map[string]sb.AttributeValue{"token": {Value: "@10.0.0.1"}}
		r := step(t, e, b, newSession(), c, start("order"))
		if !hasLog(r, "rendered endpoint") || !reflect.DeepEqual(texts(r.Messages), []string{"Price: 500 NTD."}) {
			t.Errorf("texts %q, log %q; want the call refused and the failure module", texts(r.Messages), r.Log)
		}
	})
	t.Run("no caller", func(t *testing.T) {
		r := step(t, engineAt(&testClock{now: t0}, nil), apiBot(srv.URL), newSession(), c, start("order"))
		if want := []string{"Price: 500 NTD."}; !reflect.DeepEqual(texts(r.Messages), want) {
			t.Errorf("texts = %q", texts(r.Messages))
		}
	})
}

func TestDelay(t *testing.T) {
	b := shopBot()
	clk := &testClock{now: t0}
	e := engineAt(clk, nil)
	armed := step(t, e, b, newSession(), customer(), start("remind"))
	if got := texts(armed.Messages); !reflect.DeepEqual(got, []string{"We will remind you."}) {
		t.Fatalf("texts = %q", got)
	}
	d := armed.Delay
	if d == nil || !d.DueAt.Equal(t0.Add(30*time.Minute)) || d.ModuleID != "reminder" || d.BotID != "B1" || d.Seq != armed.Session.Seq {
		t.Fatalf("delay = %+v, want reminder in 30 minutes at seq %d", d, armed.Session.Seq)
	}
	if armed.Session.Delay == nil || armed.Session.BotID != "" {
		t.Fatalf("session = %+v, want the flow ended with the delay pending", armed.Session)
	}
	fire := Input{Kind: InputDelay, DelaySeq: d.Seq}
	lastWrote := func(at time.Time) *sb.Contact { c := customer(); c.LastCustomerInteractionAt = at; return c }

	tests := []struct {
		name    string
		bot     func() *Bot
		module  string
		session func() *Session
		contact *sb.Contact
		kind    sb.ChannelKind
		seq     int64
		want    []string
		wantLog string
	}{
		{"fires", shopBot, "remind", nil, customer(), sb.KindLINE, 0, []string{"Your cart is waiting."}, ""},
		{"stale timer", shopBot, "remind", nil, customer(), sb.KindLINE, -1, nil, "stale"},
		{"skipped after the customer wrote", shopBot, "remind", nil, lastWrote(t0.Add(5 * time.Minute)), sb.KindLINE, 0, nil, "skipped"},
		{"skipped after a tap on the bot", shopBot, "remind", func() *Session {
			s := armed.Session.Clone()
			s.LastInteractionAt = t0.Add(time.Minute)
			return s
		}, customer(), sb.KindLINE, 0, nil, "skipped"},
		{"not skipped when the card says so", shopBot, "remind-always", nil, lastWrote(t0.Add(5 * time.Minute)), sb.KindLINE, 0, []string{"Your cart is waiting."}, ""},
		{"Messenger within 24 hours", shopBot, "remind-always", nil, lastWrote(t0.Add(-23 * time.Hour)), sb.KindMessenger, 0, []string{"Your cart is waiting."}, ""},
		{"Messenger after 24 hours is dropped", shopBot, "remind-always", nil, lastWrote(t0.Add(-25 * time.Hour)), sb.KindMessenger, 0, nil, "cannot send after 24 hours"},
		{"LINE after 24 hours", shopBot, "remind-always", nil, lastWrote(t0.Add(-25 * time.Hour)), sb.KindLINE, 0, []string{"Your cart is waiting."}, ""},
		{"the module was deleted", func() *Bot { b := shopBot(); b.Modules[10].ID = "renamed"; return b }, "remind", nil, customer(), sb.KindLINE, 0, nil, "no longer exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.now = t0
			armed := step(t, e, shopBot(), newSession(), customer(), start(tt.module))
			s := armed.Session
			if tt.session != nil {
				s = tt.session()
			}
			in := Input{Kind: InputDelay, DelaySeq: armed.Delay.Seq + tt.seq, ChannelKind: tt.kind}
			clk.now = t0.Add(31 * time.Minute)
			r := step(t, e, tt.bot(), s, tt.contact, in)
			if got := texts(r.Messages); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("texts = %q, want %q", got, tt.want)
			}
			if tt.wantLog != "" && !hasLog(r, tt.wantLog) {
				t.Errorf("log = %q, want a line with %q", r.Log, tt.wantLog)
			}
			if tt.seq == 0 && r.Session.Delay != nil {
				t.Errorf("the delay is still pending after it fired")
			}
		})
	}
	_ = fire
	t.Run("a later tap keeps the delay", func(t *testing.T) {
		clk.now = t0.Add(time.Minute)
		r := step(t, e, b, armed.Session, customer(), tap("bot:B1:menu:0"))
		if r.Session.Delay == nil || r.Session.Delay.Seq != d.Seq {
			t.Errorf("delay = %+v, want it kept", r.Session.Delay)
		}
	})
	t.Run("the session outlives a long delay", func(t *testing.T) {
		b := shopBot()
		b.Modules[8].Cards[1].Delay.Minutes = 3 * 24 * 60
		clk.now = t0
		r := step(t, e, b, newSession(), customer(), start("remind"))
		if want := t0.Add(72*time.Hour + time.Hour); !r.Session.ExpiresAt.Equal(want) {
			t.Errorf("expires at %s, want %s", r.Session.ExpiresAt, want)
		}
	})
}

func TestLiveAgent(t *testing.T) {
	e := engineAt(&testClock{now: t0}, nil)
	r := step(t, e, shopBot(), newSession(), customer(), start("human"))
	if got := texts(r.Messages); !reflect.DeepEqual(got, []string{"Let me find a colleague.", "Connecting you now."}) {
		t.Errorf("texts = %q", got)
	}
	if !r.HandToHuman {
		t.Error("HandToHuman = false, want true")
	}
	if r.Session.BotID != "" || r.Session.Waiting != WaitNone {
		t.Errorf("session = %+v, want the flow ended", r.Session)
	}
}

func TestStalePostback(t *testing.T) {
	e := engineAt(&testClock{now: t0}, nil)
	waiting := step(t, e, shopBot(), newSession(), customer(), start("birthday")).Session
	tests := []struct {
		name    string
		bot     *Bot
		payload string
		wantLog string
	}{
		{"not a bot payload", shopBot(), "PROMO_2024", "not a bot payload"},
		{"a deleted bot", nil, "bot:B9:menu:0", "bot B9, which does not exist"},
		{"another bot's payload", shopBot(), "bot:B9:menu:0", "which does not exist"},
		{"a deleted module", shopBot(), "bot:B1:gone:0", "no longer has"},
		{"a deleted button", shopBot(), "bot:B1:menu:7", "fewer buttons"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := step(t, e, tt.bot, waiting, customer(), tap(tt.payload))
			if !r.Fallback || len(r.Messages) != 1 || r.Messages[0].Text != DefaultFallbackText {
				t.Errorf("messages = %q, fallback %t; want the fallback text", texts(r.Messages), r.Fallback)
			}
			if r.Session.Waiting != WaitNone || r.Session.BotID != "" {
				t.Errorf("session = %+v, want it reset", r.Session)
			}
			if !hasLog(r, tt.wantLog) {
				t.Errorf("log = %q, want a line with %q", r.Log, tt.wantLog)
			}
		})
	}
	t.Run("a configured fallback", func(t *testing.T) {
		e := &Engine{Clock: (&testClock{now: t0}).Now, FallbackText: "請重新選擇"}
		r := step(t, e, nil, newSession(), customer(), tap("bot:B9:m"))
		if got := texts(r.Messages); !reflect.DeepEqual(got, []string{"請重新選擇"}) {
			t.Errorf("texts = %q", got)
		}
	})
}

func TestLoopLimit(t *testing.T) {
	e := engineAt(&testClock{now: t0}, nil)
	r := step(t, e, shopBot(), newSession(), customer(), start("looping"))
	if !hasLog(r, "step limit") {
		t.Fatalf("log = %q, want the step limit", r.Log)
	}
	if n := len(r.Messages); n == 0 || n > DefaultMaxMessages {
		t.Errorf("%d messages, want some and at most %d", n, DefaultMaxMessages)
	}
	if r.Session.BotID != "" {
		t.Errorf("session = %+v, want the flow ended", r.Session)
	}
	e.MaxSteps = 4
	r = step(t, e, shopBot(), newSession(), customer(), start("looping"))
	if got := len(r.Messages); got != 2 {
		t.Errorf("with 4 steps: %d messages, want 2 (text, condition, text, condition)", got)
	}
	e.MaxSteps, e.MaxMessages = 100, 3
	r = step(t, e, shopBot(), newSession(), customer(), start("looping"))
	if got := len(r.Messages); got != 3 || !hasLog(r, "message limit") {
		t.Errorf("with 3 messages: %d messages, log %q", got, r.Log)
	}
}

func TestQuickReply(t *testing.T) {
	e := engineAt(&testClock{now: t0}, nil)
	r := step(t, e, shopBot(), newSession(), customer(), start("size"))
	if len(r.Messages) != 2 || len(r.Messages[1].QuickReplies) != 2 || r.Messages[1].QuickReplies[1].Payload != "bot:B1:size:1" {
		t.Fatalf("messages = %+v, want a text then the question with 2 chips", r.Messages)
	}
	if r.Session.Waiting != WaitQuickReply || r.Session.CardIndex != 1 {
		t.Fatalf("session = %+v, want waiting on card 2", r.Session)
	}
	tapped := step(t, e, shopBot(), r.Session, customer(), Input{Kind: InputPayload, Payload: "bot:B1:size:1"})
	if got := texts(tapped.Messages); !reflect.DeepEqual(got, []string{"Shirts are 500 NTD."}) {
		t.Errorf("tap: texts = %q", got)
	}
	typed := step(t, e, shopBot(), r.Session, customer(), reply("large please", t0))
	if len(typed.Messages) != 0 || typed.Session.Waiting != WaitNone || !hasLog(typed, "free reply ends") {
		t.Errorf("free text: messages %q, session %+v, log %q", texts(typed.Messages), typed.Session, typed.Log)
	}
}

func TestNewTriggerReplacesWaitingSession(t *testing.T) {
	e := engineAt(&testClock{now: t0}, nil)
	waiting := step(t, e, shopBot(), newSession(), customer(), start("birthday")).Session
	r := step(t, e, shopBot(), waiting, customer(), start("size"))
	if r.Session.ModuleID != "size" || r.Session.Waiting != WaitQuickReply {
		t.Errorf("session = %+v, want the new module's wait", r.Session)
	}
	// The answer to the old question is now a free reply to a quick reply.
	a := step(t, e, shopBot(), r.Session, customer(), reply("1990-05-01", t0))
	if len(a.Changes.Attributes) != 0 {
		t.Errorf("the old question's answer was saved: %v", a.Changes.Attributes)
	}
}

func TestSessionExpiry(t *testing.T) {
	clk := &testClock{now: t0}
	e := engineAt(clk, nil)
	b := shopBot()
	b.Modules[3].Cards[0].Input = nil
	waiting := step(t, e, b, newSession(), customer(), start("birthday")).Session
	clk.now = t0.Add(DefaultSessionTTL + time.Minute)
	r := step(t, e, b, waiting, customer(), reply("hello", clk.now))
	if len(r.Messages) != 0 || !hasLog(r, "expired") || r.Session.Waiting != WaitNone {
		t.Errorf("messages %q, session %+v, log %q; want nothing answered", texts(r.Messages), r.Session, r.Log)
	}
	if waiting.WaitingFor(t0) != WaitInput || waiting.WaitingFor(clk.now) != WaitNone {
		t.Errorf("WaitingFor: %q before, %q after expiry", waiting.WaitingFor(t0), waiting.WaitingFor(clk.now))
	}
}

func TestSubscription(t *testing.T) {
	e := engineAt(&testClock{now: t0}, nil)
	r := step(t, e, shopBot(), newSession(), customer(), start("sub"))
	if r.Changes.Subscribed == nil || !*r.Changes.Subscribed {
		t.Errorf("subscribed = %v, want true (the last card wins)", r.Changes.Subscribed)
	}
	b := shopBot()
	b.Modules[13].Cards = b.Modules[13].Cards[:2]
	r = step(t, e, b, newSession(), customer(), start("sub"))
	if r.Changes.Subscribed == nil || *r.Changes.Subscribed {
		t.Errorf("subscribed = %v, want false", r.Changes.Subscribed)
	}
	c := customer()
	c.Subscribed = true
	if err := r.Changes.Apply(c, t0); err != nil || c.Subscribed || !c.SubscriptionChangedAt.Equal(t0) {
		t.Errorf("Apply: %v, contact %+v", err, c)
	}
}

func TestBotNotPublishedOnTheChannel(t *testing.T) {
	e := engineAt(&testClock{now: t0}, nil)
	r := step(t, e, shopBot(), newSession(), customer(), Input{Kind: InputStart, BotID: "B1", ModuleID: "menu", ChannelKind: sb.KindWhatsApp})
	if len(r.Messages) != 0 || !hasLog(r, "not published on whatsapp") {
		t.Errorf("messages %q, log %q", texts(r.Messages), r.Log)
	}
}

func TestTextsAreFittedToTheChannel(t *testing.T) {
	b := shopBot()
	b.Modules[1].Cards[0].Text = "{{custom:long}}"
	c := customer()
	c.Attributes = map[string]sb.AttributeValue{"long": {Value: strings.Repeat("長", 3000)}}
	e := engineAt(&testClock{now: t0}, nil)
	r := step(t, e, b, newSession(), c, Input{Kind: InputStart, BotID: "B1", ModuleID: "prices", ChannelKind: sb.KindMessenger})
	if n := len([]rune(r.Messages[0].Text)); n != 2000 {
		t.Errorf("Messenger text of %d characters, want clipped to 2000", n)
	}
	b.Modules[1].Cards[0].Text = "{{custom:none}}"
	r = step(t, e, b, newSession(), c, start("prices"))
	if len(r.Messages) != 0 || !hasLog(r, "renders empty") {
		t.Errorf("an empty text was sent: %q", texts(r.Messages))
	}
}

func TestStepLeavesItsInputsAlone(t *testing.T) {
	e := engineAt(&testClock{now: t0}, nil)
	s := step(t, e, shopBot(), newSession(), customer(), start("birthday")).Session
	before := s.Clone()
	c := customer()
	c.Tags = map[string]sb.TagCount{"old": {Count: 1}}
	cBefore := *c
	step(t, e, shopBot(), s, c, reply("1990-05-01", t0))
	step(t, e, shopBot(), s, c, tap("bot:B1:menu:1"))
	if !reflect.DeepEqual(s, before) {
		t.Errorf("session changed: %+v, was %+v", s, before)
	}
	if len(c.Tags) != 1 || len(c.Attributes) != 0 || !reflect.DeepEqual(c.Tags, cBefore.Tags) {
		t.Errorf("contact changed: %+v", c)
	}
}

func TestStepNeedsSessionAndContact(t *testing.T) {
	e := engineAt(&testClock{now: t0}, nil)
	if _, err := e.Step(context.Background(), shopBot(), nil, customer(), start("menu")); err == nil {
		t.Error("Step(nil session) = nil error")
	}
	if _, err := e.Step(context.Background(), shopBot(), newSession(), customer(), Input{Kind: "poke"}); sb.ErrorCode(err) != sb.EInvalid {
		t.Errorf("unknown input: %v, want %s", err, sb.EInvalid)
	}
}

// BenchmarkStep measures the CPU of a typical step: a button tap that runs a
// module of a text with buttons and a carousel, variables rendered.
func BenchmarkStep(b *testing.B) {
	e := &Engine{Clock: func() time.Time { return t0 }}
	bt := shopBot()
	s := newSession()
	c := customer()
	in := Input{Kind: InputPayload, Payload: "bot:B1:carousel", ChannelKind: sb.KindLINE}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Step(ctx, bt, s, c, in); err != nil {
			b.Fatal(err)
		}
	}
}
