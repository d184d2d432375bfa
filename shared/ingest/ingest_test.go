package ingest

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// fakeLookup is a ChannelLookup made of a function field.
type fakeLookup struct {
	fn    func(ctx context.Context, id string) (*switchboard.Channel, error)
	calls int
}

func (f *fakeLookup) LookupChannel(ctx context.Context, id string) (*switchboard.Channel, error) {
	f.calls++
	return f.fn(ctx, id)
}

// fakePublisher records what was published.
type fakePublisher struct {
	fn        func(ctx context.Context, evs []switchboard.InboundEvent) error
	published [][]switchboard.InboundEvent
}

func (f *fakePublisher) PublishInbound(ctx context.Context, evs []switchboard.InboundEvent) error {
	if f.fn != nil {
		if err := f.fn(ctx, evs); err != nil {
			return err
		}
	}
	f.published = append(f.published, evs)
	return nil
}

// fakeWebhook verifies a header equal to the secret and parses "a,b,c" into
// one event per comma-separated id; "{" is malformed.
type fakeWebhook struct{}

func (fakeWebhook) Verify(ch *switchboard.Channel, req channel.Request) error {
	if ch.Secrets.SigningSecret == "" {
		return channel.ErrNoSecret()
	}
	if req.Header("X-Sig") != ch.Secrets.SigningSecret {
		return channel.ErrBadSignature("x-sig")
	}
	return nil
}

func (fakeWebhook) Parse(ch *switchboard.Channel, body []byte) ([]switchboard.InboundEvent, error) {
	s := string(body)
	if strings.HasPrefix(s, "{") {
		return nil, switchboard.Errorf(switchboard.EInvalid, "malformed JSON: unexpected end of input")
	}
	var evs []switchboard.InboundEvent
	for _, id := range strings.Split(s, ",") {
		if id == "" {
			continue
		}
		evs = append(evs, switchboard.InboundEvent{ID: id, TeamID: ch.TeamID, ChannelID: ch.ID, ChannelKind: ch.Kind, Type: switchboard.InMessage, CustomerID: "U1"})
	}
	return evs, nil
}

type fakeHandshakeWebhook struct{ fakeWebhook }

