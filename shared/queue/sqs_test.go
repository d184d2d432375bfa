package queue_test

// Tests against the SQS emulator (moto): they prove the publisher's messages
// arrive as the router needs them, and that the queue wiring template.yaml
// declares (FIFO, deduplication, redrive to a dead-letter queue) behaves.

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// receiveAll drains the queue, deleting what it receives, until two receives
// in a row come back empty, and returns the messages in receive order.
func receiveAll(t *testing.T, client *sqs.Client, url string) []types.Message {
	t.Helper()
	ctx := context.Background()
	var all []types.Message
	deadline := time.Now().Add(20 * time.Second)
	for empty := 0; empty < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("queue still not drained after 20s; %d messages so far", len(all))
		}
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		for _, m := range out.Messages {
			all = append(all, m)
			if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return all
}

func decodeAll(t *testing.T, msgs []types.Message) []*switchboard.InboundEvent {
	t.Helper()
	var out []*switchboard.InboundEvent
	for _, m := range msgs {
		e, err := queue.DecodeInbound(events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func TestFIFOOrderPerGroup(t *testing.T) {
	client := awstest.SQS(t)
	url := awstest.Queue(t, client, true)
	var counter awsclient.RequestCounter
	cfg := awstest.Config(t)
	counter.Add(&cfg)
	counted := awsclient.SQS(cfg, awstest.Endpoint(t, awstest.EnvSQS))
	p := &queue.InboundPublisher{Queue: url, Publisher: queue.New(counted)}

	evs := inboundEvents(25, 50, "alice", "bob", "carol")
	if err := p.PublishInbound(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	if got, want := counter.Calls(), map[string]int{"SQS.SendMessageBatch": 3}; !reflect.DeepEqual(got, want) {
		t.Fatalf("publishing 25 events made requests %v, want %v", got, want)
	}

	msgs := receiveAll(t, client, url)
	got := map[string][]string{}
	for i, e := range decodeAll(t, msgs) {
		got[e.CustomerID] = append(got[e.CustomerID], e.ID)
		if g := msgs[i].Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]; g != e.GroupID() {
			t.Fatalf("event %s arrived in group %q, want %q", e.ID, g, e.GroupID())
		}
	}
	want := map[string][]string{}
	for _, e := range evs {
		want[e.CustomerID] = append(want[e.CustomerID], e.ID)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("received per group %v, want %v", got, want)
	}
}

func TestFIFODeduplicatesRedelivery(t *testing.T) {
	client := awstest.SQS(t)
	url := awstest.Queue(t, client, true)
	p := &queue.InboundPublisher{Queue: url, Publisher: queue.New(client)}
	ctx := context.Background()
	a, b := event(1, "alice", 10), event(2, "alice", 10)
	if err := p.PublishInbound(ctx, []switchboard.InboundEvent{a}); err != nil {
		t.Fatal(err)
	}
	// The platform redelivers the webhook (same event, marked as redelivery),
	// now together with a new event.
	again := a
	again.Redelivery = true
	if err := p.PublishInbound(ctx, []switchboard.InboundEvent{again, b}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range decodeAll(t, receiveAll(t, client, url)) {
		ids = append(ids, e.ID)
	}
	if want := []string{a.ID, b.ID}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("received %v, want %v (the redelivery deduplicated)", ids, want)
	}
}

func TestLargeEventsDelivered(t *testing.T) {
	client := awstest.SQS(t)
	url := awstest.Queue(t, client, true)
	p := &queue.InboundPublisher{Queue: url, Publisher: queue.New(client)}
	evs := inboundEvents(5, 100*1024, "alice", "bob")
	if err := p.PublishInbound(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	got := map[string]*switchboard.InboundEvent{}
	for _, e := range decodeAll(t, receiveAll(t, client, url)) {
		got[e.ID] = e
	}
	if len(got) != len(evs) {
		t.Fatalf("received %d events, want %d", len(got), len(evs))
	}
	for _, e := range evs {
		if g := got[e.ID]; g == nil || g.Message.Text != e.Message.Text {
			t.Fatalf("event %s missing or damaged", e.ID)
		}
	}
}

func TestStandardQueueDelay(t *testing.T) {
	client := awstest.SQS(t)
	url := awstest.Queue(t, client, false)
	p := queue.New(client)
	err := p.Send(context.Background(), url, []queue.Message{{Body: "now"}, {Body: "later", DelaySeconds: 2}})
	if err != nil {
		t.Fatal(err)
	}
	first := receiveAll(t, client, url)
	if len(first) != 1 || aws.ToString(first[0].Body) != "now" {
		t.Fatalf("before the delay received %d messages, want only %q", len(first), "now")
	}
	time.Sleep(2100 * time.Millisecond)
	second := receiveAll(t, client, url)
	if len(second) != 1 || aws.ToString(second[0].Body) != "later" {
		t.Fatalf("after the delay received %d messages, want %q", len(second), "later")
	}
}

// TestRedriveToDLQ plays a consumer that keeps failing with a retryable error:
// ProcessFIFO reports the message, so it is not deleted, and after
// maxReceiveCount receives SQS moves it to the dead-letter queue.
func TestRedriveToDLQ(t *testing.T) {
	const maxReceiveCount = 3
	client := awstest.SQS(t)
	url, dlq := awstest.QueueWithDLQ(t, client, true, maxReceiveCount)
	ctx := context.Background()
	p := &queue.InboundPublisher{Queue: url, Publisher: queue.New(client)}
	e := event(7, "alice", 10)
	if err := p.PublishInbound(ctx, []switchboard.InboundEvent{e}); err != nil {
		t.Fatal(err)
	}
	failing := func(context.Context, events.SQSMessage) error {
		return switchboard.Errorf(switchboard.EUnavailable, "channel API down")
	}
	receives := 0
	for attempt := 0; attempt < maxReceiveCount+3; attempt++ {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		receives++
		var ev events.SQSEvent
		for _, m := range out.Messages {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)})
		}
		resp := queue.ProcessFIFO(ctx, ev, failing)
		if len(resp.BatchItemFailures) != len(ev.Records) {
			t.Fatalf("consumer reported %d failures for %d messages", len(resp.BatchItemFailures), len(ev.Records))
		}
	}
	if receives != maxReceiveCount {
		t.Fatalf("message was received %d times before leaving the queue, want %d", receives, maxReceiveCount)
	}
	dead := decodeAll(t, receiveAll(t, client, dlq))
	if len(dead) != 1 || dead[0].ID != e.ID {
		var ids []string
		for _, d := range dead {
			ids = append(ids, d.ID)
		}
		t.Fatalf("dead-letter queue holds %v, want [%s]", strings.Join(ids, ","), e.ID)
	}
	if rest := receiveAll(t, client, url); len(rest) != 0 {
		t.Fatalf("source queue still holds %d messages", len(rest))
	}
}
