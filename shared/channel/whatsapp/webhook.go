// Package whatsapp connects Switchboard to the WhatsApp Business Cloud API. Its
// inbound side verifies Meta's X-Hub-Signature-256, answers the subscription
// handshake, and normalises the "messages" webhook (customer messages and the
// statuses of the business's own messages) into switchboard.InboundEvent values.
package whatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// SignatureHeader carries "sha256=<hex HMAC-SHA256(app secret, raw body)>".
const SignatureHeader = "x-hub-signature-256"

// Sign returns the X-Hub-Signature-256 value Meta would send for body.
func Sign(secret string, body []byte) string { return channel.SignSHA256Hex(secret, body) }

// Webhook is WhatsApp's inbound side.
//
// Only changes whose field is "messages" are read; other fields (template
// status, quality, account updates) are ignored. A change for another phone
// number than the channel's PlatformID is skipped without error: one WhatsApp
// Business Account, and so one Meta app subscription, can hold several numbers,
// and each is its own channel. A channel without a PlatformID takes every change.
//
// Messages: text, image, video, audio (voice notes too), document (MsgFile),
// sticker and location become InMessage; a template's quick-reply button and an
// interactive button or list reply become InPostback (the id or payload as
// payload, the visible text as title); reactions, "system" notices and
// "request_welcome" are ignored; anything else ("unsupported", contacts, order,
// and types added later) is an InMessage of kind MsgOther so the team sees that
// the customer wrote. The sender's profile name from contacts[] becomes
// CustomerName. Text is passed through as is: words such as "unsub" are for the
// router to interpret.
//
// Statuses: sent, delivered, read and failed become InStatus for the one wamid
// they name, with the first error's code and title on failure; the event id is
// wamid:status, since WhatsApp reports several statuses per message.
type Webhook struct{}

var (
	_ channel.Webhook    = Webhook{}
	_ channel.Handshaker = Webhook{}
)

// Verify checks X-Hub-Signature-256 over the raw body in constant time.
func (Webhook) Verify(ch *switchboard.Channel, req channel.Request) error {
	return channel.VerifySHA256Hex(ch, req, SignatureHeader)
}

// Handshake answers Meta's GET subscription check with hub.challenge.
func (Webhook) Handshake(ch *switchboard.Channel, query map[string]string) (string, error) {
	return channel.HubHandshake(ch, query)
}

// Parse normalises a WhatsApp webhook body.
func (Webhook) Parse(ch *switchboard.Channel, body []byte) ([]switchboard.InboundEvent, error) {
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, switchboard.Errorf(switchboard.EInvalid, "WhatsApp webhook body must be a JSON object")
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "WhatsApp webhook body is not valid: %v", err)
	}
	if p.Object != "whatsapp_business_account" {
		return nil, switchboard.Errorf(switchboard.EInvalid, "webhook object is %q but a whatsapp channel receives %q", p.Object, "whatsapp_business_account")
	}
	var out []switchboard.InboundEvent
	for i, e := range p.Entry {
		for j, c := range e.Changes {
			if c.Field != "messages" {
				continue
			}
			var v value
			if err := json.Unmarshal(c.Value, &v); err != nil {
				return nil, switchboard.Errorf(switchboard.EInvalid, "entry[%d].changes[%d].value is not valid: %v", i, j, err)
			}
			if ch.PlatformID != "" && v.Metadata.PhoneNumberID != ch.PlatformID {
				continue
			}
			evs, err := convert(ch, v)
			if err != nil {
				return nil, switchboard.Errorf(switchboard.EInvalid, "entry[%d].changes[%d].value.%s", i, j, err)
			}
			out = append(out, evs...)
		}
	}
	return out, nil
}

