// Command timers is the timer dispatcher Lambda, run by an EventBridge
// schedule every minute: it moves the timers due up to the end of the next
// minute from DynamoDB to the timer queue, each delayed to its second. It only
// wires: configuration, clients and the dispatcher of package timer.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/config"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
	"github.com/switchboard-chat/switchboard/shared/timer"
)

func main() {
	env := config.FromOS()
	logger := telemetry.NewLogger(os.Stdout, env.LogLevel).With(slog.String("function", "timers"))
	d, err := build(context.Background(), env, logger)
	if err != nil {
		logger.Error("timers cannot start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(d.Handle)
}

func build(ctx context.Context, env config.Env, logger *slog.Logger) (*timer.Dispatcher, error) {
	vars, err := env.Require("TABLE_NAME", "TIMER_QUEUE_URL")
	if err != nil {
		return nil, err
	}
	cfg, err := awsclient.Load(ctx, awsclient.Options{})
	if err != nil {
		return nil, err
	}
	store := dynamo.New(awsclient.DynamoDB(cfg, env.DynamoDBEndpoint), vars["TABLE_NAME"])
	return timer.NewDispatcher(timer.DispatcherConfig{
		Store:    store,
		Queue:    queue.New(awsclient.SQS(cfg, env.SQSEndpoint)),
		QueueURL: vars["TIMER_QUEUE_URL"],
		Shards:   dynamo.TimerShards,
		Lease:    store,
		Logger:   logger,
		Metrics:  telemetry.NewMetrics(os.Stdout, "timers", nil),
	}), nil
}
