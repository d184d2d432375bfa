// Package apigw adapts API Gateway HTTP API (payload format 2.0) events to and
// from Switchboard: it reads request bodies and headers, builds responses, and is
// the one place where a domain error code becomes an HTTP status. Both the ingest
// function (webhooks) and the api function (operators) use it, so a code means the
// same status everywhere.
package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// MaxBody is the usual body limit. API Gateway itself accepts up to 10 MB, but no
// webhook or API request Switchboard handles comes near 1 MiB, so anything larger
// is abuse or a bug and is refused before it costs memory or parsing time.
const MaxBody = 1 << 20

// Content types of the responses built here.
const (
	ContentTypeJSON = "application/json; charset=utf-8"
	ContentTypeText = "text/plain; charset=utf-8"
)

// HeaderRequestID is the response header that carries API Gateway's request id,
// so a caller's bug report can be matched to the function's and API Gateway's logs.
const HeaderRequestID = "x-request-id"

// Body returns the raw request body, decoded from base64 when API Gateway flagged
// it so (binary or non-UTF-8 bodies). Signatures are computed over these bytes, so
// nothing else is done to them. A body over limit bytes is an ETooLarge error; a
// flagged body that is not base64 is EInvalid.
func Body(req events.APIGatewayV2HTTPRequest, limit int) ([]byte, error) {
	var b []byte
	if req.IsBase64Encoded {
		var err error
		b, err = base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			// Some clients and emulators drop the padding.
			var rawErr error
			b, rawErr = base64.RawStdEncoding.DecodeString(req.Body)
			if rawErr != nil {
				return nil, switchboard.Wrap(switchboard.EInvalid, err, "body is flagged as base64 but is not valid base64")
			}
		}
	} else {
		b = []byte(req.Body)
	}
	if len(b) > limit {
		return nil, switchboard.Errorf(switchboard.ETooLarge, "body is %d bytes; the limit is %s", len(b), sizeText(limit))
	}
	return b, nil
}

// sizeText writes a byte count the way people say it, so limits read naturally
// in error messages.
func sizeText(n int) string {
	const kib, mib = 1 << 10, 1 << 20
	switch {
	case n > 0 && n%mib == 0:
		return fmt.Sprintf("%d MiB", n/mib)
	case n > 0 && n%kib == 0:
		return fmt.Sprintf("%d KiB", n/kib)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Headers returns the request headers with lower-case names. API Gateway v2
// already lower-cases them, but `sam local`, the local runner and hand-written
// tests may not; two spellings of one name are joined with a comma, as API
// Gateway joins repeated headers.
func Headers(req events.APIGatewayV2HTTPRequest) map[string]string {
	out := make(map[string]string, len(req.Headers))
	names := make([]string, 0, len(req.Headers))
	for k := range req.Headers {
		names = append(names, k)
	}
	slices.Sort(names) // deterministic join order
	for _, k := range names {
		lk := strings.ToLower(k)
		if prev, ok := out[lk]; ok {
			out[lk] = prev + "," + req.Headers[k]
			continue
		}
		out[lk] = req.Headers[k]
	}
	return out
}

// JSON returns a response whose body is v encoded as JSON. A value that cannot be
// encoded is a bug, answered with a 500 rather than a half-written body.
func JSON(status int, v any) events.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(v)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{
			StatusCode: http.StatusInternalServerError,
			Headers:    map[string]string{"content-type": ContentTypeJSON},
			Body:       `{"error":{"code":"internal","message":"internal error"}}`,
		}
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"content-type": ContentTypeJSON},
		Body:       string(b),
	}
}

// Text returns a plain-text response, for platforms' handshakes that echo a
// challenge and for documents served as they are.
func Text(status int, s string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"content-type": ContentTypeText},
		Body:       s,
	}
}

// Empty returns a response without a body, such as 204 after a delete or the 200
// a webhook sender only needs as an acknowledgement.
func Empty(status int) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{}}
}

// Status maps a domain error code to its HTTP status. It is the only such
// mapping in Switchboard; an unknown code is a bug and so a 500.
func Status(code string) int {
	switch code {
	case switchboard.EInvalid:
		return http.StatusBadRequest
	case switchboard.EUnauthorized:
		return http.StatusUnauthorized
	case switchboard.EForbidden:
		return http.StatusForbidden
	case switchboard.ENotFound:
		return http.StatusNotFound
	case switchboard.EConflict:
		return http.StatusConflict
	case switchboard.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case switchboard.ERateLimited:
		return http.StatusTooManyRequests
	case switchboard.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the machine-readable code and the caller-safe message of an
// error response.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error answers err: its status from Status, a body with the domain code and the
// caller-safe message (never the cause, which may name tables, hosts or ids), and
// the request id header when ctx carries one. Server faults are logged at error
// level with the cause so they can be fixed; caller faults at info level with only
// the code and message, which hold no secrets.
func Error(ctx context.Context, logger *slog.Logger, err error) events.APIGatewayV2HTTPResponse {
	if logger == nil {
		logger = slog.Default()
	}
	code := switchboard.ErrorCode(err)
	msg := switchboard.ErrorMessage(err)
	status := Status(code)
	if status == http.StatusInternalServerError {
		if code != switchboard.EInternal {
			// An unknown code (or a nil error) is a bug; do not trust its message.
			msg = "internal error"
		}
		code = switchboard.EInternal
	}
	id := RequestIDFromContext(ctx)
	if status >= 500 {
		cause := "<nil>"
		if err != nil {
			cause = err.Error()
		}
		logger.ErrorContext(ctx, "request failed", "requestId", id, "status", status, "code", code, "error", cause)
	} else {
		logger.InfoContext(ctx, "request refused", "requestId", id, "status", status, "code", code, "message", msg)
	}
	resp := JSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
	return WithRequestID(resp, id)
}

type requestIDKey struct{}

// ContextWithRequestID returns ctx carrying the API Gateway request id, so code
// far from the event (Error, log lines) can name the request.
func ContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFromContext returns the request id stored by ContextWithRequestID, or
// "" when there is none.
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestID returns API Gateway's id of the request.
func RequestID(req events.APIGatewayV2HTTPRequest) string {
	return req.RequestContext.RequestID
}

// WithRequestID returns resp with the x-request-id header set to id; an empty id
// leaves resp unchanged.
func WithRequestID(resp events.APIGatewayV2HTTPResponse, id string) events.APIGatewayV2HTTPResponse {
	if id == "" {
		return resp
	}
	h := make(map[string]string, len(resp.Headers)+1)
	for k, v := range resp.Headers {
		h[k] = v
	}
	h[HeaderRequestID] = id
	resp.Headers = h
	return resp
}
