// Package meta connects Switchboard to Facebook Messenger and Instagram messaging,
// which share Meta's Messenger Platform: the same webhook shape (an "object" of
// "page" or "instagram" and entry[].messaging[]), the same X-Hub-Signature-256
// signature and the same GET subscription handshake.
package meta

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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

// Webhook is the inbound side of one Meta messaging product. Kind says which
// (switchboard.KindMessenger or switchboard.KindInstagram) and so which webhook
// "object" a body must carry; when empty, the channel's own kind decides.
//
// What it turns into events, per messaging item of every entry:
//   - message: one event per part. Text is one part; each attachment is another
//     (image, video, audio, file, sticker, location; fallback, template, share,
//     reel, story mention and anything newer become switchboard.MsgOther). A
//     sticker sent as both an "image" and a "sticker" attachment (Meta's 2026
//     transition) is one sticker, and a link preview ("fallback") next to text is
//     dropped. The first part has the mid as its id, later parts mid:1, mid:2, …;
//     the quick-reply payload and an ad or shop referral go on the first part.
//     Echoes of the page's own messages (is_echo), deleted (unsent) messages and
//     items whose sender is known only by user_ref (plugins, not a conversation)
//     are skipped.
//   - postback: InPostback with title, payload and the referral it came through;
//     a "Get Started" tap is an ordinary postback.
//   - referral: InReferral (m.me ?ref= links, ads, QR codes into an open thread).
//   - delivery and read: InStatus, received or read, with the watermark and any
//     mids. Instagram's read ("messaging_seen") names one mid instead.
//
// Reactions, edits, opt-ins, handovers, standby items and anything else are
// ignored without error. Entries for another page or account than the channel's
// PlatformID (one Meta app can serve several pages through one callback URL) are
// skipped; a channel without a PlatformID takes every entry.
type Webhook struct {
	Kind switchboard.ChannelKind
}

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

// Parse normalises a Messenger or Instagram webhook body.
func (w Webhook) Parse(ch *switchboard.Channel, body []byte) ([]switchboard.InboundEvent, error) {
	kind := w.Kind
	if kind == "" {
		kind = ch.Kind
	}
	var object string
	switch kind {
	case switchboard.KindMessenger:
		object = "page"
	case switchboard.KindInstagram:
		object = "instagram"
	default:
		return nil, switchboard.Errorf(switchboard.EInternal, "meta webhook configured for kind %q, which is neither messenger nor instagram", kind)
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, switchboard.Errorf(switchboard.EInvalid, "%s webhook body must be a JSON object", kind)
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "%s webhook body is not valid: %v", kind, err)
	}
	if p.Object != object {
		return nil, switchboard.Errorf(switchboard.EInvalid, "webhook object is %q but a %s channel receives %q", p.Object, kind, object)
	}
	var out []switchboard.InboundEvent
	for i, e := range p.Entry {
		if ch.PlatformID != "" && e.ID != ch.PlatformID {
			continue
		}
		for j, m := range e.Messaging {
			evs, err := convert(ch, e, m)
			if err != nil {
				return nil, switchboard.Errorf(switchboard.EInvalid, "entry[%d].messaging[%d]: %s", i, j, err)
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
		ID        string      `json:"id"`
		Time      flexInt     `json:"time"`
		Messaging []messaging `json:"messaging"`
	}
	messaging struct {
		Sender    party      `json:"sender"`
		Timestamp flexInt    `json:"timestamp"`
		Message   *message   `json:"message"`
		Postback  *postback  `json:"postback"`
		Referral  *referral  `json:"referral"`
		Delivery  *delivery  `json:"delivery"`
		Read      *readEvent `json:"read"`
	}
	party struct {
		ID      string `json:"id"`
		UserRef string `json:"user_ref"`
	}
	message struct {
		MID           string       `json:"mid"`
		Text          string       `json:"text"`
		IsEcho        bool         `json:"is_echo"`
		IsDeleted     bool         `json:"is_deleted"`
		IsUnsupported bool         `json:"is_unsupported"`
		QuickReply    *quickReply  `json:"quick_reply"`
		ReplyTo       *replyTo     `json:"reply_to"`
		Attachments   []attachment `json:"attachments"`
		Referral      *referral    `json:"referral"`
	}
	quickReply struct {
		Payload string `json:"payload"`
	}
	replyTo struct {
		MID string `json:"mid"`
	}
	attachment struct {
		Type string `json:"type"`
		// Title and URL sit beside the payload in older fallback and location
		// attachments, inside it in newer ones.
		Title   string            `json:"title"`
		URL     string            `json:"url"`
		Payload attachmentPayload `json:"payload"`
	}
	attachmentPayload struct {
		URL         string       `json:"url"`
		Title       string       `json:"title"`
		StickerID   json.Number  `json:"sticker_id"`
		Coordinates *coordinates `json:"coordinates"`
	}
	coordinates struct {
		Lat  float64 `json:"lat"`
		Long float64 `json:"long"`
	}
	postback struct {
		MID      string    `json:"mid"`
		Title    string    `json:"title"`
		Payload  string    `json:"payload"`
		Referral *referral `json:"referral"`
	}
	referral struct {
		Ref    string `json:"ref"`
		Source string `json:"source"`
		Type   string `json:"type"`
	}
	delivery struct {
		MIDs      []string `json:"mids"`
		Watermark flexInt  `json:"watermark"`
	}
	readEvent struct {
		Watermark flexInt `json:"watermark"`
		MID       string  `json:"mid"`
	}
)

// flexInt reads an integer that Meta sends as a JSON number in webhooks but as a
// string in some documented examples and test tools.
type flexInt int64

// UnmarshalJSON accepts 123 and "123".
func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an integer", b)
	}
	*n = flexInt(v)
	return nil
}

