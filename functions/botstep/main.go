// Command botstep is the consumer of bot.fifo: each bot request the router
// queued, and each bot delay timer the timer service put back, runs one step
// of the conversation's bot. It only wires: configuration, clients, senders,
// the bot engine and the handler of package botstep.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/botstep"
	"github.com/switchboard-chat/switchboard/shared/config"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/outbound"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
)

func main() {
	env := config.FromOS()
	logger := telemetry.NewLogger(os.Stdout, env.LogLevel).With(slog.String("function", "botstep"))
	h, err := build(context.Background(), env, logger)
	if err != nil {
		logger.Error("botstep cannot start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func build(ctx context.Context, env config.Env, logger *slog.Logger) (*botstep.Handler, error) {
	vars, err := env.Require("TABLE_NAME")
	if err != nil {
		return nil, err
	}
	cfg, err := awsclient.Load(ctx, awsclient.Options{})
	if err != nil {
		return nil, err
	}
	store := dynamo.New(awsclient.DynamoDB(cfg, env.DynamoDBEndpoint), vars["TABLE_NAME"])
	senders := outbound.EnvConfig(env.Get)
	senders.HTTPClient = &http.Client{}
	senders.Logger = logger
	return botstep.New(botstep.Config{
		Store:     store,
		Directory: store,
		Senders:   outbound.Senders(senders),
		Engine:    &bot.Engine{API: bot.NewHTTPCaller(bot.HTTPCallerOptions{})},
		Logger:    logger,
		Metrics:   telemetry.NewMetrics(os.Stdout, "botstep", nil),
	}), nil
}
