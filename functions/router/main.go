// Command router is the consumer of inbound.fifo: it routes every platform
// event (contact, conversation state, keyword replies, assignment, tags,
// delivery statuses) and hands bot work to bot.fifo. It only wires:
// configuration, clients and the handler of package router.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/config"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/outbound"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/router"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
)

func main() {
	env := config.FromOS()
	logger := telemetry.NewLogger(os.Stdout, env.LogLevel).With(slog.String("function", "router"))
	r, err := build(context.Background(), env, logger)
	if err != nil {
		logger.Error("router cannot start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(r.Handle)
}

func build(ctx context.Context, env config.Env, logger *slog.Logger) (*router.Router, error) {
	vars, err := env.Require("TABLE_NAME", "BOT_QUEUE_URL")
	if err != nil {
		return nil, err
	}
	cfg, err := awsclient.Load(ctx, awsclient.Options{})
	if err != nil {
		return nil, err
	}
	store := dynamo.New(awsclient.DynamoDB(cfg, env.DynamoDBEndpoint), vars["TABLE_NAME"])
	senders := outbound.EnvConfig(env.Get)
	senders.Logger = logger
	return router.New(router.Config{
		Store:     store,
		Directory: store,
		Rules:     store,
		Senders:   outbound.Senders(senders),
		Bots: &router.BotQueue{
			Queue:     vars["BOT_QUEUE_URL"],
			Publisher: queue.New(awsclient.SQS(cfg, env.SQSEndpoint)),
		},
		Logger:  logger,
		Metrics: telemetry.NewMetrics(os.Stdout, "router", nil),
	}), nil
}
