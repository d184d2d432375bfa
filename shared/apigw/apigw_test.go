package apigw_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestBody(t *testing.T) {
	big := strings.Repeat("a", 2048)
	tests := []struct {
		name     string
		body     string
		b64      bool
		limit    int
		want     string
		wantCode string
		wantMsg  string
	}{
		{name: "plain", body: `{"a":1}`, limit: 100, want: `{"a":1}`},
		{name: "empty", body: "", limit: 100, want: ""},
		{name: "base64 padded", body: base64.StdEncoding.EncodeToString([]byte("hé\x00\xff")), b64: true, limit: 100, want: "hé\x00\xff"},
		{name: "base64 unpadded", body: base64.RawStdEncoding.EncodeToString([]byte("ab")), b64: true, limit: 100, want: "ab"},
		{name: "broken base64", body: "!!!not base64", b64: true, limit: 100, wantCode: switchboard.EInvalid, wantMsg: "body is flagged as base64 but is not valid base64"},
		{name: "exactly at limit", body: big, limit: 2048, want: big},
		{name: "one over the limit in KiB", body: big + "b", limit: 2048, wantCode: switchboard.ETooLarge, wantMsg: "body is 2049 bytes; the limit is 2 KiB"},
		{name: "over MiB limit", body: strings.Repeat("x", apigw.MaxBody+1), limit: apigw.MaxBody, wantCode: switchboard.ETooLarge, wantMsg: "body is 1048577 bytes; the limit is 1 MiB"},
		{name: "over odd limit", body: "abcdef", limit: 5, wantCode: switchboard.ETooLarge, wantMsg: "body is 6 bytes; the limit is 5 bytes"},
		{name: "base64 limit counts decoded bytes", body: base64.StdEncoding.EncodeToString([]byte("abcdef")), b64: true, limit: 6, want: "abcdef"},
		{name: "base64 over limit", body: base64.StdEncoding.EncodeToString([]byte("abcdefg")), b64: true, limit: 6, wantCode: switchboard.ETooLarge, wantMsg: "body is 7 bytes; the limit is 6 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := apigw.Body(events.APIGatewayV2HTTPRequest{Body: tt.body, IsBase64Encoded: tt.b64}, tt.limit)
			if gotCode := switchboard.ErrorCode(err); gotCode != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", gotCode, tt.wantCode, err)
			}
			if tt.wantCode != "" {
				if gotMsg := switchboard.ErrorMessage(err); gotMsg != tt.wantMsg {
					t.Errorf("message = %q, want %q", gotMsg, tt.wantMsg)
				}
				return
			}
			if string(got) != tt.want {
				t.Errorf("body = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want map[string]string
	}{
		{name: "nil", in: nil, want: map[string]string{}},
		{name: "already lower", in: map[string]string{"content-type": "a"}, want: map[string]string{"content-type": "a"}},
		{name: "mixed case", in: map[string]string{"Authorization": "Bearer x", "X-Line-Signature": "s"}, want: map[string]string{"authorization": "Bearer x", "x-line-signature": "s"}},
		{name: "two spellings joined", in: map[string]string{"Accept": "a", "accept": "b"}, want: map[string]string{"accept": "a,b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := apigw.Headers(events.APIGatewayV2HTTPRequest{Headers: tt.in})
			if !maps.Equal(got, tt.want) {
				t.Errorf("Headers = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		code string
		want int
	}{
		{switchboard.EInvalid, 400},
		{switchboard.EUnauthorized, 401},
		{switchboard.EForbidden, 403},
		{switchboard.ENotFound, 404},
		{switchboard.EConflict, 409},
		{switchboard.ETooLarge, 413},
		{switchboard.ERateLimited, 429},
		{switchboard.EUnavailable, 503},
		{switchboard.EInternal, 500},
		{"", 500},
		{"teapot", 500},
	}
	for _, tt := range tests {
		if got := apigw.Status(tt.code); got != tt.want {
			t.Errorf("Status(%q) = %d, want %d", tt.code, got, tt.want)
		}
	}
}

func TestResponses(t *testing.T) {
	tests := []struct {
		name        string
		resp        events.APIGatewayV2HTTPResponse
		wantStatus  int
		wantType    string
		wantBody    string
		wantNoCType bool
	}{
		{name: "json", resp: apigw.JSON(201, map[string]int{"a": 1}), wantStatus: 201, wantType: apigw.ContentTypeJSON, wantBody: `{"a":1}`},
		{name: "json unencodable", resp: apigw.JSON(200, func() {}), wantStatus: 500, wantType: apigw.ContentTypeJSON, wantBody: `{"error":{"code":"internal","message":"internal error"}}`},
		{name: "text", resp: apigw.Text(200, "challenge"), wantStatus: 200, wantType: apigw.ContentTypeText, wantBody: "challenge"},
		{name: "empty", resp: apigw.Empty(204), wantStatus: 204, wantNoCType: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", tt.resp.StatusCode, tt.wantStatus)
			}
			ct, ok := tt.resp.Headers["content-type"]
			if tt.wantNoCType {
				if ok {
					t.Errorf("content-type = %q, want none", ct)
				}
			} else if ct != tt.wantType {
				t.Errorf("content-type = %q, want %q", ct, tt.wantType)
			}
			if tt.resp.Body != tt.wantBody {
				t.Errorf("body = %q, want %q", tt.resp.Body, tt.wantBody)
			}
		})
	}
}

func TestError(t *testing.T) {
	secretCause := errors.New("dynamodb: table arn:aws:dynamodb:secret-table password=hunter2")
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantMsg    string
		wantLevel  string
		wantCause  bool // the cause appears in the log line
	}{
		{name: "invalid", err: switchboard.Errorf(switchboard.EInvalid, "name must be 1 to 100 characters"), wantStatus: 400, wantCode: "invalid", wantMsg: "name must be 1 to 100 characters", wantLevel: "INFO"},
		{name: "unauthorized", err: switchboard.Errorf(switchboard.EUnauthorized, "missing token"), wantStatus: 401, wantCode: "unauthorized", wantMsg: "missing token", wantLevel: "INFO"},
		{name: "forbidden with hidden cause", err: switchboard.Wrap(switchboard.EForbidden, secretCause, "address not allowed"), wantStatus: 403, wantCode: "forbidden", wantMsg: "address not allowed", wantLevel: "INFO"},
		{name: "not found", err: switchboard.Errorf(switchboard.ENotFound, "channel not found"), wantStatus: 404, wantCode: "not_found", wantMsg: "channel not found", wantLevel: "INFO"},
		{name: "conflict", err: switchboard.Errorf(switchboard.EConflict, "changed meanwhile"), wantStatus: 409, wantCode: "conflict", wantMsg: "changed meanwhile", wantLevel: "INFO"},
		{name: "too large", err: switchboard.Errorf(switchboard.ETooLarge, "big"), wantStatus: 413, wantCode: "too_large", wantMsg: "big", wantLevel: "INFO"},
		{name: "rate limited", err: switchboard.Errorf(switchboard.ERateLimited, "slow down"), wantStatus: 429, wantCode: "rate_limited", wantMsg: "slow down", wantLevel: "INFO"},
		{name: "unavailable keeps message, logs cause", err: switchboard.Wrap(switchboard.EUnavailable, secretCause, "storage is unavailable; retry later"), wantStatus: 503, wantCode: "unavailable", wantMsg: "storage is unavailable; retry later", wantLevel: "ERROR", wantCause: true},
		{name: "plain error hides details", err: secretCause, wantStatus: 500, wantCode: "internal", wantMsg: "internal error", wantLevel: "ERROR", wantCause: true},
		{name: "wrapped plain error", err: errors.Join(errors.New("x"), secretCause), wantStatus: 500, wantCode: "internal", wantMsg: "internal error", wantLevel: "ERROR", wantCause: true},
		{name: "unknown code", err: &switchboard.Error{Code: "teapot", Message: "leaky detail"}, wantStatus: 500, wantCode: "internal", wantMsg: "internal error", wantLevel: "ERROR"},
		{name: "nil", err: nil, wantStatus: 500, wantCode: "internal", wantMsg: "internal error", wantLevel: "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			ctx := apigw.ContextWithRequestID(context.Background(), "req-123")
			resp := apigw.Error(ctx, logger, tt.err)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Headers[apigw.HeaderRequestID]; got != "req-123" {
				t.Errorf("x-request-id = %q, want req-123", got)
			}
			if got := resp.Headers["content-type"]; got != apigw.ContentTypeJSON {
				t.Errorf("content-type = %q", got)
			}
			var body apigw.ErrorBody
			dec := json.NewDecoder(strings.NewReader(resp.Body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil {
				t.Fatalf("body %q: %v", resp.Body, err)
			}
			if body.Error.Code != tt.wantCode || body.Error.Message != tt.wantMsg {
				t.Errorf("body = %+v, want code %q message %q", body.Error, tt.wantCode, tt.wantMsg)
			}
			if strings.Contains(resp.Body, "hunter2") || strings.Contains(resp.Body, "secret-table") {
				t.Errorf("body leaks the cause: %s", resp.Body)
			}
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("log %q: %v", logs.String(), err)
			}
			if line["level"] != tt.wantLevel {
				t.Errorf("log level = %v, want %s", line["level"], tt.wantLevel)
			}
			if line["requestId"] != "req-123" {
				t.Errorf("log requestId = %v", line["requestId"])
			}
			if got := strings.Contains(logs.String(), "hunter2"); got != tt.wantCause {
				t.Errorf("cause in log = %v, want %v: %s", got, tt.wantCause, logs.String())
			}
		})
	}
}

func TestErrorWithoutRequestID(t *testing.T) {
	resp := apigw.Error(context.Background(), slog.New(slog.DiscardHandler), switchboard.Errorf(switchboard.ENotFound, "x"))
	if got, ok := resp.Headers[apigw.HeaderRequestID]; ok {
		t.Errorf("x-request-id = %q, want none", got)
	}
}

func TestWithRequestID(t *testing.T) {
	orig := apigw.JSON(200, 1)
	got := apigw.WithRequestID(orig, "abc")
	if got.Headers[apigw.HeaderRequestID] != "abc" || got.Headers["content-type"] != apigw.ContentTypeJSON {
		t.Errorf("headers = %v", got.Headers)
	}
	if _, ok := orig.Headers[apigw.HeaderRequestID]; ok {
		t.Errorf("WithRequestID changed the original response's headers")
	}
	if got := apigw.RequestID(events.APIGatewayV2HTTPRequest{RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "r1"}}); got != "r1" {
		t.Errorf("RequestID = %q, want r1", got)
	}
}

func FuzzBody(f *testing.F) {
	f.Add("eyJhIjoxfQ==", true, 10)
	f.Add(`{"a":1}`, false, 3)
	f.Add("%%%", true, 100)
	f.Fuzz(func(t *testing.T, body string, b64 bool, limit int) {
		if limit < 0 {
			limit = -limit
		}
		got, err := apigw.Body(events.APIGatewayV2HTTPRequest{Body: body, IsBase64Encoded: b64}, limit)
		if err != nil {
			switch code := switchboard.ErrorCode(err); code {
			case switchboard.EInvalid:
				if !b64 {
					t.Fatalf("EInvalid for a body not flagged base64")
				}
			case switchboard.ETooLarge:
			default:
				t.Fatalf("unexpected code %q: %v", code, err)
			}
			return
		}
		if len(got) > limit {
			t.Fatalf("returned %d bytes over the limit %d", len(got), limit)
		}
		if !b64 && string(got) != body {
			t.Fatalf("plain body changed")
		}
	})
}
