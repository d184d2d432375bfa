package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
)

func TestSettle(t *testing.T) {
	msg := func(id string) sqstypes.Message { return sqstypes.Message{MessageId: aws.String(id)} }
	batch := []sqstypes.Message{msg("a"), msg("b"), msg("c")}
	ids := func(ms []sqstypes.Message) []string {
		var out []string
		for _, m := range ms {
			out = append(out, aws.ToString(m.MessageId))
		}
		return out
	}
	tests := []struct {
		name       string
		report     bool
		resp       string
		err        error
		done, fail []string
	}{
		{"success deletes all", false, `null`, nil, []string{"a", "b", "c"}, nil},
		{"error keeps all", false, ``, errors.New("boom"), nil, []string{"a", "b", "c"}},
		{"error keeps all with reporting", true, ``, errors.New("boom"), nil, []string{"a", "b", "c"}},
		{"failures ignored without reporting", false, `{"batchItemFailures":[{"itemIdentifier":"b"}]}`, nil, []string{"a", "b", "c"}, nil},
		{"listed failures kept", true, `{"batchItemFailures":[{"itemIdentifier":"b"},{"itemIdentifier":"c"}]}`, nil, []string{"a"}, []string{"b", "c"}},
		{"empty list", true, `{"batchItemFailures":[]}`, nil, []string{"a", "b", "c"}, nil},
		{"null response", true, `null`, nil, []string{"a", "b", "c"}, nil},
		{"empty response", true, ``, nil, []string{"a", "b", "c"}, nil},
		{"unknown id fails the batch", true, `{"batchItemFailures":[{"itemIdentifier":"zzz"}]}`, nil, nil, []string{"a", "b", "c"}},
		{"empty id fails the batch", true, `{"batchItemFailures":[{"itemIdentifier":""}]}`, nil, nil, []string{"a", "b", "c"}},
		{"garbage fails the batch", true, `"ok"`, nil, nil, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done, failed, why := settle(batch, tt.report, []byte(tt.resp), tt.err)
			if got := ids(done); !slices.Equal(got, tt.done) {
				t.Errorf("deleted: got %v, want %v", got, tt.done)
			}
			if got := ids(failed); !slices.Equal(got, tt.fail) {
				t.Errorf("kept: got %v, want %v", got, tt.fail)
			}
			if (len(tt.fail) > 0) != (why != "") {
				t.Errorf("reason %q for %d failures", why, len(tt.fail))
			}
		})
	}
}

func TestGroupLocks(t *testing.T) {
	var g groupLocks
	if !g.tryLock([]string{"a", "b"}) {
		t.Fatal("first lock failed")
	}
	if g.tryLock([]string{"c", "b"}) {
		t.Fatal("a group in flight was locked twice")
	}
	if !g.tryLock([]string{"c"}) {
		t.Fatal("the failed attempt left c locked")
	}
	g.unlock([]string{"a", "b"})
	if !g.tryLock([]string{"b"}) {
		t.Fatal("b stayed locked after unlock")
	}
}

// emulatorRunner starts the test template against the emulators. before,
// when set, runs once the queues exist but before anything polls them.
func emulatorRunner(t *testing.T, before func(*Stack, *sqs.Client)) (*Runner, *recorder, *sqs.Client) {
	t.Helper()
	o, _ := testOptions(t)
	o = emulatorOptions(t, o)
	o.DisableSchedules = true
	rec := &recorder{}
	o.OnInvoke = rec.add
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := r.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := r.Stack()
	client := awsclient.SQS(st.AWS, st.SQSEndpoint)
	if before != nil {
		before(st, client)
	}
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, q := range st.Queues {
			_, _ = client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(q.URL)})
		}
		ddb := awsclient.DynamoDB(st.AWS, st.DynamoDBEndpoint)
		for _, name := range st.Tables {
			_, _ = ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		}
	})
	return r, rec, client
}

// delivery is one record as the function received it, and how it ended.
type delivery struct {
	body, group, receiveCount string
	record                    events.SQSMessage
	batch                     int
	failed                    bool
}

