package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"

	samples "github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/channel/line"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// stack is the ingest handler wired to DynamoDB Local and the SQS emulator, with
// the demo channels of package events stored in a fresh table.
type stack struct {
	handler *Handler
	sqs     *sqs.Client
	queue   string
	counter *awsclient.RequestCounter
	store   *dynamo.Store
}

func newStack(tb testing.TB) *stack {
	tb.Helper()
	ctx := context.Background()
	cfg := awstest.Config(tb)
	counter := &awsclient.RequestCounter{}
	counter.Add(&cfg)
	ddb := awsclient.DynamoDB(cfg, awstest.Endpoint(tb, "SWITCHBOARD_DYNAMODB_ENDPOINT"))
	sq := awsclient.SQS(cfg, awstest.Endpoint(tb, "SWITCHBOARD_SQS_ENDPOINT"))
	table := awstest.Table(tb, ddb)
	q := awstest.Queue(tb, sq, true)
	store := dynamo.New(ddb, table)
	for _, ch := range samples.DemoChannels() {
		if err := store.CreateChannel(ctx, ch); err != nil {
			tb.Fatal(err)
		}
	}
	h := New(Config{
		Channels:  store,
		Webhooks:  Platforms(),
		Publisher: &queue.InboundPublisher{Queue: q, Publisher: queue.New(sq)},
	})
	counter.Reset()
	return &stack{handler: h, sqs: sq, queue: q, counter: counter, store: store}
}

// drain receives what is on the queue: it waits (up to five seconds) until
// at least want messages arrived, then takes what else is there. An emulator
// under load can answer a receive with nothing for a moment after a send, so
// a first empty answer cannot mean an empty queue when messages are expected.
func (s *stack) drain(t *testing.T, want int) []sqstypes.Message {
	t.Helper()
	var all []sqstypes.Message
	deadline := time.Now().Add(5 * time.Second)
	for {
		var wait int32
		if len(all) < want && time.Now().Before(deadline) {
			wait = 1
		}
		out, err := s.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(s.queue),
			MaxNumberOfMessages:         10,
			WaitTimeSeconds:             wait,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 && wait == 0 {
			return all
		}
		for _, m := range out.Messages {
			all = append(all, m)
			if _, err := s.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(s.queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func sample(t testing.TB, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	ss, err := samples.WebhookSamples()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.Name == name {
			return s.Request
		}
	}
	t.Fatalf("no sample %s", name)
	return events.APIGatewayV2HTTPRequest{}
}

// TestEverySampleThroughRealQueue posts every webhook sample to the handler wired
// to DynamoDB Local and the SQS emulator, and checks what reaches inbound.fifo:
// the parsed events, in order, grouped by conversation and decodable by the router.
func TestEverySampleThroughRealQueue(t *testing.T) {
	s := newStack(t)
	ss, err := samples.WebhookSamples()
	if err != nil {
		t.Fatal(err)
	}
	for _, smp := range ss {
		t.Run(smp.Name, func(t *testing.T) {
			resp, err := s.handler.Handle(context.Background(), smp.Request)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := resp.StatusCode, 200; got != want {
				t.Fatalf("status = %d, want %d: %s", got, want, resp.Body)
			}
			body, err := smp.Body()
			if err != nil {
				t.Fatal(err)
			}
			want, err := Platforms()[smp.Kind()].Parse(samples.DemoChannel(smp.Kind()), body)
			if smp.Request.RequestContext.HTTP.Method == "GET" {
				want, err = nil, nil
			}
			if err != nil {
				t.Fatal(err)
			}
			msgs := s.drain(t, len(want))
			if got := len(msgs); got != len(want) {
				t.Fatalf("messages on queue = %d, want %d", got, len(want))
			}
			for i, m := range msgs {
				got, err := queue.DecodeInbound(events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)})
				if err != nil {
					t.Fatal(err)
				}
				if got.ID != want[i].ID || got.Type != want[i].Type || got.TeamID != samples.DemoTeamID {
					t.Errorf("message %d = %s/%s/%s, want %s/%s/%s", i, got.ID, got.Type, got.TeamID, want[i].ID, want[i].Type, samples.DemoTeamID)
				}
				if g, w := m.Attributes["MessageGroupId"], want[i].GroupID(); g != w {
					t.Errorf("group = %s, want %s", g, w)
				}
			}
		})
	}
}

func TestRefusedRequestsEnqueueNothing(t *testing.T) {
	s := newStack(t)
	good := sample(t, "line-text.json")

	badSig := good
	badSig.Headers = map[string]string{}
	for k, v := range good.Headers {
		badSig.Headers[k] = v
	}
	badSig.Headers[line.SignatureHeader] = "AAAA" + good.Headers[line.SignatureHeader][4:]

	tampered := good
	tampered.Body = strings.Replace(good.Body, `"text"`, `"text" `, 1)

	tests := []struct {
		name string
		req  events.APIGatewayV2HTTPRequest
		want int
	}{
		{"wrong signature", badSig, 401},
		{"body changed after signing", tampered, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := s.handler.Handle(context.Background(), tt.req)
			if got := resp.StatusCode; got != tt.want {
				t.Fatalf("status = %d, want %d", got, tt.want)
			}
			if got := len(s.drain(t, 0)); got != 0 {
				t.Fatalf("messages on queue = %d, want 0", got)
			}
		})
	}
}

