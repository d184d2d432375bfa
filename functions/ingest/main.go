// Command ingest is the webhook Lambda: POST and GET /webhooks/{kind}/{channelId}.
// It only wires: configuration, clients and the handler of package ingest.
package main

import (
	"github.com/switchboard-chat/switchboard/shared/ingest"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/startup"
)

func main() { startup.Run("ingest", build, "INBOUND_QUEUE_URL") }

func build(f *startup.Function) any {
	store, logger := f.Store, f.Logger
	pub := &queue.InboundPublisher{
		Queue:     f.Vars["INBOUND_QUEUE_URL"],
		Publisher: queue.New(f.SQS()),
	}
	return ingest.New(ingest.Config{
		Channels:  store,
		Webhooks:  ingest.Platforms(),
		Publisher: pub,
		Logger:    logger,
		Metrics:   f.Metrics(),
	}).Handle
}
