// Package fakes starts every fake channel platform at once (LINE, Meta's Graph
// Send API, WhatsApp Cloud API and the MoF e-invoice API) on local ports, and
// names the environment variables that point Switchboard's functions at them.
// The local runner's command uses it; end-to-end tests can too.
package fakes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"syscall"
	"time"

	"github.com/switchboard-chat/switchboard/infra/fakes/graph"
	"github.com/switchboard-chat/switchboard/infra/fakes/line"
	"github.com/switchboard-chat/switchboard/infra/fakes/mof"
	"github.com/switchboard-chat/switchboard/infra/fakes/whatsapp"
	"github.com/switchboard-chat/switchboard/infra/fakes/widgetsite"
)

// Environment variables the functions read their platform base URLs from.
const (
	EnvLINE      = "LINE_API_BASE_URL"
	EnvLINEData  = "LINE_DATA_API_BASE_URL"
	EnvGraph     = "GRAPH_API_BASE_URL"
	EnvWhatsApp  = "WHATSAPP_API_BASE_URL"
	EnvMoF       = "MOF_API_BASE_URL"
	DefaultLINE  = "127.0.0.1:3001"
	DefaultGraph = "127.0.0.1:3002"
	DefaultWA    = "127.0.0.1:3003"
	DefaultMoF   = "127.0.0.1:3004"
	// DefaultWidgetSite is where the fake brand website listens for the
	// messages Switchboard sends to web-widget visitors (a channel's outboundUrl).
	DefaultWidgetSite = "127.0.0.1:3005"
	shutdownBudget    = 2 * time.Second
)

// Config says where each fake listens ("127.0.0.1:0" for a free port) and
// how each is set up. A zero Config uses the default ports and fakes that
// accept any token, suited to `make run`.
type Config struct {
	LINEAddr, GraphAddr, WhatsAppAddr, MoFAddr, WidgetSiteAddr string

	LINE       line.Config
	Graph      graph.Config
	WhatsApp   whatsapp.Config
	MoF        mof.Config
	WidgetSite widgetsite.Config
}

// Set is the running fakes.
type Set struct {
	LINE     *line.Fake
	Graph    *graph.Fake
	WhatsApp *whatsapp.Fake
	MoF      *mof.Fake
	// WidgetSite receives web-widget replies at <its URL>/messages.
	WidgetSite *widgetsite.Fake

	urls    map[string]string
	servers []*http.Server
}

// Start starts every fake. A port in use fails with the fake's name.
func Start(cfg Config) (*Set, error) {
	s := &Set{
		LINE:     line.New(cfg.LINE),
		Graph:    graph.New(cfg.Graph),
		WhatsApp: whatsapp.New(cfg.WhatsApp),
		MoF:      mof.New(cfg.MoF),
		urls:     map[string]string{},

		WidgetSite: widgetsite.New(cfg.WidgetSite),
	}
	fakes := []struct {
		name, addr, def string
		h               http.Handler
	}{
		{"line", cfg.LINEAddr, DefaultLINE, s.LINE},
		{"graph", cfg.GraphAddr, DefaultGraph, s.Graph},
		{"whatsapp", cfg.WhatsAppAddr, DefaultWA, s.WhatsApp},
		{"mof", cfg.MoFAddr, DefaultMoF, s.MoF},
		{"widgetsite", cfg.WidgetSiteAddr, DefaultWidgetSite, s.WidgetSite},
	}
	for _, f := range fakes {
		addr := f.addr
		if addr == "" {
			addr = f.def
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			_ = s.Close()
			if errors.Is(err, syscall.EADDRINUSE) {
				return nil, fmt.Errorf("fake %s: address %s is already in use; choose another port", f.name, addr)
			}
			return nil, fmt.Errorf("fake %s: %w", f.name, err)
		}
		srv := &http.Server{Handler: f.h, ReadHeaderTimeout: 10 * time.Second}
		s.servers = append(s.servers, srv)
		s.urls[f.name] = "http://" + ln.Addr().String()
		go func() { _ = srv.Serve(ln) }()
	}
	return s, nil
}

// URLs maps each fake's name (line, graph, whatsapp, mof, widgetsite) to its
// base URL.
func (s *Set) URLs() map[string]string {
	out := make(map[string]string, len(s.urls))
	for k, v := range s.urls {
		out[k] = v
	}
	return out
}

// Names lists the fakes, sorted.
func (s *Set) Names() []string {
	names := make([]string, 0, len(s.urls))
	for k := range s.urls {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Env is the environment that points the functions at the fakes. Both LINE
// hosts (api.line.me and api-data.line.me) are served by the one LINE fake.
func (s *Set) Env() map[string]string {
	return map[string]string{
		EnvLINE:     s.urls["line"],
		EnvLINEData: s.urls["line"],
		EnvGraph:    s.urls["graph"],
		EnvWhatsApp: s.urls["whatsapp"],
		EnvMoF:      s.urls["mof"],
	}
}

// Close stops every fake.
func (s *Set) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownBudget)
	defer cancel()
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
