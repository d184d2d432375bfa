// Command timer-fire is the consumer of the timer queue: each due timer goes
// to the handler of its kind (cart and payment reminders here; auto-end and
// bot delays back into their conversation's FIFO queue). It only wires:
// configuration, clients, senders and the handlers.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/config"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/outbound"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/remarketing"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
	"github.com/switchboard-chat/switchboard/shared/timer"
)

func main() {
	env := config.FromOS()
	logger := telemetry.NewLogger(os.Stdout, env.LogLevel).With(slog.String("function", "timer-fire"))
	c, err := build(context.Background(), env, logger)
	if err != nil {
		logger.Error("timer-fire cannot start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(c.Handle)
}

func build(ctx context.Context, env config.Env, logger *slog.Logger) (*timer.Consumer, error) {
	vars, err := env.Require("TABLE_NAME", "INBOUND_QUEUE_URL", "BOT_QUEUE_URL")
	if err != nil {
		return nil, err
	}
	cfg, err := awsclient.Load(ctx, awsclient.Options{})
	if err != nil {
		return nil, err
	}
	store := dynamo.New(awsclient.DynamoDB(cfg, env.DynamoDBEndpoint), vars["TABLE_NAME"])
	publisher := queue.New(awsclient.SQS(cfg, env.SQSEndpoint))
	metrics := telemetry.NewMetrics(os.Stdout, "timer-fire", nil)
	ocfg := outbound.EnvConfig(env.Get)
	ocfg.HTTPClient = &http.Client{}
	ocfg.Logger = logger
	svc := remarketing.New(remarketing.Config{
		Directory:     store,
		Carts:         store,
		Stats:         store,
		Payments:      store,
		Timers:        store,
		Senders:       outbound.Senders(ocfg),
		ClickSecret:   []byte(env.Get("CLICK_SECRET")),
		PublicBaseURL: env.Get("PUBLIC_BASE_URL"),
		Logger:        logger,
		Metrics:       metrics,
	})
	c := timer.NewConsumer(timer.ConsumerConfig{Claims: store, Logger: logger, Metrics: metrics})
	c.Register(switchboard.TimerCartReminder, svc.FireCartReminder)
	c.Register(switchboard.TimerPaymentReminder, svc.FirePaymentReminder)
	c.Register(switchboard.TimerAutoEnd, timer.Forward(publisher, vars["INBOUND_QUEUE_URL"], nil))
	c.Register(switchboard.TimerBotDelay, timer.Forward(publisher, vars["BOT_QUEUE_URL"], nil))
	return c, nil
}
