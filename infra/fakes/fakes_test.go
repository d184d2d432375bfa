package fakes

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestStart(t *testing.T) {
	s, err := Start(Config{LINEAddr: "127.0.0.1:0", GraphAddr: "127.0.0.1:0", WhatsAppAddr: "127.0.0.1:0", MoFAddr: "127.0.0.1:0", WidgetSiteAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	env := s.Env()
	for _, k := range []string{EnvLINE, EnvLINEData, EnvGraph, EnvWhatsApp, EnvMoF} {
		if !strings.HasPrefix(env[k], "http://127.0.0.1:") {
			t.Errorf("%s = %q", k, env[k])
		}
	}
	if got, want := strings.Join(s.Names(), ","), "graph,line,mof,whatsapp,widgetsite"; got != want {
		t.Errorf("names: got %s, want %s", got, want)
	}
	// Every fake answers its control endpoint.
	for name, url := range s.URLs() {
		res, err := http.Get(url + "/__fake/requests")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("%s: GET /__fake/requests = %d", name, res.StatusCode)
		}
	}
}

func TestStartPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, err = Start(Config{LINEAddr: "127.0.0.1:0", GraphAddr: "127.0.0.1:0", WhatsAppAddr: busy.Addr().String(), MoFAddr: "127.0.0.1:0", WidgetSiteAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "fake whatsapp") || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("got %v, want an error naming the whatsapp fake's busy port", err)
	}
}
