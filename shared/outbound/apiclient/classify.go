package apiclient

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// maxReason bounds the platform's reason kept in an error message: enough for
// any real explanation, short enough for a delivery-failure column.
const maxReason = 300

// PlatformError is what a platform's error body says, in the shapes Switchboard
// meets: Meta's Graph API (Messenger, Instagram, WhatsApp)
// {"error":{"message","type","code","error_subcode","error_data"}}, LINE's
// {"message","details":[{"message","property"}]}, a bare {"error":"..."} or
// {"message":"..."}, or plain text.
type PlatformError struct {
	// Code and Subcode are Graph's error code and error_subcode (0 elsewhere).
	Code    int
	Subcode int
	// Type is Graph's error type (OAuthException, …).
	Type    string
	Message string
	// Details are LINE's details or Graph's error_data / error_user_msg.
	Details string
}

// Reason is the platform's explanation in one line, unredacted.
func (p PlatformError) Reason() string {
	switch {
	case p.Message != "" && p.Details != "" && !strings.Contains(p.Message, p.Details):
		return p.Message + " (" + p.Details + ")"
	case p.Message != "":
		return p.Message
	}
	return p.Details
}

// ParseError extracts what it can from an error body; it never fails, and
// returns an empty PlatformError for a body it cannot read.
func ParseError(body []byte) PlatformError {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		text := strings.TrimSpace(string(body))
		if text == "" || strings.HasPrefix(text, "<") || strings.HasPrefix(text, "{") || strings.HasPrefix(text, "[") {
			// HTML error pages and broken JSON explain nothing useful.
			return PlatformError{}
		}
		return PlatformError{Message: text}
	}
	var p PlatformError
	if raw, ok := top["error"]; ok {
		var g map[string]json.RawMessage
		if json.Unmarshal(raw, &g) == nil {
			p.Message = str(g["message"])
			p.Type = str(g["type"])
			p.Code = num(g["code"])
			p.Subcode = num(g["error_subcode"])
			p.Details = str(g["error_user_msg"])
			if d := g["error_data"]; d != nil {
				if s := str(d); s != "" {
					p.Details = s
				} else {
					var ed map[string]json.RawMessage
					if json.Unmarshal(d, &ed) == nil && str(ed["details"]) != "" {
						p.Details = str(ed["details"])
					}
				}
			}
			return p
		}
		p.Message = str(raw)
		if p.Message == "" {
			p.Message = str(top["error_description"])
		}
	}
	if p.Message == "" {
		p.Message = str(top["message"])
	}
	if raw, ok := top["details"]; ok {
		var ds []struct {
			Message  string `json:"message"`
			Property string `json:"property"`
		}
		if json.Unmarshal(raw, &ds) == nil {
			parts := make([]string, 0, len(ds))
			for _, d := range ds {
				switch {
				case d.Property != "" && d.Message != "":
					parts = append(parts, d.Property+": "+d.Message)
				case d.Message != "":
					parts = append(parts, d.Message)
				}
			}
			p.Details = strings.Join(parts, "; ")
		} else {
			p.Details = str(raw)
		}
	}
	return p
}

// str decodes a JSON string, or returns "" for anything else.
func str(raw json.RawMessage) string {
	var s string
	if raw == nil || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// num decodes a JSON number or numeric string as an int, else 0.
func num(raw json.RawMessage) int {
	if raw == nil {
		return 0
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0
		}
		n = json.Number(s)
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		return 0
	}
	return i
}

// StatusCode maps an HTTP status to the domain error code when the platform's
// body says nothing more specific: only 429, 408 and 5xx may pass.
func StatusCode(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return switchboard.ERateLimited
	case status == http.StatusRequestTimeout || status >= 500:
		return switchboard.EUnavailable
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return switchboard.EForbidden
	case status == http.StatusRequestEntityTooLarge:
		return switchboard.ETooLarge
	}
	return switchboard.EInvalid
}

// Classify turns a platform's non-2xx answer into a domain error whose message
// names the platform, the status, the platform's error code and its reason,
// with every secret removed. codes, when set, maps platform error codes first.
func Classify(platform string, status int, body []byte, secrets []string, codes func(PlatformError) (string, bool)) *switchboard.Error {
	p := ParseError(body)
	code := ""
	if codes != nil {
		if c, ok := codes(p); ok {
			code = c
		}
	}
	if code == "" {
		code = StatusCode(status)
	}
	reason := clip(Redact(p.Reason(), secrets), maxReason)
	if reason == "" {
		reason = strings.ToLower(http.StatusText(status))
		if reason == "" {
			reason = "no reason given"
		}
	}
	where := "HTTP " + strconv.Itoa(status)
	if p.Code != 0 {
		where += ", error " + strconv.Itoa(p.Code)
		if p.Subcode != 0 {
			where += "/" + strconv.Itoa(p.Subcode)
		}
	}
	verb := "refused the request"
	switch code {
	case switchboard.ERateLimited:
		verb = "is rate limiting"
	case switchboard.EUnavailable:
		verb = "failed"
	}
	return switchboard.Errorf(code, "%s %s (%s): %s", platform, verb, where, reason)
}

// tokenPatterns catch credentials a platform may echo that are not among the
// known secrets (another page's token in a Graph message, a bearer header).
var tokenPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(access_token=)[^&\s"']+`),
	regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9\-._~+/=]+`),
}

// Redact removes every secret and anything shaped like a credential from s.
func Redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	for _, re := range tokenPatterns {
		s = re.ReplaceAllString(s, "${1}[redacted]")
	}
	return s
}

// clip makes s one printable line of at most n runes.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
