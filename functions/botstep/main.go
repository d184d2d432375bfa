// Command botstep is the consumer of bot.fifo: each bot request the router
// queued, and each bot delay timer the timer service put back, runs one step
// of the conversation's bot. It only wires: configuration, clients, senders,
// the bot engine and the handler of package botstep.
package main

import (
	"net/http"

	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/botstep"
	"github.com/switchboard-chat/switchboard/shared/outbound"
	"github.com/switchboard-chat/switchboard/shared/startup"
)

func main() { startup.Run("botstep", build) }

func build(f *startup.Function) any {
	store, logger := f.Store, f.Logger
	senders := outbound.EnvConfig(f.Env.Get)
	senders.HTTPClient = &http.Client{}
	senders.Logger = logger
	return botstep.New(botstep.Config{
		Store:     store,
		Directory: store,
		Senders:   outbound.Senders(senders),
		Engine:    &bot.Engine{API: bot.NewHTTPCaller(bot.HTTPCallerOptions{})},
		Logger:    logger,
		Metrics:   f.Metrics(),
	}).Handle
}
