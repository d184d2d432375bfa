// Package awsclient builds the AWS SDK configuration and service clients every
// function uses, so retries, region and local endpoints are decided in one place.
//
// Endpoints are passed in by main, which reads DYNAMODB_ENDPOINT, SQS_ENDPOINT and
// EVENTBRIDGE_ENDPOINT from the environment. Those variables exist only for the
// local runner and the tests, which point the clients at DynamoDB Local and the
// SQS/EventBridge emulator; in AWS they are unset and the SDK resolves the real
// regional endpoints. This package never reads them itself, so nothing here changes
// behaviour behind main's back.
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// DefaultMaxAttempts is how many times the SDK tries one request (first try
// included) before giving up. Five rides out the short throttling bursts
// DynamoDB and SQS produce under load, while the capped backoff keeps the worst
// case well inside API Gateway's 29-second limit.
const DefaultMaxAttempts = 5

// DefaultMaxBackoff caps the wait between two attempts. The SDK default of 20
// seconds would let a single request outlive a webhook's HTTP deadline; queues
// redeliver anyway, so waiting longer inside one invocation buys nothing.
const DefaultMaxBackoff = 2 * time.Second

// Options configures Load. The zero value is what the Lambda functions use.
type Options struct {
	// Region overrides AWS_REGION. Lambda always sets AWS_REGION, so functions
	// leave this empty; tests and the local runner set it explicitly.
	Region string
	// Credentials overrides the default credential chain, for emulators that
	// accept any static key.
	Credentials aws.CredentialsProvider
	// MaxAttempts overrides DefaultMaxAttempts when positive.
	MaxAttempts int
	// MaxBackoff overrides DefaultMaxBackoff when positive.
	MaxBackoff time.Duration
}

// Load returns the SDK configuration: the region from Options or AWS_REGION,
// the default credential chain unless Options gives one, and the standard
// retryer with Switchboard's attempt and backoff limits.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	region := o.Region
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	attempts := o.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	backoff := o.MaxBackoff
	if backoff <= 0 {
		backoff = DefaultMaxBackoff
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = attempts
				so.MaxBackoff = backoff
			})
		}),
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("load AWS config: no region; set AWS_REGION")
	}
	return cfg, nil
}

// DynamoDB returns a DynamoDB client; endpoint, when not empty, replaces the
// regional endpoint (DynamoDB Local in tests and the local runner).
//
// Against an overridden endpoint the CRC32 response check is off: DynamoDB
// Local sends no X-Amz-Crc32 header on error responses, and the SDK then
// compares the body with a checksum of 0 and logs a warning for every
// conditional-check failure (aws/aws-sdk-go-v2#3545), hundreds per test run,
// which buried the one line that mattered. Against AWS it stays on.
func DynamoDB(cfg aws.Config, endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.DisableValidateResponseChecksum = true
		}
	})
}

// SQS returns an SQS client; endpoint, when not empty, replaces the regional
// endpoint (the SQS emulator in tests and the local runner).
func SQS(cfg aws.Config, endpoint string) *sqs.Client {
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// EventBridge returns an EventBridge client; endpoint, when not empty, replaces
// the regional endpoint (the emulator in tests and the local runner).
func EventBridge(cfg aws.Config, endpoint string) *eventbridge.Client {
	return eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}
