// Command timers is the timer dispatcher Lambda, run by an EventBridge
// schedule every minute: it moves the timers due up to the end of the next
// minute from DynamoDB to the timer queue, each delayed to its second. It only
// wires: configuration, clients and the dispatcher of package timer.
package main

import (
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/startup"
	"github.com/switchboard-chat/switchboard/shared/timer"
)

func main() { startup.Run("timers", build, "TIMER_QUEUE_URL") }

func build(f *startup.Function) any {
	store, logger := f.Store, f.Logger
	return timer.NewDispatcher(timer.DispatcherConfig{
		Store:    store,
		Queue:    queue.New(f.SQS()),
		QueueURL: f.Vars["TIMER_QUEUE_URL"],
		Shards:   dynamo.TimerShards,
		Lease:    store,
		Logger:   logger,
		Metrics:  f.Metrics(),
	}).Handle
}
