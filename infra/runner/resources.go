package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// emulatorCheckTimeout bounds each emulator check, so a wrong port fails in
// seconds with a message instead of hanging.
const emulatorCheckTimeout = 3 * time.Second

// EmulatorError is an emulator that did not answer.
type EmulatorError struct {
	Service  string // "DynamoDB Local", "SQS emulator", "EventBridge emulator"
	Endpoint string
	Setting  string // what configures the endpoint
	Err      error
}

// Error names the service, where it was looked for, and how to point the
// runner elsewhere.
func (e *EmulatorError) Error() string {
	return fmt.Sprintf("%s is not answering at %s: %v (start the emulators with `make emulators` or `make run`, or set %s)",
		e.Service, e.Endpoint, e.Err, e.Setting)
}

func (e *EmulatorError) Unwrap() error { return e.Err }

// checkEmulators makes one cheap call to each emulator, each bounded.
func checkEmulators(ctx context.Context, ddb *dynamodb.Client, q *sqs.Client, eb *eventbridge.Client, o *Options) error {
	errs := make([]error, 3)
	var wg sync.WaitGroup
	check := func(i int, service, endpoint, setting string, call func(context.Context) error) {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, emulatorCheckTimeout)
			defer cancel()
			if err := call(ctx); err != nil {
				errs[i] = &EmulatorError{Service: service, Endpoint: endpoint, Setting: setting, Err: err}
			}
		})
	}
	once := func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }
	check(0, "DynamoDB Local", o.DynamoDBEndpoint, "SWITCHBOARD_DYNAMODB_ENDPOINT or -dynamodb", func(ctx context.Context) error {
		_, err := ddb.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)}, once)
		return err
	})
	check(1, "SQS emulator", o.SQSEndpoint, "SWITCHBOARD_SQS_ENDPOINT or -sqs", func(ctx context.Context) error {
		_, err := q.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1)}, func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
		return err
	})
	if eb != nil {
		check(2, "EventBridge emulator", o.EventBridgeEndpoint, "SWITCHBOARD_EVENTBRIDGE_ENDPOINT or -eventbridge", func(ctx context.Context) error {
			_, err := eb.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{Limit: aws.Int32(1)}, func(o *eventbridge.Options) { o.RetryMaxAttempts = 1 })
			return err
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// createTable creates t on DynamoDB Local with the template's keys, indexes,
// stream and TTL. A table that already exists is kept as it is (with its
// data), so restarting the runner does not lose the local state.
func createTable(ctx context.Context, client *dynamodb.Client, t *tableSpec) (created bool, err error) {
	in, ttl, err := createTableInput(t)
	if err != nil {
		return false, err
	}
	_, err = client.CreateTable(ctx, in)
	switch {
	case err == nil:
		created = true
	case errorCode(err) == "ResourceInUseException":
	default:
		return false, fmt.Errorf("create table %s (%s): %w", t.Name, t.ID, err)
	}
	if ttl != nil {
		desc, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(t.Name)})
		if err != nil {
			return created, fmt.Errorf("table %s: describe TTL: %w", t.Name, err)
		}
		if d := desc.TimeToLiveDescription; d == nil || d.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != aws.ToString(ttl.AttributeName) {
			if _, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(t.Name), TimeToLiveSpecification: ttl}); err != nil {
				return created, fmt.Errorf("table %s: enable TTL on %s: %w", t.Name, aws.ToString(ttl.AttributeName), err)
			}
		}
	}
	return created, nil
}

func createTableInput(t *tableSpec) (*dynamodb.CreateTableInput, *ddbtypes.TimeToLiveSpecification, error) {
	p := t.Props
	in := &dynamodb.CreateTableInput{TableName: aws.String(t.Name)}
	for _, a := range listOfMaps(p["AttributeDefinitions"]) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(str(a, "AttributeName")),
			AttributeType: ddbtypes.ScalarAttributeType(str(a, "AttributeType")),
		})
	}
	in.KeySchema = keySchema(p["KeySchema"])
	if len(in.KeySchema) == 0 {
		return nil, nil, fmt.Errorf("table %s has no KeySchema", t.ID)
	}
	provisioned := throughput(p["ProvisionedThroughput"])
	switch str(p, "BillingMode") {
	case "PROVISIONED":
		in.BillingMode = ddbtypes.BillingModeProvisioned
		if provisioned == nil {
			return nil, nil, fmt.Errorf("table %s: BillingMode PROVISIONED needs ProvisionedThroughput", t.ID)
		}
		in.ProvisionedThroughput = provisioned
	case "":
		// CloudFormation's default is PROVISIONED; without throughput the
		// deploy would fail, so locally the cheaper on-demand mode stands in.
		if provisioned != nil {
			in.BillingMode = ddbtypes.BillingModeProvisioned
			in.ProvisionedThroughput = provisioned
		} else {
			in.BillingMode = ddbtypes.BillingModePayPerRequest
		}
	default:
		in.BillingMode = ddbtypes.BillingModePayPerRequest
	}
	for _, g := range listOfMaps(p["GlobalSecondaryIndexes"]) {
		gsi := ddbtypes.GlobalSecondaryIndex{
			IndexName:  aws.String(str(g, "IndexName")),
			KeySchema:  keySchema(g["KeySchema"]),
			Projection: projection(g["Projection"]),
		}
		if in.BillingMode == ddbtypes.BillingModeProvisioned {
			gsi.ProvisionedThroughput = provisioned
			if pt := throughput(g["ProvisionedThroughput"]); pt != nil {
				gsi.ProvisionedThroughput = pt
			}
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	for _, l := range listOfMaps(p["LocalSecondaryIndexes"]) {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, ddbtypes.LocalSecondaryIndex{
			IndexName:  aws.String(str(l, "IndexName")),
			KeySchema:  keySchema(l["KeySchema"]),
			Projection: projection(l["Projection"]),
		})
	}
	if s, ok := p["StreamSpecification"].(map[string]any); ok {
		if vt := str(s, "StreamViewType"); vt != "" {
			in.StreamSpecification = &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewType(vt)}
		}
	}
	var ttl *ddbtypes.TimeToLiveSpecification
	if s, ok := p["TimeToLiveSpecification"].(map[string]any); ok && str(s, "Enabled") == "true" {
		ttl = &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(str(s, "AttributeName")), Enabled: aws.Bool(true)}
	}
	return in, ttl, nil
}

