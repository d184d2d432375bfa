package runner

import (
	"bytes"
	"encoding/base64"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func testRoutes(t *testing.T, specs ...routeSpec) []*route {
	t.Helper()
	var routes []*route
	for _, s := range specs {
		fn := &lambdaFunction{spec: &functionSpec{ID: s.Event}}
		r, err := newRoute(s, "api0000000", fn)
		if err != nil {
			t.Fatalf("newRoute(%+v): %v", s, err)
		}
		routes = append(routes, r)
	}
	api, err := newHTTPAPI(routes, DefaultAccountID, time.Now, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return api.routes
}

func TestRouteSelection(t *testing.T) {
	routes := testRoutes(t,
		routeSpec{Event: "webhookPost", Method: "POST", Path: "/webhooks/{kind}/{channelId}"},
		routeSpec{Event: "webhookGet", Method: "GET", Path: "/webhooks/{kind}/{channelId}"},
		routeSpec{Event: "proxy", Method: "ANY", Path: "/v1/{proxy+}"},
		routeSpec{Event: "teamsGet", Method: "GET", Path: "/v1/teams/{teamId}"},
		routeSpec{Event: "special", Method: "GET", Path: "/v1/teams/special"},
		routeSpec{Event: "root", Method: "GET", Path: "/"},
		routeSpec{Event: "default", Method: "ANY"},
	)
	tests := []struct {
		method, path string
		want         string
		params       map[string]string
	}{
		{"POST", "/webhooks/line/ch_1", "webhookPost", map[string]string{"kind": "line", "channelId": "ch_1"}},
		{"GET", "/webhooks/messenger/ch%2F2", "webhookGet", map[string]string{"kind": "messenger", "channelId": "ch/2"}},
		{"PUT", "/webhooks/line/ch_1", "default", nil},
		{"GET", "/v1/teams/special", "special", nil},
		{"GET", "/v1/teams/t1", "teamsGet", map[string]string{"teamId": "t1"}},
		{"POST", "/v1/teams/t1", "proxy", map[string]string{"proxy": "teams/t1"}},
		{"DELETE", "/v1/teams/t1/members/m%20x", "proxy", map[string]string{"proxy": "teams/t1/members/m x"}},
		{"GET", "/v1", "default", nil},
		{"GET", "/v1/", "default", nil},
		{"GET", "/", "root", nil},
		{"GET", "/webhooks/line", "default", nil},
		{"GET", "/webhooks/line//", "default", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			segs, err := pathSegments(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			var params map[string]string
			for _, r := range routes {
				if p, ok := r.match(tt.method, segs); ok {
					got, params = r.fn.spec.ID, p
					break
				}
			}
			if got != tt.want {
				t.Fatalf("route: got %q, want %q", got, tt.want)
			}
			if !maps.Equal(params, tt.params) {
				t.Errorf("params: got %v, want %v", params, tt.params)
			}
		})
	}
}

func TestRouteErrors(t *testing.T) {
	fn := &lambdaFunction{spec: &functionSpec{ID: "F"}}
	for _, path := range []string{"/a/{proxy+}/b", "/a/x{id}"} {
		if _, err := newRoute(routeSpec{Method: "GET", Path: path}, "api", fn); err == nil {
			t.Errorf("newRoute(%q) succeeded; want an error", path)
		}
	}
	a, _ := newRoute(routeSpec{Method: "GET", Path: "/a/{id}"}, "api", fn)
	b, _ := newRoute(routeSpec{Method: "GET", Path: "/a/{id}"}, "api", &lambdaFunction{spec: &functionSpec{ID: "G"}})
	if _, err := newHTTPAPI([]*route{a, b}, "1", time.Now, nil, nil); err == nil || !strings.Contains(err.Error(), "declared twice") {
		t.Errorf("duplicate routes: got %v, want a 'declared twice' error", err)
	}
}

func TestIsTextual(t *testing.T) {
	tests := []struct {
		contentType string
		want        bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON", true},
		{"text/plain", true},
		{"text/html; charset=big5", true},
		{"application/xml", true},
		{"application/vnd.api+json", true},
		{"application/atom+xml", true},
		{"application/javascript", true},
		{"application/x-www-form-urlencoded", false},
		{"multipart/form-data; boundary=x", false},
		{"application/octet-stream", false},
		{"image/png", false},
		{"", false},
		{"garbage;;", false},
	}
	for _, tt := range tests {
		if got := isTextual(tt.contentType); got != tt.want {
			t.Errorf("isTextual(%q) = %v, want %v", tt.contentType, got, tt.want)
		}
	}
}

func TestBuildHTTPEvent(t *testing.T) {
	fn := &lambdaFunction{spec: &functionSpec{ID: "F"}}
	rt, err := newRoute(routeSpec{Method: "POST", Path: "/webhooks/{kind}/{channelId}"}, "api0000000", fn)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 12, 19, 3, 58, 0, time.UTC)
	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantBody    string
		wantB64     bool
	}{
		{"json", "application/json", []byte(`{"a":1}`), `{"a":1}`, false},
		{"binary", "application/octet-stream", []byte{0, 1, 255}, base64.StdEncoding.EncodeToString([]byte{0, 1, 255}), true},
		{"form", "application/x-www-form-urlencoded", []byte("a=1&b=2"), base64.StdEncoding.EncodeToString([]byte("a=1&b=2")), true},
		{"text that is not UTF-8", "text/plain", []byte{0xff, 0xfe}, base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe}), true},
		{"empty", "application/json", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://localhost:3000/webhooks/line/ch_1?x=1&x=2&y=%20z", bytes.NewReader(tt.body))
			r.RemoteAddr = "10.1.2.3:5555"
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			r.Header.Set("X-Line-Signature", "sig=")
			r.Header.Add("X-Multi", "one")
			r.Header.Add("X-Multi", "two")
			r.Header.Set("User-Agent", "LineBotWebhook/2.0")
			r.Header.Add("Cookie", "a=1; b=2")
			r.Header.Add("Cookie", "c=3")
			ev := buildHTTPEvent(r, tt.body, rt, map[string]string{"kind": "line", "channelId": "ch_1"}, "123456789012", "req-1", at)

			if got, want := ev.Body, tt.wantBody; got != want {
				t.Errorf("body: got %q, want %q", got, want)
			}
			if got, want := ev.IsBase64Encoded, tt.wantB64; got != want {
				t.Errorf("isBase64Encoded: got %v, want %v", got, want)
			}
			checks := []struct{ name, got, want string }{
				{"version", ev.Version, "2.0"},
				{"routeKey", ev.RouteKey, "POST /webhooks/{kind}/{channelId}"},
				{"rawPath", ev.RawPath, "/webhooks/line/ch_1"},
				{"rawQueryString", ev.RawQueryString, "x=1&x=2&y=%20z"},
				{"header x-line-signature", ev.Headers["x-line-signature"], "sig="},
				{"header x-multi", ev.Headers["x-multi"], "one,two"},
				{"header host", ev.Headers["host"], "localhost:3000"},
				{"header x-forwarded-for", ev.Headers["x-forwarded-for"], "10.1.2.3"},
				{"header x-forwarded-port", ev.Headers["x-forwarded-port"], "3000"},
				{"header cookie", ev.Headers["cookie"], ""},
				{"query x", ev.QueryStringParameters["x"], "1,2"},
				{"query y", ev.QueryStringParameters["y"], " z"},
				{"requestContext.routeKey", ev.RequestContext.RouteKey, "POST /webhooks/{kind}/{channelId}"},
				{"requestContext.accountId", ev.RequestContext.AccountID, "123456789012"},
				{"requestContext.apiId", ev.RequestContext.APIID, "api0000000"},
				{"requestContext.stage", ev.RequestContext.Stage, "$default"},
				{"requestContext.requestId", ev.RequestContext.RequestID, "req-1"},
				{"requestContext.domainName", ev.RequestContext.DomainName, "localhost"},
				{"requestContext.time", ev.RequestContext.Time, "12/Mar/2025:19:03:58 +0000"},
				{"requestContext.http.method", ev.RequestContext.HTTP.Method, "POST"},
				{"requestContext.http.path", ev.RequestContext.HTTP.Path, "/webhooks/line/ch_1"},
				{"requestContext.http.protocol", ev.RequestContext.HTTP.Protocol, "HTTP/1.1"},
				{"requestContext.http.sourceIp", ev.RequestContext.HTTP.SourceIP, "10.1.2.3"},
				{"requestContext.http.userAgent", ev.RequestContext.HTTP.UserAgent, "LineBotWebhook/2.0"},
				{"pathParameters.channelId", ev.PathParameters["channelId"], "ch_1"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
				}
			}
			if got, want := ev.Cookies, []string{"a=1", "b=2", "c=3"}; !slices.Equal(got, want) {
				t.Errorf("cookies: got %q, want %q", got, want)
			}
			if got, want := ev.RequestContext.TimeEpoch, at.UnixMilli(); got != want {
				t.Errorf("timeEpoch: got %d, want %d", got, want)
			}
			for k := range ev.Headers {
				if k != strings.ToLower(k) {
					t.Errorf("header %q is not lower case", k)
				}
			}
		})
	}
}

