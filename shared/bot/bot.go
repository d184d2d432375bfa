// Package bot is the bot builder of SPEC §3: a bot's definition (modules of
// cards), the checks a definition passes before it is saved, the variables its
// texts may hold, and the engine that runs it one customer action at a time.
//
// The engine is pure: it reads a bot, the conversation's session and the
// contact, and returns what to send, what to change and the next session. The
// only outside call it makes is an API call card's HTTP request, through an
// interface the caller injects (HTTPCaller refuses private addresses). The
// botstep function does the reading, writing and sending around it.
package bot

import (
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// CardType names what a card does when the flow reaches it.
type CardType string

// Card types (SPEC §3, 001:L3756-L3860).
const (
	// CardText is a text, optionally with buttons (a "text button" card).
	CardText CardType = "text"
	// CardImage is a PNG or JPEG image.
	CardImage CardType = "image"
	// CardVideo is an mp4 video; LINE needs a preview image.
	CardVideo CardType = "video"
	// CardCarousel is a row of cards with an image, a title and buttons.
	CardCarousel CardType = "carousel"
	// CardQuickReply is a question with up to 10 quick-reply chips; it ends
	// its module.
	CardQuickReply CardType = "quick_reply"
	// CardUserInput asks a question and waits for any reply, which it can
	// save into a custom attribute; it ends its module.
	CardUserInput CardType = "user_input"
	// CardCondition branches on the contact to a "met" or a "not met" module;
	// it ends its module.
	CardCondition CardType = "condition"
	// CardAPICall calls the team's HTTP endpoint and sends what it answers.
	CardAPICall CardType = "api_call"
	// CardDelay continues with another module after whole minutes; it ends
	// its module.
	CardDelay CardType = "delay"
	// CardLiveAgent hands the conversation to a person; nothing may follow it.
	CardLiveAgent CardType = "live_agent"
	// CardSubscribe and CardUnsubscribe set the contact's subscription.
	CardSubscribe   CardType = "subscribe"
	CardUnsubscribe CardType = "unsubscribe"
)

// CardTypes lists every card type, in a stable order for messages.
var CardTypes = []CardType{
	CardText, CardImage, CardVideo, CardCarousel, CardQuickReply, CardUserInput,
	CardCondition, CardAPICall, CardDelay, CardLiveAgent, CardSubscribe, CardUnsubscribe,
}

// ActionType is what a button does when tapped.
type ActionType string

// Button actions (001:L3772-L3783).
const (
	// ActionGoToModule runs another module of the same bot.
	ActionGoToModule ActionType = "go_to_module"
	// ActionOpenURL opens a web page; WhatsApp cannot show such a button.
	ActionOpenURL ActionType = "open_url"
	// ActionAddTags tags the contact (up to 5 tags), then runs ModuleID if set.
	ActionAddTags ActionType = "add_tags"
)

// Bot is a team's bot: modules of cards, for the channel kinds it serves.
type Bot struct {
	ID     string `json:"id"`
	TeamID string `json:"teamId"`
	Name   string `json:"name"`
	// ChannelKinds are the platforms the bot is published on. What each card
	// may hold depends on them: a bot for LINE only may show more than three
	// buttons under a text (001:L3770), WhatsApp cannot open URLs, and so on.
	ChannelKinds []switchboard.ChannelKind `json:"channelKinds"`
	Modules      []Module                  `json:"modules"`
	// Refs maps an m.me link's ref (001:L3889) to a module. A module's own id
	// is a ref too, so a link may name a module directly, as Omnichat's
	// block-id links do; a mapping gives a link a stable, readable name.
	Refs map[string]string `json:"refs,omitempty"`
	// Welcome maps a channel id to the module run when a customer follows
	// the LINE account or taps Messenger's "Get Started" there (001:L462).
	Welcome   map[string]string `json:"welcome,omitempty"`
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
	Version   int64             `json:"version"`
}

// Module is an ordered list of cards; buttons jump between modules.
type Module struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Cards []Card `json:"cards"`
}