// The webhook JSON, as far as Switchboard reads it.
type (
	payload struct {
		Object string  `json:"object"`
		Entry  []entry `json:"entry"`
	}
	entry struct {
		ID      string   `json:"id"`
		Changes []change `json:"changes"`
	}
	change struct {
		Field string `json:"field"`
		// Value is decoded only for "messages": other fields have other shapes.
		Value json.RawMessage `json:"value"`
	}
	value struct {
		Metadata struct {
			PhoneNumberID string `json:"phone_number_id"`
		} `json:"metadata"`
		Contacts []contact `json:"contacts"`
		Messages []message `json:"messages"`
		Statuses []status  `json:"statuses"`
	}
	contact struct {
		WaID    string `json:"wa_id"`
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
	}
	message struct {
		From        string       `json:"from"`
		ID          string       `json:"id"`
		Timestamp   seconds      `json:"timestamp"`
		Type        string       `json:"type"`
		Context     *msgContext  `json:"context"`
		Text        *text        `json:"text"`
		Image       *media       `json:"image"`
		Video       *media       `json:"video"`
		Audio       *media       `json:"audio"`
		Voice       *media       `json:"voice"`
		Document    *media       `json:"document"`
		Sticker     *media       `json:"sticker"`
		Location    *location    `json:"location"`
		Button      *button      `json:"button"`
		Interactive *interactive `json:"interactive"`
	}
	msgContext struct {
		ID string `json:"id"`
	}
	text struct {
		Body string `json:"body"`
	}
	media struct {
		ID       string `json:"id"`
		MimeType string `json:"mime_type"`
		Caption  string `json:"caption"`
		Filename string `json:"filename"`
	}
	location struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
	}
	button struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	}
	interactive struct {
		Type        string `json:"type"`
		ButtonReply *reply `json:"button_reply"`
		ListReply   *reply `json:"list_reply"`
	}
	reply struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	status struct {
		ID          string    `json:"id"`
		Status      string    `json:"status"`
		Timestamp   seconds   `json:"timestamp"`
		RecipientID string    `json:"recipient_id"`
		Errors      []waError `json:"errors"`
	}
	waError struct {
		Code  int    `json:"code"`
		Title string `json:"title"`
	}
)

// seconds is a Unix time in seconds, which WhatsApp sends as a string.
type seconds int64

// UnmarshalJSON accepts "1749416383" and, from test tools, 1749416383.
func (s *seconds) UnmarshalJSON(b []byte) error {
	v := string(b)
	if v == "null" {
		return nil
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %s is not a number of seconds", b)
	}
	*s = seconds(n)
	return nil
}

// time converts s, refusing the zero a missing timestamp decodes to.
func (s seconds) time() (time.Time, error) {
	if s <= 0 {
		return time.Time{}, fmt.Errorf("timestamp is missing")
	}
	return time.Unix(int64(s), 0).UTC(), nil
}

func convert(ch *switchboard.Channel, v value) ([]switchboard.InboundEvent, error) {
	names := make(map[string]string, len(v.Contacts))
	for _, c := range v.Contacts {
		names[c.WaID] = c.Profile.Name
	}
	out := make([]switchboard.InboundEvent, 0, len(v.Messages)+len(v.Statuses))
	for k, m := range v.Messages {
		ev, ok, err := messageEvent(ch, m, names)
		if err != nil {
			return nil, fmt.Errorf("messages[%d]: %s", k, err)
		}
		if ok {
			out = append(out, ev)
		}
	}
	for k, s := range v.Statuses {
		ev, ok, err := statusEvent(ch, s)
		if err != nil {
			return nil, fmt.Errorf("statuses[%d]: %s", k, err)
		}
		if ok {
			out = append(out, ev)
		}
	}
	return out, nil
}

