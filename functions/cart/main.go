// Command cart is the website pixel Lambda: cart events, the binding popup,
// orders for the payment reminder and tracked reminder links, under
// /v1/pixel. It only wires: configuration, clients and the handler of package
// remarketing.
package main

import (
	"github.com/switchboard-chat/switchboard/shared/remarketing"
	"github.com/switchboard-chat/switchboard/shared/startup"
)

func main() { startup.Run("cart", build) }

func build(f *startup.Function) any {
	store, logger := f.Store, f.Logger
	metrics := f.Metrics()
	// The pixel sends nothing itself: reminders go out from timer-fire, so
	// this function has no senders.
	svc := remarketing.New(remarketing.Config{
		Directory:   store,
		Carts:       store,
		Stats:       store,
		Payments:    store,
		Timers:      store,
		ClickSecret: []byte(f.Env.Get("CLICK_SECRET")),
		Logger:      logger,
		Metrics:     metrics,
	})
	return remarketing.NewHandler(remarketing.HandlerConfig{
		Service:  svc,
		SiteKeys: store,
		Logger:   logger,
		Metrics:  metrics,
	}).Handle
}