// convert maps one messaging item to zero or more events.
func convert(ch *switchboard.Channel, e entry, m messaging) ([]switchboard.InboundEvent, error) {
	if m.Message != nil && (m.Message.IsEcho || m.Message.IsDeleted) {
		return nil, nil
	}
	if m.Message == nil && m.Postback == nil && m.Referral == nil && m.Delivery == nil && m.Read == nil {
		return nil, nil // reactions, edits, opt-ins, handovers, ...
	}
	if m.Sender.ID == "" {
		if m.Sender.UserRef != "" {
			return nil, nil
		}
		return nil, fmt.Errorf("sender.id is missing")
	}
	ts := int64(m.Timestamp)
	if ts <= 0 {
		ts = int64(e.Time) // delivery items carry no timestamp of their own
	}
	if ts <= 0 && m.Delivery != nil {
		ts = int64(m.Delivery.Watermark)
	}
	if ts <= 0 {
		return nil, fmt.Errorf("timestamp is missing")
	}
	ev := switchboard.InboundEvent{
		TeamID:      ch.TeamID,
		ChannelID:   ch.ID,
		ChannelKind: ch.Kind,
		CustomerID:  m.Sender.ID,
		OccurredAt:  time.UnixMilli(ts).UTC(),
	}
	switch {
	case m.Message != nil:
		return messageEvents(ev, m.Message)
	case m.Postback != nil:
		p := m.Postback
		ev.Type = switchboard.InPostback
		ev.ID = p.MID
		if ev.ID == "" {
			ev.ID = contentID(m.Sender.ID, "postback", strconv.FormatInt(ts, 10), p.Payload)
		}
		ev.Postback = &switchboard.Postback{Payload: p.Payload, Title: p.Title, Referral: toReferral(p.Referral)}
	case m.Referral != nil:
		r := m.Referral
		ev.Type = switchboard.InReferral
		ev.ID = contentID(m.Sender.ID, "referral", strconv.FormatInt(ts, 10), r.Ref, r.Source, r.Type)
		ev.Referral = toReferral(r)
	case m.Delivery != nil:
		d := m.Delivery
		if d.Watermark <= 0 && len(d.MIDs) == 0 {
			return nil, fmt.Errorf("delivery has neither watermark nor mids")
		}
		ev.Type = switchboard.InStatus
		ev.ID = contentID(m.Sender.ID, "delivery", strconv.FormatInt(int64(d.Watermark), 10), joinIDs(d.MIDs))
		ev.Status = &switchboard.StatusUpdate{Status: switchboard.DeliveryReceived, MessageIDs: d.MIDs, Watermark: watermark(d.Watermark)}
	case m.Read != nil:
		r := m.Read
		if r.Watermark <= 0 && r.MID == "" {
			return nil, fmt.Errorf("read has neither watermark nor mid")
		}
		ev.Type = switchboard.InStatus
		ev.ID = contentID(m.Sender.ID, "read", strconv.FormatInt(int64(r.Watermark), 10), r.MID)
		ev.Status = &switchboard.StatusUpdate{Status: switchboard.DeliveryRead, Watermark: watermark(r.Watermark)}
		if r.MID != "" {
			ev.Status.MessageIDs = []string{r.MID}
		}
	}
	return []switchboard.InboundEvent{ev}, nil
}

