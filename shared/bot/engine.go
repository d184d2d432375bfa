package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Defaults of the engine's bounds.
const (
	// DefaultMaxSteps bounds the cards one customer action runs, jumps
	// between modules included (each card reached counts): a bot whose
	// buttons or conditions loop stops there, with a log line.
	DefaultMaxSteps = 25
	// DefaultMaxMessages bounds the messages one action sends: four sends of
	// five on LINE.
	DefaultMaxMessages = 20
	// DefaultFallbackText answers a tap on a button the bot no longer has.
	DefaultFallbackText = "Sorry, that option is no longer available. Please send us a message and we will help you."
)

// TagByBot is the source of tags a bot's buttons apply, for the tagging log.
const TagByBot switchboard.TagSource = "bot"

// InputKind is what a customer (or a timer) did that the bot answers.
type InputKind string

// Input kinds.
const (
	// InputStart runs a module from its first card: a keyword rule's module,
	// an m.me ref, a welcome.
	InputStart InputKind = "start"
	// InputPayload is a tap on a button, quick reply or rich-menu item that
	// carries a bot payload (Payload).
	InputPayload InputKind = "payload"
	// InputMessage is a free reply (text, image, video, sticker) to the card
	// the session waits on.
	InputMessage InputKind = "message"
	// InputDelay is a delay card's timer firing.
	InputDelay InputKind = "delay"
)

// Input is one thing for the bot to answer.
type Input struct {
	Kind InputKind
	// BotID and ModuleID name the module an InputStart runs.
	BotID    string
	ModuleID string
	// Payload is an InputPayload's payload, as the platform sent it back.
	Payload string
	// Message is an InputMessage's message.
	Message *switchboard.InboundMessage
	// DelaySeq is the Seq an InputDelay's timer was armed at.
	DelaySeq int64
	// ChannelKind is the kind of the conversation's channel: texts are fitted
	// to its limits and the 24-hour windows checked for it.
	ChannelKind switchboard.ChannelKind
	// At is when the customer acted (the event's time); zero means now.
	At time.Time
	// Location reads date-times without a zone in answers; nil means UTC.
	Location *time.Location
}

// ContactChanges are what a step changes on the contact.
type ContactChanges struct {
	// AddTags are tags to apply (each counts once more, 004).
	AddTags []string
	// Attributes are custom attributes to set.
	Attributes map[string]switchboard.AttributeValue
	// Subscribed, when set, is the new subscription status.
	Subscribed *bool
}

// Empty reports whether there is nothing to change.
func (c ContactChanges) Empty() bool {
	return len(c.AddTags) == 0 && len(c.Attributes) == 0 && c.Subscribed == nil
}

// Apply makes the changes on a contact at now.
func (c ContactChanges) Apply(ct *switchboard.Contact, now time.Time) error {
	for _, t := range c.AddTags {
		if err := ct.AddTag(t, now); err != nil {
			return err
		}
	}
	if len(c.Attributes) > 0 && ct.Attributes == nil {
		ct.Attributes = map[string]switchboard.AttributeValue{}
	}
	for k, v := range c.Attributes {
		ct.Attributes[k] = v
	}
	if c.Subscribed != nil && ct.Subscribed != *c.Subscribed {
		ct.Subscribed, ct.SubscriptionChangedAt = *c.Subscribed, now
	}
	return nil
}

// DelayRequest asks for a timer: at DueAt, run ModuleID of BotID unless the
// session's delay has changed since (Seq).
type DelayRequest struct {
	BotID    string
	ModuleID string
	Seq      int64
	DueAt    time.Time
}

// Result is what one step decided.
type Result struct {
	// Messages go to the customer, in order.
	Messages    []switchboard.OutboundMessage
	Changes     ContactChanges
	HandToHuman bool
	Delay       *DelayRequest
	// Session is the session after the step; its Version is still the one
	// read, for the conditional write.
	Session *Session
	// Fallback reports that the input named nothing the bot has (a stale or
	// foreign payload), answered with the fallback text.
	Fallback bool
	// Log explains the step's decisions that are not visible in Messages
	// (loops, dropped delays, ignored replies), one line each.
	Log []string
}