// throughput reads a ProvisionedThroughput property; nil when absent.
func throughput(v any) *ddbtypes.ProvisionedThroughput {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	r, _ := strconv.ParseInt(str(m, "ReadCapacityUnits"), 10, 64)
	w, _ := strconv.ParseInt(str(m, "WriteCapacityUnits"), 10, 64)
	return &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(max(r, 1)), WriteCapacityUnits: aws.Int64(max(w, 1))}
}

func keySchema(v any) []ddbtypes.KeySchemaElement {
	var out []ddbtypes.KeySchemaElement
	for _, k := range listOfMaps(v) {
		out = append(out, ddbtypes.KeySchemaElement{AttributeName: aws.String(str(k, "AttributeName")), KeyType: ddbtypes.KeyType(str(k, "KeyType"))})
	}
	return out
}

func projection(v any) *ddbtypes.Projection {
	m, _ := v.(map[string]any)
	p := &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(str(m, "ProjectionType"))}
	if p.ProjectionType == "" {
		p.ProjectionType = ddbtypes.ProjectionTypeKeysOnly
	}
	if l, ok := m["NonKeyAttributes"].([]any); ok {
		for _, a := range l {
			p.NonKeyAttributes = append(p.NonKeyAttributes, scalarString(a))
		}
	}
	return p
}

// queueAttributes maps a queue's CloudFormation properties to SQS attributes.
// Encryption and tags have no local meaning and are left out.
func queueAttributes(q *queueSpec, maxVisibility time.Duration) (map[string]string, error) {
	attrs := map[string]string{}
	for _, k := range []string{"DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "DeduplicationScope", "FifoThroughputLimit"} {
		if v, ok := q.Props[k]; ok {
			attrs[k] = scalarString(v)
		}
	}
	if q.FIFO {
		attrs["FifoQueue"] = "true"
		if v, ok := q.Props["ContentBasedDeduplication"]; ok {
			attrs["ContentBasedDeduplication"] = scalarString(v)
		}
	}
	for _, k := range []string{"RedrivePolicy", "RedriveAllowPolicy"} {
		switch v := q.Props[k].(type) {
		case nil:
		case string:
			attrs[k] = v
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", q.ID, k, err)
			}
			attrs[k] = string(b)
		}
	}
	if maxVisibility > 0 {
		vt := 30
		if s, ok := attrs["VisibilityTimeout"]; ok {
			vt, _ = strconv.Atoi(s)
		}
		attrs["VisibilityTimeout"] = strconv.Itoa(min(vt, int(maxVisibility/time.Second)))
	}
	return attrs, nil
}

// createQueue creates q on the SQS emulator, or updates the attributes of the
// queue of that name if it exists, and returns what the emulator calls it.
func createQueue(ctx context.Context, client *sqs.Client, q *queueSpec, maxVisibility time.Duration) (*Queue, error) {
	attrs, err := queueAttributes(q, maxVisibility)
	if err != nil {
		return nil, err
	}
	var url string
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.Name), Attributes: attrs})
	switch {
	case err == nil:
		url = aws.ToString(out.QueueUrl)
	case errorCode(err) == "QueueAlreadyExists" || errorCode(err) == "QueueNameExists":
		got, gerr := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(q.Name)})
		if gerr != nil {
			return nil, fmt.Errorf("queue %s (%s) exists but cannot be found: %w", q.Name, q.ID, gerr)
		}
		url = aws.ToString(got.QueueUrl)
		mutable := map[string]string{}
		for k, v := range attrs {
			if k != "FifoQueue" {
				mutable[k] = v
			}
		}
		if _, err := client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: mutable}); err != nil {
			return nil, fmt.Errorf("update queue %s (%s): %w", q.Name, q.ID, err)
		}
	default:
		return nil, fmt.Errorf("create queue %s (%s): %w", q.Name, q.ID, err)
	}
	ga, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn, sqstypes.QueueAttributeNameVisibilityTimeout},
	})
	if err != nil {
		return nil, fmt.Errorf("queue %s (%s): %w", q.Name, q.ID, err)
	}
	vt, _ := strconv.Atoi(ga.Attributes[string(sqstypes.QueueAttributeNameVisibilityTimeout)])
	return &Queue{
		Name:              q.Name,
		URL:               url,
		ARN:               ga.Attributes[string(sqstypes.QueueAttributeNameQueueArn)],
		FIFO:              q.FIFO,
		VisibilityTimeout: time.Duration(vt) * time.Second,
	}, nil
}

func listOfMaps(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func str(m map[string]any, k string) string {
	if m == nil {
		return ""
	}
	return scalarString(m[k])
}
