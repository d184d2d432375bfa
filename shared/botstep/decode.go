package botstep

import (
	"encoding/json"
	"strings"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// TriggerMessage is the trigger of a bot request that carries a customer's
// free reply (a text, an image, a sticker) to the card a session waits on
// (a user input card). The router decides when a reply goes to the bot: a
// conversation whose bot session waits (bot.Session.WaitingFor) and whose
// message matched no keyword. A request of any other trigger whose event is a
// message without a payload is read the same way.
const TriggerMessage switchboard.BotTrigger = "message"

// job is one bot.fifo message: a bot request, or a delay card's timer.
type job struct {
	// RequestID names the step for its claim and its idempotency keys.
	RequestID      string
	TeamID         string
	ChannelID      string
	ConversationID string
	ContactID      string
	// CustomerID is the platform user id the answers go to.
	CustomerID string
	Request    *switchboard.BotRequest
	Delay      *delayData
}

// delayData is the data a delay card's timer carries
// (switchboard.ConversationTimer.Data).
type delayData struct {
	Seq       int64  `json:"seq"`
	BotID     string `json:"botId"`
	ContactID string `json:"contactId"`
}

// MaxBody bounds a bot.fifo message: SQS's own limit.
const MaxBody = 256 << 10

// decode reads a bot.fifo message: a switchboard.BotRequest, or a
// switchboard.TimerEvent of a bot delay (type "timer") that the timer service
// put back into the conversation's group. It is outside input as far as the
// bot step knows, so anything malformed is EInvalid (dropped).
func decode(body string) (*job, error) {
	if len(body) > MaxBody {
		return nil, switchboard.Errorf(switchboard.EInvalid, "bot queue message is %d bytes; at most %d", len(body), MaxBody)
	}
	var probe struct {
		Type    switchboard.InboundType `json:"type"`
		Trigger switchboard.BotTrigger  `json:"trigger"`
	}
	if err := json.Unmarshal([]byte(body), &probe); err != nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "bot queue message is not JSON: %v", err)
	}
	if probe.Type == switchboard.InTimer {
		return decodeTimer(body)
	}
	return decodeRequest(body)
}

func decodeTimer(body string) (*job, error) {
	var ev switchboard.TimerEvent
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "timer event is malformed: %v", err)
	}
	if ev.Timer.Kind != switchboard.TimerBotDelay {
		return nil, switchboard.Errorf(switchboard.EInvalid, "timer of kind %q does not belong on the bot queue", ev.Timer.Kind)
	}
	var d delayData
	if err := json.Unmarshal(ev.Timer.Data, &d); err != nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "bot delay timer carries no step: %v", err)
	}
	if ev.ID == "" || strings.Contains(ev.ID, "/") || ev.TeamID == "" || ev.ChannelID == "" || ev.CustomerID == "" || ev.Timer.ConversationID == "" || d.ContactID == "" || d.Seq <= 0 {
		return nil, switchboard.Errorf(switchboard.EInvalid, "bot delay timer needs an id, team, channel, customer, conversation, contact and step")
	}
	return &job{
		RequestID: "timer_" + ev.ID, TeamID: ev.TeamID, ChannelID: ev.ChannelID,
		ConversationID: ev.Timer.ConversationID, ContactID: d.ContactID, CustomerID: ev.CustomerID,
		Delay: &d,
	}, nil
}

func decodeRequest(body string) (*job, error) {
	var r switchboard.BotRequest
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "bot request is malformed: %v", err)
	}
	if r.Trigger != TriggerMessage {
		if err := r.Validate(); err != nil {
			return nil, err
		}
	} else if r.ID == "" || r.TeamID == "" || r.ChannelID == "" || r.ConversationID == "" || r.Event.ID == "" || r.Event.Message == nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "a message bot request needs an id, team, channel, conversation and message")
	}
	if r.ContactID == "" || r.Event.CustomerID == "" {
		return nil, switchboard.Errorf(switchboard.EInvalid, "bot request %s names no contact or customer", r.ID)
	}
	if strings.Contains(r.ID, "/") {
		return nil, switchboard.Errorf(switchboard.EInvalid, "bot request id %q is malformed", r.ID)
	}
	return &job{
		RequestID: r.ID, TeamID: r.TeamID, ChannelID: r.ChannelID,
		ConversationID: r.ConversationID, ContactID: r.ContactID, CustomerID: r.Event.CustomerID,
		Request: &r,
	}, nil
}
