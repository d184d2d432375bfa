package apiclient_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestParseError(t *testing.T) {
	tests := []struct {
		name string
		body string
		want apiclient.PlatformError
	}{
		{"graph", `{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2018278,"fbtrace_id":"A1"}}`,
			apiclient.PlatformError{Code: 10, Subcode: 2018278, Type: "OAuthException", Message: "(#10) This message is sent outside of allowed window."}},
		{"whatsapp error_data", `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed"}}}`,
			apiclient.PlatformError{Code: 131047, Type: "OAuthException", Message: "(#131047) Re-engagement message", Details: "Message failed to send because more than 24 hours have passed"}},
		{"graph code as string", `{"error":{"message":"x","code":"613"}}`, apiclient.PlatformError{Code: 613, Message: "x"}},
		{"line with details", `{"message":"The request body has 2 error(s)","details":[{"message":"must be specified","property":"to"},{"message":"size must be between 1 and 5"}]}`,
			apiclient.PlatformError{Message: "The request body has 2 error(s)", Details: "to: must be specified; size must be between 1 and 5"}},
		{"line reply token", `{"message":"Invalid reply token"}`, apiclient.PlatformError{Message: "Invalid reply token"}},
		{"bare error string", `{"error":"widget offline"}`, apiclient.PlatformError{Message: "widget offline"}},
		{"plain text", "  upstream exploded\n", apiclient.PlatformError{Message: "upstream exploded"}},
		{"html", `<html><body>502</body></html>`, apiclient.PlatformError{}},
		{"broken json", `{"error":`, apiclient.PlatformError{}},
		{"empty", ``, apiclient.PlatformError{}},
		{"json array", `[1,2]`, apiclient.PlatformError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apiclient.ParseError([]byte(tt.body)); got != tt.want {
				t.Errorf("ParseError = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		status  int
		body    string
		code    string
		message string
	}{
		{429, `{"message":"Too many requests"}`, sb.ERateLimited, "LINE is rate limiting (HTTP 429): Too many requests"},
		{500, ``, sb.EUnavailable, "LINE failed (HTTP 500): internal server error"},
		{503, `oops`, sb.EUnavailable, "LINE failed (HTTP 503): oops"},
		{400, `{"error":{"message":"(#100) Param recipient[id] must be a valid ID","code":100}}`, sb.EInvalid, "LINE refused the request (HTTP 400, error 100): (#100) Param recipient[id] must be a valid ID"},
		{403, `{"message":"Not allowed"}`, sb.EForbidden, "LINE refused the request (HTTP 403): Not allowed"},
		{413, ``, sb.ETooLarge, "LINE refused the request (HTTP 413): request entity too large"},
		{418, ``, sb.EInvalid, "LINE refused the request (HTTP 418): i'm a teapot"},
	}
	for _, tt := range tests {
		err := apiclient.Classify("LINE", tt.status, []byte(tt.body), nil, nil)
		if err.Code != tt.code || err.Message != tt.message {
			t.Errorf("Classify(%d, %q) = %q %q, want %q %q", tt.status, tt.body, err.Code, err.Message, tt.code, tt.message)
		}
	}
}

func TestClassifyClipsAndCleans(t *testing.T) {
	body := `{"message":"` + strings.Repeat("é", 500) + `\u0000\nend"}`
	err := apiclient.Classify("LINE", 400, []byte(body), nil, nil)
	reason := err.Message[strings.Index(err.Message, ": ")+2:]
	if n := utf8.RuneCountInString(reason); n != 300 {
		t.Errorf("reason has %d runes, want 300", n)
	}
	if strings.ContainsAny(err.Message, "\x00\n") {
		t.Errorf("message keeps control characters: %q", err.Message)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"token " + secret + " bad", "token [redacted] bad"},
		{"GET /me?access_token=EAAB123&x=1", "GET /me?access_token=[redacted]&x=1"},
		{"Authorization: Bearer abc.def-ghi", "Authorization: Bearer [redacted]"},
		{"nothing here", "nothing here"},
	}
	for _, tt := range tests {
		if got := apiclient.Redact(tt.in, []string{secret, ""}); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzClassify feeds arbitrary error bodies: classification never panics,
// always yields a known code and a bounded one-line message, and never lets a
// secret through.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		`{"error":{"message":"(#4) limit","code":4,"error_subcode":2446079,"error_data":{"details":"d"}}}`,
		`{"error":{"message":"x","code":"131047","error_data":"plain"}}`,
		`{"message":"Invalid reply token","details":[{"message":"m","property":"p"}]}`,
		`{"error":"offline","error_description":"desc"}`,
		`{"details":"not a list"}`,
		`<html>oops</html>`,
		`token ` + secret,
		``,
	} {
		f.Add(400, []byte(s))
		f.Add(500, []byte(s))
	}
	known := map[string]bool{sb.EInvalid: true, sb.EForbidden: true, sb.ERateLimited: true, sb.EUnavailable: true, sb.ETooLarge: true}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := apiclient.Classify("WhatsApp", status, body, []string{secret}, func(p apiclient.PlatformError) (string, bool) {
			if p.Code == 131047 {
				return sb.EForbidden, true
			}
			return "", false
		})
		if !known[err.Code] {
			t.Fatalf("unknown code %q", err.Code)
		}
		if strings.Contains(err.Message, secret) {
			t.Fatalf("secret leaked: %q", err.Message)
		}
		if strings.ContainsAny(err.Message, "\n\r") || utf8.RuneCountInString(err.Message) > 400 || !utf8.ValidString(err.Message) {
			t.Fatalf("message not one bounded valid line: %q", err.Message)
		}
		_ = apiclient.ParseError(body).Reason()
	})
}
