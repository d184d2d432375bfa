// Command timer-fire is the consumer of the timer queue: each due timer goes
// to the handler of its kind (cart and payment reminders here; auto-end and
// bot delays back into their conversation's FIFO queue). It only wires:
// configuration, clients, senders and the handlers.
package main

import (
	"net/http"

	"github.com/switchboard-chat/switchboard/shared/outbound"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/remarketing"
	"github.com/switchboard-chat/switchboard/shared/startup"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/timer"
)

func main() { startup.Run("timer-fire", build, "INBOUND_QUEUE_URL", "BOT_QUEUE_URL") }

func build(f *startup.Function) any {
	store, logger := f.Store, f.Logger
	publisher := queue.New(f.SQS())
	metrics := f.Metrics()
	ocfg := outbound.EnvConfig(f.Env.Get)
	ocfg.HTTPClient = &http.Client{}
	ocfg.Logger = logger
	svc := remarketing.New(remarketing.Config{
		Directory:     store,
		Carts:         store,
		Stats:         store,
		Payments:      store,
		Timers:        store,
		Senders:       outbound.Senders(ocfg),
		ClickSecret:   []byte(f.Env.Get("CLICK_SECRET")),
		PublicBaseURL: f.Env.Get("PUBLIC_BASE_URL"),
		Logger:        logger,
		Metrics:       metrics,
	})
	c := timer.NewConsumer(timer.ConsumerConfig{Claims: store, Logger: logger, Metrics: metrics})
	c.Register(switchboard.TimerCartReminder, svc.FireCartReminder)
	c.Register(switchboard.TimerPaymentReminder, svc.FirePaymentReminder)
	c.Register(switchboard.TimerAutoEnd, timer.Forward(publisher, f.Vars["INBOUND_QUEUE_URL"], nil))
	c.Register(switchboard.TimerBotDelay, timer.Forward(publisher, f.Vars["BOT_QUEUE_URL"], nil))
	return c.Handle
}
