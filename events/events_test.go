package events

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/channel/line"
	"github.com/switchboard-chat/switchboard/shared/channel/meta"
	"github.com/switchboard-chat/switchboard/shared/channel/whatsapp"
	"github.com/switchboard-chat/switchboard/shared/channel/widget"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

const resign = "the sample is stale: run `go run ./infra/eventsign` from the repository root"

// decodeStrict decodes b into v, refusing fields v's type does not have and
// anything after the value, so a typo in a sample cannot pass silently.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

// TestFilesDecode checks every file under events/ against the type of its folder.
func TestFilesDecode(t *testing.T) {
	types := map[string]func() any{
		"webhooks": func() any { return new(lambdaevents.APIGatewayV2HTTPRequest) },
		"sqs":      func() any { return new(lambdaevents.SQSEvent) },
		"schedule": func() any { return new(lambdaevents.EventBridgeEvent) },
	}
	n := 0
	err := fs.WalkDir(Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		t.Run(p, func(t *testing.T) {
			newT, ok := types[path.Dir(p)]
			if !ok {
				t.Fatalf("no event type for folder %q", path.Dir(p))
			}
			b, err := Files.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := decodeStrict(b, newT()); err != nil {
				t.Fatalf("does not decode strictly into %T: %v", newT(), err)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no sample files embedded")
	}
}

func registry() channel.Registry {
	return channel.Registry{
		switchboard.KindLINE:      line.Webhook{},
		switchboard.KindMessenger: meta.Webhook{Kind: switchboard.KindMessenger},
		switchboard.KindInstagram: meta.Webhook{Kind: switchboard.KindInstagram},
		switchboard.KindWhatsApp:  whatsapp.Webhook{},
		switchboard.KindWidget:    widget.Webhook{},
	}
}

// handshake marks a GET sample, answered by Handshake rather than parsed.
const handshake = switchboard.InboundType("handshake")

// TestWebhooks takes every webhook sample through what ingest does with it:
// route, verify with the demo secret, parse.
func TestWebhooks(t *testing.T) {
	var (
		msg      = switchboard.InMessage
		postback = switchboard.InPostback
		status   = switchboard.InStatus
	)
	tests := map[string][]switchboard.InboundType{
		"line-text.json":                  {msg},
		"line-text-base64.json":           {msg},
		"line-image.json":                 {msg},
		"line-sticker.json":               {msg},
		"line-location.json":              {msg},
		"line-postback.json":              {postback},
		"line-follow.json":                {switchboard.InFollow},
		"line-unfollow.json":              {switchboard.InUnfollow},
		"line-connectivity-check.json":    {},
		"line-redelivery.json":            {msg},
		"messenger-text.json":             {msg},
		"messenger-attachment.json":       {msg},
		"messenger-quick-reply.json":      {msg},
		"messenger-postback.json":         {postback},
		"messenger-referral.json":         {switchboard.InReferral},
		"messenger-delivery.json":         {status},
		"messenger-read.json":             {status},
		"messenger-batch.json":            {msg, status, postback},
		"messenger-handshake.json":        {handshake},
		"instagram-text.json":             {msg},
		"instagram-postback.json":         {postback},
		"whatsapp-text.json":              {msg},
		"whatsapp-image.json":             {msg},
		"whatsapp-interactive-reply.json": {postback},
		"whatsapp-button.json":            {postback},
		"whatsapp-status-delivered.json":  {status},
		"whatsapp-status-read.json":       {status},
		"whatsapp-status-failed.json":     {status},
		"widget-open.json":                {switchboard.InFollow},
		"widget-message.json":             {msg},
		"widget-postback.json":            {postback},
	}
	samples, err := WebhookSamples()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range samples {
		names = append(names, s.Name)
	}
	for name := range tests {
		if !slices.Contains(names, name) {
			t.Errorf("%s is expected but missing from events/webhooks", name)
		}
	}
	base64Samples := 0
	reg := registry()
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			want, ok := tests[s.Name]
			if !ok {
				t.Fatalf("no expectation for %s: add it to this test", s.Name)
			}
			if s.Request.IsBase64Encoded {
				base64Samples++
			}
			req := s.Request
			kind := s.Kind()
			if !strings.HasPrefix(s.Name, string(kind)+"-") {
				t.Fatalf("file name does not start with its kind %q", kind)
			}
			ch := DemoChannel(kind)
			if ch == nil {
				t.Fatalf("pathParameters.kind %q has no demo channel", kind)
			}
			method := req.RequestContext.HTTP.Method
			wantPath := "/webhooks/" + string(kind) + "/" + ch.ID
			if req.PathParameters["channelId"] != ch.ID || req.RawPath != wantPath || req.RequestContext.HTTP.Path != wantPath {
				t.Errorf("path %q / %q / channelId %q, want %q for the demo %s channel",
					req.RawPath, req.RequestContext.HTTP.Path, req.PathParameters["channelId"], wantPath, kind)
			}
			if wantRoute := method + " /webhooks/{kind}/{channelId}"; req.RouteKey != wantRoute || req.RequestContext.RouteKey != wantRoute {
				t.Errorf("routeKey %q / %q, want %q", req.RouteKey, req.RequestContext.RouteKey, wantRoute)
			}
			if req.Version != "2.0" {
				t.Errorf("version = %q, want 2.0", req.Version)
			}
			wh := reg[kind]
			creq := channel.Request{Method: method, Headers: apigw.Headers(req), Query: req.QueryStringParameters}

			if slices.Equal(want, []switchboard.InboundType{handshake}) {
				hs, ok := wh.(channel.Handshaker)
				if !ok || method != "GET" {
					t.Fatalf("handshake sample must be a GET to a kind with a handshake (method %q)", method)
				}
				got, err := hs.Handshake(ch, creq.Query)
				if err != nil {
					t.Fatalf("Handshake: %v", err)
				}
				if want := creq.Query["hub.challenge"]; got != want || got == "" {
					t.Errorf("Handshake = %q, want the challenge %q", got, want)
				}
				return
			}

			if method != "POST" {
				t.Fatalf("method = %q, want POST", method)
			}
			body, err := apigw.Body(req, channel.MaxBodyBytes)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := creq.Headers["content-length"], fmt.Sprint(len(body)); got != want {
				t.Errorf("content-length = %q, want %q: %s", got, want, resign)
			}
			if !strings.HasPrefix(creq.Headers["content-type"], "application/json") {
				t.Errorf("content-type = %q, want application/json", creq.Headers["content-type"])
			}
			creq.Body = body
			if err := wh.Verify(ch, creq); err != nil {
				t.Fatalf("Verify with the demo secret: %v: %s", err, resign)
			}
			evs, err := wh.Parse(ch, body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got []switchboard.InboundType
			for _, e := range evs {
				got = append(got, e.Type)
				if e.TeamID != DemoTeamID || e.ChannelID != ch.ID || e.ID == "" || e.CustomerID == "" {
					t.Errorf("event not stamped with the demo channel or lacking ids: %+v", e)
				}
			}
			if !reflect.DeepEqual(got, want) && (len(got) != 0 || len(want) != 0) {
				t.Errorf("event types = %v, want %v", got, want)
			}
		})
	}
	if base64Samples != 1 {
		t.Errorf("%d samples are base64-encoded, want exactly 1", base64Samples)
	}
}

// TestWebhookSamplesFilter checks the kind filter the channel packages' fuzz
// targets rely on for their seeds.
func TestWebhookSamplesFilter(t *testing.T) {
	all, err := WebhookSamples()
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range switchboard.ChannelKinds {
		got, err := WebhookSamples(kind)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, s := range all {
			if s.Kind() == kind {
				want++
			}
		}
		if len(got) != want || want == 0 {
			t.Errorf("WebhookSamples(%s) = %d samples, want %d (and at least one)", kind, len(got), want)
		}
	}
}

// TestSQS checks that each record's body is an InboundEvent and that what SQS
// and the publisher derive from it matches.
func TestSQS(t *testing.T) {
	b, err := Files.ReadFile("sqs/inbound-fifo.json")
	if err != nil {
		t.Fatal(err)
	}
	var e lambdaevents.SQSEvent
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Records) == 0 {
		t.Fatal("no records")
	}
	for i, r := range e.Records {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var ev switchboard.InboundEvent
			if err := decodeStrict([]byte(r.Body), &ev); err != nil {
				t.Fatalf("body is not an InboundEvent: %v", err)
			}
			if ev.TeamID != DemoTeamID || DemoChannel(ev.ChannelKind) == nil || DemoChannel(ev.ChannelKind).ID != ev.ChannelID {
				t.Errorf("event is not for a demo channel: %+v", ev)
			}
			if !strings.HasSuffix(r.EventSourceARN, ".fifo") || r.EventSource != "aws:sqs" || r.AWSRegion != "ap-northeast-1" {
				t.Errorf("source %q %q %q, want a FIFO queue in ap-northeast-1", r.EventSource, r.EventSourceARN, r.AWSRegion)
			}
			sum := md5.Sum([]byte(r.Body))
			checks := []struct{ name, got, want string }{
				{"md5OfBody", r.Md5OfBody, hex.EncodeToString(sum[:])},
				{"MessageGroupId", r.Attributes["MessageGroupId"], ev.GroupID()},
				{"MessageDeduplicationId", r.Attributes["MessageDeduplicationId"], ev.DedupID()},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q: %s", c.name, c.got, c.want, resign)
				}
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	b, err := Files.ReadFile("schedule/every-minute.json")
	if err != nil {
		t.Fatal(err)
	}
	var e lambdaevents.EventBridgeEvent
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if e.DetailType != "Scheduled Event" || e.Source != "aws.events" || e.Time.IsZero() || len(e.Resources) != 1 {
		t.Errorf("not a scheduled event: %+v", e)
	}
}

func TestDemoChannels(t *testing.T) {
	chs := DemoChannels()
	if len(chs) != len(switchboard.ChannelKinds) {
		t.Fatalf("%d demo channels, want one per kind (%d)", len(chs), len(switchboard.ChannelKinds))
	}
	ids := map[string]bool{}
	for _, c := range chs {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.Kind, err)
		}
		if len(c.ID) != 26 || ids[c.ID] {
			t.Errorf("%s: id %q is not a unique 26-character id", c.Kind, c.ID)
		}
		ids[c.ID] = true
		if c.TeamID != DemoTeamID || c.Secrets.SigningSecret != DemoSecret || c.Secrets.VerifyToken != DemoVerifyToken || !c.Enabled {
			t.Errorf("%s: %+v", c.Kind, c)
		}
	}
	if DemoChannel("wechat") != nil {
		t.Error("DemoChannel of an unknown kind is not nil")
	}
	// Fresh values each call: a test changing one cannot break another.
	DemoChannel(switchboard.KindLINE).Secrets.SigningSecret = "changed"
	if got := DemoChannel(switchboard.KindLINE).Secrets.SigningSecret; got != DemoSecret {
		t.Errorf("DemoChannel shares state: secret = %q", got)
	}
}
