package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// APIRequest is one API call card's request, variables rendered.
type APIRequest struct {
	Method  string
	URL     string
	Header  http.Header
	Body    []byte
	Timeout time.Duration
}

// APIResponse is the endpoint's answer.
type APIResponse struct {
	Status int
	Body   []byte
}

// APICaller makes an API call card's request. The engine takes one so that
// it stays free of I/O; HTTPCaller is the real one.
type APICaller interface {
	Call(ctx context.Context, req APIRequest) (*APIResponse, error)
}

// MaxAPIResponse bounds what is read of an endpoint's answer.
const MaxAPIResponse = 64 << 10

// maxRedirects bounds the redirects an API call follows.
const maxRedirects = 3

// HTTPCallerOptions configures NewHTTPCaller.
type HTTPCallerOptions struct {
	// AllowLoopback lets calls reach 127.0.0.0/8 and ::1. Only tests set it,
	// to call an httptest server; every other blocked range stays blocked.
	AllowLoopback bool
}

// HTTPCaller makes API call cards' requests to the teams' endpoints and never
// to Switchboard's own network: the address a connection is about to use is
// checked in the dialer's Control hook, after DNS resolution and for every
// connection (redirects and retries included), so neither a name that
// resolves to a private address nor one that changes its answer between a
// check and the connection (DNS rebinding) gets through. Refused are
// loopback, RFC 1918 and other private ranges, link-local (169.254.0.0/16,
// the cloud metadata service), carrier-grade NAT, unique local fc00::/7,
// IPv4-mapped and NAT64 forms of those, multicast and unspecified addresses.
// No proxy is used, since a proxy would make the connection for us.
type HTTPCaller struct {
	client *http.Client
}

var _ APICaller = (*HTTPCaller)(nil)

// NewHTTPCaller returns a caller with its own transport.
func NewHTTPCaller(opts HTTPCallerOptions) *HTTPCaller {
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			return checkDial(network, address, opts.AllowLoopback)
		},
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          20,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
	}
	return &HTTPCaller{client: &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
				return fmt.Errorf("redirect to a %s URL", req.URL.Scheme)
			}
			return nil
		},
	}}
}

// errBlocked marks a connection the dialer refused.
var errBlocked = errors.New("blocked address")

// checkDial refuses a connection to a blocked address.
func checkDial(network, address string, allowLoopback bool) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %s", errBlocked, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s is not an address", errBlocked, address)
	}
	if reason := blockedReason(ap.Addr(), allowLoopback); reason != "" {
		return fmt.Errorf("%w: %s is %s", errBlocked, ap.Addr(), reason)
	}
	return nil
}

// blockedPrefixes are ranges no API call may reach, beyond what netip's
// predicates name.
var blockedPrefixes = []struct {
	p      netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64 address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "a discard address"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("2002::/16"), "a 6to4 address"},
}

// blockedReason says why an API call may not reach a, or "" when it may.
func blockedReason(a netip.Addr, allowLoopback bool) string {
	if !a.IsValid() {
		return "not an address"
	}
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		if allowLoopback {
			return ""
		}
		return "a loopback address"
	case a.IsPrivate():
		return "a private address"
	case a.IsLinkLocalUnicast():
		return "a link-local address (the cloud metadata service lives there)"
	case a.IsUnspecified():
		return "the unspecified address"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	if a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return "the broadcast address"
	}
	for _, b := range blockedPrefixes {
		if b.p.Contains(a) {
			return b.reason
		}
	}
	return ""
}

