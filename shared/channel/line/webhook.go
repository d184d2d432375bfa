// Package line connects Switchboard to the LINE Messaging API. Its inbound side
// verifies LINE's webhook signature and normalises the webhook body into
// switchboard.InboundEvent values, using the official SDK's webhook types
// (github.com/line/line-bot-sdk-go/v8/linebot/webhook) for the JSON so that new
// LINE fields and event types are picked up by upgrading the SDK.
package line

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"

	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// SignatureHeader carries base64(HMAC-SHA256(channel secret, raw body)).
const SignatureHeader = "x-line-signature"

// Sign returns the x-line-signature value LINE would send for body, so tests,
// the local fake platform and the sample re-signer can produce real requests.
func Sign(secret string, body []byte) string {
	return base64.StdEncoding.EncodeToString(channel.HMACSHA256(secret, body))
}

// Webhook is LINE's inbound side. It holds no state: the channel passed to each
// call carries the secret and the ids to stamp.
//
// What it acts on: message (text, image, video, audio, file, sticker, location;
// any future message type becomes switchboard.MsgOther), postback, follow and
// unfollow, each only in mode "active". Events in mode "standby" belong to
// another channel that holds the chat (LINE's module channels) and are ignored,
// as are events in a mode this code does not know. Every other event type (join,
// leave, memberJoined, beacon, accountLink, things, unsend, videoPlayComplete,
// and types LINE adds later) is ignored without error. Events from a group or
// room are kept only when LINE names the user who caused them; the customer is
// always a user. Postback params (date and time pickers, rich menu switches) are
// not carried: Switchboard's buttons put everything they need in the data.
type Webhook struct{}

var _ channel.Webhook = Webhook{}

// Verify checks x-line-signature over the raw body in constant time.
func (Webhook) Verify(ch *switchboard.Channel, req channel.Request) error {
	if ch == nil || ch.Secrets.SigningSecret == "" {
		return channel.ErrNoSecret()
	}
	got, err := base64.StdEncoding.DecodeString(req.Header(SignatureHeader))
	if err != nil || len(got) != sha256.Size {
		return channel.ErrBadSignature(SignatureHeader)
	}
	if !channel.EqualMAC(got, channel.HMACSHA256(ch.Secrets.SigningSecret, req.Body)) {
		return channel.ErrBadSignature(SignatureHeader)
	}
	return nil
}

// Parse normalises a LINE webhook body. An empty events array is LINE's
// connectivity check and yields no events and no error.
func (Webhook) Parse(ch *switchboard.Channel, body []byte) ([]switchboard.InboundEvent, error) {
	// The SDK accepts `null` and other non-objects silently; LINE never sends them.
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, switchboard.Errorf(switchboard.EInvalid, "LINE webhook body must be a JSON object")
	}
	var cb webhook.CallbackRequest
	if err := json.Unmarshal(body, &cb); err != nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "LINE webhook body is not a valid callback request: %v", err)
	}
	if cb.Destination == "" {
		return nil, switchboard.Errorf(switchboard.EInvalid, "LINE webhook body has no destination")
	}
	out := make([]switchboard.InboundEvent, 0, len(cb.Events))
	for i, e := range cb.Events {
		ev, ok, err := convert(ch, e)
		if err != nil {
			return nil, switchboard.Errorf(switchboard.EInvalid, "LINE events[%d] (%s): %s", i, e.GetType(), err)
		}
		if ok {
			out = append(out, ev)
		}
	}
	return out, nil
}

// envelope is what every acted-on LINE event carries besides its content. The
// SDK repeats these fields on each event type rather than sharing a struct.
type envelope struct {
	source     webhook.SourceInterface
	timestamp  int64
	mode       webhook.EventMode
	id         string
	delivery   *webhook.DeliveryContext
	replyToken string
}

// convert maps one SDK event. ok is false for events Switchboard ignores.
func convert(ch *switchboard.Channel, e webhook.EventInterface) (ev switchboard.InboundEvent, ok bool, err error) {
	switch e := e.(type) {
	case webhook.MessageEvent:
		ev, ok, err = base(ch, envelope{e.Source, e.Timestamp, e.Mode, e.WebhookEventId, e.DeliveryContext, e.ReplyToken})
		if !ok || err != nil {
			return ev, ok, err
		}
		ev.Type = switchboard.InMessage
		ev.Message, err = message(e.Message)
	case webhook.PostbackEvent:
		ev, ok, err = base(ch, envelope{e.Source, e.Timestamp, e.Mode, e.WebhookEventId, e.DeliveryContext, e.ReplyToken})
		if !ok || err != nil {
			return ev, ok, err
		}
		if e.Postback == nil {
			return ev, false, fmt.Errorf("postback event has no postback")
		}
		ev.Type = switchboard.InPostback
		ev.Postback = &switchboard.Postback{Payload: e.Postback.Data}
	case webhook.FollowEvent:
		ev, ok, err = base(ch, envelope{e.Source, e.Timestamp, e.Mode, e.WebhookEventId, e.DeliveryContext, e.ReplyToken})
		ev.Type = switchboard.InFollow
	case webhook.UnfollowEvent:
		ev, ok, err = base(ch, envelope{e.Source, e.Timestamp, e.Mode, e.WebhookEventId, e.DeliveryContext, ""})
		ev.Type = switchboard.InUnfollow
	default:
		return ev, false, nil
	}
	if err != nil {
		return switchboard.InboundEvent{}, false, err
	}
	return ev, ok, nil
}