func TestParseHTTPResponse(t *testing.T) {
	tests := []struct {
		name    string
		resp    string
		status  int
		body    string
		headers map[string]string
		cookies []string
		wantErr bool
	}{
		{"structured", `{"statusCode":201,"headers":{"x-a":"1"},"body":"made","cookies":["c=1"]}`, 201, "made", map[string]string{"x-a": "1"}, []string{"c=1"}, false},
		{"structured base64", `{"statusCode":200,"body":"AAH/","isBase64Encoded":true}`, 200, "\x00\x01\xff", nil, nil, false},
		{"status as string", `{"statusCode":"404","body":""}`, 404, "", nil, nil, false},
		{"no body", `{"statusCode":204}`, 204, "", nil, nil, false},
		{"simple object", `{"hello":"world"}`, 200, `{"hello":"world"}`, map[string]string{"content-type": "application/json"}, nil, false},
		{"simple string", `"plain text"`, 200, "plain text", map[string]string{"content-type": "application/json"}, nil, false},
		{"simple number", `42`, 200, "42", map[string]string{"content-type": "application/json"}, nil, false},
		{"simple null", `null`, 200, "null", map[string]string{"content-type": "application/json"}, nil, false},
		{"not JSON", `<html>`, 0, "", nil, nil, true},
		{"bad status", `{"statusCode":42}`, 0, "", nil, nil, true},
		{"bad base64", `{"statusCode":200,"body":"%%%","isBase64Encoded":true}`, 0, "", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHTTPResponse([]byte(tt.resp))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.status != tt.status {
				t.Errorf("status: got %d, want %d", got.status, tt.status)
			}
			if string(got.body) != tt.body {
				t.Errorf("body: got %q, want %q", got.body, tt.body)
			}
			if !maps.Equal(got.headers, tt.headers) {
				t.Errorf("headers: got %v, want %v", got.headers, tt.headers)
			}
			if !reflect.DeepEqual(got.cookies, tt.cookies) {
				t.Errorf("cookies: got %v, want %v", got.cookies, tt.cookies)
			}
		})
	}
}

