package bot

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

// endpoint is a local HTTP server counting the requests that reach it.
func endpoint(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestHTTPCallerRefusesInternalAddresses(t *testing.T) {
	srv, hits := endpoint(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"text":"leaked"}`)) })
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	var v6 *httptest.Server
	if ln, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		v6 = &httptest.Server{Listener: ln, Config: &http.Server{Handler: srv.Config.Handler}}
		v6.Start()
		t.Cleanup(v6.Close)
	}
	urls := []string{
		srv.URL + "/orders",                       // 127.0.0.1, a live server
		"http://localhost:" + port + "/orders",    // a name that resolves to loopback
		"http://10.0.0.1/",                        // RFC 1918
		"http://169.254.169.254/latest/meta-data", // the metadata service
		"http://[::ffff:127.0.0.1]:" + port + "/", // IPv4-mapped loopback
		"http://100.64.0.1/",                      // carrier-grade NAT
		"http://0.0.0.0:" + port + "/",            // unspecified
	}
	if v6 != nil {
		urls = append(urls, v6.URL+"/") // [::1], a live server
	} else {
		urls = append(urls, "http://[::1]:"+port+"/")
	}
	caller := NewHTTPCaller(HTTPCallerOptions{})
	for _, u := range urls {
		t.Run(u, func(t *testing.T) {
			resp, err := caller.Call(context.Background(), APIRequest{Method: http.MethodGet, URL: u, Timeout: 2 * time.Second})
			if err == nil {
				t.Fatalf("Call(%s) = %d %q, want it refused", u, resp.Status, resp.Body)
			}
			if got := sb.ErrorCode(err); got != sb.EForbidden {
				t.Errorf("code = %s (%v), want %s", got, err, sb.EForbidden)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the local server received %d requests, want 0", n)
	}
}

func TestHTTPCallerAllowLoopbackIsOnlyLoopback(t *testing.T) {
	srv, hits := endpoint(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://10.0.0.1/internal", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"text":"ok"}`))
	})
	caller := NewHTTPCaller(HTTPCallerOptions{AllowLoopback: true})
	resp, err := caller.Call(context.Background(), APIRequest{Method: http.MethodGet, URL: srv.URL + "/ok"})
	if err != nil || resp.Status != http.StatusOK || string(resp.Body) != `{"text":"ok"}` {
		t.Fatalf("Call(loopback) = %+v, %v; want 200 with the body", resp, err)
	}
	for _, u := range []string{"http://10.0.0.1/", "http://169.254.169.254/", "http://192.168.1.1/", srv.URL + "/redirect"} {
		if _, err := caller.Call(context.Background(), APIRequest{Method: http.MethodGet, URL: u, Timeout: 2 * time.Second}); sb.ErrorCode(err) != sb.EForbidden {
			t.Errorf("Call(%s) with AllowLoopback = %v, want %s", u, err, sb.EForbidden)
		}
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("the server received %d requests, want 2 (the call and the redirect)", n)
	}
}

func TestHTTPCallerLimits(t *testing.T) {
	srv, _ := endpoint(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", MaxAPIResponse+1)))
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		}
	})
	caller := NewHTTPCaller(HTTPCallerOptions{AllowLoopback: true})
	if _, err := caller.Call(context.Background(), APIRequest{Method: http.MethodGet, URL: srv.URL + "/big"}); sb.ErrorCode(err) != sb.ETooLarge {
		t.Errorf("oversized answer: %v, want %s", err, sb.ETooLarge)
	}
	if _, err := caller.Call(context.Background(), APIRequest{Method: http.MethodGet, URL: srv.URL + "/slow", Timeout: 50 * time.Millisecond}); sb.ErrorCode(err) != sb.EUnavailable {
		t.Errorf("slow answer: %v, want %s", err, sb.EUnavailable)
	}
}