// deliveries flattens the SQS invocations of function fn.
func deliveries(t *testing.T, rec *recorder, fn string) []delivery {
	t.Helper()
	var out []delivery
	for i, inv := range rec.all() {
		if inv.Source != SourceSQS || inv.Function != fn {
			continue
		}
		var ev events.SQSEvent
		if err := json.Unmarshal(inv.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		var resp events.SQSEventResponse
		_ = json.Unmarshal(inv.Response, &resp)
		failing := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failing[f.ItemIdentifier] = true
		}
		for _, r := range ev.Records {
			out = append(out, delivery{
				body: r.Body, group: r.Attributes["MessageGroupId"], receiveCount: r.Attributes["ApproximateReceiveCount"],
				record: r, batch: i, failed: inv.Err != nil || failing[r.MessageId],
			})
		}
	}
	return out
}

func send(t *testing.T, client *sqs.Client, q Queue, group string, bodies ...string) {
	t.Helper()
	for i, b := range bodies {
		in := &sqs.SendMessageInput{
			QueueUrl:    aws.String(q.URL),
			MessageBody: aws.String(b),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{
				"kind": {DataType: aws.String("String"), StringValue: aws.String("test")},
			},
		}
		if q.FIFO {
			in.MessageGroupId = aws.String(group)
			in.MessageDeduplicationId = aws.String(fmt.Sprintf("%s-%d-%s", group, i, b))
		}
		if _, err := client.SendMessage(t.Context(), in); err != nil {
			t.Fatal(err)
		}
	}
}

func queueDepth(t *testing.T, client *sqs.Client, q Queue) int {
	t.Helper()
	out, err := client.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(q.URL),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	visible, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	hidden, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible + hidden
}

func drain(t *testing.T, client *sqs.Client, q Queue) []string {
	t.Helper()
	var bodies []string
	for range 5 {
		out, err := client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.URL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
		}
	}
	slices.Sort(bodies)
	return bodies
}

