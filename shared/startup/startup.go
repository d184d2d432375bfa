// Package startup is how every Switchboard function starts: it reads the
// environment once, builds the JSON logger, the AWS configuration and the
// table's store, and hands them to the function's own wiring in main, so each
// functions/<name>/main.go says only what is particular to it.
package startup

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/config"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/telemetry"
)

// Function is what a function's wiring starts from.
type Function struct {
	// Name names the function in its logs and metrics ("router").
	Name string
	Env  config.Env
	// Vars are the environment variables the function required, present
	// and not empty; TABLE_NAME is always among them.
	Vars   map[string]string
	Logger *slog.Logger
	AWS    aws.Config
	// Store is the single table, through DynamoDB Local when the
	// environment points at it.
	Store *dynamo.Store
}

// New prepares a function from env: TABLE_NAME and the required variables
// must be set (one error names every one missing), and the AWS configuration
// must load.
func New(ctx context.Context, name string, env config.Env, logger *slog.Logger, required ...string) (*Function, error) {
	vars, err := env.Require(append([]string{"TABLE_NAME"}, required...)...)
	if err != nil {
		return nil, err
	}
	cfg, err := awsclient.Load(ctx, awsclient.Options{})
	if err != nil {
		return nil, err
	}
	return &Function{
		Name: name, Env: env, Vars: vars, Logger: logger, AWS: cfg,
		Store: dynamo.New(awsclient.DynamoDB(cfg, env.DynamoDBEndpoint), vars["TABLE_NAME"]),
	}, nil
}

// SQS returns an SQS client, through the emulator when the environment
// points at it.
func (f *Function) SQS() *sqs.Client { return awsclient.SQS(f.AWS, f.Env.SQSEndpoint) }

// Metrics returns the function's CloudWatch embedded-metric writer.
func (f *Function) Metrics() *telemetry.Metrics { return telemetry.NewMetrics(os.Stdout, f.Name, nil) }

// Run starts the function named name in the Lambda runtime. build wires the
// function and returns the handler lambda.Start takes (a method value such
// as h.Handle). A function that cannot start logs why and exits, before the
// runtime hands it any event.
func Run(name string, build func(f *Function) any, required ...string) {
	env := config.FromOS()
	logger := telemetry.NewLogger(os.Stdout, env.LogLevel).With(slog.String("function", name))
	f, err := New(context.Background(), name, env, logger, required...)
	if err != nil {
		logger.Error(name+" cannot start", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(build(f))
}
