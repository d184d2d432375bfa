package outbound_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	fakegraph "github.com/switchboard-chat/switchboard/infra/fakes/graph"
	fakeline "github.com/switchboard-chat/switchboard/infra/fakes/line"
	fakewa "github.com/switchboard-chat/switchboard/infra/fakes/whatsapp"
	"github.com/switchboard-chat/switchboard/shared/channel/line"
	"github.com/switchboard-chat/switchboard/shared/channel/meta"
	"github.com/switchboard-chat/switchboard/shared/channel/whatsapp"
	"github.com/switchboard-chat/switchboard/shared/channel/widget"
	"github.com/switchboard-chat/switchboard/shared/outbound"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestSendersAgainstFakes sends one message on every kind through the
// senders Senders builds, each pointed at its platform's fake, and checks the
// fake accepted exactly that.
func TestSendersAgainstFakes(t *testing.T) {
	clock := func() time.Time { return now }
	lf := fakeline.New(fakeline.Config{ChannelTokens: []string{"line-token"}, Now: clock})
	gf := fakegraph.New(fakegraph.Config{PageTokens: map[string]string{"page-token": "PAGE1"}, StrictWindow: true, Now: clock})
	wf := fakewa.New(fakewa.Config{Tokens: []string{"wa-token"}, StrictWindow: true, Now: clock})
	gf.SetLastInbound("PAGE1", "PSID1", now.Add(-30*time.Hour))
	wf.SetLastInbound("886912345678", now.Add(-time.Hour))
	widgetPosts := 0
	widgetURL := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		widgetPosts++
		if r.Header.Get(widget.SignatureHeader) == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"messageIds":["wm1"]}`))
	}))

	senders := outbound.Senders(outbound.Config{
		LINEAPIBaseURL:     serve(t, lf) + "/",
		GraphAPIBaseURL:    serve(t, gf),
		WhatsAppAPIBaseURL: serve(t, wf),
		Clock:              clock,
		MaxAttempts:        2,
		Sleep:              func(context.Context, time.Duration) error { return nil },
	})
	hi := []sb.OutboundMessage{{Kind: sb.MsgText, Text: "Hello"}}
	tests := []struct {
		kind    sb.ChannelKind
		ch      sb.Channel
		to      sb.Recipient
		purpose sb.SendPurpose
		via     string
		sent    func() int
	}{
		{sb.KindLINE, sb.Channel{ID: "c1", Kind: sb.KindLINE, Secrets: sb.ChannelSecrets{AccessToken: "line-token"}}, sb.Recipient{PlatformUserID: "U1"}, sb.PurposeMarketing, "push", func() int { return len(lf.Deliveries()) }},
		{sb.KindMessenger, sb.Channel{ID: "c2", Kind: sb.KindMessenger, PlatformID: "PAGE1", Secrets: sb.ChannelSecrets{AccessToken: "page-token"}}, sb.Recipient{PlatformUserID: "PSID1", LastCustomerAt: now.Add(-30 * time.Hour)}, sb.PurposeAgent, "send", func() int { return len(gf.Sent()) }},
		{sb.KindWhatsApp, sb.Channel{ID: "c3", Kind: sb.KindWhatsApp, PlatformID: "1065", Secrets: sb.ChannelSecrets{AccessToken: "wa-token"}}, sb.Recipient{PlatformUserID: "886912345678", LastCustomerAt: now.Add(-time.Hour)}, sb.PurposeResponse, "send", func() int { return len(wf.Sent()) }},
		{sb.KindWidget, sb.Channel{ID: "c4", Kind: sb.KindWidget, OutboundURL: widgetURL + "/in", Secrets: sb.ChannelSecrets{SigningSecret: "widget-token"}}, sb.Recipient{PlatformUserID: "v1"}, sb.PurposeAgent, "send", func() int { return widgetPosts }},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			s, ok := senders[tt.kind]
			if !ok {
				t.Fatalf("no sender for %s", tt.kind)
			}
			ch := tt.ch
			res, err := s.Send(context.Background(), sb.SendRequest{Channel: &ch, To: tt.to, Messages: hi, Purpose: tt.purpose, IdempotencyKey: "k1"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Via != tt.via || len(res.PlatformMessageIDs) != 1 || res.PlatformMessageIDs[0] == "" {
				t.Errorf("result = %+v, want one id via %s", res, tt.via)
			}
			if got := tt.sent(); got != 1 {
				t.Errorf("platform received %d messages, want 1", got)
			}
		})
	}
	if got := gf.Sent(); len(got) == 1 && got[0].Tag != sb.TagHumanAgent {
		t.Errorf("Messenger agent reply at 30 h carried tag %q, want %q", got[0].Tag, sb.TagHumanAgent)
	}
}

func TestSendersDefaults(t *testing.T) {
	senders := outbound.Senders(outbound.Config{})
	for _, k := range sb.ChannelKinds {
		if senders[k] == nil {
			t.Errorf("no sender for %s", k)
		}
	}
	if got := senders[sb.KindLINE].(*line.Sender).BaseURL; got != "https://api.line.me" {
		t.Errorf("LINE base = %q", got)
	}
	g := senders[sb.KindMessenger].(*meta.Sender)
	if g.BaseURL != "https://graph.facebook.com" || g.Version != "v21.0" || senders[sb.KindInstagram] != g {
		t.Errorf("Graph sender = %q %q, shared with Instagram: %v", g.BaseURL, g.Version, senders[sb.KindInstagram] == g)
	}
	if got := senders[sb.KindWhatsApp].(*whatsapp.Sender); got.BaseURL != "https://graph.facebook.com" || got.Version != "v21.0" {
		t.Errorf("WhatsApp sender = %q %q", got.BaseURL, got.Version)
	}
}

func TestEnvConfig(t *testing.T) {
	env := map[string]string{
		"LINE_API_BASE_URL":     "http://127.0.0.1:4010",
		"GRAPH_API_BASE_URL":    "http://127.0.0.1:4011",
		"WHATSAPP_API_BASE_URL": "http://127.0.0.1:4012",
	}
	cfg := outbound.EnvConfig(func(k string) string { return env[k] })
	got := strings.Join([]string{cfg.LINEAPIBaseURL, cfg.GraphAPIBaseURL, cfg.WhatsAppAPIBaseURL, cfg.GraphVersion}, " ")
	if want := "http://127.0.0.1:4010 http://127.0.0.1:4011 http://127.0.0.1:4012 "; got != want {
		t.Errorf("EnvConfig = %q, want %q", got, want)
	}
	if v := outbound.Senders(cfg)[sb.KindWhatsApp].(*whatsapp.Sender).Version; v != "v21.0" {
		t.Errorf("unset GRAPH_API_VERSION gave version %q", v)
	}
}