func TestEmulatorResources(t *testing.T) {
	r, _, client := emulatorRunner(t, nil)
	st := r.Stack()
	ddb := awsclient.DynamoDB(st.AWS, st.DynamoDBEndpoint)
	ctx := t.Context()

	desc, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(st.Tables["Table"])})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(desc.Table.GlobalSecondaryIndexes); n != 1 || aws.ToString(desc.Table.GlobalSecondaryIndexes[0].IndexName) != "GSI1" {
		t.Errorf("GSIs: got %d, want GSI1", n)
	}
	if got := desc.Table.BillingModeSummary; got == nil || got.BillingMode != ddbtypes.BillingModePayPerRequest {
		t.Errorf("billing mode: got %+v", got)
	}
	ttl, err := ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(st.Tables["Table"])})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != "expiresAt" || d.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled {
		t.Errorf("TTL: got %+v", ttl.TimeToLiveDescription)
	}

	inbound := st.Queues["InboundQueue"]
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(inbound.URL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	var redrive struct {
		Target string `json:"deadLetterTargetArn"`
		Max    any    `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(attrs.Attributes["RedrivePolicy"]), &redrive); err != nil {
		t.Fatalf("RedrivePolicy %q: %v", attrs.Attributes["RedrivePolicy"], err)
	}
	if redrive.Target != st.Queues["InboundDeadLetterQueue"].ARN || fmt.Sprint(redrive.Max) != "2" {
		t.Errorf("redrive: got %+v, want the DLQ %s after 2", redrive, st.Queues["InboundDeadLetterQueue"].ARN)
	}
	for k, want := range map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "2"} {
		if attrs.Attributes[k] != want {
			t.Errorf("%s: got %q, want %q", k, attrs.Attributes[k], want)
		}
	}
	if !inbound.FIFO || !strings.HasSuffix(inbound.Name, ".fifo") {
		t.Errorf("inbound queue: got %+v", inbound)
	}

	// A function gets the URL the emulator gave, not a guess.
	resp, err := r.Invoke(ctx, "EchoFunction", []byte(`{"mode":"env"}`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Env map[string]string }
	if err := json.Unmarshal(resp, &got); err != nil {
		t.Fatal(err)
	}
	if got.Env["QUEUE_URL"] != inbound.URL || got.Env["QUEUE_ARN"] != inbound.ARN {
		t.Errorf("QUEUE_URL %q QUEUE_ARN %q, want %q %q", got.Env["QUEUE_URL"], got.Env["QUEUE_ARN"], inbound.URL, inbound.ARN)
	}

	// A second runner on the same stack keeps the table and its items.
	if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.Tables["Table"]), Item: map[string]ddbtypes.AttributeValue{
		"PK": &ddbtypes.AttributeValueMemberS{Value: "keep"}, "SK": &ddbtypes.AttributeValueMemberS{Value: "me"},
	}}); err != nil {
		t.Fatal(err)
	}
	o := r.o
	o.HTTPAddr, o.OnInvoke = "127.0.0.1:0", nil
	again, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := again.Prepare(ctx); err != nil {
		t.Fatalf("second Prepare on existing resources: %v", err)
	}
	item, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.Tables["Table"]), Key: map[string]ddbtypes.AttributeValue{
		"PK": &ddbtypes.AttributeValueMemberS{Value: "keep"}, "SK": &ddbtypes.AttributeValueMemberS{Value: "me"},
	}})
	if err != nil || item.Item == nil {
		t.Errorf("item lost after a second Prepare: %v", err)
	}
	if again.Stack().Queues["InboundQueue"].URL != inbound.URL {
		t.Errorf("second Prepare found another queue: %+v", again.Stack().Queues["InboundQueue"])
	}
}

func TestSQSPartialBatchFailure(t *testing.T) {
	r, rec, client := emulatorRunner(t, func(st *Stack, client *sqs.Client) {
		send(t, client, st.Queues["InboundQueue"], "g1", "a1", "fail", "a3")
	})
	st := r.Stack()
	inbound, dlq := st.Queues["InboundQueue"], st.Queues["InboundDeadLetterQueue"]

	waitFor(t, 20*time.Second, "the inbound queue to empty", func() bool {
		return queueDepth(t, client, inbound) == 0 && len(deliveries(t, rec, "ConsumerFunction")) >= 4
	})
	got := map[string][]string{}
	for _, d := range deliveries(t, rec, "ConsumerFunction") {
		got[d.body] = append(got[d.body], d.receiveCount)
	}
	want := map[string][]string{"a1": {"1"}, "a3": {"1"}, "fail": {"1", "2"}}
	for body, counts := range want {
		if !slices.Equal(got[body], counts) {
			t.Errorf("%s delivered with receive counts %v, want %v", body, got[body], counts)
		}
	}
	if bodies := drain(t, client, dlq); !slices.Equal(bodies, []string{"fail"}) {
		t.Errorf("dead-letter queue holds %q, want only the poison message", bodies)
	}

	// The record is shaped as Lambda shapes it.
	rec0 := deliveries(t, rec, "ConsumerFunction")[0].record
	checks := []struct{ name, got, want string }{
		{"eventSource", rec0.EventSource, "aws:sqs"},
		{"eventSourceARN", rec0.EventSourceARN, inbound.ARN},
		{"awsRegion", rec0.AWSRegion, DefaultRegion},
		{"MessageGroupId", rec0.Attributes["MessageGroupId"], "g1"},
		{"MessageDeduplicationId", rec0.Attributes["MessageDeduplicationId"], "g1-0-a1"},
		{"messageAttributes.kind", aws.ToString(rec0.MessageAttributes["kind"].StringValue), "test"},
		{"messageAttributes.kind type", rec0.MessageAttributes["kind"].DataType, "String"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if !regexp.MustCompile(`^\d{20}$`).MatchString(rec0.Attributes["SequenceNumber"]) {
		t.Errorf("SequenceNumber %q is not 20 digits", rec0.Attributes["SequenceNumber"])
	}
	for _, k := range []string{"SentTimestamp", "ApproximateFirstReceiveTimestamp", "SenderId"} {
		if rec0.Attributes[k] == "" {
			t.Errorf("attribute %s missing: %v", k, rec0.Attributes)
		}
	}
	if rec0.MessageId == "" || rec0.ReceiptHandle == "" || len(rec0.Md5OfBody) != 32 {
		t.Errorf("ids: %+v", rec0)
	}
}

func TestSQSFIFOOrder(t *testing.T) {
	// g1's first batch fails as a whole once; when it comes back, its
	// messages must still come in order, before anything later in g1.
	want := map[string][]string{
		"g1": {"flaky", "g1-2", "g1-3", "g1-4", "g1-5"},
		"g2": {"g2-1", "g2-2", "g2-3", "g2-4"},
		"g3": {"g3-1", "g3-2", "g3-3"},
	}
	// Everything is queued before polling starts, so the first batch holds
	// three messages of g1: moto, left to time them out itself, would then
	// deliver g1-3 before flaky and g1-2.
	r, rec, client := emulatorRunner(t, func(st *Stack, client *sqs.Client) {
		for _, g := range []string{"g1", "g2", "g3"} {
			send(t, client, st.Queues["InboundQueue"], g, want[g]...)
		}
	})
	inbound := r.Stack().Queues["InboundQueue"]
	total := len(want["g1"]) + len(want["g2"]) + len(want["g3"])
	var ds []delivery
	waitFor(t, 30*time.Second, "every message to be processed", func() bool {
		ds = deliveries(t, rec, "ConsumerFunction")
		ok := 0
		for _, d := range ds {
			if !d.failed {
				ok++
			}
		}
		return ok >= total
	})
	got := map[string][]string{}
	for _, d := range ds {
		if !d.failed {
			got[d.group] = append(got[d.group], d.body)
		}
	}
	for g, bodies := range want {
		if !slices.Equal(got[g], bodies) {
			t.Errorf("group %s processed in the order %v, want %v", g, got[g], bodies)
		}
	}
	// Nothing of g1 was processed while its failed batch waited for retry.
	firstFail, retried := -1, -1
	for i, d := range ds {
		if d.body == "flaky" && d.failed && firstFail < 0 {
			firstFail = i
		}
		if d.body == "flaky" && !d.failed {
			retried = i
		}
	}
	for i, d := range ds {
		if d.group == "g1" && i > firstFail && i < retried && d.batch != ds[firstFail].batch {
			t.Errorf("%s of g1 was delivered while g1's failed batch waited (delivery %d, between %d and %d)", d.body, i, firstFail, retried)
		}
	}
	if depth := queueDepth(t, client, inbound); depth != 0 {
		t.Errorf("%d messages left in the queue", depth)
	}
}

func TestSQSStandardQueueErrors(t *testing.T) {
	r, rec, client := emulatorRunner(t, nil)
	st := r.Stack()
	work, dlq := st.Queues["WorkQueue"], st.Queues["WorkDeadLetterQueue"]
	// Without ReportBatchItemFailures an error keeps the whole batch: the
	// message is received maxReceiveCount times, then dead-lettered.
	send(t, client, work, "", "error")
	waitFor(t, 20*time.Second, "the poison message to reach the dead-letter queue", func() bool {
		return queueDepth(t, client, work) == 0 && queueDepth(t, client, dlq) == 1
	})
	var counts []string
	for _, d := range deliveries(t, rec, "WorkerFunction") {
		counts = append(counts, d.receiveCount)
	}
	if !slices.Equal(counts, []string{"1", "2"}) {
		t.Errorf("receive counts of the failing message: got %v, want [1 2]", counts)
	}
	send(t, client, work, "", "fine")
	waitFor(t, 10*time.Second, "the good message to be deleted", func() bool {
		return queueDepth(t, client, work) == 0 && len(deliveries(t, rec, "WorkerFunction")) == 3
	})
	if bodies := drain(t, client, dlq); !slices.Equal(bodies, []string{"error"}) {
		t.Errorf("dead-letter queue: got %q, want [error]", bodies)
	}
}
