// Command ingest is the webhook Lambda: POST and GET /webhooks/{kind}/{channelId}.
// It only wires: configuration, clients and the handler of package ingest.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/config"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/ingest"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
)

func main() {
	env := config.FromOS()
	logger := telemetry.NewLogger(os.Stdout, env.LogLevel).With(slog.String("function", "ingest"))
	h, err := build(context.Background(), env, logger)
	if err != nil {
		logger.Error("ingest cannot start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func build(ctx context.Context, env config.Env, logger *slog.Logger) (*ingest.Handler, error) {
	vars, err := env.Require("TABLE_NAME", "INBOUND_QUEUE_URL")
	if err != nil {
		return nil, err
	}
	cfg, err := awsclient.Load(ctx, awsclient.Options{})
	if err != nil {
		return nil, err
	}
	store := dynamo.New(awsclient.DynamoDB(cfg, env.DynamoDBEndpoint), vars["TABLE_NAME"])
	pub := &queue.InboundPublisher{
		Queue:     vars["INBOUND_QUEUE_URL"],
		Publisher: queue.New(awsclient.SQS(cfg, env.SQSEndpoint)),
	}
	return ingest.New(ingest.Config{
		Channels:  store,
		Webhooks:  ingest.Platforms(),
		Publisher: pub,
		Logger:    logger,
		Metrics:   telemetry.NewMetrics(os.Stdout, "ingest", nil),
	}), nil
}
