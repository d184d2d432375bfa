package line

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// DefaultAPIBaseURL is the Messaging API's production host.
const DefaultAPIBaseURL = "https://api.line.me"

// RetryKeyHeader makes a push idempotent: LINE delivers a request with a key
// it has accepted before only once and answers the repeat with 409.
const RetryKeyHeader = "X-Line-Retry-Key"

// acceptedRequestHeader names the request that first used a retry key.
const acceptedRequestHeader = "X-Line-Accepted-Request-Id"

// LINE's limits on what Switchboard renders.
const (
	maxText           = 5000 // UTF-16 code units of a text message
	maxAltText        = 400
	maxTemplateText   = 160 // buttons template text without title or image
	maxTemplateAction = 4
	maxFlexButtons    = 10 // Switchboard's own bound on a flex bubble's footer
	maxLabel          = 20
	maxPostbackData   = 300
	maxQuickReplies   = 13
	maxURL            = 2000
)

// Sender sends through the LINE Messaging API. A send with the customer's
// reply token uses the free reply endpoint; without one, or when LINE refuses
// the token (used or expired), it pushes, with an X-Line-Retry-Key derived from
// the send's idempotency key so that a retried push is delivered once.
//
// Rendering: text is a text message; image and video are media messages (a
// video needs its preview image) followed by a text message for their text;
// buttons become a buttons template when there are at most 4 and the text fits
// 160 characters, else a flex bubble with the buttons in its footer (up to 10);
// quick replies (up to 13) go under the message that carries them. Payload
// buttons are postbacks that show their label as the customer's message; URL
// buttons open the URL. Audio (LINE needs a duration), files, stickers and
// WhatsApp templates are refused. PlatformMessageIDs has one id per
// OutboundMessage, that of its first LINE message.
//
// A reply is not idempotent: when a reply attempt times out after LINE
// accepted it, the retry is refused as an invalid token and the push that
// follows may deliver the messages a second time. LINE offers no way to tell.
type Sender struct {
	// BaseURL is DefaultAPIBaseURL, or a fake's URL in tests and locally.
	BaseURL string
	Client  *apiclient.Client
	Clock   switchboard.Clock
	Logger  *slog.Logger
}

var _ switchboard.Sender = (*Sender)(nil)

// Send delivers req's messages to one LINE user.
func (s *Sender) Send(ctx context.Context, req switchboard.SendRequest) (switchboard.SendResult, error) {
	if _, err := apiclient.CheckSend(req, s.now(), switchboard.KindLINE); err != nil {
		return switchboard.SendResult{}, err
	}
	if req.Channel.Secrets.AccessToken == "" {
		return switchboard.SendResult{}, switchboard.Errorf(switchboard.EInvalid, "LINE channel %s has no channel access token", req.Channel.ID)
	}
	msgs, first, err := Render(req.Messages)
	if err != nil {
		return switchboard.SendResult{}, err
	}
	if req.To.ReplyToken != "" {
		body, err := json.Marshal(&messaging_api.ReplyMessageRequest{ReplyToken: req.To.ReplyToken, Messages: msgs})
		if err != nil {
			return switchboard.SendResult{}, switchboard.Wrap(switchboard.EInternal, err, "LINE reply could not be encoded")
		}
		resp, err := s.client().Do(ctx, s.request(req.Channel, "/v2/bot/message/reply", body, nil))
		if err == nil {
			return switchboard.SendResult{PlatformMessageIDs: sentIDs(resp.Body, first), Via: "reply"}, nil
		}
		if !tokenRefused(resp) {
			return switchboard.SendResult{}, err
		}
		s.log(ctx, "LINE refused the reply token; pushing instead", req)
	}
	return s.push(ctx, req, msgs, first)
}

