// Command cart is the website pixel Lambda: cart events, the binding popup,
// orders for the payment reminder and tracked reminder links, under
// /v1/pixel. It only wires: configuration, clients and the handler of package
// remarketing.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/config"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/remarketing"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
)

func main() {
	env := config.FromOS()
	logger := telemetry.NewLogger(os.Stdout, env.LogLevel).With(slog.String("function", "cart"))
	h, err := build(context.Background(), env, logger)
	if err != nil {
		logger.Error("cart cannot start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

func build(ctx context.Context, env config.Env, logger *slog.Logger) (*remarketing.Handler, error) {
	vars, err := env.Require("TABLE_NAME")
	if err != nil {
		return nil, err
	}
	cfg, err := awsclient.Load(ctx, awsclient.Options{})
	if err != nil {
		return nil, err
	}
	store := dynamo.New(awsclient.DynamoDB(cfg, env.DynamoDBEndpoint), vars["TABLE_NAME"])
	metrics := telemetry.NewMetrics(os.Stdout, "cart", nil)
	// The pixel sends nothing itself: reminders go out from timer-fire, so
	// this function has no senders.
	svc := remarketing.New(remarketing.Config{
		Directory:   store,
		Carts:       store,
		Stats:       store,
		Payments:    store,
		Timers:      store,
		ClickSecret: []byte(env.Get("CLICK_SECRET")),
		Logger:      logger,
		Metrics:     metrics,
	})
	return remarketing.NewHandler(remarketing.HandlerConfig{
		Service:  svc,
		SiteKeys: store,
		Logger:   logger,
		Metrics:  metrics,
	}), nil
}