// Card is one step of a module. Type says which of the other fields it uses;
// fields of other types are ignored.
type Card struct {
	Type CardType `json:"type"`
	// Text is the message of a text card, the question of a quick reply or
	// user input card, and the optional message a live agent card sends
	// before the hand-off. It may hold variables (see Render).
	Text string `json:"text,omitempty"`
	// Buttons are the buttons of a text card or the chips of a quick reply.
	Buttons []Button `json:"buttons,omitempty"`
	// MediaURL is the https URL of an image or video card; PreviewURL is the
	// video's preview image, which LINE requires.
	MediaURL   string `json:"mediaUrl,omitempty"`
	PreviewURL string `json:"previewUrl,omitempty"`
	// SizeBytes is the media's declared size, checked against the 10 MB limit.
	SizeBytes int64          `json:"sizeBytes,omitempty"`
	Items     []CarouselItem `json:"items,omitempty"`
	Input     *UserInput     `json:"input,omitempty"`
	Condition *Condition     `json:"condition,omitempty"`
	API       *APICall       `json:"api,omitempty"`
	Delay     *Delay         `json:"delay,omitempty"`
}

// Button is a tappable button or quick-reply chip.
type Button struct {
	Label  string     `json:"label"`
	Action ActionType `json:"action"`
	// ModuleID is the module to run (go_to_module), or to run after tagging
	// (add_tags, optional).
	ModuleID string   `json:"moduleId,omitempty"`
	URL      string   `json:"url,omitempty"`
	Tags     []string `json:"tags,omitempty"`
}

// CarouselItem is one card of a carousel: image, title and first button are
// required (001:L3796).
type CarouselItem struct {
	ImageURL  string   `json:"imageUrl"`
	SizeBytes int64    `json:"sizeBytes,omitempty"`
	Title     string   `json:"title"`
	Subtitle  string   `json:"subtitle,omitempty"`
	Buttons   []Button `json:"buttons"`
}

// UserInput configures a user input card (001:L3826-L3832).
type UserInput struct {
	// Attribute is the custom attribute the reply is saved into; empty saves
	// nothing.
	Attribute string `json:"attribute,omitempty"`
	// Type is the attribute's type: text (the default), number, date,
	// datetime or boolean. A reply that is not of the type is refused with a
	// re-prompt.
	Type switchboard.AttributeType `json:"type,omitempty"`
	// NextModuleID runs after an accepted reply; empty ends the flow.
	NextModuleID string `json:"nextModuleId,omitempty"`
	// InvalidText is the re-prompt for a reply of the wrong type; empty uses
	// a default that names the expected format.
	InvalidText string `json:"invalidText,omitempty"`
}

// ConditionField is what a condition card looks at (001:L3838).
type ConditionField string

// Condition fields.
const (
	FieldTag          ConditionField = "tag"
	FieldMemberID     ConditionField = "member_id"
	FieldPhone        ConditionField = "phone"
	FieldEmail        ConditionField = "email"
	FieldAttribute    ConditionField = "attribute"
	FieldPhoneBinding ConditionField = "phone_binding"
	FieldPoints       ConditionField = "points"
)

// Operator compares a field with a condition's value.
type Operator string

// Operators. Which apply to which field is checked when a bot is saved.
const (
	OpExists    Operator = "exists"
	OpNotExists Operator = "not_exists"
	OpEquals    Operator = "equals"
	OpNotEquals Operator = "not_equals"
	OpContains  Operator = "contains"
	OpGT        Operator = "gt"
	OpGTE       Operator = "gte"
	OpLT        Operator = "lt"
	OpLTE       Operator = "lte"
	// OpAny, OpAll and OpNone are for tags: the contact has any, all or none
	// of Tags.
	OpAny  Operator = "any"
	OpAll  Operator = "all"
	OpNone Operator = "none"
)

// Condition configures a condition card: a test on the contact and the
// modules of its two branches, at least one of which is set.
type Condition struct {
	Field    ConditionField `json:"field"`
	Operator Operator       `json:"operator"`
	// Value is compared with the field (a number for points, and for number
	// attributes with gt/gte/lt/lte; a date or date-time for date ones).
	Value string `json:"value,omitempty"`
	// Tags are the tags of a tag condition.
	Tags []string `json:"tags,omitempty"`
	// Attribute is the custom attribute of an attribute condition: one only
	// (001:L3849).
	Attribute      string `json:"attribute,omitempty"`
	MetModuleID    string `json:"metModuleId,omitempty"`
	NotMetModuleID string `json:"notMetModuleId,omitempty"`
}