// Engine runs bots. The zero value works with the defaults, the real clock
// and no API calls (API call cards then take their failure path).
type Engine struct {
	Clock switchboard.Clock
	// API makes API call cards' requests; HTTPCaller in production.
	API          APICaller
	MaxSteps     int
	MaxMessages  int
	SessionTTL   time.Duration
	InputWindow  time.Duration
	FallbackText string
}

func (e *Engine) now() time.Time {
	if e.Clock == nil {
		return time.Now()
	}
	return e.Clock()
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Step answers one input. b is the bot the input concerns, as the caller
// loaded it (nil when it does not exist: a payload of a deleted bot); s is the
// conversation's session (a new one has only its team and conversation); c
// is the contact. Nothing passed in is modified. The error is for a context
// that ended during an API call, when the step should be run again later;
// everything else the bot cannot do is answered, logged or both.
func (e *Engine) Step(ctx context.Context, b *Bot, s *Session, c *switchboard.Contact, in Input) (*Result, error) {
	if s == nil || c == nil {
		return nil, switchboard.Errorf(switchboard.EInternal, "a bot step needs a session and a contact")
	}
	now := e.now().UTC()
	at := in.At
	if at.IsZero() || at.After(now) {
		at = now
	}
	sess := s.Clone()
	r := &run{e: e, b: b, sess: sess, now: now, kind: in.ChannelKind, res: &Result{Session: sess}, contact: cloneContact(c)}
	if sess.BotID != "" && !sess.Active(now) {
		r.logf("session of bot %s expired at %s; starting afresh", sess.BotID, sess.ExpiresAt.Format(time.RFC3339))
		sess.endFlow()
	}
	sess.Seq++
	if in.Kind != InputDelay {
		sess.LastInteractionAt = at
	}
	var err error
	switch in.Kind {
	case InputStart:
		err = r.start(ctx, in)
	case InputPayload:
		err = r.payload(ctx, in.Payload)
	case InputMessage:
		err = r.message(ctx, in, at)
	case InputDelay:
		err = r.delayFired(ctx, in, c)
	default:
		return nil, switchboard.Errorf(switchboard.EInvalid, "unknown bot input %q", in.Kind)
	}
	if err != nil {
		return nil, err
	}
	r.finish()
	return r.res, nil
}

// run is one step in progress.
type run struct {
	e       *Engine
	b       *Bot
	sess    *Session
	res     *Result
	contact *switchboard.Contact
	kind    switchboard.ChannelKind
	now     time.Time
	steps   int
}

func (r *run) logf(format string, args ...any) {
	r.res.Log = append(r.res.Log, fmt.Sprintf(format, args...))
}

// fallback answers an input that names nothing the bot has.
func (r *run) fallback(reason string) {
	r.logf("%s; answered with the fallback text", reason)
	r.res.Fallback = true
	r.res.Messages = append(r.res.Messages, switchboard.OutboundMessage{Kind: switchboard.MsgText, Text: or(r.e.FallbackText, DefaultFallbackText)})
	r.sess.endFlow()
}

// servable refuses a bot that is not published on the conversation's
// channel kind: its cards were only checked for its own kinds.
func (r *run) servable() bool {
	if r.kind != "" && !r.b.Serves(r.kind) {
		r.logf("bot %s is not published on %s channels; nothing sent", r.b.ID, r.kind)
		r.sess.endFlow()
		return false
	}
	return true
}

func (r *run) start(ctx context.Context, in Input) error {
	if r.b == nil || r.b.ID != in.BotID || r.b.Module(in.ModuleID) == nil {
		r.logf("module %s of bot %s does not exist; nothing sent", in.ModuleID, in.BotID)
		r.sess.endFlow()
		return nil
	}
	if !r.servable() {
		return nil
	}
	r.sess.endFlow()
	return r.runModule(ctx, in.ModuleID)
}

func (r *run) payload(ctx context.Context, payload string) error {
	ref, ok := ParsePayload(payload)
	switch {
	case !ok:
		r.fallback(fmt.Sprintf("payload %q is not a bot payload", clipRunes(payload, 80)))
		return nil
	case r.b == nil || r.b.ID != ref.BotID:
		r.fallback(fmt.Sprintf("payload names bot %s, which does not exist", ref.BotID))
		return nil
	}
	m := r.b.Module(ref.ModuleID)
	if m == nil {
		r.fallback(fmt.Sprintf("payload names module %s, which bot %s no longer has", ref.ModuleID, ref.BotID))
		return nil
	}
	if !r.servable() {
		return nil
	}
	// A tap is a new trigger: it replaces whatever the session waited for.
	r.sess.endFlow()
	if ref.Button < 0 {
		return r.runModule(ctx, m.ID)
	}
	btn, ok := m.buttonAt(ref.Button)
	if !ok {
		r.fallback(fmt.Sprintf("payload names button %d of module %s, which has fewer buttons now", ref.Button, m.ID))
		return nil
	}
	switch btn.Action {
	case ActionGoToModule:
		return r.runModule(ctx, btn.ModuleID)
	case ActionAddTags:
		r.addTags(btn.Tags)
		if btn.ModuleID != "" {
			return r.runModule(ctx, btn.ModuleID)
		}
	default:
		r.logf("button %d of module %s (%s) does nothing when tapped", ref.Button, m.ID, btn.Action)
	}
	return nil
}

func (r *run) addTags(tags []string) {
	for _, t := range tags {
		if !slices.Contains(r.res.Changes.AddTags, t) {
			r.res.Changes.AddTags = append(r.res.Changes.AddTags, t)
		}
		if err := r.contact.AddTag(t, r.now); err != nil {
			r.logf("tag %q not added: %s", t, switchboard.ErrorMessage(err))
			r.res.Changes.AddTags = slices.DeleteFunc(r.res.Changes.AddTags, func(x string) bool { return x == t })
		}
	}
}

func (r *run) message(ctx context.Context, in Input, at time.Time) error {
	s := r.sess
	if s.Waiting == WaitNone || s.BotID == "" {
		r.logf("a reply arrived but no bot card waits for one")
		return nil
	}
	if r.b == nil || r.b.ID != s.BotID {
		r.logf("bot %s of the session no longer exists; the flow ends", s.BotID)
		s.endFlow()
		return nil
	}
	m := r.b.Module(s.ModuleID)
	var card *Card
	if m != nil && s.CardIndex >= 0 && s.CardIndex < len(m.Cards) {
		card = &m.Cards[s.CardIndex]
	}
	if card == nil || string(card.Type) != string(s.Waiting) && !(s.Waiting == WaitButtons && card.Type == CardText) {
		r.logf("the card the session waited on (module %s, card %d) changed; the flow ends", s.ModuleID, s.CardIndex+1)
		s.endFlow()
		return nil
	}
	if s.Waiting != WaitInput {
		r.logf("a free reply ends the wait for a %s tap", s.Waiting)
		s.endFlow()
		return nil
	}
	window := or(r.e.InputWindow, DefaultInputWindow)
	if waited := at.Sub(s.WaitingSince); waited > window {
		r.logf("the reply came %s after the question; a reply after more than %s does not advance the flow", waited.Round(time.Second), window)
		s.endFlow()
		return nil
	}
	var cfg UserInput
	if card.Input != nil {
		cfg = *card.Input
	}
	typ := or(cfg.Type, switchboard.AttrText)
	val, ok := ParseAnswer(typ, in.Message, in.Location)
	if !ok {
		r.logf("the reply is not %s; asking again", expected(typ))
		prompt := cfg.InvalidText
		if prompt == "" {
			prompt = "Please answer with " + expected(typ) + "."
		}
		r.steps++
		r.send(switchboard.OutboundMessage{Kind: switchboard.MsgText, Text: r.fit(Render(prompt, r.contact), false)})
		r.send(switchboard.OutboundMessage{Kind: switchboard.MsgText, Text: r.fit(Render(card.Text, r.contact), false)})
		s.WaitingSince = at
		return nil
	}
	if cfg.Attribute != "" && val != "" {
		av := switchboard.AttributeValue{Type: typ, Value: val}
		if r.res.Changes.Attributes == nil {
			r.res.Changes.Attributes = map[string]switchboard.AttributeValue{}
		}
		r.res.Changes.Attributes[cfg.Attribute] = av
		if r.contact.Attributes == nil {
			r.contact.Attributes = map[string]switchboard.AttributeValue{}
		}
		r.contact.Attributes[cfg.Attribute] = av
	}
	r.setVar("last_answer", val)
	s.endFlow()
	if cfg.NextModuleID != "" {
		return r.runModule(ctx, cfg.NextModuleID)
	}
	return nil
}

// windowKinds cannot send after 24 hours without a customer message
// (001:L3860).
var windowKinds = []switchboard.ChannelKind{switchboard.KindMessenger, switchboard.KindInstagram, switchboard.KindWhatsApp}

func (r *run) delayFired(ctx context.Context, in Input, c *switchboard.Contact) error {
	d := r.sess.Delay
	if d == nil || d.Seq != in.DelaySeq {
		r.logf("delay timer of step %d is stale (the session's delay changed); nothing sent", in.DelaySeq)
		return nil
	}
	r.sess.Delay = nil
	if d.SkipIfInteracted && (r.sess.LastInteractionAt.After(d.ArmedAt) || c.LastCustomerInteractionAt.After(d.ArmedAt)) {
		r.logf("the customer interacted during the delay; module %s skipped as the card says", d.ModuleID)
		return nil
	}
	if slices.Contains(windowKinds, r.kind) {
		last := c.LastCustomerInteractionAt
		if last.IsZero() || r.now.Sub(last) >= switchboard.StandardWindow {
			ago := "never"
			if !last.IsZero() {
				ago = r.now.Sub(last).Round(time.Minute).String() + " ago"
			}
			r.logf("delayed module %s dropped: the customer last wrote %s and %s cannot send after 24 hours without a customer message", d.ModuleID, ago, kindName(r.kind))
			return nil
		}
	}
	if r.b == nil || r.b.ID != d.BotID || r.b.Module(d.ModuleID) == nil {
		r.logf("delayed module %s of bot %s no longer exists; nothing sent", d.ModuleID, d.BotID)
		return nil
	}
	if !r.servable() {
		return nil
	}
	r.sess.endFlow()
	return r.runModule(ctx, d.ModuleID)
}

// runModule runs modules from moduleID, following jumps, until a card waits,
// the flow ends, or a bound is reached.
func (r *run) runModule(ctx context.Context, moduleID string) error {
	maxSteps := or(r.e.MaxSteps, DefaultMaxSteps)
	next := moduleID
	for next != "" {
		m := r.b.Module(next)
		if m == nil {
			r.logf("module %s does not exist; the flow ends", next)
			r.sess.endFlow()
			return nil
		}
		next = ""
		r.sess.BotID, r.sess.BotVersion, r.sess.ModuleID = r.b.ID, r.b.Version, m.ID
		r.sess.CardIndex, r.sess.Waiting, r.sess.WaitingSince = 0, WaitNone, time.Time{}
		base := 0
		stopped := false
		for i := range m.Cards {
			c := &m.Cards[i]
			if r.steps >= maxSteps {
				r.logf("step limit of %d cards reached in module %s: the bot loops; the flow ends", maxSteps, m.ID)
				r.sess.endFlow()
				return nil
			}
			if len(r.res.Messages) >= or(r.e.MaxMessages, DefaultMaxMessages) {
				r.logf("message limit of %d reached in module %s; the flow ends", or(r.e.MaxMessages, DefaultMaxMessages), m.ID)
				r.sess.endFlow()
				return nil
			}
			r.steps++
			r.sess.CardIndex = i
			jump, stop, err := r.card(ctx, m, i, c, base)
			if err != nil {
				return err
			}
			base += len(cardButtons(*c))
			if jump != "" {
				next = jump
				break
			}
			if stop {
				stopped = true
				break
			}
		}
		if next == "" && !stopped {
			last := len(m.Cards) - 1
			if last >= 0 && m.Cards[last].Type == CardText && len(m.Cards[last].Buttons) > 0 {
				r.sess.CardIndex, r.sess.Waiting, r.sess.WaitingSince = last, WaitButtons, r.now
			} else {
				r.sess.endFlow()
			}
		}
	}
	return nil
}

// card runs one card: it may send, wait (stop), or jump to a module.
func (r *run) card(ctx context.Context, m *Module, i int, c *Card, base int) (jump string, stop bool, err error) {
	switch c.Type {
	case CardText:
		text := r.fit(Render(c.Text, r.contact), len(c.Buttons) > 0)
		if len(c.Buttons) == 0 {
			if strings.TrimSpace(text) == "" {
				r.logf("module %s card %d renders empty; skipped", m.ID, i+1)
				return "", false, nil
			}
			r.send(switchboard.OutboundMessage{Kind: switchboard.MsgText, Text: text})
			return "", false, nil
		}
		r.send(switchboard.OutboundMessage{Kind: switchboard.MsgText, Text: nonEmpty(text), Buttons: r.buttons(m, base, c.Buttons)})
	case CardImage:
		r.send(switchboard.OutboundMessage{Kind: switchboard.MsgImage, MediaURL: c.MediaURL})
	case CardVideo:
		r.send(switchboard.OutboundMessage{Kind: switchboard.MsgVideo, MediaURL: c.MediaURL, PreviewURL: c.PreviewURL})
	case CardCarousel:
		l := limits[r.kind]
		cards := make([]switchboard.Card, len(c.Items))
		n := base
		for j, it := range c.Items {
			cards[j] = switchboard.Card{
				ImageURL: it.ImageURL,
				Title:    r.clip(nonEmpty(Render(it.Title, r.contact)), l.title),
				Subtitle: r.clip(Render(it.Subtitle, r.contact), l.subtitle),
				Buttons:  r.buttons(m, n, it.Buttons),
			}
			n += len(it.Buttons)
		}
		r.send(switchboard.OutboundMessage{Kind: switchboard.MsgCarousel, Text: cards[0].Title, Cards: cards})
	case CardQuickReply:
		text := nonEmpty(r.fit(Render(c.Text, r.contact), true))
		r.send(switchboard.OutboundMessage{Kind: switchboard.MsgText, Text: text, QuickReplies: r.buttons(m, base, c.Buttons)})
		r.sess.Waiting, r.sess.WaitingSince = WaitQuickReply, r.now
		return "", true, nil
	case CardUserInput:
		r.send(switchboard.OutboundMessage{Kind: switchboard.MsgText, Text: nonEmpty(r.fit(Render(c.Text, r.contact), false))})
		r.sess.Waiting, r.sess.WaitingSince = WaitInput, r.now
		return "", true, nil
	case CardCondition:
		met := Met(c.Condition, r.contact)
		target := ""
		if c.Condition != nil {
			target = c.Condition.NotMetModuleID
			if met {
				target = c.Condition.MetModuleID
			}
		}
		r.setVar("last_condition", strconv.FormatBool(met))
		if target == "" {
			r.logf("condition in module %s met=%t has no module for that branch; the flow ends", m.ID, met)
			r.sess.endFlow()
			return "", true, nil
		}
		return target, false, nil
	case CardAPICall:
		j, err := r.apiCall(ctx, m, i, c.API)
		return j, false, err
	case CardDelay:
		d := c.Delay
		if d == nil {
			r.sess.endFlow()
			return "", true, nil
		}
		due := r.now.Add(time.Duration(d.Minutes) * time.Minute)
		r.sess.Delay = &PendingDelay{Seq: r.sess.Seq, BotID: r.b.ID, ModuleID: d.NextModuleID, DueAt: due, ArmedAt: r.now, SkipIfInteracted: d.SkipIfInteracted}
		r.res.Delay = &DelayRequest{BotID: r.b.ID, ModuleID: d.NextModuleID, Seq: r.sess.Seq, DueAt: due}
		r.sess.endFlow()
		return "", true, nil
	case CardLiveAgent:
		if t := strings.TrimSpace(r.fit(Render(c.Text, r.contact), false)); t != "" {
			r.send(switchboard.OutboundMessage{Kind: switchboard.MsgText, Text: t})
		}
		r.res.HandToHuman = true
		r.sess.endFlow()
		return "", true, nil
	case CardSubscribe, CardUnsubscribe:
		sub := c.Type == CardSubscribe
		r.res.Changes.Subscribed = &sub
		r.contact.Subscribed = sub
	default:
		r.logf("module %s card %d has unknown type %q; skipped", m.ID, i+1, c.Type)
	}
	return "", false, nil
}

func (r *run) send(m switchboard.OutboundMessage) { r.res.Messages = append(r.res.Messages, m) }

// buttons renders a card's buttons: a URL, or a payload naming the button by
// its index in the module.
func (r *run) buttons(m *Module, base int, bs []Button) []switchboard.Button {
	out := make([]switchboard.Button, len(bs))
	for i, b := range bs {
		if b.Action == ActionOpenURL {
			out[i] = switchboard.Button{Label: b.Label, URL: b.URL}
			continue
		}
		out[i] = switchboard.Button{Label: b.Label, Payload: Payload(r.b.ID, m.ID, base+i)}
	}
	return out
}

func (r *run) setVar(k, v string) {
	if r.sess.Vars == nil {
		r.sess.Vars = map[string]string{}
	}
	r.sess.Vars[k] = clipRunes(v, 256)
}

// fit clips a rendered text to the channel's limit: variables may have made
// it longer than what was checked when the bot was saved.
func (r *run) fit(s string, withButtons bool) string {
	l, ok := limits[r.kind]
	if !ok {
		return s
	}
	if withButtons {
		return r.clip(s, l.textWithButtons)
	}
	return r.clip(s, l.text)
}

// clip cuts s to at most n of the channel's units, on a rune boundary.
func (r *run) clip(s string, n int) string {
	if n <= 0 || textLen(r.kind, s) <= n {
		return s
	}
	used := 0
	for i, c := range s {
		var l int
		switch r.kind {
		case switchboard.KindLINE:
			l = utf16.RuneLen(c)
		case switchboard.KindInstagram:
			l = utf8.RuneLen(c)
		default:
			l = 1
		}
		if used+l > n-1 {
			return s[:i] + "…"
		}
		used += l
	}
	return s
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// nonEmpty keeps a card that must carry text (buttons, questions) sendable
// when its variables rendered it empty.
func nonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "…"
	}
	return s
}