func (fakeHandshakeWebhook) Handshake(ch *switchboard.Channel, q map[string]string) (string, error) {
	if q["hub.verify_token"] != ch.Secrets.VerifyToken {
		return "", switchboard.Errorf(switchboard.EForbidden, "verify token does not match")
	}
	return q["hub.challenge"], nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func channels() map[string]*switchboard.Channel {
	return map[string]*switchboard.Channel{
		"c-line":     {ID: "c-line", TeamID: "t1", Kind: switchboard.KindLINE, Enabled: true, Secrets: switchboard.ChannelSecrets{SigningSecret: "s3cret"}},
		"c-nosecret": {ID: "c-nosecret", TeamID: "t1", Kind: switchboard.KindLINE, Enabled: true},
		"c-off":      {ID: "c-off", TeamID: "t1", Kind: switchboard.KindLINE, Enabled: false, Secrets: switchboard.ChannelSecrets{SigningSecret: "s3cret"}},
		"c-fb":       {ID: "c-fb", TeamID: "t2", Kind: switchboard.KindMessenger, Enabled: true, Secrets: switchboard.ChannelSecrets{SigningSecret: "s3cret", VerifyToken: "vt"}},
	}
}

func newTestHandler(t *testing.T, pub *fakePublisher) (*Handler, *fakeLookup, *clock) {
	t.Helper()
	chs := channels()
	look := &fakeLookup{fn: func(_ context.Context, id string) (*switchboard.Channel, error) {
		if c, ok := chs[id]; ok {
			cp := *c
			return &cp, nil
		}
		return nil, switchboard.Errorf(switchboard.ENotFound, "channel not found")
	}}
	clk := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	h := New(Config{
		Channels:  look,
		Webhooks:  channel.Registry{switchboard.KindLINE: fakeWebhook{}, switchboard.KindMessenger: fakeHandshakeWebhook{}},
		Publisher: pub,
		Clock:     clk.now,
	})
	return h, look, clk
}

func post(kind, id, sig, body string) events.APIGatewayV2HTTPRequest {
	r := events.APIGatewayV2HTTPRequest{
		RawPath:        "/webhooks/" + kind + "/" + id,
		PathParameters: map[string]string{"kind": kind, "channelId": id},
		Headers:        map[string]string{"content-type": "application/json"},
		Body:           body,
	}
	if sig != "" {
		r.Headers["X-Sig"] = sig // mixed case on purpose: lookups must not care
	}
	r.RequestContext.HTTP.Method = "POST"
	r.RequestContext.RequestID = "req-1"
	return r
}

func TestHandleStatusesAndNothingEnqueuedOnFailure(t *testing.T) {
	big := strings.Repeat("a", channel.MaxBodyBytes+1)
	b64 := post("line", "c-line", "s3cret", "")
	b64.Body = base64.StdEncoding.EncodeToString([]byte("e1,e2"))
	b64.IsBase64Encoded = true
	badB64 := post("line", "c-line", "s3cret", "!!!not base64")
	badB64.IsBase64Encoded = true
	catchAll := post("line", "c-line", "s3cret", "e9")
	catchAll.PathParameters = nil

	tests := []struct {
		name       string
		req        events.APIGatewayV2HTTPRequest
		wantStatus int
		wantBody   string
		wantEvents int
	}{
		{"valid", post("line", "c-line", "s3cret", "e1,e2,e3"), 200, "OK", 3},
		{"base64 body", b64, 200, "OK", 2},
		{"catch-all route", catchAll, 200, "OK", 1},
		{"connectivity check", post("line", "c-line", "s3cret", ""), 200, "OK", 0},
		{"unknown kind", post("telegram", "c-line", "s3cret", "e1"), 404, "unknown webhook kind", 0},
		{"unknown channel", post("line", "nope", "s3cret", "e1"), 404, "channel not found", 0},
		{"kind mismatch", post("messenger", "c-line", "s3cret", "e1"), 404, "channel not found", 0},
		{"disabled channel", post("line", "c-off", "s3cret", "e1"), 404, "channel not found", 0},
		{"missing signature", post("line", "c-line", "", "e1"), 401, "signature", 0},
		{"bad signature", post("line", "c-line", "wrong", "e1"), 401, "signature", 0},
		{"no secret configured", post("line", "c-nosecret", "", "e1"), 401, "no signing secret", 0},
		{"too large", post("line", "c-line", "s3cret", big), 413, "limit", 0},
		{"broken base64", badB64, 400, "", 0},
		{"malformed", post("line", "c-line", "s3cret", "{"), 400, "malformed JSON", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &fakePublisher{}
			h, _, _ := newTestHandler(t, pub)
			resp, err := h.Handle(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("Handle returned error %v; it must answer with a status instead", err)
			}
			if got, want := resp.StatusCode, tt.wantStatus; got != want {
				t.Errorf("status = %d, want %d (body %s)", got, want, resp.Body)
			}
			if !strings.Contains(resp.Body, tt.wantBody) {
				t.Errorf("body = %q, want it to contain %q", resp.Body, tt.wantBody)
			}
			got := 0
			for _, p := range pub.published {
				got += len(p)
			}
			if got != tt.wantEvents {
				t.Errorf("events enqueued = %d, want %d", got, tt.wantEvents)
			}
			if tt.wantEvents == 0 && len(pub.published) != 0 {
				t.Errorf("publish called %d times, want 0", len(pub.published))
			}
		})
	}
}

func TestHandlePublishesOneBatchStampedWithChannel(t *testing.T) {
	pub := &fakePublisher{}
	h, _, _ := newTestHandler(t, pub)
	if _, err := h.Handle(context.Background(), post("line", "c-line", "s3cret", "e1,e2")); err != nil {
		t.Fatal(err)
	}
	if got, want := len(pub.published), 1; got != want {
		t.Fatalf("publish calls = %d, want %d", got, want)
	}
	for _, e := range pub.published[0] {
		if e.TeamID != "t1" || e.ChannelID != "c-line" {
			t.Errorf("event %s stamped %s/%s, want t1/c-line", e.ID, e.TeamID, e.ChannelID)
		}
	}
}

func TestHandlePublishFailureIs503(t *testing.T) {
	pub := &fakePublisher{fn: func(context.Context, []switchboard.InboundEvent) error {
		return switchboard.Wrap(switchboard.EUnavailable, errors.New("sqs down"), "could not enqueue events")
	}}
	h, _, _ := newTestHandler(t, pub)
	resp, _ := h.Handle(context.Background(), post("line", "c-line", "s3cret", "e1"))
	if got, want := resp.StatusCode, 503; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	if strings.Contains(resp.Body, "sqs down") {
		t.Errorf("body %q leaks the internal cause", resp.Body)
	}
}

