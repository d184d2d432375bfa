package events

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	lambdaevents "github.com/aws/aws-lambda-go/events"
)

// HTTPRequest turns an API Gateway request (a sample of this package) back into
// the HTTP request the platform sent, addressed to baseURL, a running stack's
// HTTP API: the raw body (decoded when flagged base64), method, path, query and
// headers, less those the HTTP client and API Gateway set themselves.
func HTTPRequest(ctx context.Context, baseURL string, req lambdaevents.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			return nil, fmt.Errorf("body is flagged base64 but does not decode: %w", err)
		}
	}
	method := req.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodPost
	}
	url := strings.TrimSuffix(baseURL, "/") + req.RawPath
	if req.RawQueryString != "" {
		url += "?" + req.RawQueryString
	}
	hreq, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range req.Headers {
		switch strings.ToLower(k) {
		case "host", "content-length", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto":
			continue
		}
		hreq.Header.Set(k, v)
	}
	return hreq, nil
}
