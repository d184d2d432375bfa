// Package outbound builds the senders of every channel kind from one
// configuration, so each Lambda that sends (router, bot step, broadcast,
// timers, the operators' API) wires them the same way: one HTTP client, one
// retry policy, and base URLs that tests and the local stack point at fakes.
//
// The HTTP behaviour the senders share lives in outbound/apiclient; the
// senders themselves live with their platform's inbound side in
// shared/channel/{line,meta,whatsapp,widget}.
package outbound

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/shared/channel/line"
	"github.com/switchboard-chat/switchboard/shared/channel/meta"
	"github.com/switchboard-chat/switchboard/shared/channel/whatsapp"
	"github.com/switchboard-chat/switchboard/shared/channel/widget"
	"github.com/switchboard-chat/switchboard/shared/outbound/apiclient"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Production base URLs and Graph version, used for empty Config fields.
const (
	DefaultLINEAPIBaseURL     = line.DefaultAPIBaseURL
	DefaultGraphAPIBaseURL    = meta.DefaultGraphBaseURL
	DefaultGraphVersion       = meta.DefaultGraphVersion
	DefaultWhatsAppAPIBaseURL = whatsapp.DefaultAPIBaseURL
)

// Environment variables EnvConfig reads.
const (
	EnvLINEAPIBaseURL     = "LINE_API_BASE_URL"
	EnvGraphAPIBaseURL    = "GRAPH_API_BASE_URL"
	EnvGraphVersion       = "GRAPH_API_VERSION"
	EnvWhatsAppAPIBaseURL = "WHATSAPP_API_BASE_URL"
)

// Config configures every sender. Zero fields take the defaults.
type Config struct {
	LINEAPIBaseURL  string
	GraphAPIBaseURL string
	// GraphVersion is the Graph API version of Messenger, Instagram and
	// WhatsApp calls ("v21.0").
	GraphVersion       string
	WhatsAppAPIBaseURL string
	// HTTPClient sends every request; nil means a client without its own
	// timeout (each attempt has one, AttemptTimeout).
	HTTPClient *http.Client
	Clock      switchboard.Clock
	// MaxAttempts bounds the attempts of one platform call (default 3);
	// AttemptTimeout bounds each (default 10 s).
	MaxAttempts    int
	AttemptTimeout time.Duration
	Logger         *slog.Logger
	// Sleep replaces the wait between attempts, for tests; nil waits.
	Sleep func(ctx context.Context, d time.Duration) error
}

// EnvConfig reads the base URLs and Graph version from the environment
// (LINE_API_BASE_URL, GRAPH_API_BASE_URL, GRAPH_API_VERSION,
// WHATSAPP_API_BASE_URL); unset variables keep the defaults. main passes
// os.Getenv and fills in the client, clock and logger.
func EnvConfig(getenv func(string) string) Config {
	return Config{
		LINEAPIBaseURL:     getenv(EnvLINEAPIBaseURL),
		GraphAPIBaseURL:    getenv(EnvGraphAPIBaseURL),
		GraphVersion:       getenv(EnvGraphVersion),
		WhatsAppAPIBaseURL: getenv(EnvWhatsAppAPIBaseURL),
	}
}

// Senders returns a sender for every channel kind, sharing one HTTP client
// and retry policy. Messenger and Instagram share the Graph sender.
func Senders(cfg Config) map[switchboard.ChannelKind]switchboard.Sender {
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	client := &apiclient.Client{
		HTTP:           hc,
		Clock:          clock,
		Sleep:          cfg.Sleep,
		Logger:         cfg.Logger,
		MaxAttempts:    cfg.MaxAttempts,
		AttemptTimeout: cfg.AttemptTimeout,
	}
	version := or(cfg.GraphVersion, DefaultGraphVersion)
	graph := &meta.Sender{BaseURL: base(cfg.GraphAPIBaseURL, DefaultGraphAPIBaseURL), Version: version, Client: client, Clock: clock}
	return map[switchboard.ChannelKind]switchboard.Sender{
		switchboard.KindLINE:      &line.Sender{BaseURL: base(cfg.LINEAPIBaseURL, DefaultLINEAPIBaseURL), Client: client, Clock: clock, Logger: cfg.Logger},
		switchboard.KindMessenger: graph,
		switchboard.KindInstagram: graph,
		switchboard.KindWhatsApp:  &whatsapp.Sender{BaseURL: base(cfg.WhatsAppAPIBaseURL, DefaultWhatsAppAPIBaseURL), Version: version, Client: client, Clock: clock},
		switchboard.KindWidget:    &widget.Sender{Client: client, Clock: clock},
	}
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func base(v, def string) string { return strings.TrimRight(or(v, def), "/") }