// APICall configures an API call card. The endpoint's scheme and host are
// fixed when the bot is saved; its path and query, the header values and the
// payload may hold variables, escaped for where they land.
type APICall struct {
	Method   string            `json:"method,omitempty"` // GET or POST (the default with a payload)
	Endpoint string            `json:"endpoint"`
	Headers  map[string]string `json:"headers,omitempty"`
	Payload  string            `json:"payload,omitempty"`
	// TimeoutSeconds bounds the call (1 to MaxAPITimeoutSeconds; 0 means
	// DefaultAPITimeout).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
	// SuccessModuleID runs after a 2xx answer (after its messages); empty
	// continues with the next card. FailureModuleID runs after a failed call;
	// empty continues with the next card.
	SuccessModuleID string `json:"successModuleId,omitempty"`
	FailureModuleID string `json:"failureModuleId,omitempty"`
}

// Delay configures a delay (scheduled reply) card (001:L3863-L3870).
type Delay struct {
	Minutes      int    `json:"minutes"`
	NextModuleID string `json:"nextModuleId"`
	// SkipIfInteracted drops the next module when the customer wrote or
	// tapped a button while the delay ran.
	SkipIfInteracted bool `json:"skipIfInteracted,omitempty"`
}

// Module returns the bot's module with id, or nil.
func (b *Bot) Module(id string) *Module {
	if b == nil || id == "" {
		return nil
	}
	for i := range b.Modules {
		if b.Modules[i].ID == id {
			return &b.Modules[i]
		}
	}
	return nil
}

// Serves reports whether the bot is published on channels of kind.
func (b *Bot) Serves(kind switchboard.ChannelKind) bool {
	for _, k := range b.ChannelKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// LINEOnly reports whether the bot is published on LINE alone, which lifts the
// three-button limit of text cards (001:L3770).
func (b *Bot) LINEOnly() bool {
	return len(b.ChannelKinds) == 1 && b.ChannelKinds[0] == switchboard.KindLINE
}

// buttonAt returns the index-th button of a module, counting the buttons of
// its cards in order (text buttons, carousel item buttons, quick replies).
// Payloads name buttons this way (Payload), so one number finds a button in
// any card of the module.
func (m *Module) buttonAt(index int) (Button, bool) {
	n := 0
	for _, c := range m.Cards {
		for _, b := range cardButtons(c) {
			if n == index {
				return b, true
			}
			n++
		}
	}
	return Button{}, false
}

// cardButtons lists a card's buttons in payload order.
func cardButtons(c Card) []Button {
	switch c.Type {
	case CardText, CardQuickReply:
		return c.Buttons
	case CardCarousel:
		var out []Button
		for _, it := range c.Items {
			out = append(out, it.Buttons...)
		}
		return out
	}
	return nil
}

// Entry is where an entry point leads: a module of a bot.
type Entry struct {
	BotID    string `json:"botId"`
	ModuleID string `json:"moduleId"`
}

// RefEntry and WelcomeEntry name a bot's entry points: an m.me ref, and the
// welcome of a channel. A team's entry points are unique across its bots.
func RefEntry(ref string) string { return "ref:" + ref }

// WelcomeEntry names the welcome entry point of a channel.
func WelcomeEntry(channelID string) string { return "welcome:" + channelID }

// EntryPoints lists the bot's named entry points: its refs and its welcomes.
// Module ids, which also serve as refs, are not among them: two bots may
// share a module id, and such a ref then leads nowhere rather than anywhere.
func (b *Bot) EntryPoints() map[string]Entry {
	out := make(map[string]Entry, len(b.Refs)+len(b.Welcome))
	for ref, m := range b.Refs {
		out[RefEntry(ref)] = Entry{BotID: b.ID, ModuleID: m}
	}
	for ch, m := range b.Welcome {
		out[WelcomeEntry(ch)] = Entry{BotID: b.ID, ModuleID: m}
	}
	return out
}
