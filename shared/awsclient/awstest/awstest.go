// Package awstest gives tests clients pointed at the local emulators (DynamoDB
// Local, and the moto server for SQS and EventBridge) plus throwaway tables and
// queues that are deleted when the test ends.
//
// The endpoints come from SWITCHBOARD_DYNAMODB_ENDPOINT, SWITCHBOARD_SQS_ENDPOINT
// and SWITCHBOARD_EVENTBRIDGE_ENDPOINT, which `make test` sets after starting the
// emulators. When one is unset the test is skipped, so `go test ./...` works on a
// bare machine; with SWITCHBOARD_REQUIRE_EMULATORS=1 (CI) a missing endpoint
// fails the test instead, so emulator tests can never silently stop running.
package awstest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Region is the region every local client uses.
const Region = "ap-northeast-1"

// Environment variables naming the emulator endpoints.
const (
	EnvDynamoDB        = "SWITCHBOARD_DYNAMODB_ENDPOINT"
	EnvSQS             = "SWITCHBOARD_SQS_ENDPOINT"
	EnvEventBridge     = "SWITCHBOARD_EVENTBRIDGE_ENDPOINT"
	EnvRequireEmulator = "SWITCHBOARD_REQUIRE_EMULATORS"
)

// Config returns an SDK configuration with the emulators' static credentials
// (test/test) and the local region. It needs no emulator itself.
func Config(t testing.TB) aws.Config {
	t.Helper()
	cfg, err := awsclient.Load(context.Background(), awsclient.Options{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		MaxBackoff:  200 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("awstest: %v", err)
	}
	return cfg
}

// Endpoint returns the value of the environment variable env, skipping the test
// when it is unset (or failing it when emulators are required).
func Endpoint(t testing.TB, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	if os.Getenv(EnvRequireEmulator) == "1" {
		t.Fatalf("%s is not set but %s=1: start the emulators (run through make test)", env, EnvRequireEmulator)
		return ""
	}
	t.Skipf("%s is not set; this test needs an emulator: run through make test", env)
	return ""
}

// DynamoDB returns a client for DynamoDB Local.
func DynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	return awsclient.DynamoDB(Config(t), Endpoint(t, EnvDynamoDB))
}

// SQS returns a client for the SQS emulator.
func SQS(t testing.TB) *sqs.Client {
	t.Helper()
	return awsclient.SQS(Config(t), Endpoint(t, EnvSQS))
}

// EventBridge returns a client for the EventBridge emulator.
func EventBridge(t testing.TB) *eventbridge.Client {
	t.Helper()
	return awsclient.EventBridge(Config(t), Endpoint(t, EnvEventBridge))
}

// Name returns a unique resource name starting with prefix, safe for tables,
// queues, buses and rules (letters, digits and hyphens, under 64 characters).
func Name(prefix string) string {
	return prefix + "-" + strings.ToLower(switchboard.NewID())
}

// cleanupContext is used by t.Cleanup functions, which run after the test's own
// context has been cancelled.
func cleanupContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// Table creates a fresh table with Switchboard's schema (dynamo.CreateTable)
// and deletes it when the test ends, so tests never see each other's items.
func Table(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	name := Name("sbtest")
	if err := dynamo.CreateTable(t.Context(), client, name); err != nil {
		t.Fatalf("awstest: create table: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Logf("awstest: delete table %s: %v", name, err)
		}
	})
	return name
}

// Queue creates a fresh queue (FIFO when fifo is true) and deletes it when the
// test ends. It returns the queue URL.
func Queue(t testing.TB, client *sqs.Client, fifo bool) string {
	t.Helper()
	return createQueue(t, client, fifo, nil)
}

// QueueWithDLQ creates a queue whose messages move to a fresh dead-letter queue
// after maxReceiveCount receives, the wiring template.yaml declares for every
// queue. Messages become visible again at once after a receive (visibility
// timeout 0), so a test can play a failing consumer without waiting.
func QueueWithDLQ(t testing.TB, client *sqs.Client, fifo bool, maxReceiveCount int) (queueURL, dlqURL string) {
	t.Helper()
	dlqURL = createQueue(t, client, fifo, nil)
	dlqARN := QueueARN(t, client, dlqURL)
	policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, dlqARN, maxReceiveCount)
	queueURL = createQueue(t, client, fifo, map[string]string{
		string(sqstypes.QueueAttributeNameRedrivePolicy):     policy,
		string(sqstypes.QueueAttributeNameVisibilityTimeout): "0",
	})
	return queueURL, dlqURL
}

// QueueARN returns the ARN of the queue at url.
func QueueARN(t testing.TB, client *sqs.Client, url string) string {
	t.Helper()
	out, err := client.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("awstest: queue ARN: %v", err)
	}
	return out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
}

// Bus creates a fresh EventBridge event bus and deletes it when the test ends;
// rules a test adds to it must be cleaned up by that test (t.Cleanup functions
// registered later run first).
func Bus(t testing.TB, client *eventbridge.Client) string {
	t.Helper()
	name := Name("sbtest")
	if _, err := client.CreateEventBus(t.Context(), &eventbridge.CreateEventBusInput{Name: aws.String(name)}); err != nil {
		t.Fatalf("awstest: create event bus: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		if _, err := client.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String(name)}); err != nil {
			t.Logf("awstest: delete event bus %s: %v", name, err)
		}
	})
	return name
}

func createQueue(t testing.TB, client *sqs.Client, fifo bool, attrs map[string]string) string {
	t.Helper()
	name := Name("sbtest")
	all := map[string]string{}
	for k, v := range attrs {
		all[k] = v
	}
	if fifo {
		name += ".fifo"
		all[string(sqstypes.QueueAttributeNameFifoQueue)] = strconv.FormatBool(true)
	}
	out, err := client.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: all})
	if err != nil {
		t.Fatalf("awstest: create queue: %v", err)
	}
	url := aws.ToString(out.QueueUrl)
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		if _, err := client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
			t.Logf("awstest: delete queue %s: %v", name, err)
		}
	})
	return url
}
