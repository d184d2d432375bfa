// Package widgetsite is a fake of a brand's website backend that receives the
// messages Switchboard sends to web-widget visitors (the channel's outboundUrl).
// It checks the x-switchboard-signature header with the widget token, as a real
// site should, and records what it received for tests and `make run`.
package widgetsite

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/switchboard-chat/switchboard/infra/fakes/platform"
	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Config sets the fake up.
type Config struct {
	// Tokens are the widget tokens whose signatures are accepted; a request
	// signed with none of them gets 401.
	Tokens []string
	Now    func() time.Time
}

// Fake is the fake site. Its Server records every request.
type Fake struct {
	*platform.Server
	tokens []string
}

// New returns a Fake.
func New(cfg Config) *Fake {
	f := &Fake{tokens: cfg.Tokens}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /", f.serve)
	f.Server = platform.NewServer("widgetsite", mux, cfg.Now)
	return f
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, platform.MaxBody))
	if err != nil {
		platform.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "unreadable body"})
		return
	}
	req := channel.Request{Method: r.Method, Headers: map[string]string{}, Body: body}
	for k := range r.Header {
		req.Headers[k] = r.Header.Get(k)
	}
	ok := false
	for _, tok := range f.tokens {
		ch := &switchboard.Channel{Secrets: switchboard.ChannelSecrets{SigningSecret: tok}}
		if channel.VerifySHA256Hex(ch, req, "x-switchboard-signature") == nil {
			ok = true
			break
		}
	}
	if !ok {
		platform.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "bad or missing x-switchboard-signature"})
		return
	}
	var msg struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(body, &msg); err != nil || len(msg.Messages) == 0 {
		platform.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"messages\": [...]}"})
		return
	}
	platform.WriteJSON(w, http.StatusOK, map[string]any{"accepted": len(msg.Messages)})
}
