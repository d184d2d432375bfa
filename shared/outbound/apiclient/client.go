// Package apiclient is the HTTP behaviour every channel sender shares when it
// calls a messaging platform: a timeout per attempt, bounded retries with
// exponential backoff and jitter for the failures that may pass (429, 5xx,
// timeouts, network errors), Retry-After, and the classification of failures
// into domain errors whose messages carry the platform's reason but never a
// token.
//
// It is a sub-package of outbound because the channel packages use it and
// package outbound, which builds their senders, imports them.
//
// Retries repeat the exact same bytes. Platforms with an idempotency key (LINE's
// X-Line-Retry-Key) deliver a repeated request once; on the others a request
// that timed out after the platform accepted it may, rarely, be delivered twice,
// which is the lesser evil next to a message silently lost.
package apiclient

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Defaults used when a Client field is zero.
const (
	DefaultMaxAttempts    = 3
	DefaultAttemptTimeout = 10 * time.Second
	DefaultBaseDelay      = 250 * time.Millisecond
	DefaultMaxDelay       = 4 * time.Second
	DefaultMaxRetryAfter  = 10 * time.Second
)

// maxResponseBytes bounds what is read of a platform's answer: success bodies
// are small, and an error body is only mined for a reason.
const maxResponseBytes = 1 << 20

// Client sends requests to a platform's API. The zero value works with
// http.DefaultClient, the real clock and the defaults above; tests inject
// Sleep (and Jitter) so that retries do not wait.
type Client struct {
	// HTTP sends each attempt; nil means http.DefaultClient.
	HTTP *http.Client
	// Clock reads Retry-After dates; nil means time.Now.
	Clock switchboard.Clock
	// Sleep waits between attempts and returns early with ctx's error; nil
	// means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a random duration in [0, d); nil means math/rand.
	Jitter func(d time.Duration) time.Duration
	// Logger records retried attempts (platform, status, delay, never a URL
	// query or a header); nil means no logging.
	Logger *slog.Logger
	// MaxAttempts bounds the attempts of one request, the first included.
	MaxAttempts int
	// AttemptTimeout bounds one attempt, reading the answer included.
	AttemptTimeout time.Duration
	// BaseDelay is the backoff before the second attempt; it doubles after
	// each failure, and half of it is random.
	BaseDelay time.Duration
	// MaxDelay caps the doubling, so a long outage is probed steadily.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After worth waiting for in-process;
	// beyond it the request fails at once with ERateLimited so the caller's
	// queue retries later instead of holding a Lambda.
	MaxRetryAfter time.Duration
}

// Request is one call to a platform.
type Request struct {
	// Platform names the platform in error messages and logs ("LINE").
	Platform string
	Method   string
	URL      string
	Header   http.Header
	Body     []byte
	// Secrets are removed from every error message and log line, whatever the
	// platform echoes back.
	Secrets []string
	// Codes maps a platform's own error codes to domain error codes; it is
	// consulted before the HTTP status, since Meta reports rate limits and
	// closed windows as 400s. ok false falls back to the status.
	Codes func(PlatformError) (code string, ok bool)
}

// Response is the platform's final answer.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Attempts int
}