func TestHandshake(t *testing.T) {
	get := func(kind, id string, q map[string]string) events.APIGatewayV2HTTPRequest {
		r := post(kind, id, "", "")
		r.RequestContext.HTTP.Method = "GET"
		r.QueryStringParameters = q
		return r
	}
	tests := []struct {
		name       string
		req        events.APIGatewayV2HTTPRequest
		wantStatus int
		wantBody   string
	}{
		{"match", get("messenger", "c-fb", map[string]string{"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "12345"}), 200, "12345"},
		{"wrong token", get("messenger", "c-fb", map[string]string{"hub.mode": "subscribe", "hub.verify_token": "no", "hub.challenge": "12345"}), 403, "verify token"},
		{"no handshake on LINE", get("line", "c-line", nil), 400, "no GET handshake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, _ := newTestHandler(t, &fakePublisher{})
			resp, _ := h.Handle(context.Background(), tt.req)
			if got, want := resp.StatusCode, tt.wantStatus; got != want {
				t.Errorf("status = %d, want %d (%s)", got, want, resp.Body)
			}
			if !strings.Contains(resp.Body, tt.wantBody) {
				t.Errorf("body = %q, want %q", resp.Body, tt.wantBody)
			}
		})
	}
}

func TestChannelCache(t *testing.T) {
	pub := &fakePublisher{}
	h, look, clk := newTestHandler(t, pub)
	ctx := context.Background()

	for range 3 {
		h.Handle(ctx, post("line", "c-line", "s3cret", "e1"))
	}
	if got, want := look.calls, 1; got != want {
		t.Errorf("lookups after 3 warm requests = %d, want %d", got, want)
	}
	for range 3 {
		h.Handle(ctx, post("line", "nope", "s3cret", "e1"))
	}
	if got, want := look.calls, 2; got != want {
		t.Errorf("lookups after 3 requests for an unknown channel = %d, want %d (misses are cached)", got, want)
	}
	clk.t = clk.t.Add(2 * time.Minute)
	h.Handle(ctx, post("line", "c-line", "s3cret", "e1"))
	if got, want := look.calls, 3; got != want {
		t.Errorf("lookups after the TTL = %d, want %d", got, want)
	}
}

func TestRotatedSecretIsPickedUpBeforeTTL(t *testing.T) {
	pub := &fakePublisher{}
	h, look, clk := newTestHandler(t, pub)
	ctx := context.Background()
	h.Handle(ctx, post("line", "c-line", "s3cret", "e1")) // caches the old secret

	rotated := &switchboard.Channel{ID: "c-line", TeamID: "t1", Kind: switchboard.KindLINE, Enabled: true, Secrets: switchboard.ChannelSecrets{SigningSecret: "n3w"}}
	look.fn = func(context.Context, string) (*switchboard.Channel, error) { cp := *rotated; return &cp, nil }

	// Within the refresh interval a bad signature must not cause a read.
	clk.t = clk.t.Add(time.Second)
	resp, _ := h.Handle(ctx, post("line", "c-line", "n3w", "e2"))
	if got, want := resp.StatusCode, 401; got != want {
		t.Errorf("status within refresh interval = %d, want %d", got, want)
	}
	if got, want := look.calls, 1; got != want {
		t.Errorf("lookups = %d, want %d", got, want)
	}
	clk.t = clk.t.Add(15 * time.Second)
	resp, _ = h.Handle(ctx, post("line", "c-line", "n3w", "e3"))
	if got, want := resp.StatusCode, 200; got != want {
		t.Errorf("status after rotation = %d, want %d (%s)", got, want, resp.Body)
	}
	resp, _ = h.Handle(ctx, post("line", "c-line", "s3cret", "e4"))
	if got, want := resp.StatusCode, 401; got != want {
		t.Errorf("old secret after rotation: status = %d, want %d", got, want)
	}
}

func TestLookupFailureIsNotCached(t *testing.T) {
	pub := &fakePublisher{}
	h, look, _ := newTestHandler(t, pub)
	orig := look.fn
	look.fn = func(context.Context, string) (*switchboard.Channel, error) {
		return nil, switchboard.Errorf(switchboard.EUnavailable, "database unavailable")
	}
	resp, _ := h.Handle(context.Background(), post("line", "c-line", "s3cret", "e1"))
	if got, want := resp.StatusCode, 503; got != want {
		t.Fatalf("status = %d, want %d", got, want)
	}
	look.fn = orig
	resp, _ = h.Handle(context.Background(), post("line", "c-line", "s3cret", "e1"))
	if got, want := resp.StatusCode, 200; got != want {
		t.Fatalf("status after recovery = %d, want %d", got, want)
	}
}