func TestBlockedReason(t *testing.T) {
	tests := []struct {
		addr          string
		allowLoopback bool
		blocked       bool
	}{
		{"8.8.8.8", false, false},
		{"203.0.114.1", false, false},
		{"2001:4860:4860::8888", false, false},
		{"127.0.0.1", false, true},
		{"127.0.0.1", true, false},
		{"127.9.9.9", false, true},
		{"::1", false, true},
		{"::1", true, false},
		{"10.0.0.1", true, true},
		{"172.16.5.4", false, true},
		{"192.168.0.1", false, true},
		{"169.254.169.254", true, true},
		{"fe80::1", false, true},
		{"fd00:ec2::254", false, true},
		{"fc00::1", false, true},
		{"::ffff:10.0.0.1", false, true},
		{"::ffff:169.254.169.254", false, true},
		{"64:ff9b::a00:1", false, true},
		{"100.64.0.1", false, true},
		{"0.0.0.0", false, true},
		{"::", false, true},
		{"224.0.0.1", false, true},
		{"255.255.255.255", false, true},
		{"198.18.0.1", false, true},
		{"2002:a00:1::", false, true},
	}
	for _, tt := range tests {
		reason := blockedReason(netip.MustParseAddr(tt.addr), tt.allowLoopback)
		if (reason != "") != tt.blocked {
			t.Errorf("blockedReason(%s, loopback=%t) = %q, want blocked=%t", tt.addr, tt.allowLoopback, reason, tt.blocked)
		}
	}
}

func TestParseAPIResponse(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []sb.OutboundMessage
		wantErr string
	}{
		{"messages", `{"messages":[{"kind":"text","text":"Order 12 ships today"},{"kind":"image","mediaUrl":"https://cdn.example.com/a.png"}]}`,
			[]sb.OutboundMessage{{Kind: sb.MsgText, Text: "Order 12 ships today"}, {Kind: sb.MsgImage, MediaURL: "https://cdn.example.com/a.png"}}, ""},
		{"a list", `[{"text":"a"},{"kind":"video","mediaUrl":"https://c.example.com/v.mp4","previewUrl":"https://c.example.com/v.jpg"}]`,
			[]sb.OutboundMessage{{Kind: sb.MsgText, Text: "a"}, {Kind: sb.MsgVideo, MediaURL: "https://c.example.com/v.mp4", PreviewURL: "https://c.example.com/v.jpg"}}, ""},
		{"a text", `{"text":"Hi {{system:email}}"}`, []sb.OutboundMessage{{Kind: sb.MsgText, Text: "Hi {{system:email}}"}}, ""},
		{"empty body", ``, nil, ""},
		{"object without messages", `{"ok":true}`, []sb.OutboundMessage{}, ""},
		{"too many", `[{"text":"1"},{"text":"2"},{"text":"3"},{"text":"4"},{"text":"5"},{"text":"6"}]`, nil, "at most 5"},
		{"http image", `[{"kind":"image","mediaUrl":"http://c.example.com/a.png"}]`, nil, "https mediaUrl"},
		{"empty text", `[{"kind":"text","text":"  "}]`, nil, "no text"},
		{"a file", `[{"kind":"file","mediaUrl":"https://c.example.com/a.pdf"}]`, nil, `kind "file"`},
		{"not JSON", `<html>`, nil, "not a JSON object"},
		{"bad list", `[1,2]`, nil, "not a JSON list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAPIResponse([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(sb.ErrorMessage(err), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d messages %+v, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if got[i].Kind != tt.want[i].Kind || got[i].Text != tt.want[i].Text || got[i].MediaURL != tt.want[i].MediaURL || got[i].PreviewURL != tt.want[i].PreviewURL {
					t.Errorf("message %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// FuzzParseAPIResponse: the answer is the team's endpoint's, so anything may
// come back; what is accepted must be sendable.
func FuzzParseAPIResponse(f *testing.F) {
	f.Add(`{"messages":[{"kind":"text","text":"a"}]}`)
	f.Add(`[{"kind":"image","mediaUrl":"https://a/b.png"}]`)
	f.Add(`{"text":""}`)
	f.Add(`[null]`)
	f.Fuzz(func(t *testing.T, body string) {
		msgs, err := ParseAPIResponse([]byte(body))
		if err != nil {
			if sb.ErrorCode(err) != sb.EInvalid {
				t.Fatalf("refused with %s: %v", sb.ErrorCode(err), err)
			}
			return
		}
		if len(msgs) > MaxAPIMessages {
			t.Fatalf("%d messages accepted", len(msgs))
		}
		for _, m := range msgs {
			switch m.Kind {
			case sb.MsgText:
				if strings.TrimSpace(m.Text) == "" {
					t.Fatalf("empty text accepted")
				}
			case sb.MsgImage, sb.MsgVideo:
				if !webURL(m.MediaURL, true) {
					t.Fatalf("media URL %q accepted", m.MediaURL)
				}
			default:
				t.Fatalf("kind %q accepted", m.Kind)
			}
		}
	})
}