func messageEvent(ch *switchboard.Channel, m message, names map[string]string) (switchboard.InboundEvent, bool, error) {
	switch m.Type {
	case "reaction", "system", "request_welcome":
		return switchboard.InboundEvent{}, false, nil
	}
	if m.ID == "" {
		return switchboard.InboundEvent{}, false, fmt.Errorf("id is missing")
	}
	if m.From == "" {
		return switchboard.InboundEvent{}, false, fmt.Errorf("from is missing")
	}
	at, err := m.Timestamp.time()
	if err != nil {
		return switchboard.InboundEvent{}, false, err
	}
	ev := switchboard.InboundEvent{
		ID:           m.ID,
		TeamID:       ch.TeamID,
		ChannelID:    ch.ID,
		ChannelKind:  ch.Kind,
		Type:         switchboard.InMessage,
		CustomerID:   m.From,
		CustomerName: names[m.From],
		OccurredAt:   at,
	}
	msg := switchboard.InboundMessage{ID: m.ID, Kind: switchboard.MsgOther}
	if m.Context != nil {
		msg.ReplyToID = m.Context.ID
	}
	withMedia := func(kind switchboard.MessageKind, md *media) {
		msg.Kind = kind
		if md != nil {
			msg.MediaID, msg.MimeType, msg.Text, msg.FileName = md.ID, md.MimeType, md.Caption, md.Filename
		}
	}
	switch m.Type {
	case "text":
		msg.Kind = switchboard.MsgText
		if m.Text != nil {
			msg.Text = m.Text.Body
		}
	case "image":
		withMedia(switchboard.MsgImage, m.Image)
	case "video":
		withMedia(switchboard.MsgVideo, m.Video)
	case "audio", "voice":
		md := m.Audio
		if md == nil {
			md = m.Voice
		}
		withMedia(switchboard.MsgAudio, md)
	case "document":
		withMedia(switchboard.MsgFile, m.Document)
	case "sticker":
		withMedia(switchboard.MsgSticker, m.Sticker)
	case "location":
		msg.Kind = switchboard.MsgLocation
		if l := m.Location; l != nil {
			msg.Latitude, msg.Longitude, msg.Text, msg.Address = l.Latitude, l.Longitude, l.Name, l.Address
		}
	case "button":
		if m.Button == nil {
			return switchboard.InboundEvent{}, false, fmt.Errorf("button message has no button")
		}
		ev.Type = switchboard.InPostback
		ev.Postback = &switchboard.Postback{Payload: m.Button.Payload, Title: m.Button.Text}
		return ev, true, nil
	case "interactive":
		if m.Interactive != nil {
			r := m.Interactive.ButtonReply
			if m.Interactive.Type == "list_reply" || r == nil {
				r = m.Interactive.ListReply
			}
			if r != nil {
				ev.Type = switchboard.InPostback
				ev.Postback = &switchboard.Postback{Payload: r.ID, Title: r.Title}
				return ev, true, nil
			}
		}
		// Flow replies and other interactive kinds stay visible as MsgOther.
	}
	ev.Message = &msg
	return ev, true, nil
}

func statusEvent(ch *switchboard.Channel, s status) (switchboard.InboundEvent, bool, error) {
	var st switchboard.DeliveryStatus
	switch s.Status {
	case "sent":
		st = switchboard.DeliverySent
	case "delivered":
		st = switchboard.DeliveryReceived
	case "read":
		st = switchboard.DeliveryRead
	case "failed":
		st = switchboard.DeliveryFailed
	default: // "deleted", "played", "warning" and anything newer
		return switchboard.InboundEvent{}, false, nil
	}
	if s.ID == "" {
		return switchboard.InboundEvent{}, false, fmt.Errorf("id is missing")
	}
	if s.RecipientID == "" {
		return switchboard.InboundEvent{}, false, fmt.Errorf("recipient_id is missing")
	}
	at, err := s.Timestamp.time()
	if err != nil {
		return switchboard.InboundEvent{}, false, err
	}
	upd := &switchboard.StatusUpdate{Status: st, MessageIDs: []string{s.ID}}
	if len(s.Errors) > 0 {
		upd.ErrorCode = strconv.Itoa(s.Errors[0].Code)
		upd.ErrorTitle = s.Errors[0].Title
	}
	return switchboard.InboundEvent{
		ID:          s.ID + ":" + s.Status,
		TeamID:      ch.TeamID,
		ChannelID:   ch.ID,
		ChannelKind: ch.Kind,
		Type:        switchboard.InStatus,
		CustomerID:  s.RecipientID,
		OccurredAt:  at,
		Status:      upd,
	}, true, nil
}