// apiCall runs an API call card and returns the module to continue with ("":
// the next card).
func (r *run) apiCall(ctx context.Context, m *Module, i int, c *APICall) (string, error) {
	if c == nil {
		return "", nil
	}
	fail := func(format string, args ...any) (string, error) {
		r.logf("API call of module %s card %d failed: %s", m.ID, i+1, fmt.Sprintf(format, args...))
		r.setVar("api_status", "failed")
		return c.FailureModuleID, nil
	}
	if r.e.API == nil {
		return fail("no API caller is configured")
	}
	req, err := r.apiRequest(c)
	if err != nil {
		return fail("%s", switchboard.ErrorMessage(err))
	}
	resp, err := r.e.API.Call(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return "", switchboard.Wrap(switchboard.EUnavailable, ctx.Err(), "the bot step ran out of time during an API call")
		}
		return fail("%s", switchboard.ErrorMessage(err))
	}
	if resp.Status < 200 || resp.Status > 299 {
		return fail("the endpoint answered HTTP %d", resp.Status)
	}
	msgs, err := ParseAPIResponse(resp.Body)
	if err != nil {
		return fail("%s", switchboard.ErrorMessage(err))
	}
	for _, msg := range msgs {
		if msg.Kind == switchboard.MsgText {
			msg.Text = r.fit(msg.Text, false)
		}
		r.send(msg)
	}
	r.setVar("api_status", strconv.Itoa(resp.Status))
	return c.SuccessModuleID, nil
}

