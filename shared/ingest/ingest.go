// Package ingest is the webhook front door: it turns a channel platform's HTTP
// request into normalised inbound events on the inbound queue, and answers fast.
// It verifies before it parses and parses before it enqueues, so a request that
// fails any step leaves nothing behind.
package ingest

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
	"github.com/switchboard-chat/switchboard/shared/ttlcache"
)

// ChannelLookup finds a channel by the id in the webhook URL.
type ChannelLookup interface {
	LookupChannel(ctx context.Context, id string) (*switchboard.Channel, error)
}

// Config wires a Handler.
type Config struct {
	Channels  ChannelLookup
	Webhooks  channel.Registry
	Publisher switchboard.InboundPublisher
	Logger    *slog.Logger
	Metrics   *telemetry.Metrics
	Clock     switchboard.Clock
	// CacheTTL is how long channel configuration is kept in memory; 0 means one
	// minute. A failed signature re-reads a channel sooner, so a rotated secret
	// does not wait for it.
	CacheTTL time.Duration
}

// Handler serves POST and GET /webhooks/{kind}/{channelId}.
type Handler struct {
	webhooks channel.Registry
	pub      switchboard.InboundPublisher
	log      *slog.Logger
	metrics  *telemetry.Metrics
	now      switchboard.Clock
	channels *ttlcache.Cache[*switchboard.Channel]
}

// New returns a Handler. It holds the channel cache, so build one per process and
// reuse it across invocations.
func New(cfg Config) *Handler {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = time.Minute
	}
	return &Handler{
		webhooks: cfg.Webhooks,
		pub:      cfg.Publisher,
		log:      cfg.Logger,
		metrics:  cfg.Metrics,
		now:      cfg.Clock,
		channels: newChannelCache(cfg.Channels, cfg.Clock, cfg.CacheTTL),
	}
}

// Channel cache settings. Unknown ids are remembered for a sixth of the TTL, so
// a flood of webhooks to a bogus channel id costs one read per interval, not one
// each, while a channel created meanwhile is served soon. A channel is re-read
// on a failed signature at most once per refresh interval, so bad signatures
// cannot make every request read the database either.
const (
	cacheRefreshInterval = 10 * time.Second
	cacheEntries         = 10000
)

// newChannelCache returns the cache that keeps channel configuration in memory
// between invocations of a warm Lambda, so a webhook delivery costs no read.
func newChannelCache(lookup ChannelLookup, now switchboard.Clock, ttl time.Duration) *ttlcache.Cache[*switchboard.Channel] {
	return ttlcache.New(lookup.LookupChannel, now, ttl, cacheEntries,
		ttlcache.WithNotFoundTTL(ttl/6),
		ttlcache.WithRefreshInterval(cacheRefreshInterval))
}

// Handle answers one webhook request. It never returns an error to Lambda: every
// failure becomes an HTTP status the platform understands (401 refused, 404
// unknown, 413 too large, 400 malformed, 503 try again later).
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	start := h.now()
	ctx = apigw.ContextWithRequestID(ctx, apigw.RequestID(req))
	kind, channelID := route(req)
	log := h.log.With(
		slog.String("requestId", req.RequestContext.RequestID),
		slog.String("channelKind", string(kind)),
		slog.String("channelId", channelID),
	)
	resp, n, err := h.handle(ctx, log, req, kind, channelID)
	dims := map[string]string{"ChannelKind": string(kind)}
	if err != nil {
		h.metrics.Count(map[string]float64{"WebhooksRejected": 1}, dims)
		return apigw.Error(ctx, log, err), nil
	}
	resp = apigw.WithRequestID(resp, apigw.RequestID(req))
	h.metrics.Count(map[string]float64{"WebhooksAccepted": 1, "EventsIngested": float64(n)}, dims)
	log.Info("webhook accepted", slog.Int("events", n), slog.Duration("took", h.now().Sub(start)))
	return resp, nil
}

func (h *Handler) handle(ctx context.Context, log *slog.Logger, req events.APIGatewayV2HTTPRequest, kind switchboard.ChannelKind, channelID string) (events.APIGatewayV2HTTPResponse, int, error) {
	wh, ok := h.webhooks[kind]
	if !ok || channelID == "" {
		return events.APIGatewayV2HTTPResponse{}, 0, switchboard.Errorf(switchboard.ENotFound, "unknown webhook kind %q", kind)
	}
	ch, err := h.channels.Get(ctx, channelID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, 0, err
	}
	if ch.Kind != kind || !ch.Enabled {
		return events.APIGatewayV2HTTPResponse{}, 0, switchboard.Errorf(switchboard.ENotFound, "channel not found")
	}
	log = log.With(slog.String("teamId", ch.TeamID))

	creq := channel.Request{
		Method:  strings.ToUpper(req.RequestContext.HTTP.Method),
		Headers: apigw.Headers(req),
		Query:   req.QueryStringParameters,
	}
	if creq.Method == "GET" {
		hs, ok := wh.(channel.Handshaker)
		if !ok {
			return events.APIGatewayV2HTTPResponse{}, 0, switchboard.Errorf(switchboard.EInvalid, "%s webhooks have no GET handshake", kind)
		}
		challenge, err := hs.Handshake(ch, creq.Query)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, 0, err
		}
		return apigw.Text(200, challenge), 0, nil
	}

	body, err := apigw.Body(req, channel.MaxBodyBytes)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, 0, err
	}
	creq.Body = body
	if err := h.verify(ctx, wh, ch, creq); err != nil {
		return events.APIGatewayV2HTTPResponse{}, 0, err
	}
	evs, err := wh.Parse(ch, body)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, 0, err
	}
	if len(evs) > 0 {
		if err := h.pub.PublishInbound(ctx, evs); err != nil {
			return events.APIGatewayV2HTTPResponse{}, 0, err
		}
	}
	for i := range evs {
		log.Debug("event enqueued",
			slog.String("eventId", evs[i].ID),
			slog.String("eventType", string(evs[i].Type)),
			slog.String("conversationGroup", evs[i].GroupID()))
	}
	return apigw.Text(200, "OK"), len(evs), nil
}

// verify checks the signature, re-reading the channel once if the cached secret
// fails, in case it was rotated since it was cached. The cache declines to
// re-read a channel read less than cacheRefreshInterval ago.
func (h *Handler) verify(ctx context.Context, wh channel.Webhook, ch *switchboard.Channel, req channel.Request) error {
	err := wh.Verify(ch, req)
	if err == nil {
		return nil
	}
	fresh, reread, ferr := h.channels.Refresh(ctx, ch.ID)
	if ferr != nil || !reread || fresh == nil || fresh.Secrets == ch.Secrets {
		return err
	}
	return wh.Verify(fresh, req)
}

// route reads the channel kind and id from the path parameters, or from the raw
// path when the request came through a catch-all route.
func route(req events.APIGatewayV2HTTPRequest) (switchboard.ChannelKind, string) {
	kind, id := req.PathParameters["kind"], req.PathParameters["channelId"]
	if kind == "" || id == "" {
		parts := strings.Split(strings.Trim(req.RawPath, "/"), "/")
		if len(parts) == 3 && parts[0] == "webhooks" {
			kind, id = parts[1], parts[2]
		}
	}
	return switchboard.ChannelKind(kind), id
}