// Do sends req, retrying what may pass, and returns the final answer. A 2xx
// answer returns a nil error. Any other answer returns the response too, with
// a domain error classified by Classify, so a sender can still act on a status
// it knows better (LINE's 409 for an already accepted retry key). A failure
// without an answer (network error, timeout, cancelled ctx) returns a nil
// response and EUnavailable.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, req)
		if resp != nil {
			resp.Attempts = attempt
		}
		if err == nil {
			return resp, nil
		}
		lastErr = err
		code := switchboard.ErrorCode(err)
		if ctx.Err() != nil || (code != switchboard.ERateLimited && code != switchboard.EUnavailable) || attempt >= attempts {
			return resp, err
		}
		wait := c.backoff(attempt)
		if resp != nil {
			if ra, ok := retryAfter(resp.Header.Get("Retry-After"), c.now()); ok {
				if ra > c.maxRetryAfter() {
					return resp, switchboard.Errorf(code, "%s; it asked to retry after %s", switchboard.ErrorMessage(err), ra.Round(time.Second))
				}
				wait = ra
			}
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return resp, err
		}
		if c.Logger != nil {
			status := 0
			if resp != nil {
				status = resp.Status
			}
			c.Logger.LogAttrs(ctx, slog.LevelWarn, "platform call failed, retrying",
				slog.String("platform", req.Platform), slog.String("host", hostOf(req.URL)),
				slog.Int("attempt", attempt), slog.Int("status", status), slog.String("code", code),
				slog.String("reason", switchboard.ErrorMessage(err)), slog.Duration("delay", wait))
		}
		if err := c.sleep(ctx, wait); err != nil {
			return resp, switchboard.Errorf(switchboard.EUnavailable, "%s (gave up waiting to retry: %s)", switchboard.ErrorMessage(lastErr), Redact(err.Error(), req.Secrets))
		}
	}
}

// once makes one attempt under its own timeout.
func (c *Client) once(ctx context.Context, req Request) (*Response, error) {
	timeout := c.AttemptTimeout
	if timeout <= 0 {
		timeout = DefaultAttemptTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, req.Method, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		// The URL comes from configuration or a channel; say which part is
		// wrong without echoing it, since it may carry a key.
		return nil, switchboard.Errorf(switchboard.EInvalid, "%s request could not be built: the URL is malformed", req.Platform)
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	if hreq.Header.Get("Content-Type") == "" && req.Body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	hresp, err := hc.Do(hreq)
	if err != nil {
		return nil, c.transportError(ctx, actx, req, timeout, err)
	}
	defer hresp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hresp.Body, maxResponseBytes))
	if err != nil {
		return nil, c.transportError(ctx, actx, req, timeout, err)
	}
	resp := &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: body}
	if resp.Status >= 200 && resp.Status < 300 {
		return resp, nil
	}
	return resp, Classify(req.Platform, resp.Status, body, req.Secrets, req.Codes)
}

// transportError classifies a failure without an answer. Go's *url.Error
// quotes the URL, which may carry a key, so only its cause is kept.
func (c *Client) transportError(ctx, actx context.Context, req Request, timeout time.Duration, err error) error {
	if ctx.Err() != nil {
		return switchboard.Errorf(switchboard.EUnavailable, "%s request abandoned: %s", req.Platform, ctx.Err())
	}
	if actx.Err() != nil {
		return switchboard.Errorf(switchboard.EUnavailable, "%s did not answer within %s", req.Platform, timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return switchboard.Errorf(switchboard.EUnavailable, "%s could not be reached: %s", req.Platform, clip(Redact(err.Error(), req.Secrets), maxReason))
}

// backoff is the wait after the given failed attempt: exponential, capped,
// with its upper half random so that many senders hitting one limit spread out.
func (c *Client) backoff(attempt int) time.Duration {
	base, maxd := c.BaseDelay, c.MaxDelay
	if base <= 0 {
		base = DefaultBaseDelay
	}
	if maxd <= 0 {
		maxd = DefaultMaxDelay
	}
	d := base
	for i := 1; i < attempt && d < maxd; i++ {
		d *= 2
	}
	d = min(d, maxd)
	half := d / 2
	return half + c.jitter(d-half)
}

func (c *Client) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	if c.Jitter != nil {
		return max(0, min(c.Jitter(d), d))
	}
	return rand.N(d)
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

func (c *Client) maxRetryAfter() time.Duration {
	if c.MaxRetryAfter > 0 {
		return c.MaxRetryAfter
	}
	return DefaultMaxRetryAfter
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > int64(24*time.Hour/time.Second) {
			s = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// hostOf returns the host of a URL for logs, never its path or query.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}