// apiRequest renders an API call card's request. Values are escaped for
// where they land, and the rendered URL must keep the card's scheme and host;
// which addresses that host may reach is the caller's to enforce (HTTPCaller
// checks every connection).
func (r *run) apiRequest(c *APICall) (APIRequest, error) {
	raw := RenderEscaped(c.Endpoint, r.contact, urlEscape)
	u, err := url.Parse(raw)
	if err != nil {
		return APIRequest{}, switchboard.Errorf(switchboard.EInvalid, "the rendered endpoint is not a URL")
	}
	tpl, err := url.Parse(strings.SplitN(c.Endpoint, "{{", 2)[0])
	if err != nil || !strings.EqualFold(tpl.Scheme, u.Scheme) || !strings.EqualFold(tpl.Host, u.Host) {
		return APIRequest{}, switchboard.Errorf(switchboard.EInvalid, "the rendered endpoint changed its host")
	}
	method := strings.ToUpper(c.Method)
	if method == "" {
		method = http.MethodGet
		if c.Payload != "" {
			method = http.MethodPost
		}
	}
	h := http.Header{}
	for k, v := range c.Headers {
		h.Set(k, RenderEscaped(v, r.contact, headerEscape))
	}
	var body []byte
	if c.Payload != "" {
		body = []byte(RenderEscaped(c.Payload, r.contact, jsonEscape))
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/json")
		}
	}
	h.Set("User-Agent", "Switchboard-Bot/1")
	timeout := DefaultAPITimeout
	if c.TimeoutSeconds > 0 {
		timeout = time.Duration(c.TimeoutSeconds) * time.Second
	}
	return APIRequest{Method: method, URL: u.String(), Header: h, Body: body, Timeout: timeout}, nil
}

// urlEscape escapes a value for a URL's path or query alike.
func urlEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// jsonEscape escapes a value for the inside of a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// headerEscape keeps a value on one header line.
func headerEscape(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return ' '
		}
		return r
	}, s)
}

// finish stamps the session's expiry: a day after the step, and never
// before a pending delay fires.
func (r *run) finish() {
	s := r.sess
	s.UpdatedAt = r.now
	s.ExpiresAt = r.now.Add(or(r.e.SessionTTL, DefaultSessionTTL))
	if s.Delay != nil && s.Delay.DueAt.Add(time.Hour).After(s.ExpiresAt) {
		s.ExpiresAt = s.Delay.DueAt.Add(time.Hour)
	}
}

// cloneContact copies what a step may change on the working contact.
func cloneContact(c *switchboard.Contact) *switchboard.Contact {
	cp := *c
	cp.Tags = maps.Clone(c.Tags)
	cp.Attributes = maps.Clone(c.Attributes)
	cp.Bindings = slices.Clone(c.Bindings)
	return &cp
}
