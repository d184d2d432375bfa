package events

import (
	"context"
	"encoding/base64"
	"io"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"
)

func TestHTTPRequest(t *testing.T) {
	plain := lambdaevents.APIGatewayV2HTTPRequest{
		RawPath: "/webhooks/line/c1", Body: `{"events":[]}`,
		Headers: map[string]string{"x-line-signature": "sig", "host": "example.com", "content-length": "13"},
	}
	b64 := plain
	b64.Body, b64.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(plain.Body)), true
	get := lambdaevents.APIGatewayV2HTTPRequest{RawPath: "/webhooks/messenger/c2", RawQueryString: "hub.mode=subscribe"}
	get.RequestContext.HTTP.Method = "GET"

	tests := []struct {
		name                string
		req                 lambdaevents.APIGatewayV2HTTPRequest
		wantMethod, wantURL string
		wantBody, wantSig   string
	}{
		{"plain", plain, "POST", "http://127.0.0.1:3000/webhooks/line/c1", `{"events":[]}`, "sig"},
		{"base64", b64, "POST", "http://127.0.0.1:3000/webhooks/line/c1", `{"events":[]}`, "sig"},
		{"handshake", get, "GET", "http://127.0.0.1:3000/webhooks/messenger/c2?hub.mode=subscribe", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := HTTPRequest(context.Background(), "http://127.0.0.1:3000/", tt.req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(got.Body)
			if got.Method != tt.wantMethod || got.URL.String() != tt.wantURL || string(body) != tt.wantBody || got.Header.Get("X-Line-Signature") != tt.wantSig {
				t.Errorf("got %s %s %q sig %q, want %s %s %q sig %q", got.Method, got.URL, body, got.Header.Get("X-Line-Signature"), tt.wantMethod, tt.wantURL, tt.wantBody, tt.wantSig)
			}
			if got.Header.Get("Host") != "" || got.Header.Get("Content-Length") != "" {
				t.Errorf("headers the client sets were copied: %v", got.Header)
			}
		})
	}
	bad := plain
	bad.Body, bad.IsBase64Encoded = "!!", true
	if _, err := HTTPRequest(context.Background(), "http://x", bad); err == nil {
		t.Error("broken base64 accepted")
	}
}
