// Package widget is the inbound side of Switchboard's own website chat widget.
// The widget (or the site's backend relaying it) posts a small JSON batch of a
// visitor's events, signed with the widget's token, to
// /webhooks/widget/{channelId}.
//
// The body is a Body:
//
//	{
//	  "visitorId": "v_3f9c2a71e4b84d0c",         // required, at most 128 bytes; stable per browser
//	  "visitorName": "Guest 4821",               // optional, shown to agents
//	  "events": [                                // at most 100
//	    {
//	      "id": "e_01JN...",                     // required, at most 128 bytes, unique per event;
//	                                             // a resend of the same event keeps its id
//	      "type": "message",                     // "message", "postback" or "open"; others are ignored
//	      "timestamp": 1772431600000,            // required, Unix milliseconds
//	      "pageUrl": "https://shop.example.com/p/1", // optional, the page the visitor is on
//	      "text": "Hi!",                         // message: the text (or the caption of an attachment)
//	      "attachment": {                        // message: optional media the visitor uploaded
//	        "type": "image",                     // "image", "video", "audio" or "file"
//	        "url": "https://...",
//	        "mimeType": "image/png",
//	        "fileName": "receipt.png"
//	      },
//	      "replyToId": "e_01JM...",              // message: optional id of the message it answers
//	      "payload": "TALK_TO_AGENT",            // postback: required, the button's payload
//	      "title": "Talk to a person",           // postback: optional, the button's label
//	      "ref": "spring_sale"                   // open: optional campaign ref, like m.me ?ref=
//	    }
//	  ]
//	}
//
// It is signed in the x-switchboard-signature header as
// "sha256=" + hex(HMAC-SHA256(widget token, raw body)); the widget token is the
// channel's signing secret.
//
// A message becomes InMessage (MsgText, or the attachment's kind, MsgOther for
// an attachment type not listed), a postback InPostback, and "open" (the visitor
// opened the chat window) InFollow, with a Referral{Ref, Source: "WIDGET",
// Type: "OPEN_THREAD"} when it carries a ref. The page URL is validated but not
// carried: switchboard.InboundEvent has no field for it yet.
package widget

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// SignatureHeader carries "sha256=<hex HMAC-SHA256(widget token, raw body)>".
const SignatureHeader = "x-switchboard-signature"

// Sign returns the x-switchboard-signature value for body; the widget's server
// side and the tests sign with it.
func Sign(token string, body []byte) string { return channel.SignSHA256Hex(token, body) }

// Event types of the widget's JSON.
const (
	EventMessage  = "message"
	EventPostback = "postback"
	EventOpen     = "open"
)

// Limits of the widget's JSON, so one visitor cannot flood a conversation or
// store unbounded ids.
const (
	MaxEvents  = 100
	MaxIDBytes = 128
	MaxURLLen  = 2048
)

// Body is the JSON the widget posts.
type Body struct {
	VisitorID   string  `json:"visitorId"`
	VisitorName string  `json:"visitorName,omitempty"`
	Events      []Event `json:"events"`
}

// Event is one thing the visitor did.
type Event struct {
	ID         string      `json:"id"`
	Type       string      `json:"type"`
	Timestamp  int64       `json:"timestamp"`
	PageURL    string      `json:"pageUrl,omitempty"`
	Text       string      `json:"text,omitempty"`
	Attachment *Attachment `json:"attachment,omitempty"`
	ReplyToID  string      `json:"replyToId,omitempty"`
	Payload    string      `json:"payload,omitempty"`
	Title      string      `json:"title,omitempty"`
	Ref        string      `json:"ref,omitempty"`
}

// Attachment is media the visitor uploaded through the widget.
type Attachment struct {
	Type     string `json:"type"`
	URL      string `json:"url"`
	MimeType string `json:"mimeType,omitempty"`
	FileName string `json:"fileName,omitempty"`
}

// Webhook is the widget's inbound side.
type Webhook struct{}

var _ channel.Webhook = Webhook{}

