// Command router is the consumer of inbound.fifo: it routes every platform
// event (contact, conversation state, keyword replies, assignment, tags,
// delivery statuses) and hands bot work to bot.fifo. It only wires:
// configuration, clients and the handler of package router.
package main

import (
	"github.com/switchboard-chat/switchboard/shared/outbound"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/router"
	"github.com/switchboard-chat/switchboard/shared/startup"
)

func main() { startup.Run("router", build, "BOT_QUEUE_URL") }

func build(f *startup.Function) any {
	store, logger := f.Store, f.Logger
	senders := outbound.EnvConfig(f.Env.Get)
	senders.Logger = logger
	return router.New(router.Config{
		Store:     store,
		Directory: store,
		Rules:     store,
		Senders:   outbound.Senders(senders),
		Bots: &router.BotQueue{
			Queue:     f.Vars["BOT_QUEUE_URL"],
			Publisher: queue.New(f.SQS()),
		},
		Logger:  logger,
		Metrics: f.Metrics(),
	}).Handle
}
