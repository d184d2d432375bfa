// Command api is the operators' API Lambda: ANY /v1/{proxy+}. It only wires:
// configuration, clients and the handler of package httpapi.
package main

import (
	"github.com/switchboard-chat/switchboard/shared/httpapi"
	"github.com/switchboard-chat/switchboard/shared/outbound"
	"github.com/switchboard-chat/switchboard/shared/remarketing"
	"github.com/switchboard-chat/switchboard/shared/startup"
)

func main() { startup.Run("api", build) }

func build(f *startup.Function) any {
	store, logger := f.Store, f.Logger
	// The API configures cart remarketing and payment reminders and reads
	// their statistics; it sends none of their messages (timer-fire does), so
	// the service gets no senders.
	automations := remarketing.New(remarketing.Config{
		Directory: store,
		Carts:     store,
		Stats:     store,
		Payments:  store,
		Timers:    store,
		Logger:    logger,
	})
	return httpapi.New(httpapi.Config{
		Teams:          store,
		Channels:       store,
		Members:        store,
		Tokens:         store,
		Contacts:       store,
		Conversations:  store,
		Messages:       store,
		Rules:          store,
		Bots:           store,
		AutoEnd:        store,
		Settings:       store,
		Automations:    automations,
		SiteKeys:       store,
		Senders:        outbound.Senders(outbound.EnvConfig(f.Env.Get)),
		AdminTokenHash: f.Env.Get("ADMIN_TOKEN_HASH"),
		PublicBaseURL:  f.Env.Get("PUBLIC_BASE_URL"),
		Logger:         logger,
	}).Handle
}
