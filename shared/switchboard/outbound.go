package switchboard

import (
	"context"
	"time"
)

// SendPurpose says why a message is sent. The messaging windows of Messenger,
// Instagram and WhatsApp allow different purposes at different ages of the
// customer's last message (001:L3616, 001:L4350).
type SendPurpose string

// Send purposes.
const (
	// PurposeResponse is an automatic answer to the customer's message (keyword
	// reply, bot step, welcome, instant or offline message).
	PurposeResponse SendPurpose = "response"
	// PurposeAgent is a reply typed by a human agent: allowed on Messenger and
	// Instagram up to 7 days, tagged HUMAN_AGENT after 24 h.
	PurposeAgent SendPurpose = "agent"
	// PurposeSystem is a non-promotional message the system sends on its own
	// (satisfaction survey, reminders): only inside the 24 h window.
	PurposeSystem SendPurpose = "system"
	// PurposeMarketing is a broadcast or remarketing push.
	PurposeMarketing SendPurpose = "marketing"
)

// OutboundMessage is one message the team sends, before it is rendered into a
// platform's JSON by the channel's sender.
type OutboundMessage struct {
	Kind       MessageKind `json:"kind"` // text, image, video, audio, file, sticker
	Text       string      `json:"text,omitempty"`
	MediaURL   string      `json:"mediaUrl,omitempty"`
	PreviewURL string      `json:"previewUrl,omitempty"`
	// Buttons are rendered as the platform's buttons (LINE template or flex,
	// Messenger button template, WhatsApp interactive buttons or list).
	Buttons []Button `json:"buttons,omitempty"`
	// QuickReplies are chips under the message (LINE quick reply, Messenger
	// quick_replies, WhatsApp interactive buttons).
	QuickReplies []Button `json:"quickReplies,omitempty"`
	// Template is a WhatsApp approved template, the only thing WhatsApp sends
	// outside the 24 h window.
	Template *Template `json:"template,omitempty"`
	// Cards are the cards of a carousel (Kind MsgCarousel), rendered as a LINE
	// flex carousel, a Messenger/Instagram generic template, one WhatsApp
	// message per card, or the widget's JSON.
	Cards []Card `json:"cards,omitempty"`
}

// MsgCarousel is the kind of an outbound carousel: a row of cards, each with
// an image, a title, a subtitle and buttons (a bot's carousel card, SPEC §3).
// Customers never send one, so it is not among the inbound kinds.
const MsgCarousel MessageKind = "carousel"

// Card is one card of a carousel. Platforms limit titles and subtitles
// differently (Messenger 80/80, LINE 40/300, widget 80/120); the bot builder
// checks them when a bot is saved and the senders again when they render.
type Card struct {
	ImageURL string   `json:"imageUrl"`
	Title    string   `json:"title"`
	Subtitle string   `json:"subtitle,omitempty"`
	Buttons  []Button `json:"buttons,omitempty"`
}

// Button is a tappable element: a postback payload, or a URL to open.
type Button struct {
	Label   string `json:"label"`
	Payload string `json:"payload,omitempty"`
	URL     string `json:"url,omitempty"`
}

// Template is a WhatsApp message template with numbered body parameters.
type Template struct {
	Name     string   `json:"name"`
	Language string   `json:"language"`
	Params   []string `json:"params,omitempty"`
}

// Recipient is who a message goes to, with what the platform needs to reach
// them cheaply and within its rules.
type Recipient struct {
	PlatformUserID string `json:"platformUserId"`
	// ReplyToken is LINE's single-use token of the customer's event: a reply
	// with it is free; without it (or when it has expired) LINE needs a push.
	ReplyToken string `json:"replyToken,omitempty"`
	// LastCustomerAt is when the customer last wrote: it opens the windows.
	LastCustomerAt time.Time `json:"lastCustomerAt,omitzero"`
}

// SendRequest is one send of 1–5 messages to one recipient on one channel.
type SendRequest struct {
	Channel  *Channel
	To       Recipient
	Messages []OutboundMessage
	Purpose  SendPurpose
	// IdempotencyKey makes a retried send safe: it becomes LINE's
	// X-Line-Retry-Key (as a UUID derived from it), so a second attempt with the
	// same key is not delivered twice.
	IdempotencyKey string
}

// SendResult says how a send went out.
type SendResult struct {
	// PlatformMessageIDs are the platform's ids of the sent messages, in order,
	// where the platform returns them; delivery statuses refer to them.
	PlatformMessageIDs []string
	// Via is "reply" or "push" on LINE, "send" elsewhere.
	Via string
}

// Sender delivers messages on one platform. Errors are domain errors:
// ERateLimited and EUnavailable may pass and are worth retrying; EInvalid and
// EForbidden (window closed, blocked by the user) are permanent, with the
// platform's reason in the message.
type Sender interface {
	Send(ctx context.Context, req SendRequest) (SendResult, error)
}