// push sends with the push endpoint and a retry key.
func (s *Sender) push(ctx context.Context, req switchboard.SendRequest, msgs []messaging_api.MessageInterface, first []int) (switchboard.SendResult, error) {
	body, err := json.Marshal(&messaging_api.PushMessageRequest{To: req.To.PlatformUserID, Messages: msgs})
	if err != nil {
		return switchboard.SendResult{}, switchboard.Wrap(switchboard.EInternal, err, "LINE push could not be encoded")
	}
	key := RetryKey(req.Channel.ID, req.To.PlatformUserID, req.IdempotencyKey)
	resp, err := s.client().Do(ctx, s.request(req.Channel, "/v2/bot/message/push", body, http.Header{RetryKeyHeader: {key}}))
	if err != nil {
		if resp == nil || resp.Status != http.StatusConflict {
			return switchboard.SendResult{}, err
		}
		// The key was accepted before (an earlier attempt whose answer was
		// lost): the messages went out then, and must not go out again.
		if s.Logger != nil {
			s.Logger.LogAttrs(ctx, slog.LevelInfo, "LINE push already accepted for this retry key",
				slog.String("channel", req.Channel.ID), slog.String("retryKey", key),
				slog.String("acceptedRequestId", resp.Header.Get(acceptedRequestHeader)))
		}
	}
	return switchboard.SendResult{PlatformMessageIDs: sentIDs(resp.Body, first), Via: "push"}, nil
}

func (s *Sender) request(ch *switchboard.Channel, path string, body []byte, h http.Header) apiclient.Request {
	if h == nil {
		h = http.Header{}
	}
	h.Set("Authorization", "Bearer "+ch.Secrets.AccessToken)
	h.Set("Content-Type", "application/json")
	base := s.BaseURL
	if base == "" {
		base = DefaultAPIBaseURL
	}
	return apiclient.Request{
		Platform: "LINE", Method: http.MethodPost, URL: strings.TrimRight(base, "/") + path,
		Header: h, Body: body, Secrets: apiclient.Secrets(ch), Codes: lineCodes,
	}
}

// lineCodes keeps LINE's monthly quota apart from its rate limit: both are
// 429, but the quota does not pass by retrying within the month.
func lineCodes(p apiclient.PlatformError) (string, bool) {
	if strings.Contains(strings.ToLower(p.Message), "monthly limit") {
		return switchboard.EForbidden, true
	}
	return "", false
}

// tokenRefused reports LINE's answer to a used or expired reply token.
func tokenRefused(resp *apiclient.Response) bool {
	return resp != nil && resp.Status == http.StatusBadRequest &&
		strings.Contains(strings.ToLower(apiclient.ParseError(resp.Body).Message), "invalid reply token")
}

// sentIDs picks, from LINE's sentMessages, the id of each OutboundMessage's
// first LINE message.
func sentIDs(body []byte, first []int) []string {
	var r messaging_api.ReplyMessageResponse
	if json.Unmarshal(body, &r) != nil || len(r.SentMessages) == 0 {
		return nil
	}
	ids := make([]string, 0, len(first))
	for _, i := range first {
		if i < len(r.SentMessages) {
			ids = append(ids, r.SentMessages[i].Id)
		}
	}
	return ids
}

func (s *Sender) client() *apiclient.Client {
	if s.Client == nil {
		return &apiclient.Client{}
	}
	return s.Client
}

func (s *Sender) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock()
}

func (s *Sender) log(ctx context.Context, msg string, req switchboard.SendRequest) {
	if s.Logger != nil {
		s.Logger.LogAttrs(ctx, slog.LevelInfo, msg, slog.String("channel", req.Channel.ID))
	}
}

// RetryKey returns the X-Line-Retry-Key of a push: a UUID (version 5 layout,
// SHA-256 based) derived from the channel, the recipient and the send's
// idempotency key, so every retry of the same send carries the same key and
// the same key never serves two recipients. Without an idempotency key it is
// random, which still makes the in-process retries of one call safe.
func RetryKey(channelID, to, idempotencyKey string) string {
	var b [16]byte
	if idempotencyKey == "" {
		_, _ = rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x40
	} else {
		sum := sha256.Sum256([]byte("switchboard/line-retry-key\x00" + channelID + "\x00" + to + "\x00" + idempotencyKey))
		copy(b[:], sum[:16])
		b[6] = b[6]&0x0f | 0x50
	}
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