// FuzzParseHTTPResponse feeds arbitrary function output to the response
// translation: it must never panic, and whatever it accepts has a real status.
func FuzzParseHTTPResponse(f *testing.F) {
	for _, s := range []string{`{"statusCode":200,"body":"x"}`, `"text"`, `{"a":1}`, `{"statusCode":"500"}`,
		`{"statusCode":200,"body":"AAH/","isBase64Encoded":true,"multiValueHeaders":{"a":["1","2"]}}`, `[1,2]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, resp []byte) {
		got, err := parseHTTPResponse(resp)
		if err != nil {
			return
		}
		if got.status < 100 || got.status > 599 {
			t.Fatalf("accepted status %d", got.status)
		}
	})
}

// FuzzHTTPAPIRequest sends arbitrary paths, headers and bodies through the
// request translation and the HTTP API's routing: no panic, and a body the
// event carries as base64 decodes back to exactly the bytes sent.
func FuzzHTTPAPIRequest(f *testing.F) {
	f.Add("/webhooks/line/ch_1", "application/json", []byte(`{"events":[]}`))
	f.Add("/v1/teams/%2F/x", "", []byte{0, 1, 2})
	f.Add("/a%zz", "text/plain", []byte("\xff"))
	fn := &lambdaFunction{spec: &functionSpec{ID: "F"}}
	rt, err := newRoute(routeSpec{Method: "ANY", Path: "/v1/{proxy+}"}, "api", fn)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path, contentType string, body []byte) {
		r, err := http.NewRequest("POST", "http://localhost:3000/", bytes.NewReader(body))
		if err != nil {
			return
		}
		r.URL.RawPath, r.URL.Path = "", ""
		if err := setPath(r, path); err != nil {
			return
		}
		r.Header.Set("Content-Type", contentType)
		segs, err := pathSegments(r.URL.EscapedPath())
		if err != nil {
			return
		}
		params, _ := rt.match("POST", segs)
		ev := buildHTTPEvent(r, body, rt, params, "1", "id", time.Now())
		got := []byte(ev.Body)
		if ev.IsBase64Encoded {
			got, err = base64.StdEncoding.DecodeString(ev.Body)
			if err != nil {
				t.Fatalf("body is not base64: %v", err)
			}
		}
		if !bytes.Equal(got, body) {
			t.Fatalf("body changed: got %q, want %q", got, body)
		}
	})
}

func setPath(r *http.Request, p string) error {
	u, err := r.URL.Parse(p)
	if err != nil {
		return err
	}
	r.URL = u
	return nil
}
