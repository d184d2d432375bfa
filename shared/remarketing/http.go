package remarketing

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
)

// HeaderSiteKey carries the site key of pixel requests.
const HeaderSiteKey = "x-switchboard-site-key"

// SiteKeys authenticates pixel requests.
type SiteKeys interface {
	FindSiteKeyByHash(ctx context.Context, hash string) (*switchboard.SiteKey, error)
}

// HandlerConfig wires a Handler.
type HandlerConfig struct {
	Service  *Service
	SiteKeys SiteKeys
	Clock    switchboard.Clock
	Logger   *slog.Logger
	Metrics  *telemetry.Metrics
}

// Handler serves the pixel endpoints, which shops call from their pages
// (browser site key) and servers (server site key):
//
//	POST /v1/pixel/events               cart events of one visitor (ParseEvents)
//	GET  /v1/pixel/popup?visitorId=     whether to show the binding popup now
//	POST /v1/pixel/orders               an order for the payment reminder (server key)
//	POST /v1/pixel/orders/{id}/paid     the order was paid (server key)
//	GET  /v1/pixel/r/{token}            a tracked reminder link: count, then 302
//	OPTIONS /v1/pixel/...               CORS preflight
//
// Responses allow any origin: requests are authenticated by the site key
// header, never by cookies, so a foreign page gains nothing from CORS.
type Handler struct {
	svc     *Service
	keys    SiteKeys
	now     switchboard.Clock
	log     *slog.Logger
	metrics *telemetry.Metrics
}

// NewHandler returns a Handler.
func NewHandler(cfg HandlerConfig) *Handler {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{svc: cfg.Service, keys: cfg.SiteKeys, now: cfg.Clock, log: cfg.Logger, metrics: cfg.Metrics}
}

var corsHeaders = map[string]string{
	"access-control-allow-origin":  "*",
	"access-control-allow-methods": "GET, POST, OPTIONS",
	"access-control-allow-headers": "content-type, " + HeaderSiteKey,
	"access-control-max-age":       "86400",
}

// Handle answers one request. Errors become statuses through apigw.Error; it
// never returns an error to Lambda.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	ctx = apigw.ContextWithRequestID(ctx, apigw.RequestID(req))
	route, resp, err := h.route(ctx, req)
	status := resp.StatusCode
	if err != nil {
		resp = apigw.Error(ctx, h.log, err)
		status = resp.StatusCode
	}
	h.metrics.Count(map[string]float64{"PixelRequests": 1}, map[string]string{"Route": route, "Status": statusClass(status)})
	return withCORS(apigw.WithRequestID(resp, apigw.RequestID(req))), nil
}

func (h *Handler) route(ctx context.Context, req events.APIGatewayV2HTTPRequest) (string, events.APIGatewayV2HTTPResponse, error) {
	method := strings.ToUpper(req.RequestContext.HTTP.Method)
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	rest, ok := strings.CutPrefix(path, "/v1/pixel/")
	if !ok {
		return "unknown", events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.ENotFound, "no such route")
	}
	parts := strings.Split(rest, "/")
	if method == http.MethodOptions {
		return "preflight", apigw.Empty(http.StatusNoContent), nil
	}
	switch {
	case len(parts) == 2 && parts[0] == "r" && method == http.MethodGet:
		resp, err := h.click(ctx, parts[1])
		return "click", resp, err
	case len(parts) == 1 && parts[0] == "events" && method == http.MethodPost:
		resp, err := h.withKey(ctx, req, func(k *switchboard.SiteKey) (events.APIGatewayV2HTTPResponse, error) {
			return h.events(ctx, req, k)
		})
		return "events", resp, err
	case len(parts) == 1 && parts[0] == "popup" && method == http.MethodGet:
		resp, err := h.withKey(ctx, req, func(k *switchboard.SiteKey) (events.APIGatewayV2HTTPResponse, error) {
			d, err := h.svc.Popup(ctx, k.TeamID, req.QueryStringParameters["visitorId"])
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			return apigw.JSON(http.StatusOK, d), nil
		})
		return "popup", resp, err
	case len(parts) == 1 && parts[0] == "orders" && method == http.MethodPost:
		resp, err := h.withKey(ctx, req, func(k *switchboard.SiteKey) (events.APIGatewayV2HTTPResponse, error) {
			body, err := apigw.Body(req, MaxPixelBody)
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			r, err := ParseOrder(body, h.now())
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			o, err := h.svc.ReportOrder(ctx, k, r)
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			return apigw.JSON(http.StatusOK, orderView(o.Order.ID, o.Reminder != nil, string(o.NoReminder))), nil
		})
		return "orders", resp, err
	case len(parts) == 3 && parts[0] == "orders" && parts[2] == "paid" && method == http.MethodPost:
		resp, err := h.withKey(ctx, req, func(k *switchboard.SiteKey) (events.APIGatewayV2HTTPResponse, error) {
			o, err := h.svc.MarkOrderPaid(ctx, k, parts[1])
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			return apigw.JSON(http.StatusOK, orderView(o.Order.ID, o.Reminder != nil, string(o.NoReminder))), nil
		})
		return "paid", resp, err
	}
	return "unknown", events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.ENotFound, "no such route")
}

// withKey authenticates the request by its site key, then runs fn.
func (h *Handler) withKey(ctx context.Context, req events.APIGatewayV2HTTPRequest, fn func(*switchboard.SiteKey) (events.APIGatewayV2HTTPResponse, error)) (events.APIGatewayV2HTTPResponse, error) {
	plain := apigw.Headers(req)[HeaderSiteKey]
	if !strings.HasPrefix(plain, switchboard.SiteKeyPrefix) || len(plain) > 200 {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EUnauthorized, "a valid %s header is required", HeaderSiteKey)
	}
	k, err := h.keys.FindSiteKeyByHash(ctx, switchboard.HashToken(plain))
	if isNotFound(err) {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EUnauthorized, "unknown site key")
	}
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return fn(k)
}

func (h *Handler) events(ctx context.Context, req events.APIGatewayV2HTTPRequest, k *switchboard.SiteKey) (events.APIGatewayV2HTTPResponse, error) {
	body, err := apigw.Body(req, MaxPixelBody)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	b, err := ParseEvents(body, h.now())
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	res, err := h.svc.ApplyEvents(ctx, k, b)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, res), nil
}

func (h *Handler) click(ctx context.Context, token string) (events.APIGatewayV2HTTPResponse, error) {
	dest, err := h.svc.Click(ctx, token)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusFound,
		Headers:    map[string]string{"location": dest, "cache-control": "no-store"},
	}, nil
}

// orderView is the answer to the order routes.
func orderView(id string, scheduled bool, reason string) map[string]any {
	v := map[string]any{"orderId": id, "reminderScheduled": scheduled}
	if reason != "" {
		v["reason"] = reason
	}
	return v
}

func withCORS(resp events.APIGatewayV2HTTPResponse) events.APIGatewayV2HTTPResponse {
	h := make(map[string]string, len(resp.Headers)+len(corsHeaders))
	for k, v := range resp.Headers {
		h[k] = v
	}
	for k, v := range corsHeaders {
		h[k] = v
	}
	resp.Headers = h
	return resp
}

func statusClass(code int) string {
	switch {
	case code >= 500:
		return "5xx"
	case code >= 400:
		return "4xx"
	case code >= 300:
		return "3xx"
	}
	return "2xx"
}