// messageEvents splits a message into its parts, one event each.
func messageEvents(ev switchboard.InboundEvent, m *message) ([]switchboard.InboundEvent, error) {
	if m.MID == "" {
		return nil, fmt.Errorf("message.mid is missing")
	}
	var parts []switchboard.InboundMessage
	if m.Text != "" {
		parts = append(parts, switchboard.InboundMessage{Kind: switchboard.MsgText, Text: m.Text})
	}
	sticker := false
	for _, a := range m.Attachments {
		part, ok := attachmentPart(a, m.Text != "")
		if !ok {
			continue
		}
		if part.Kind == switchboard.MsgSticker {
			if sticker {
				continue
			}
			sticker = true
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		// An unsupported or empty message still tells the team the customer wrote.
		parts = append(parts, switchboard.InboundMessage{Kind: switchboard.MsgOther})
	}
	out := make([]switchboard.InboundEvent, len(parts))
	for i, part := range parts {
		e := ev
		e.Type = switchboard.InMessage
		e.ID = m.MID
		if i > 0 {
			e.ID = m.MID + ":" + strconv.Itoa(i)
		}
		part.ID = m.MID
		if m.ReplyTo != nil {
			part.ReplyToID = m.ReplyTo.MID
		}
		if i == 0 {
			if m.QuickReply != nil {
				part.QuickReplyPayload = m.QuickReply.Payload
			}
			e.Referral = toReferral(m.Referral)
		}
		e.Message = &part
		out[i] = e
	}
	return out, nil
}

// attachmentPart maps one attachment; ok is false for a link preview next to text.
func attachmentPart(a attachment, hasText bool) (switchboard.InboundMessage, bool) {
	p := switchboard.InboundMessage{MediaURL: a.Payload.URL}
	if p.MediaURL == "" {
		p.MediaURL = a.URL
	}
	title := a.Payload.Title
	if title == "" {
		title = a.Title
	}
	switch a.Type {
	case "image":
		p.Kind = switchboard.MsgImage
		if a.Payload.StickerID != "" { // the thumbs-up "like" and stickers before 2026
			p.Kind = switchboard.MsgSticker
			p.StickerID = a.Payload.StickerID.String()
		}
	case "sticker":
		p.Kind = switchboard.MsgSticker
		p.StickerID = a.Payload.StickerID.String()
	case "video":
		p.Kind = switchboard.MsgVideo
	case "audio":
		p.Kind = switchboard.MsgAudio
	case "file":
		p.Kind = switchboard.MsgFile
	case "location":
		p.Kind = switchboard.MsgLocation
		p.Text = title
		if c := a.Payload.Coordinates; c != nil {
			p.Latitude, p.Longitude = c.Lat, c.Long
		}
	case "fallback":
		if hasText {
			return p, false
		}
		p.Kind = switchboard.MsgOther
		p.Text = title
	default:
		p.Kind = switchboard.MsgOther
	}
	return p, true
}

func toReferral(r *referral) *switchboard.Referral {
	if r == nil {
		return nil
	}
	return &switchboard.Referral{Ref: r.Ref, Source: r.Source, Type: r.Type}
}

// watermark converts Meta's millisecond watermark; zero stays the zero time so it
// is omitted from the event's JSON.
func watermark(ms flexInt) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms)).UTC()
}

func joinIDs(ids []string) string {
	var b bytes.Buffer
	for _, id := range ids {
		b.WriteString(id)
		b.WriteByte(0)
	}
	return b.String()
}

// contentID is the id of an event Meta gives no id to: a hash of what identifies
// it, so a redelivery gets the same id and is deduplicated.
func contentID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "h:" + hex.EncodeToString(h.Sum(nil)[:20])
}