// Call makes the request within its timeout and reads at most MaxAPIResponse
// bytes of the answer. A refused address is EForbidden; a failure on the way
// (DNS, connection, timeout) is EUnavailable.
func (h *HTTPCaller) Call(ctx context.Context, req APIRequest) (*APIResponse, error) {
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultAPITimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "API call request is malformed")
	}
	for k, vs := range req.Header {
		hr.Header[k] = vs
	}
	resp, err := h.client.Do(hr)
	if err != nil {
		if errors.Is(err, errBlocked) {
			return nil, switchboard.Wrap(switchboard.EForbidden, err, "the API call's host resolves to an address API calls may not reach")
		}
		return nil, switchboard.Wrap(switchboard.EUnavailable, err, "the API call failed")
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxAPIResponse+1))
	if err != nil {
		return nil, switchboard.Wrap(switchboard.EUnavailable, err, "the API call's answer could not be read")
	}
	if len(b) > MaxAPIResponse {
		return nil, switchboard.Errorf(switchboard.ETooLarge, "the API call answered more than %d bytes", MaxAPIResponse)
	}
	return &APIResponse{Status: resp.StatusCode, Body: b}, nil
}

// apiMessage is one message of an endpoint's answer.
type apiMessage struct {
	Kind       switchboard.MessageKind `json:"kind"`
	Text       string                  `json:"text"`
	MediaURL   string                  `json:"mediaUrl"`
	PreviewURL string                  `json:"previewUrl"`
}

// MaxAPIMessages is the most messages one API call turns into.
const MaxAPIMessages = 5

// ParseAPIResponse turns an endpoint's JSON answer into messages. The answer
// is {"messages": [...]}, a bare array of messages, or {"text": "..."}; a
// message is {"kind": "text", "text": ...}, {"kind": "image", "mediaUrl":
// "https://..."} or {"kind": "video", "mediaUrl": ..., "previewUrl": ...}.
// Texts are sent as they are: variables in them are not rendered, so an
// endpoint that echoes customer input cannot inject template syntax. Anything
// else (other kinds, non-https media, more than MaxAPIMessages) is refused as
// a whole with EInvalid, since sending half an answer would mislead.
func ParseAPIResponse(body []byte) ([]switchboard.OutboundMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, nil
	}
	var list []apiMessage
	if trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, switchboard.Errorf(switchboard.EInvalid, "the API answer is not a JSON list of messages")
		}
	} else {
		var obj struct {
			Messages []apiMessage `json:"messages"`
			Text     string       `json:"text"`
		}
		if err := json.Unmarshal(trimmed, &obj); err != nil {
			return nil, switchboard.Errorf(switchboard.EInvalid, "the API answer is not a JSON object")
		}
		list = obj.Messages
		if len(list) == 0 && obj.Text != "" {
			list = []apiMessage{{Kind: switchboard.MsgText, Text: obj.Text}}
		}
	}
	if len(list) > MaxAPIMessages {
		return nil, switchboard.Errorf(switchboard.EInvalid, "the API answered %d messages; at most %d are sent", len(list), MaxAPIMessages)
	}
	out := make([]switchboard.OutboundMessage, 0, len(list))
	for i, m := range list {
		switch m.Kind {
		case switchboard.MsgText, "":
			t := strings.TrimSpace(m.Text)
			if t == "" || !utf8.ValidString(t) {
				return nil, switchboard.Errorf(switchboard.EInvalid, "API message %d has no text", i+1)
			}
			out = append(out, switchboard.OutboundMessage{Kind: switchboard.MsgText, Text: t})
		case switchboard.MsgImage:
			if !webURL(m.MediaURL, true) {
				return nil, switchboard.Errorf(switchboard.EInvalid, "API message %d: an image needs an https mediaUrl", i+1)
			}
			out = append(out, switchboard.OutboundMessage{Kind: switchboard.MsgImage, MediaURL: m.MediaURL})
		case switchboard.MsgVideo:
			if !webURL(m.MediaURL, true) || (m.PreviewURL != "" && !webURL(m.PreviewURL, true)) {
				return nil, switchboard.Errorf(switchboard.EInvalid, "API message %d: a video needs https mediaUrl and previewUrl", i+1)
			}
			out = append(out, switchboard.OutboundMessage{Kind: switchboard.MsgVideo, MediaURL: m.MediaURL, PreviewURL: m.PreviewURL})
		default:
			return nil, switchboard.Errorf(switchboard.EInvalid, "API message %d has kind %q; text, image and video are sent", i+1, m.Kind)
		}
	}
	return out, nil
}
