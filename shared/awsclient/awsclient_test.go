package awsclient_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/logging"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
)

// isolate keeps the developer's ~/.aws files and region variables out of Load.
func isolate(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_PROFILE", "")
}

func TestLoadRegion(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		opt     string
		want    string
		wantErr bool
	}{
		{"from AWS_REGION", "eu-west-1", "", "eu-west-1", false},
		{"option wins", "eu-west-1", "ap-northeast-1", "ap-northeast-1", false},
		{"option alone", "", "us-east-2", "us-east-2", false},
		{"none", "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			t.Setenv("AWS_REGION", tt.env)
			cfg, err := awsclient.Load(context.Background(), awsclient.Options{Region: tt.opt})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := cfg.Region; got != tt.want {
				t.Fatalf("region = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadRetryer(t *testing.T) {
	isolate(t)
	tests := []struct {
		opt  int
		want int
	}{{0, awsclient.DefaultMaxAttempts}, {2, 2}, {9, 9}}
	for _, tt := range tests {
		cfg, err := awsclient.Load(context.Background(), awsclient.Options{Region: "ap-northeast-1", MaxAttempts: tt.opt})
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Retryer().MaxAttempts(); got != tt.want {
			t.Errorf("MaxAttempts option %d: retryer makes %d attempts, want %d", tt.opt, got, tt.want)
		}
	}
}

func TestEndpointOnlyWhenSet(t *testing.T) {
	cfg := aws.Config{Region: "ap-northeast-1"}
	tests := []struct {
		endpoint string
		want     *string
	}{{"", nil}, {"http://127.0.0.1:4566", aws.String("http://127.0.0.1:4566")}}
	for _, tt := range tests {
		got := []*string{
			awsclient.DynamoDB(cfg, tt.endpoint).Options().BaseEndpoint,
			awsclient.SQS(cfg, tt.endpoint).Options().BaseEndpoint,
			awsclient.EventBridge(cfg, tt.endpoint).Options().BaseEndpoint,
		}
		for i, g := range got {
			if !reflect.DeepEqual(g, tt.want) {
				t.Errorf("endpoint %q: client %d has BaseEndpoint %v, want %v", tt.endpoint, i, aws.ToString(g), aws.ToString(tt.want))
			}
		}
	}
}

// TestCounterCountsEveryAttempt serves two 500s before answering, so the SDK
// retries; the counter must see all three attempts.
func TestCounterCountsEveryAttempt(t *testing.T) {
	isolate(t)
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) <= 2 {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"try again"}`))
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Write([]byte(`{"TableNames":[]}`))
	}))
	defer srv.Close()
	cfg, err := awsclient.Load(context.Background(), awsclient.Options{
		Region:      "ap-northeast-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		MaxBackoff:  1, // nanosecond: keep the test fast
	})
	if err != nil {
		t.Fatal(err)
	}
	var c awsclient.RequestCounter
	c.Add(&cfg)
	c.Add(&cfg) // a second Add must not double-count
	client := awsclient.DynamoDB(cfg, srv.URL)
	if _, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Snapshot(), map[string]int{"DynamoDB.ListTables": 3}; !reflect.DeepEqual(got, want) {
		t.Fatalf("counts = %v, want %v", got, want)
	}
	if got, want := c.Calls(), map[string]int{"DynamoDB.ListTables": 1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	if got := int(served.Load()); c.Total() != got {
		t.Fatalf("Total = %d, server saw %d requests", c.Total(), got)
	}
	c.Reset()
	if c.Total() != 0 || len(c.Snapshot()) != 0 || len(c.Calls()) != 0 {
		t.Fatalf("after Reset: total %d, snapshot %v, calls %v", c.Total(), c.Snapshot(), c.Calls())
	}
}

// TestCounterAgainstEmulators counts concurrent calls to two services.
func TestCounterAgainstEmulators(t *testing.T) {
	ddbEndpoint := awstest.Endpoint(t, awstest.EnvDynamoDB)
	sqsEndpoint := awstest.Endpoint(t, awstest.EnvSQS)
	cfg := awstest.Config(t)
	var c awsclient.RequestCounter
	c.Add(&cfg)
	ddb := awsclient.DynamoDB(cfg, ddbEndpoint)
	q := awsclient.SQS(cfg, sqsEndpoint)
	const n = 12
	var wg sync.WaitGroup
	for range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := ddb.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := q.ListQueues(context.Background(), &sqs.ListQueuesInput{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	want := map[string]int{"DynamoDB.ListTables": n, "SQS.ListQueues": n}
	if got := c.Calls(); !reflect.DeepEqual(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	if got := c.Keys(); !reflect.DeepEqual(got, []string{"DynamoDB.ListTables", "SQS.ListQueues"}) {
		t.Fatalf("keys = %v", got)
	}
}

// TestDynamoDBLocalErrorsLogNothing fails a conditional write against DynamoDB
// Local, whose error responses carry no CRC32 header, and expects the SDK to
// stay quiet: the warning it logged for each one drowned test failures in CI.
func TestDynamoDBLocalErrorsLogNothing(t *testing.T) {
	endpoint := awstest.Endpoint(t, awstest.EnvDynamoDB)
	cfg := awstest.Config(t)
	var logged bytes.Buffer
	cfg.Logger = logging.NewStandardLogger(&logged)
	client := awsclient.DynamoDB(cfg, endpoint)
	table := awstest.Table(t, client)
	put := &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "k"},
			"SK": &types.AttributeValueMemberS{Value: "k"},
		},
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}
	for i, want := range []bool{false, true} {
		_, err := client.PutItem(t.Context(), put)
		var failed *types.ConditionalCheckFailedException
		if got := errors.As(err, &failed); got != want {
			t.Fatalf("put %d: conditional check failed = %v (err %v), want %v", i, got, err, want)
		}
	}
	if logged.Len() != 0 {
		t.Errorf("the SDK logged %q", logged.String())
	}
}
