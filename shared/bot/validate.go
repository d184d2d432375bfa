package bot

import (
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Limits of a bot definition. The product's own rules come from SPEC §3 and
// 001:L3756-L3870; the rest keep one bot within one stored item and one
// step within one transaction.
const (
	// MaxButtons is the most buttons under a text card, and under each
	// carousel item, on any bot but a LINE-only one.
	MaxButtons = 3
	// MaxLINEButtons is the most buttons under a text card of a LINE-only bot:
	// the product lifts its limit of three, and a LINE flex bubble carries
	// this many (shared/channel/line).
	MaxLINEButtons = 10
	// MaxButtonLabel is the most characters of a button's text.
	MaxButtonLabel = 20
	// MaxButtonTags is the most tags an add_tags button applies.
	MaxButtonTags = 5
	// MaxMediaBytes is the largest image or video a card may show.
	MaxMediaBytes = 10 << 20
	// MaxCarouselItems is the most cards of a carousel.
	MaxCarouselItems = 10
	// MaxQuickReplies is the most chips of a quick reply card.
	MaxQuickReplies = 10
	// MaxDelayMinutes is the longest delay card: a week, past which every
	// window-bound channel would refuse the message anyway.
	MaxDelayMinutes = 7 * 24 * 60
	// MaxAPITimeoutSeconds bounds an API call card; DefaultAPITimeout is
	// used when a card sets none.
	MaxAPITimeoutSeconds = 10
	DefaultAPITimeout    = 5 * time.Second
	// MaxAPIHeaders, MaxAPIPayload and MaxURL bound an API call card.
	MaxAPIHeaders = 20
	MaxAPIPayload = 8 << 10
	MaxURL        = 2000
	// MaxModules and MaxCardsPerModule keep a bot within one stored item.
	MaxModules        = 300
	MaxCardsPerModule = 20
	// MaxNameLen bounds bot and module names; MaxIDLen module ids and refs.
	MaxNameLen = 100
	MaxIDLen   = 64
	// MaxRefs and MaxWelcome bound a bot's entry points.
	MaxRefs    = 100
	MaxWelcome = 50
	// MaxConditionTags bounds the tags of one tag condition.
	MaxConditionTags = 20
)

// idRE is what a module id or ref may be: the characters an m.me ref takes
// (letters, digits, '-', '_', '='), and no ':' since payloads use it as their
// separator.
var idRE = regexp.MustCompile(`^[A-Za-z0-9_=-]{1,64}$`)

// ValidID reports whether s may be a bot id, a module id or a ref.
func ValidID(s string) bool { return idRE.MatchString(s) }

// kindLimits are the character limits of one channel kind. LINE counts
// UTF-16 code units and Instagram bytes; the others count characters.
type kindLimits struct {
	text            int // a text message
	textWithButtons int // the text of a text card with buttons, or of a quick reply
	title, subtitle int // a carousel item's
}

// limits per kind: Messenger's button template takes 640 characters and
// Instagram's generic template 80 (it has no button template), WhatsApp's
// interactive body 1,024; carousel titles and subtitles are FB 80/80, LINE
// 40/300 (a flex bubble), widget 80/120 (001:L3800-L3813); WhatsApp shows a
// carousel item as an interactive message and takes Meta's limits.
var limits = map[switchboard.ChannelKind]kindLimits{
	switchboard.KindLINE:      {text: 5000, textWithButtons: 5000, title: 40, subtitle: 300},
	switchboard.KindMessenger: {text: 2000, textWithButtons: 640, title: 80, subtitle: 80},
	switchboard.KindInstagram: {text: 1000, textWithButtons: 80, title: 80, subtitle: 80},
	switchboard.KindWhatsApp:  {text: 4096, textWithButtons: 1024, title: 80, subtitle: 80},
	switchboard.KindWidget:    {text: 5000, textWithButtons: 5000, title: 80, subtitle: 120},
}

// textLen measures s as the platform of kind does.
func textLen(kind switchboard.ChannelKind, s string) int {
	switch kind {
	case switchboard.KindLINE:
		n := 0
		for _, r := range s {
			n += utf16.RuneLen(r)
		}
		return n
	case switchboard.KindInstagram:
		return len(s)
	}
	return utf8.RuneCountInString(s)
}

// unit names what textLen counts for kind, for messages.
func unit(kind switchboard.ChannelKind) string {
	switch kind {
	case switchboard.KindLINE:
		return "UTF-16 units"
	case switchboard.KindInstagram:
		return "bytes"
	}
	return "characters"
}

// kindName is a channel kind as operators know it.
func kindName(k switchboard.ChannelKind) string {
	switch k {
	case switchboard.KindLINE:
		return "LINE"
	case switchboard.KindMessenger:
		return "Messenger"
	case switchboard.KindInstagram:
		return "Instagram"
	case switchboard.KindWhatsApp:
		return "WhatsApp"
	case switchboard.KindWidget:
		return "the website widget"
	}
	return string(k)
}

// Which kinds show which cards (001:L3858, L3863): video is published on
// Facebook, LINE and WhatsApp; delays run on Facebook, LINE, Instagram and
// WhatsApp; tags apply to contacts of all but the website widget (001:L3780).
var (
	videoKinds = []switchboard.ChannelKind{switchboard.KindMessenger, switchboard.KindLINE, switchboard.KindWhatsApp}
	delayKinds = []switchboard.ChannelKind{switchboard.KindMessenger, switchboard.KindLINE, switchboard.KindInstagram, switchboard.KindWhatsApp}
	tagKinds   = delayKinds
)

// Validate checks a bot before it is saved, for the channel kinds given (the
// bot's own ChannelKinds when kinds is empty). Every refusal is EInvalid and
// names the module, the card and the rule, including cards a channel cannot
// show (an open-URL button on WhatsApp, a carousel title over LINE's limit).
func Validate(b *Bot, kinds []switchboard.ChannelKind) error {
	if b == nil {
		return invalid("a bot is required")
	}
	if len(kinds) == 0 {
		kinds = b.ChannelKinds
	}
	v := &validator{b: b, kinds: kinds, lineOnly: len(kinds) == 1 && kinds[0] == switchboard.KindLINE}
	return v.bot()
}

// Validate checks the bot for its own channel kinds.
func (b *Bot) Validate() error { return Validate(b, nil) }

// ValidateBroadcastModule checks that a module may be the content of a
// broadcast: condition cards are not used in broadcasts (001:L3851), and a
// broadcast does not wait for a reply.
func ValidateBroadcastModule(b *Bot, moduleID string) error {
	m := b.Module(moduleID)
	if m == nil {
		return invalid("bot %s has no module %q", b.ID, moduleID)
	}
	for i, c := range m.Cards {
		switch c.Type {
		case CardCondition, CardUserInput:
			return invalid("module %q, card %d (%s): a %s card cannot be used in a broadcast", m.ID, i+1, c.Type, c.Type)
		}
	}
	return nil
}

func invalid(format string, args ...any) error {
	return switchboard.Errorf(switchboard.EInvalid, format, args...)
}

type validator struct {
	b        *Bot
	kinds    []switchboard.ChannelKind
	lineOnly bool
}

func (v *validator) serves(k switchboard.ChannelKind) bool { return slices.Contains(v.kinds, k) }

func (v *validator) bot() error {
	b := v.b
	if b.Name == "" || utf8.RuneCountInString(b.Name) > MaxNameLen || strings.TrimSpace(b.Name) == "" {
		return invalid("bot name must be 1 to %d characters", MaxNameLen)
	}
	if len(v.kinds) == 0 {
		return invalid("a bot must serve at least one channel kind (line, messenger, instagram, whatsapp, widget)")
	}
	seen := map[switchboard.ChannelKind]bool{}
	for _, k := range v.kinds {
		if !k.Valid() {
			return invalid("channel kind %q must be one of line, messenger, instagram, whatsapp, widget", k)
		}
		if seen[k] {
			return invalid("channel kind %q is listed twice", k)
		}
		seen[k] = true
	}
	if len(b.Modules) == 0 {
		return invalid("a bot needs at least one module")
	}
	if len(b.Modules) > MaxModules {
		return invalid("a bot has at most %d modules, not %d", MaxModules, len(b.Modules))
	}
	ids := map[string]bool{}
	for i, m := range b.Modules {
		if !ValidID(m.ID) {
			return invalid("module %d: id %q must be 1 to %d letters, digits, '-', '_' or '='", i+1, m.ID, MaxIDLen)
		}
		if ids[m.ID] {
			return invalid("module %d: id %q is used by another module", i+1, m.ID)
		}
		ids[m.ID] = true
	}
	for i := range b.Modules {
		if err := v.module(&b.Modules[i]); err != nil {
			return err
		}
	}
	if len(b.Refs) > MaxRefs {
		return invalid("a bot has at most %d refs", MaxRefs)
	}
	for _, ref := range sortedKeys(b.Refs) {
		if !ValidID(ref) {
			return invalid("ref %q must be 1 to %d letters, digits, '-', '_' or '='", ref, MaxIDLen)
		}
		if b.Module(b.Refs[ref]) == nil {
			return invalid("ref %q names module %q, which this bot does not have", ref, b.Refs[ref])
		}
		if ids[ref] && b.Refs[ref] != ref {
			return invalid("ref %q is the id of another module of this bot", ref)
		}
	}
	if len(b.Welcome) > MaxWelcome {
		return invalid("a bot welcomes on at most %d channels", MaxWelcome)
	}
	for _, ch := range sortedKeys(b.Welcome) {
		if ch == "" || len(ch) > 128 || strings.ContainsAny(ch, "#:") {
			return invalid("welcome channel id %q is malformed", ch)
		}
		if b.Module(b.Welcome[ch]) == nil {
			return invalid("welcome of channel %s names module %q, which this bot does not have", ch, b.Welcome[ch])
		}
	}
	return nil
}

func (v *validator) module(m *Module) error {
	where := fmt.Sprintf("module %q", m.ID)
	if utf8.RuneCountInString(m.Name) > MaxNameLen {
		return invalid("%s: name must be at most %d characters", where, MaxNameLen)
	}
	if len(m.Cards) > MaxCardsPerModule {
		return invalid("%s: a module has at most %d cards, not %d", where, MaxCardsPerModule, len(m.Cards))
	}
	hasQR, hasInput := false, false
	for _, c := range m.Cards {
		hasQR = hasQR || c.Type == CardQuickReply
		hasInput = hasInput || c.Type == CardUserInput
	}
	if hasQR && hasInput {
		return invalid("%s: a quick reply card and a user input card cannot share a module", where)
	}
	for i := range m.Cards {
		c := &m.Cards[i]
		at := fmt.Sprintf("%s, card %d (%s)", where, i+1, c.Type)
		last := i == len(m.Cards)-1
		if err := v.card(at, c, last); err != nil {
			return err
		}
	}
	return nil
}

// mustBeLast names the cards that end their module.
func mustBeLast(t CardType) string {
	switch t {
	case CardQuickReply:
		return "a quick reply card must be the last card of its module"
	case CardUserInput:
		return "a user input card must be the last card of its module"
	case CardCondition:
		return "a condition card branches to other modules, so it must be the last card of its module"
	case CardDelay:
		return "a delay card continues in its next module, so it must be the last card of its module"
	case CardLiveAgent:
		return "nothing may follow a live agent card: the conversation goes to a person"
	}
	return ""
}

func (v *validator) card(at string, c *Card, last bool) error {
	if rule := mustBeLast(c.Type); rule != "" && !last {
		return invalid("%s: %s", at, rule)
	}
	switch c.Type {
	case CardText:
		return v.text(at, c)
	case CardImage:
		return v.image(at, c.MediaURL, c.SizeBytes)
	case CardVideo:
		return v.video(at, c)
	case CardCarousel:
		return v.carousel(at, c)
	case CardQuickReply:
		return v.quickReply(at, c)
	case CardUserInput:
		return v.userInput(at, c)
	case CardCondition:
		return v.condition(at, c.Condition)
	case CardAPICall:
		return v.apiCall(at, c.API)
	case CardDelay:
		return v.delay(at, c.Delay)
	case CardLiveAgent:
		if c.Text != "" {
			return v.textLimit(at, "text", c.Text, false)
		}
		return nil
	case CardSubscribe, CardUnsubscribe:
		return nil
	case "":
		return invalid("%s: a card needs a type", at)
	}
	return invalid("%s: unknown card type %q", at, c.Type)
}

// textLimit checks a text against every served kind's limit.
func (v *validator) textLimit(at, what, s string, withButtons bool) error {
	if strings.TrimSpace(s) == "" {
		return invalid("%s: %s is required", at, what)
	}
	if !utf8.ValidString(s) {
		return invalid("%s: %s is not valid UTF-8", at, what)
	}
	for _, k := range v.kinds {
		lim := limits[k].text
		if withButtons {
			lim = limits[k].textWithButtons
		}
		if n := textLen(k, s); n > lim {
			return invalid("%s: %s is %d %s; %s allows %d", at, what, n, unit(k), kindName(k), lim)
		}
	}
	return nil
}

func (v *validator) text(at string, c *Card) error {
	if err := v.textLimit(at, "text", c.Text, len(c.Buttons) > 0); err != nil {
		return err
	}
	max := MaxButtons
	if v.lineOnly {
		max = MaxLINEButtons
	}
	if len(c.Buttons) > max {
		if v.lineOnly {
			return invalid("%s: %d buttons; a text card of a LINE-only bot carries at most %d", at, len(c.Buttons), max)
		}
		return invalid("%s: %d buttons; a text card carries at most %d (more only on bots published on LINE alone)", at, len(c.Buttons), max)
	}
	return v.buttons(at, "button", c.Buttons, false)
}

// buttons checks buttons (or quick-reply chips, with chips).
func (v *validator) buttons(at, what string, bs []Button, chips bool) error {
	for i, b := range bs {
		where := fmt.Sprintf("%s: %s %d", at, what, i+1)
		if err := v.button(where, b, chips); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) button(where string, b Button, chip bool) error {
	if strings.TrimSpace(b.Label) == "" {
		return invalid("%s: a label is required", where)
	}
	for _, k := range v.kinds {
		if n := textLen(k, b.Label); n > MaxButtonLabel {
			return invalid("%s: label %q is %d %s; button text is at most %d", where, b.Label, n, unit(k), MaxButtonLabel)
		}
	}
	switch b.Action {
	case ActionGoToModule:
		if b.ModuleID == "" {
			return invalid("%s: go_to_module needs a moduleId", where)
		}
		if v.b.Module(b.ModuleID) == nil {
			return invalid("%s: module %q is not a module of this bot; buttons only lead to modules of the same bot", where, b.ModuleID)
		}
	case ActionOpenURL:
		if v.serves(switchboard.KindWhatsApp) {
			return invalid("%s: WhatsApp cannot show a button that opens a URL", where)
		}
		if chip {
			for _, k := range []switchboard.ChannelKind{switchboard.KindMessenger, switchboard.KindInstagram} {
				if v.serves(k) {
					return invalid("%s: %s quick replies cannot open a URL", where, kindName(k))
				}
			}
		}
		if !webURL(b.URL, false) {
			return invalid("%s: url must be an http or https URL of at most %d characters", where, MaxURL)
		}
	case ActionAddTags:
		for _, k := range v.kinds {
			if !slices.Contains(tagKinds, k) {
				return invalid("%s: tags cannot be added to contacts of %s", where, kindName(k))
			}
		}
		if len(b.Tags) == 0 || len(b.Tags) > MaxButtonTags {
			return invalid("%s: add_tags needs 1 to %d tags, not %d", where, MaxButtonTags, len(b.Tags))
		}
		for _, t := range b.Tags {
			if err := switchboard.ValidTagName(t); err != nil {
				return invalid("%s: %s", where, switchboard.ErrorMessage(err))
			}
		}
		if b.ModuleID != "" && v.b.Module(b.ModuleID) == nil {
			return invalid("%s: module %q is not a module of this bot", where, b.ModuleID)
		}
	case "":
		return invalid("%s: an action is required (go_to_module, open_url or add_tags)", where)
	default:
		return invalid("%s: action %q must be go_to_module, open_url or add_tags", where, b.Action)
	}
	return nil
}

// webURL reports whether u is an absolute http(s) URL (https with httpsOnly)
// of at most MaxURL bytes, without credentials.
func webURL(u string, httpsOnly bool) bool {
	if u == "" || len(u) > MaxURL {
		return false
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil {
		return false
	}
	switch strings.ToLower(p.Scheme) {
	case "https":
		return true
	case "http":
		return !httpsOnly
	}
	return false
}

// mediaExt returns the lower-case extension of a URL's path.
func mediaExt(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(path.Ext(p.Path))
}

func (v *validator) media(at, what, u string, size int64, exts []string, kindsText string) error {
	if !webURL(u, true) {
		return invalid("%s: %s must be an https URL of at most %d characters", at, what, MaxURL)
	}
	if !slices.Contains(exts, mediaExt(u)) {
		return invalid("%s: %s must be %s (the URL's path ends in %q)", at, what, kindsText, mediaExt(u))
	}
	if size < 0 || size > MaxMediaBytes {
		return invalid("%s: %s is %s; at most 10 MB", at, what, sizeText(size))
	}
	return nil
}

func sizeText(n int64) string {
	if n < 0 {
		return "a negative size"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
}

func (v *validator) image(at, u string, size int64) error {
	return v.media(at, "the image", u, size, []string{".png", ".jpg", ".jpeg"}, "a PNG, JPG or JPEG image (GIF is not supported)")
}

func (v *validator) video(at string, c *Card) error {
	for _, k := range v.kinds {
		if !slices.Contains(videoKinds, k) {
			return invalid("%s: video cards are published on Messenger, LINE and WhatsApp only, not on %s", at, kindName(k))
		}
	}
	if err := v.media(at, "the video", c.MediaURL, c.SizeBytes, []string{".mp4"}, "an mp4 video"); err != nil {
		return err
	}
	if v.serves(switchboard.KindLINE) && c.PreviewURL == "" {
		return invalid("%s: LINE needs a preview image for a video (previewUrl)", at)
	}
	if c.PreviewURL != "" {
		return v.image(at+": preview", c.PreviewURL, 0)
	}
	return nil
}

func (v *validator) carousel(at string, c *Card) error {
	if len(c.Items) == 0 || len(c.Items) > MaxCarouselItems {
		return invalid("%s: a carousel has 1 to %d cards, not %d", at, MaxCarouselItems, len(c.Items))
	}
	for i, it := range c.Items {
		where := fmt.Sprintf("%s: item %d", at, i+1)
		if it.ImageURL == "" {
			return invalid("%s: an image is required", where)
		}
		if err := v.image(where, it.ImageURL, it.SizeBytes); err != nil {
			return err
		}
		if strings.TrimSpace(it.Title) == "" {
			return invalid("%s: a title is required", where)
		}
		for _, k := range v.kinds {
			l := limits[k]
			if n := textLen(k, it.Title); n > l.title {
				return invalid("%s: title is %d %s; %s allows %d", where, n, unit(k), kindName(k), l.title)
			}
			if n := textLen(k, it.Subtitle); n > l.subtitle {
				return invalid("%s: subtitle is %d %s; %s allows %d", where, n, unit(k), kindName(k), l.subtitle)
			}
		}
		if len(it.Buttons) == 0 {
			return invalid("%s: the first button is required", where)
		}
		if len(it.Buttons) > MaxButtons {
			return invalid("%s: %d buttons; a carousel card carries at most %d", where, len(it.Buttons), MaxButtons)
		}
		if err := v.buttons(where, "button", it.Buttons, false); err != nil {
			return err
		}
		if v.serves(switchboard.KindLINE) && len(it.Buttons) != len(c.Items[0].Buttons) {
			return invalid("%s: LINE needs every card of a carousel to have the same number of buttons (%d has %d, the first has %d)", where, i+1, len(it.Buttons), len(c.Items[0].Buttons))
		}
	}
	return nil
}

func (v *validator) quickReply(at string, c *Card) error {
	if err := v.textLimit(at, "text", c.Text, true); err != nil {
		return err
	}
	if len(c.Buttons) == 0 || len(c.Buttons) > MaxQuickReplies {
		return invalid("%s: a quick reply card has 1 to %d buttons, not %d", at, MaxQuickReplies, len(c.Buttons))
	}
	return v.buttons(at, "quick reply", c.Buttons, true)
}

func (v *validator) userInput(at string, c *Card) error {
	if err := v.textLimit(at, "question (text)", c.Text, false); err != nil {
		return err
	}
	in := c.Input
	if in == nil {
		return nil
	}
	switch in.Type {
	case "", switchboard.AttrText, switchboard.AttrNumber, switchboard.AttrDate, switchboard.AttrDateTime, switchboard.AttrBoolean:
	default:
		return invalid("%s: attribute type %q must be text, number, date, datetime or boolean", at, in.Type)
	}
	if in.Attribute != "" && !switchboard.ValidAttributeKey(in.Attribute) {
		return invalid("%s: attribute %q must be 1 to 64 letters, digits or underscores", at, in.Attribute)
	}
	if in.Attribute == "" && in.Type != "" && in.Type != switchboard.AttrText {
		return invalid("%s: a %s reply is only checked when it is saved: name the attribute", at, in.Type)
	}
	if in.NextModuleID != "" && v.b.Module(in.NextModuleID) == nil {
		return invalid("%s: next module %q is not a module of this bot", at, in.NextModuleID)
	}
	if in.InvalidText != "" {
		return v.textLimit(at, "invalidText", in.InvalidText, false)
	}
	return nil
}

// fieldOps lists the operators each condition field takes.
var fieldOps = map[ConditionField][]Operator{
	FieldTag:          {OpAny, OpAll, OpNone},
	FieldMemberID:     {OpExists, OpNotExists, OpEquals, OpNotEquals, OpContains},
	FieldPhone:        {OpExists, OpNotExists, OpEquals, OpNotEquals, OpContains},
	FieldEmail:        {OpExists, OpNotExists, OpEquals, OpNotEquals, OpContains},
	FieldAttribute:    {OpExists, OpNotExists, OpEquals, OpNotEquals, OpContains, OpGT, OpGTE, OpLT, OpLTE},
	FieldPhoneBinding: {OpExists, OpNotExists},
	FieldPoints:       {OpEquals, OpNotEquals, OpGT, OpGTE, OpLT, OpLTE},
}

func (v *validator) condition(at string, c *Condition) error {
	if c == nil {
		return invalid("%s: condition settings are required", at)
	}
	ops, ok := fieldOps[c.Field]
	if !ok {
		return invalid("%s: field %q must be tag, member_id, phone, email, attribute, phone_binding or points", at, c.Field)
	}
	if !slices.Contains(ops, c.Operator) {
		names := make([]string, len(ops))
		for i, o := range ops {
			names[i] = string(o)
		}
		return invalid("%s: operator %q does not apply to %s; use one of %s", at, c.Operator, c.Field, strings.Join(names, ", "))
	}
	needsValue := c.Operator != OpExists && c.Operator != OpNotExists && c.Field != FieldTag
	if needsValue && c.Value == "" {
		return invalid("%s: operator %s needs a value", at, c.Operator)
	}
	if len(c.Value) > 256 {
		return invalid("%s: value must be at most 256 characters", at)
	}
	switch c.Field {
	case FieldTag:
		if len(c.Tags) == 0 || len(c.Tags) > MaxConditionTags {
			return invalid("%s: a tag condition names 1 to %d tags", at, MaxConditionTags)
		}
		for _, t := range c.Tags {
			if err := switchboard.ValidTagName(t); err != nil {
				return invalid("%s: %s", at, switchboard.ErrorMessage(err))
			}
		}
	case FieldAttribute:
		if !switchboard.ValidAttributeKey(c.Attribute) {
			return invalid("%s: an attribute condition names one custom attribute (letters, digits, underscores)", at)
		}
		if ordered(c.Operator) && !orderable(c.Value) {
			return invalid("%s: %s compares numbers, dates (YYYY-MM-DD) or date-times (RFC 3339); %q is none", at, c.Operator, c.Value)
		}
	case FieldPoints:
		if _, err := strconv.ParseFloat(c.Value, 64); err != nil {
			return invalid("%s: points are compared with a number, not %q", at, c.Value)
		}
	}
	if c.MetModuleID == "" && c.NotMetModuleID == "" {
		return invalid("%s: a condition needs a \"met\" module, a \"not met\" module, or both", at)
	}
	for _, id := range []string{c.MetModuleID, c.NotMetModuleID} {
		if id != "" && v.b.Module(id) == nil {
			return invalid("%s: module %q is not a module of this bot", at, id)
		}
	}
	return nil
}

func ordered(op Operator) bool { return op == OpGT || op == OpGTE || op == OpLT || op == OpLTE }

// orderable reports whether s is a number, a date or a date-time.
func orderable(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return true
	}
	_, ok := parseInstant(s)
	return ok
}

var headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$")

// reservedHeaders are set by the HTTP client; a card may not override them.
var reservedHeaders = []string{"host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "proxy-authorization", "proxy-connection", "keep-alive"}

func (v *validator) apiCall(at string, c *APICall) error {
	if c == nil {
		return invalid("%s: API call settings are required", at)
	}
	switch strings.ToUpper(c.Method) {
	case "", "GET", "POST":
	default:
		return invalid("%s: method %q must be GET or POST", at, c.Method)
	}
	if strings.ToUpper(c.Method) == "GET" && c.Payload != "" {
		return invalid("%s: a GET call carries no payload", at)
	}
	if err := checkEndpoint(c.Endpoint); err != nil {
		return invalid("%s: %s", at, switchboard.ErrorMessage(err))
	}
	if len(c.Headers) > MaxAPIHeaders {
		return invalid("%s: at most %d headers", at, MaxAPIHeaders)
	}
	for _, name := range sortedKeys(c.Headers) {
		if !headerNameRE.MatchString(name) {
			return invalid("%s: header name %q is not a valid HTTP header name", at, name)
		}
		if slices.Contains(reservedHeaders, strings.ToLower(name)) {
			return invalid("%s: header %s is set by Switchboard", at, name)
		}
		if val := c.Headers[name]; len(val) > 1024 || strings.ContainsAny(val, "\r\n\x00") {
			return invalid("%s: header %s must be one line of at most 1024 bytes", at, name)
		}
	}
	if len(c.Payload) > MaxAPIPayload {
		return invalid("%s: payload is %d bytes; at most %d", at, len(c.Payload), MaxAPIPayload)
	}
	if c.TimeoutSeconds < 0 || c.TimeoutSeconds > MaxAPITimeoutSeconds {
		return invalid("%s: timeoutSeconds must be 1 to %d (0 means %s)", at, MaxAPITimeoutSeconds, DefaultAPITimeout)
	}
	for _, id := range []string{c.SuccessModuleID, c.FailureModuleID} {
		if id != "" && v.b.Module(id) == nil {
			return invalid("%s: module %q is not a module of this bot", at, id)
		}
	}
	return nil
}

// checkEndpoint checks an API call card's endpoint when the bot is saved: an
// http(s) URL whose scheme and host hold no variables (so a customer's answer
// can never choose where the call goes) and whose host is not a private,
// loopback or link-local address. Names are resolved, and checked again, when
// the call is made (HTTPCaller).
func checkEndpoint(raw string) error {
	if raw == "" || len(raw) > MaxURL {
		return invalid("endpoint must be an http or https URL of at most %d characters", MaxURL)
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || (!strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "http")) {
		return invalid("endpoint must start with https:// or http://")
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host = rest[:i]
	}
	if strings.Contains(host, "{{") || strings.Contains(host, "}}") {
		return invalid("endpoint's host may not hold variables; put them in the path, query or payload")
	}
	u, err := url.Parse(scheme + "://" + host + "/")
	if err != nil || u.Hostname() == "" || u.User != nil {
		return invalid("endpoint %q has no valid host (and may not carry credentials; use a header)", raw)
	}
	return checkHost(u.Hostname())
}

// checkHost refuses hosts that can only be internal: localhost names and
// literal addresses in blocked ranges.
func checkHost(host string) error {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || h == "metadata.google.internal" || strings.HasSuffix(h, ".internal") || strings.HasSuffix(h, ".local") {
		return invalid("endpoint host %q is internal; API calls go to public hosts only", host)
	}
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		if reason := blockedReason(a, false); reason != "" {
			return invalid("endpoint address %s is %s; API calls go to public addresses only", a, reason)
		}
	}
	return nil
}

func (v *validator) delay(at string, d *Delay) error {
	for _, k := range v.kinds {
		if !slices.Contains(delayKinds, k) {
			return invalid("%s: delay cards run on Messenger, LINE, Instagram and WhatsApp, not on %s", at, kindName(k))
		}
	}
	if d == nil {
		return invalid("%s: delay settings are required", at)
	}
	if d.Minutes < 1 || d.Minutes > MaxDelayMinutes {
		return invalid("%s: a delay is 1 to %d whole minutes, not %d", at, MaxDelayMinutes, d.Minutes)
	}
	if d.NextModuleID == "" || v.b.Module(d.NextModuleID) == nil {
		return invalid("%s: next module %q is not a module of this bot", at, d.NextModuleID)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
