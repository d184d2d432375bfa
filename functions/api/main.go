// Command api is the operators' API Lambda: ANY /v1/{proxy+}. It only wires:
// configuration, clients and the handler of package httpapi.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/config"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/httpapi"
	"github.com/switchboard-chat/switchboard/shared/outbound"
	"github.com/switchboard-chat/switchboard/shared/remarketing"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
)

func main() {
	env := config.FromOS()
	logger := telemetry.NewLogger(os.Stdout, env.LogLevel).With(slog.String("function", "api"))
	h, err := build(context.Background(), env, logger)
	if err != nil {
		logger.Error("api cannot start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func build(ctx context.Context, env config.Env, logger *slog.Logger) (*httpapi.Handler, error) {
	vars, err := env.Require("TABLE_NAME")
	if err != nil {
		return nil, err
	}
	cfg, err := awsclient.Load(ctx, awsclient.Options{})
	if err != nil {
		return nil, err
	}
	store := dynamo.New(awsclient.DynamoDB(cfg, env.DynamoDBEndpoint), vars["TABLE_NAME"])
	// The API configures cart remarketing and payment reminders and reads
	// their statistics; it sends none of their messages (timer-fire does), so
	// the service gets no senders.
	automations := remarketing.New(remarketing.Config{
		Directory: store,
		Carts:     store,
		Stats:     store,
		Payments:  store,
		Timers:    store,
		Logger:    logger,
	})
	return httpapi.New(httpapi.Config{
		Teams:          store,
		Channels:       store,
		Members:        store,
		Tokens:         store,
		Contacts:       store,
		Conversations:  store,
		Messages:       store,
		Rules:          store,
		Bots:           store,
		AutoEnd:        store,
		Settings:       store,
		Automations:    automations,
		SiteKeys:       store,
		Senders:        outbound.Senders(outbound.EnvConfig(env.Get)),
		AdminTokenHash: env.Get("ADMIN_TOKEN_HASH"),
		PublicBaseURL:  env.Get("PUBLIC_BASE_URL"),
		Logger:         logger,
	}), nil
}