// Verify checks x-switchboard-signature over the raw body in constant time.
func (Webhook) Verify(ch *switchboard.Channel, req channel.Request) error {
	return channel.VerifySHA256Hex(ch, req, SignatureHeader)
}

// Parse normalises a widget body.
func (Webhook) Parse(ch *switchboard.Channel, body []byte) ([]switchboard.InboundEvent, error) {
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, switchboard.Errorf(switchboard.EInvalid, "widget body must be a JSON object")
	}
	var b Body
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "widget body is not valid: %v", err)
	}
	if b.VisitorID == "" || len(b.VisitorID) > MaxIDBytes {
		return nil, switchboard.Errorf(switchboard.EInvalid, "visitorId must be 1 to %d bytes", MaxIDBytes)
	}
	if len(b.Events) > MaxEvents {
		return nil, switchboard.Errorf(switchboard.EInvalid, "at most %d events per request", MaxEvents)
	}
	out := make([]switchboard.InboundEvent, 0, len(b.Events))
	for i, e := range b.Events {
		ev, ok, err := convert(ch, b, e)
		if err != nil {
			return nil, switchboard.Errorf(switchboard.EInvalid, "events[%d]: %s", i, err)
		}
		if ok {
			out = append(out, ev)
		}
	}
	return out, nil
}

func convert(ch *switchboard.Channel, b Body, e Event) (switchboard.InboundEvent, bool, error) {
	switch e.Type {
	case EventMessage, EventPostback, EventOpen:
	default:
		return switchboard.InboundEvent{}, false, nil
	}
	if e.ID == "" || len(e.ID) > MaxIDBytes {
		return switchboard.InboundEvent{}, false, fmt.Errorf("id must be 1 to %d bytes", MaxIDBytes)
	}
	if e.Timestamp <= 0 {
		return switchboard.InboundEvent{}, false, fmt.Errorf("timestamp is missing")
	}
	if len(e.PageURL) > MaxURLLen {
		return switchboard.InboundEvent{}, false, fmt.Errorf("pageUrl is longer than %d bytes", MaxURLLen)
	}
	ev := switchboard.InboundEvent{
		ID:           e.ID,
		TeamID:       ch.TeamID,
		ChannelID:    ch.ID,
		ChannelKind:  ch.Kind,
		CustomerID:   b.VisitorID,
		CustomerName: b.VisitorName,
		OccurredAt:   time.UnixMilli(e.Timestamp).UTC(),
	}
	switch e.Type {
	case EventMessage:
		ev.Type = switchboard.InMessage
		msg := &switchboard.InboundMessage{ID: e.ID, Kind: switchboard.MsgText, Text: e.Text, ReplyToID: e.ReplyToID}
		if a := e.Attachment; a != nil {
			if a.URL == "" || len(a.URL) > MaxURLLen {
				return switchboard.InboundEvent{}, false, fmt.Errorf("attachment.url must be 1 to %d bytes", MaxURLLen)
			}
			msg.Kind = attachmentKind(a.Type)
			msg.MediaURL, msg.MimeType, msg.FileName = a.URL, a.MimeType, a.FileName
		} else if e.Text == "" {
			return switchboard.InboundEvent{}, false, fmt.Errorf("message has neither text nor attachment")
		}
		ev.Message = msg
	case EventPostback:
		if e.Payload == "" {
			return switchboard.InboundEvent{}, false, fmt.Errorf("postback has no payload")
		}
		ev.Type = switchboard.InPostback
		ev.Postback = &switchboard.Postback{Payload: e.Payload, Title: e.Title}
	case EventOpen:
		ev.Type = switchboard.InFollow
		if e.Ref != "" {
			ev.Referral = &switchboard.Referral{Ref: e.Ref, Source: "WIDGET", Type: "OPEN_THREAD"}
		}
	}
	return ev, true, nil
}

func attachmentKind(t string) switchboard.MessageKind {
	switch t {
	case "image":
		return switchboard.MsgImage
	case "video":
		return switchboard.MsgVideo
	case "audio":
		return switchboard.MsgAudio
	case "file":
		return switchboard.MsgFile
	}
	return switchboard.MsgOther
}