// base fills the fields common to every event and decides whether the event is
// acted on at all (mode and source).
func base(ch *switchboard.Channel, env envelope) (switchboard.InboundEvent, bool, error) {
	switch env.mode {
	case webhook.EventMode_ACTIVE:
	case "":
		return switchboard.InboundEvent{}, false, fmt.Errorf("event has no mode")
	default: // standby, or a mode added after this code
		return switchboard.InboundEvent{}, false, nil
	}
	if env.id == "" {
		return switchboard.InboundEvent{}, false, fmt.Errorf("event has no webhookEventId")
	}
	if env.timestamp <= 0 {
		return switchboard.InboundEvent{}, false, fmt.Errorf("event has no timestamp")
	}
	customer, ok, err := customerID(env.source)
	if !ok || err != nil {
		return switchboard.InboundEvent{}, false, err
	}
	return switchboard.InboundEvent{
		ID:          env.id,
		TeamID:      ch.TeamID,
		ChannelID:   ch.ID,
		ChannelKind: ch.Kind,
		CustomerID:  customer,
		OccurredAt:  time.UnixMilli(env.timestamp).UTC(),
		ReplyToken:  env.replyToken,
		Redelivery:  env.delivery != nil && env.delivery.IsRedelivery,
	}, true, nil
}

// customerID returns the LINE user behind the event. Group and room events
// without a userId (the user has not consented to share it) are skipped: there
// is no customer to hold a conversation with.
func customerID(src webhook.SourceInterface) (string, bool, error) {
	switch s := src.(type) {
	case nil:
		return "", false, fmt.Errorf("event has no source")
	case webhook.UserSource:
		if s.UserId == "" {
			return "", false, fmt.Errorf("user source has no userId")
		}
		return s.UserId, true, nil
	case webhook.GroupSource:
		return s.UserId, s.UserId != "", nil
	case webhook.RoomSource:
		return s.UserId, s.UserId != "", nil
	default:
		return "", false, nil
	}
}

// message maps the SDK's message content. LINE serves the content of images,
// video, audio and files under the message id, so that id is the MediaID; a URL
// is set only when the sender's app hosted the media itself (contentProvider
// "external").
func message(m webhook.MessageContentInterface) (*switchboard.InboundMessage, error) {
	var out switchboard.InboundMessage
	switch m := m.(type) {
	case nil:
		return nil, fmt.Errorf("message event has no message")
	case webhook.TextMessageContent:
		out = switchboard.InboundMessage{ID: m.Id, Kind: switchboard.MsgText, Text: m.Text, ReplyToID: m.QuotedMessageId}
	case webhook.ImageMessageContent:
		out = switchboard.InboundMessage{ID: m.Id, Kind: switchboard.MsgImage, MediaID: m.Id, MediaURL: externalURL(m.ContentProvider)}
	case webhook.VideoMessageContent:
		out = switchboard.InboundMessage{ID: m.Id, Kind: switchboard.MsgVideo, MediaID: m.Id, MediaURL: externalURL(m.ContentProvider)}
	case webhook.AudioMessageContent:
		out = switchboard.InboundMessage{ID: m.Id, Kind: switchboard.MsgAudio, MediaID: m.Id, MediaURL: externalURL(m.ContentProvider)}
	case webhook.FileMessageContent:
		out = switchboard.InboundMessage{ID: m.Id, Kind: switchboard.MsgFile, MediaID: m.Id, FileName: m.FileName}
	case webhook.StickerMessageContent:
		out = switchboard.InboundMessage{ID: m.Id, Kind: switchboard.MsgSticker, StickerID: m.PackageId + "/" + m.StickerId,
			Text: m.Text, ReplyToID: m.QuotedMessageId}
	case webhook.LocationMessageContent:
		// The place's title goes in Text so an agent sees "Tokyo Tower", not only numbers.
		out = switchboard.InboundMessage{ID: m.Id, Kind: switchboard.MsgLocation, Text: m.Title, Address: m.Address,
			Latitude: m.Latitude, Longitude: m.Longitude}
	case webhook.UnknownMessageContent:
		var id string
		if raw, ok := m.Raw["id"]; ok {
			_ = json.Unmarshal(raw, &id) // a non-string id is reported as missing below
		}
		out = switchboard.InboundMessage{ID: id, Kind: switchboard.MsgOther}
	default:
		return nil, fmt.Errorf("message has an unexpected content type %T", m)
	}
	if out.ID == "" {
		return nil, fmt.Errorf("message has no id")
	}
	return &out, nil
}

// externalURL returns the media URL when the content is hosted outside LINE.
func externalURL(p *webhook.ContentProvider) string {
	if p != nil && p.Type == webhook.ContentProviderTYPE_EXTERNAL {
		return p.OriginalContentUrl
	}
	return ""
}
