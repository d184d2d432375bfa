package runner

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// maxHTTPBody is API Gateway's request payload limit.
const maxHTTPBody = 10 << 20

// route is one HttpApi route bound to its function.
type route struct {
	key     string // route key: "POST /webhooks/{kind}/{channelId}" or "$default"
	apiID   string
	method  string // upper case or ANY
	parts   []string
	greedy  bool // the last part is {name+}
	fn      *lambdaFunction
	timeout time.Duration
}

func newRoute(spec routeSpec, apiID string, fn *lambdaFunction) (*route, error) {
	r := &route{apiID: apiID, method: spec.Method, fn: fn, timeout: spec.Timeout}
	if spec.Path == "" {
		r.key = "$default"
		return r, nil
	}
	r.key = spec.Method + " " + spec.Path
	if spec.Path != "/" {
		r.parts = strings.Split(strings.TrimPrefix(spec.Path, "/"), "/")
	}
	for i, p := range r.parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}") {
			if i != len(r.parts)-1 {
				return nil, fmt.Errorf("route %s: a greedy path variable must be the last segment", r.key)
			}
			r.greedy = true
		} else if strings.ContainsAny(p, "{}") && !(strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}")) {
			return nil, fmt.Errorf("route %s: a path variable must be a whole segment", r.key)
		}
	}
	return r, nil
}

// rank orders segments: a literal is more specific than a variable, which is
// more specific than a greedy variable.
func segmentRank(p string) int {
	switch {
	case strings.HasSuffix(p, "+}"):
		return 0
	case strings.HasPrefix(p, "{"):
		return 1
	}
	return 2
}

// moreSpecific reports whether a should be tried before b: API Gateway picks
// the most specific path (literal segments over variables over greedy
// variables, left to right), then an exact method over ANY, and $default last.
func moreSpecific(a, b *route) bool {
	if (a.key == "$default") != (b.key == "$default") {
		return b.key == "$default"
	}
	for i := 0; i < len(a.parts) && i < len(b.parts); i++ {
		ra, rb := segmentRank(a.parts[i]), segmentRank(b.parts[i])
		if ra != rb {
			return ra > rb
		}
	}
	if len(a.parts) != len(b.parts) {
		return len(a.parts) > len(b.parts)
	}
	if (a.method == "ANY") != (b.method == "ANY") {
		return b.method == "ANY"
	}
	return a.key < b.key
}

// match returns the path parameters when segs (decoded path segments) match.
func (r *route) match(method string, segs []string) (map[string]string, bool) {
	if r.method != "ANY" && r.method != method {
		return nil, false
	}
	if r.key == "$default" {
		return nil, true
	}
	if r.greedy {
		if len(segs) < len(r.parts) {
			return nil, false
		}
	} else if len(segs) != len(r.parts) {
		return nil, false
	}
	var params map[string]string
	for i, p := range r.parts {
		if segmentRank(p) == 2 {
			if segs[i] != p {
				return nil, false
			}
			continue
		}
		if params == nil {
			params = map[string]string{}
		}
		if r.greedy && i == len(r.parts)-1 {
			rest := strings.Join(segs[i:], "/")
			if rest == "" {
				return nil, false
			}
			params[strings.TrimSuffix(p[1:len(p)-1], "+")] = rest
			break
		}
		if segs[i] == "" {
			return nil, false
		}
		params[p[1:len(p)-1]] = segs[i]
	}
	return params, true
}

// httpAPI is the local API Gateway: one server for every HttpApi route of the
// template, translating requests to payload format 2.0 events and function
// responses back to HTTP.
type httpAPI struct {
	routes  []*route
	account string
	now     func() time.Time
	log     *slog.Logger
	observe func(Invocation)
}

func newHTTPAPI(routes []*route, account string, now func() time.Time, log *slog.Logger, observe func(Invocation)) (*httpAPI, error) {
	sort.SliceStable(routes, func(i, j int) bool { return moreSpecific(routes[i], routes[j]) })
	seen := map[string]string{}
	for _, r := range routes {
		k := r.method + " " + strings.Join(r.parts, "/")
		if r.key == "$default" {
			k = "$default " + r.method
		}
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("route %s is declared twice (%s and %s)", r.key, prev, r.fn.spec.ID)
		}
		seen[k] = r.fn.spec.ID
	}
	return &httpAPI{routes: routes, account: account, now: now, log: log, observe: observe}, nil
}

