package switchboard

import (
	"context"
	"time"
)

// BotTrigger says what made the router hand a conversation to the bot engine.
type BotTrigger string

// Bot triggers. The bot step decides what each one runs: a keyword names the
// module; a postback or quick reply carries the payload of the button a bot card
// rendered; a referral carries the m.me ref (001:L3889); a follow runs the
// channel's welcome module (001:L462); an input is the answer to a user input
// card.
const (
	TriggerKeyword    BotTrigger = "keyword"
	TriggerPostback   BotTrigger = "postback"
	TriggerReferral   BotTrigger = "referral"
	TriggerFollow     BotTrigger = "follow"
	TriggerQuickReply BotTrigger = "quick_reply"
	// TriggerInput is a customer's message while a user input card waits for
	// an answer (Conversation.BotInputUntil).
	TriggerInput BotTrigger = "input"
)

// HumanPayload is the postback or quick-reply payload of a "talk to a person"
// button. The router does not hand it to the bot: it sends the conversation to
// a human (SPEC §2, the customer asked for one), so bot cards that offer a
// human render their button with this payload.
const HumanPayload = "switchboard:human"

// BotRequest asks the bot engine (the botstep function, through bot.fifo) to
// run for one inbound event. It travels in the conversation's FIFO group, so the
// bot's answers stay in order with the customer's messages.
type BotRequest struct {
	// ID is derived from the channel and the platform event id, so the same
	// event always yields the same request. The router may publish a request
	// again after a crash or a failed send; consumers claim ID so it runs once.
	ID             string `json:"id"`
	TeamID         string `json:"teamId"`
	ChannelID      string `json:"channelId"`
	ContactID      string `json:"contactId"`
	ConversationID string `json:"conversationId"`
	// BotID and ModuleID name the module to run for a keyword trigger; for the
	// other triggers they are empty and the bot step reads the payload, the ref
	// or the channel's welcome settings.
	BotID    string     `json:"botId,omitempty"`
	ModuleID string     `json:"moduleId,omitempty"`
	Trigger  BotTrigger `json:"trigger"`
	// Event is the inbound event that triggered the request, as received.
	Event InboundEvent `json:"event"`
	// ReplyToken is LINE's token of the event, so the bot's first answer can be
	// a free reply while the token is still valid.
	ReplyToken  string    `json:"replyToken,omitempty"`
	RequestedAt time.Time `json:"requestedAt"`
}

// GroupID is the FIFO message group of the request: the conversation's, the
// same as the inbound event's.
func (r *BotRequest) GroupID() string { return r.Event.GroupID() }

// DedupID is the FIFO deduplication id: the event's, on another queue.
func (r *BotRequest) DedupID() string { return r.Event.DedupID() }

// Validate checks that the request names what the bot step needs.
func (r *BotRequest) Validate() error {
	if r.ID == "" || r.TeamID == "" || r.ChannelID == "" || r.ConversationID == "" || r.Event.ID == "" {
		return Errorf(EInvalid, "a bot request needs an id, team, channel, conversation and event")
	}
	switch r.Trigger {
	case TriggerKeyword:
		if r.BotID == "" || r.ModuleID == "" {
			return Errorf(EInvalid, "a keyword bot request needs a bot and a module")
		}
	case TriggerPostback, TriggerReferral, TriggerFollow, TriggerQuickReply, TriggerInput:
	default:
		return Errorf(EInvalid, "bot trigger %q is not keyword, postback, referral, follow, quick_reply or input", r.Trigger)
	}
	return nil
}

// BotPublisher hands bot requests to the bot engine, in order.
type BotPublisher interface {
	PublishBot(ctx context.Context, reqs []BotRequest) error
}
