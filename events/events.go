// Package events holds Switchboard's sample events: the JSON files beside this
// file, used by `sam local invoke`, the local runner and tests, and the fixed
// demo team, channels and secrets they are made for.
//
// Layout, one folder per event type (the test decodes each file strictly into
// the type of its folder):
//
//   - webhooks/<kind>-<event>.json: API Gateway HTTP API (payload 2.0) requests
//     to /webhooks/{kind}/{channelId}, shaped after each platform's documented
//     examples and signed with DemoSecret. After editing a body, run
//     `go run ./infra/eventsign` to recompute the signature and content-length.
//   - sqs/*.json: SQS events as Lambda receives them from inbound.fifo.
//   - schedule/*.json: EventBridge "Scheduled Event"s.
//
// The demo ids are fixed, ULID-shaped and readable, so a sample's channel is
// obvious at a glance and the local stack can seed exactly these channels.
// DemoSecret and DemoVerifyToken are public on purpose: never give a real
// channel these values.
package events

import (
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Demo secrets: the signing secret of every demo channel (LINE channel secret,
// Meta app secret, widget token) and the verify token of Meta's handshake.
const (
	DemoSecret      = "switchboard-demo-secret"
	DemoVerifyToken = "switchboard-demo-verify-token"
)

// DemoTeamID owns every demo channel.
const DemoTeamID = "01JDEMOTEAM000000000000000"

// Demo channel ids, one per kind: the {channelId} of the samples' webhook URLs.
const (
	DemoLINEChannelID      = "01JDEMOLINE000000000000000"
	DemoMessengerChannelID = "01JDEMOMESSENGER0000000000"
	DemoInstagramChannelID = "01JDEMOINSTAGRAM0000000000"
	DemoWhatsAppChannelID  = "01JDEMOWHATSAPP00000000000"
	DemoWidgetChannelID    = "01JDEMOWIDGET0000000000000"
)

// Demo platform ids (switchboard.Channel.PlatformID): the LINE bot's user id
// (the webhook destination), the Facebook page id, the Instagram professional
// account id, the WhatsApp phone_number_id and the widget id, as they appear in
// the sample bodies.
const (
	DemoLINEBotID             = "Ud0e1f2a3b4c5d6e7f8091a2b3c4d5e6f"
	DemoPageID                = "102938475610293"
	DemoInstagramAccountID    = "17841405822304914"
	DemoWhatsAppPhoneNumberID = "106540352242922"
	DemoWidgetID              = "demo-widget"
)

// Files are the sample files, embedded so tests of other packages (fuzz seeds,
// end-to-end runs) read exactly what is in the repository.
//
//go:embed webhooks/*.json sqs/*.json schedule/*.json
var Files embed.FS

// DemoChannels returns the demo channels, one per kind, enabled and holding the
// demo secrets. Each call returns fresh values the caller may change.
func DemoChannels() []*switchboard.Channel {
	type demo struct {
		id, platformID string
		kind           switchboard.ChannelKind
		name           string
	}
	demos := []demo{
		{DemoLINEChannelID, DemoLINEBotID, switchboard.KindLINE, "Demo LINE"},
		{DemoMessengerChannelID, DemoPageID, switchboard.KindMessenger, "Demo Messenger"},
		{DemoInstagramChannelID, DemoInstagramAccountID, switchboard.KindInstagram, "Demo Instagram"},
		{DemoWhatsAppChannelID, DemoWhatsAppPhoneNumberID, switchboard.KindWhatsApp, "Demo WhatsApp"},
		{DemoWidgetChannelID, DemoWidgetID, switchboard.KindWidget, "Demo widget"},
	}
	out := make([]*switchboard.Channel, 0, len(demos))
	for _, d := range demos {
		out = append(out, &switchboard.Channel{
			ID:         d.id,
			TeamID:     DemoTeamID,
			Kind:       d.kind,
			Name:       d.name,
			PlatformID: d.platformID,
			Secrets:    switchboard.ChannelSecrets{SigningSecret: DemoSecret, VerifyToken: DemoVerifyToken},
			Enabled:    true,
			Version:    1,
		})
	}
	return out
}

// DemoChannel returns the demo channel of kind, or nil for an unknown kind.
func DemoChannel(kind switchboard.ChannelKind) *switchboard.Channel {
	for _, c := range DemoChannels() {
		if c.Kind == kind {
			return c
		}
	}
	return nil
}

// WebhookSample is one file of webhooks/, decoded.
type WebhookSample struct {
	// Name is the file name, e.g. "line-text.json".
	Name    string
	Request lambdaevents.APIGatewayV2HTTPRequest
}

// Kind is the channel kind of the sample's URL.
func (s WebhookSample) Kind() switchboard.ChannelKind {
	return switchboard.ChannelKind(s.Request.PathParameters["kind"])
}

// Body returns the raw request body, base64-decoded when the sample says
// API Gateway encoded it: the bytes the platform signed.
func (s WebhookSample) Body() ([]byte, error) {
	if !s.Request.IsBase64Encoded {
		return []byte(s.Request.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(s.Request.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: body is flagged base64 but is not: %w", s.Name, err)
	}
	return b, nil
}

// WebhookSamples returns every webhook sample, in file name order. kinds, when
// given, keeps only samples for those channel kinds.
func WebhookSamples(kinds ...switchboard.ChannelKind) ([]WebhookSample, error) {
	names, err := fs.Glob(Files, "webhooks/*.json")
	if err != nil {
		return nil, err
	}
	var out []WebhookSample
	for _, name := range names {
		b, err := Files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		s := WebhookSample{Name: path.Base(name)}
		if err := json.Unmarshal(b, &s.Request); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(kinds) > 0 && !slices.Contains(kinds, s.Kind()) {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}