func TestRedeliveryIsDeduplicatedByQueue(t *testing.T) {
	s := newStack(t)
	req := sample(t, "line-text.json")
	for range 3 {
		if resp, _ := s.handler.Handle(context.Background(), req); resp.StatusCode != 200 {
			t.Fatalf("status = %d: %s", resp.StatusCode, resp.Body)
		}
	}
	if got, want := len(s.drain(t, 1)), 1; got != want {
		t.Fatalf("messages after 3 deliveries of one event = %d, want %d", got, want)
	}
}

func TestWarmDeliveryCostsOneAWSRequest(t *testing.T) {
	s := newStack(t)
	req := sample(t, "line-text.json")
	s.handler.Handle(context.Background(), req) // warms the channel cache
	s.counter.Reset()
	s.handler.Handle(context.Background(), req)
	if got, want := s.counter.Calls(), map[string]int{"SQS.SendMessageBatch": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("AWS requests per warm delivery = %v, want %v", got, want)
	}
}

// signedLINE returns a LINE request for body signed with the demo secret.
func signedLINE(body []byte) events.APIGatewayV2HTTPRequest {
	ch := samples.DemoChannel(switchboard.KindLINE)
	r := post("line", ch.ID, "", string(body))
	r.Headers[line.SignatureHeader] = line.Sign(samples.DemoSecret, body)
	return r
}

// BenchmarkHandleLINE is the CPU of one warm webhook delivery of ten LINE events
// (signature, SDK parse, normalising, encoding), with the queue faked so only our
// own work is measured.
func BenchmarkHandleLINE(b *testing.B) {
	ch := samples.DemoChannel(switchboard.KindLINE)
	body := samples.LINEBusyDelivery()
	req := signedLINE(body)
	pub := &fakePublisher{fn: func(_ context.Context, evs []switchboard.InboundEvent) error {
		for i := range evs {
			if _, err := queue.EncodeInbound(&evs[i]); err != nil {
				return err
			}
		}
		return nil
	}}
	h := New(Config{
		Channels:  &fakeLookup{fn: func(context.Context, string) (*switchboard.Channel, error) { return ch, nil }},
		Webhooks:  Platforms(),
		Publisher: pub,
	})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, _ := h.Handle(context.Background(), req)
		if resp.StatusCode != 200 {
			b.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
		pub.published = pub.published[:0]
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10, "ns/event")
}

// BenchmarkLINESDKParse is the LINE SDK's own parse of the same body, the floor
// for BenchmarkHandleLINE while ingest uses the SDK's types.
func BenchmarkLINESDKParse(b *testing.B) {
	body := samples.LINEBusyDelivery()
	for b.Loop() {
		var cb webhook.CallbackRequest
		if err := json.Unmarshal(body, &cb); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10, "ns/event")
}

// BenchmarkDeliveryAWSRequests counts the AWS requests of one warm webhook
// delivery against the emulators (target: 1, the SendMessageBatch).
func BenchmarkDeliveryAWSRequests(b *testing.B) {
	benchDelivery(b, false)
}

// BenchmarkDeliveryAWSRequestsCold is the same with an empty channel cache, as
// on a Lambda cold start: one GetItem more.
func BenchmarkDeliveryAWSRequestsCold(b *testing.B) {
	benchDelivery(b, true)
}

func benchDelivery(b *testing.B, cold bool) {
	if os.Getenv("SWITCHBOARD_SQS_ENDPOINT") == "" && os.Getenv("SWITCHBOARD_REQUIRE_EMULATORS") == "" {
		b.Skip("run through make bench: needs the emulators")
	}
	s := newStack(b)
	body := samples.LINEBusyDelivery()
	s.handler.Handle(context.Background(), signedLINE(body))
	s.counter.Reset()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if cold {
			s.handler.channels = newChannelCache(s.store, time.Now, time.Minute)
		}
		// A fresh event id each time, so the queue stores every delivery.
		fresh := strings.ReplaceAll(string(body), "01JNBENCH", fmt.Sprintf("01J%06d", i%1000000))
		resp, _ := s.handler.Handle(context.Background(), signedLINE([]byte(fresh)))
		if resp.StatusCode != 200 {
			b.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
	}
	b.ReportMetric(float64(s.counter.Total())/float64(b.N), "aws-req/delivery")
}