// jsonMessage writes API Gateway's own error responses.
func jsonMessage(w http.ResponseWriter, status int, msg, requestID string) {
	w.Header().Set("Content-Type", "application/json")
	if requestID != "" {
		w.Header().Set("Apigw-Requestid", requestID)
	}
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"message":%q}`, msg)
}

func (a *httpAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := a.now()
	requestID := newAPIGatewayRequestID()
	segs, err := pathSegments(r.URL.EscapedPath())
	if err != nil {
		jsonMessage(w, http.StatusBadRequest, "Bad Request", requestID)
		return
	}
	var (
		rt     *route
		params map[string]string
	)
	for _, candidate := range a.routes {
		if p, ok := candidate.match(r.Method, segs); ok {
			rt, params = candidate, p
			break
		}
	}
	if rt == nil {
		jsonMessage(w, http.StatusNotFound, "Not Found", requestID)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxHTTPBody+1))
	if err != nil {
		jsonMessage(w, http.StatusBadRequest, "Bad Request", requestID)
		return
	}
	if len(body) > maxHTTPBody {
		jsonMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", requestID)
		return
	}
	event := buildHTTPEvent(r, body, rt, params, a.account, requestID, start)
	payload, err := json.Marshal(event)
	if err != nil {
		jsonMessage(w, http.StatusInternalServerError, "Internal Server Error", requestID)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), rt.timeout)
	defer cancel()
	resp, invokeErr := rt.fn.invoke(ctx, payload)
	if a.observe != nil {
		a.observe(Invocation{Function: rt.fn.spec.ID, Source: SourceHTTP, Payload: payload, Response: resp, Err: invokeErr, Duration: a.now().Sub(start)})
	}
	status := a.respond(w, rt, resp, invokeErr, requestID, r.Context())
	a.log.Info("http", "method", r.Method, "path", r.URL.Path, "route", rt.key, "function", rt.fn.spec.ID,
		"status", status, "ms", a.now().Sub(start).Milliseconds(), "requestId", requestID)
}

// respond writes the function's response, or API Gateway's error for a
// failed invocation, and returns the status written.
func (a *httpAPI) respond(w http.ResponseWriter, rt *route, resp []byte, invokeErr error, requestID string, reqCtx context.Context) int {
	if invokeErr != nil {
		var fe *FunctionError
		switch {
		case errors.As(invokeErr, &fe):
			a.log.Warn("function failed; API Gateway answers 500", "function", rt.fn.spec.ID, "errorType", fe.Type, "errorMessage", fe.Message)
			jsonMessage(w, http.StatusInternalServerError, "Internal Server Error", requestID)
			return http.StatusInternalServerError
		case reqCtx.Err() != nil:
			return 499 // the client went away; nothing to write to
		default:
			// The integration timeout (30 s at most in API Gateway) passed.
			jsonMessage(w, http.StatusServiceUnavailable, "Service Unavailable", requestID)
			return http.StatusServiceUnavailable
		}
	}
	out, err := parseHTTPResponse(resp)
	if err != nil {
		a.log.Warn("function response is not a valid HTTP API response; API Gateway answers 500", "function", rt.fn.spec.ID, "error", err)
		jsonMessage(w, http.StatusInternalServerError, "Internal Server Error", requestID)
		return http.StatusInternalServerError
	}
	h := w.Header()
	for k, v := range out.headers {
		h.Set(k, v)
	}
	for k, vs := range out.multi {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range out.cookies {
		h.Add("Set-Cookie", c)
	}
	if h.Get("Content-Type") == "" {
		h["Content-Type"] = nil // no sniffing: API Gateway adds nothing either
	}
	h.Set("Apigw-Requestid", requestID)
	h.Set("Content-Length", strconv.Itoa(len(out.body)))
	w.WriteHeader(out.status)
	_, _ = w.Write(out.body)
	return out.status
}

// pathSegments splits an escaped path and decodes each segment, so an encoded
// slash (%2F) stays inside its segment as in API Gateway.
func pathSegments(escaped string) ([]string, error) {
	trimmed := strings.TrimPrefix(escaped, "/")
	if trimmed == "" {
		return nil, nil
	}
	parts := strings.Split(trimmed, "/")
	for i, p := range parts {
		d, err := url.PathUnescape(p)
		if err != nil {
			return nil, err
		}
		parts[i] = d
	}
	return parts, nil
}

// buildHTTPEvent builds the payload format 2.0 event API Gateway sends for r.
func buildHTTPEvent(r *http.Request, body []byte, rt *route, params map[string]string, account, requestID string, at time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		if lower == "cookie" {
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		if prev, ok := headers[lower]; ok {
			headers[lower] = prev + "," + strings.Join(values, ",")
		} else {
			headers[lower] = strings.Join(values, ",")
		}
	}
	sourceIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		sourceIP = r.RemoteAddr
	}
	host := r.Host
	headers["host"] = host
	if prev := headers["x-forwarded-for"]; prev != "" {
		headers["x-forwarded-for"] = prev + ", " + sourceIP
	} else {
		headers["x-forwarded-for"] = sourceIP
	}
	domain, port, err := net.SplitHostPort(host)
	if err != nil {
		domain, port = host, "80"
	}
	headers["x-forwarded-port"] = port
	headers["x-forwarded-proto"] = "http"
	if len(body) > 0 {
		headers["content-length"] = strconv.Itoa(len(body))
	}
	if headers["x-amzn-trace-id"] == "" {
		headers["x-amzn-trace-id"] = strings.SplitN(newTraceID(), ";", 2)[0]
	}

	var query map[string]string
	if r.URL.RawQuery != "" {
		values, _ := url.ParseQuery(r.URL.RawQuery)
		query = make(map[string]string, len(values))
		for k, vs := range values {
			query[k] = strings.Join(vs, ",")
		}
	}

	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              rt.key,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     rt.key,
			AccountID:    account,
			Stage:        "$default",
			RequestID:    requestID,
			APIID:        rt.apiID,
			DomainName:   domain,
			DomainPrefix: strings.SplitN(domain, ".", 2)[0],
			Time:         at.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    at.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.EscapedPath(),
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isTextual(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// isTextual reports whether API Gateway passes a body of this content type as
// text; anything else (including form posts and a missing content type)
// arrives base64-encoded with isBase64Encoded set.
func isTextual(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	}
	switch {
	case mt == "":
		return false
	case strings.HasPrefix(mt, "text/"):
		return true
	case mt == "application/json", mt == "application/xml", mt == "application/javascript":
		return true
	case strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	return false
}

type httpResponse struct {
	status  int
	headers map[string]string
	multi   map[string][]string
	cookies []string
	body    []byte
}

// parseHTTPResponse reads a payload format 2.0 response: a JSON object with
// statusCode, or any other JSON value, which API Gateway sends as a 200
// application/json body (a JSON string as its text).
func parseHTTPResponse(resp []byte) (*httpResponse, error) {
	if !json.Valid(resp) {
		return nil, fmt.Errorf("response is not JSON: %.100q", resp)
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(resp, &probe) == nil {
		if _, structured := probe["statusCode"]; structured {
			var v struct {
				StatusCode        json.Number         `json:"statusCode"`
				Headers           map[string]string   `json:"headers"`
				MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
				Cookies           []string            `json:"cookies"`
				Body              *string             `json:"body"`
				IsBase64Encoded   bool                `json:"isBase64Encoded"`
			}
			dec := json.NewDecoder(strings.NewReader(string(resp)))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			status, err := strconv.Atoi(v.StatusCode.String())
			if err != nil {
				status, err = strconv.Atoi(strings.Trim(v.StatusCode.String(), `"`))
			}
			if err != nil || status < 100 || status > 599 {
				return nil, fmt.Errorf("statusCode %q is not an HTTP status", v.StatusCode)
			}
			out := &httpResponse{status: status, headers: v.Headers, multi: v.MultiValueHeaders, cookies: v.Cookies}
			if v.Body != nil {
				out.body = []byte(*v.Body)
				if v.IsBase64Encoded {
					b, err := base64.StdEncoding.DecodeString(*v.Body)
					if err != nil {
						return nil, fmt.Errorf("body is flagged base64 but is not: %w", err)
					}
					out.body = b
				}
			}
			return out, nil
		}
	}
	out := &httpResponse{status: http.StatusOK, headers: map[string]string{"content-type": "application/json"}, body: resp}
	var s string
	if trimmed := strings.TrimSpace(string(resp)); strings.HasPrefix(trimmed, `"`) && json.Unmarshal(resp, &s) == nil {
		out.body = []byte(s)
	}
	return out, nil
}

// newAPIGatewayRequestID returns an id shaped like API Gateway's
// ("JKJaXmPLvHcESHA=").
func newAPIGatewayRequestID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
