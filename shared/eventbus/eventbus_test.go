package eventbus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/eventbus"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// fakeBus is an EventBridge API whose one method is a function.
type fakeBus struct {
	calls []*eventbridge.PutEventsInput
	put   func(n int, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error)
}

var _ eventbus.API = (*fakeBus)(nil)

func (f *fakeBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.calls = append(f.calls, in)
	if f.put == nil {
		return answer(in, nil), nil
	}
	return f.put(len(f.calls), in)
}

// answer reports the entries whose detail contains one of fail as failed.
func answer(in *eventbridge.PutEventsInput, fail []string) *eventbridge.PutEventsOutput {
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		r := ebtypes.PutEventsResultEntry{EventId: aws.String("id")}
		for _, f := range fail {
			if strings.Contains(aws.ToString(e.Detail), f) {
				r = ebtypes.PutEventsResultEntry{ErrorCode: aws.String("InternalFailure")}
				out.FailedEntryCount++
			}
		}
		out.Entries = append(out.Entries, r)
	}
	return out
}

type detail struct {
	N    int    `json:"n"`
	Text string `json:"text"`
}

func evs(n, size int) []eventbus.Event {
	var out []eventbus.Event
	for i := range n {
		out = append(out, eventbus.Event{DetailType: "test.happened", Detail: detail{N: i, Text: strings.Repeat("x", size)}})
	}
	return out
}

func sizes(calls []*eventbridge.PutEventsInput) []int {
	var out []int
	for _, c := range calls {
		out = append(out, len(c.Entries))
	}
	return out
}

func TestPublishChunks(t *testing.T) {
	tests := []struct {
		name string
		evs  []eventbus.Event
		want []int
	}{
		{"none", nil, nil},
		{"one", evs(1, 1), []int{1}},
		{"fifteen", evs(15, 1), []int{10, 5}},
		{"twenty", evs(20, 1), []int{10, 10}},
		{"by size", evs(5, 100*1024), []int{2, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeBus{}
			p := &eventbus.Publisher{Bus: "b", Source: "switchboard.test", Client: api, Clock: func() time.Time { return time.Unix(0, 0) }}
			if err := p.Publish(context.Background(), tt.evs); err != nil {
				t.Fatal(err)
			}
			if got := sizes(api.calls); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("requests %v, want %v", got, tt.want)
			}
			n := 0
			for _, c := range api.calls {
				for _, e := range c.Entries {
					var d detail
					if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &d); err != nil || d.N != n {
						t.Fatalf("entry %d carries %s, want detail n=%d", n, aws.ToString(e.Detail)[:20], n)
					}
					if aws.ToString(e.EventBusName) != "b" || aws.ToString(e.Source) != "switchboard.test" || e.Time == nil {
						t.Fatalf("entry %d: bus %s source %s time %v", n, aws.ToString(e.EventBusName), aws.ToString(e.Source), e.Time)
					}
					n++
				}
			}
		})
	}
}

func TestPublishFailures(t *testing.T) {
	throttled := &smithy.OperationError{Err: &smithy.GenericAPIError{Code: "ThrottlingException"}}
	tests := []struct {
		name      string
		evs       []eventbus.Event
		put       func(n int, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error)
		wantCode  string
		wantCalls []int
		wantText  string
		wantLast  []int // detail n of the last request's entries
	}{
		{
			name: "failed entries resent",
			evs:  evs(4, 1),
			put: func(n int, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
				if n == 1 {
					return answer(in, []string{`"n":1`, `"n":2`}), nil
				}
				return answer(in, nil), nil
			},
			wantCalls: []int{4, 2},
			wantLast:  []int{1, 2},
		},
		{
			name: "still failing",
			evs:  evs(4, 1),
			put: func(n int, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
				return answer(in, []string{`"n":3`}), nil
			},
			wantCode:  switchboard.EUnavailable,
			wantCalls: []int{4, 1, 1},
			wantText:  "1 of 4 events",
			wantLast:  []int{3},
		},
		{
			name:      "throttled",
			evs:       evs(2, 1),
			put:       func(int, *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) { return nil, throttled },
			wantCode:  switchboard.EUnavailable,
			wantCalls: []int{2},
		},
		{"detail not an object", []eventbus.Event{{DetailType: "x", Detail: "just a string"}}, nil, switchboard.EInvalid, nil, "JSON object", nil},
		{"detail does not encode", []eventbus.Event{{DetailType: "x", Detail: map[string]any{"f": func() {}}}}, nil, switchboard.EInvalid, nil, "", nil},
		{"no detail type", []eventbus.Event{{Detail: detail{}}}, nil, switchboard.EInvalid, nil, "", nil},
		{"too large", append(evs(1, 1), evs(1, eventbus.MaxRequestBytes)...), nil, switchboard.EInvalid, nil, "at most", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeBus{put: tt.put}
			p := &eventbus.Publisher{Bus: "b", Source: "s", Client: api, Backoff: time.Millisecond}
			err := p.Publish(context.Background(), tt.evs)
			if got := switchboard.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code %q (%v), want %q", got, err, tt.wantCode)
			}
			if got := sizes(api.calls); fmt.Sprint(got) != fmt.Sprint(tt.wantCalls) {
				t.Fatalf("requests %v, want %v", got, tt.wantCalls)
			}
			if !strings.Contains(switchboard.ErrorMessage(err), tt.wantText) {
				t.Fatalf("message %q does not mention %q", switchboard.ErrorMessage(err), tt.wantText)
			}
			if tt.wantLast != nil {
				var ns []int
				for _, e := range api.calls[len(api.calls)-1].Entries {
					var d detail
					json.Unmarshal([]byte(aws.ToString(e.Detail)), &d)
					ns = append(ns, d.N)
				}
				if !reflect.DeepEqual(ns, tt.wantLast) {
					t.Fatalf("last request carried events %v, want %v", ns, tt.wantLast)
				}
			}
		})
	}
}

// TestPublishThroughRuleToQueue publishes through a real (emulated) bus: a rule
// matching the source sends every event to an SQS queue, where all 15 arrive
// with their detail intact, in two PutEvents requests.
func TestPublishThroughRuleToQueue(t *testing.T) {
	ctx := context.Background()
	eb := awstest.EventBridge(t)
	q := awstest.SQS(t)
	bus := awstest.Bus(t, eb)
	queueURL := awstest.Queue(t, q, false)
	source := "switchboard.test." + strings.ToLower(switchboard.NewID())

	rule := awstest.Name("rule")
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(rule), EventBusName: aws.String(bus),
		EventPattern: aws.String(fmt.Sprintf(`{"source":[%q]}`, source)),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String(rule), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(awstest.QueueARN(t, q, queueURL))}},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(rule), EventBusName: aws.String(bus), Ids: []string{"queue"}})
		eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(rule), EventBusName: aws.String(bus)})
	})

	var counter awsclient.RequestCounter
	cfg := awstest.Config(t)
	counter.Add(&cfg)
	p := &eventbus.Publisher{Bus: bus, Source: source, Client: awsclient.EventBridge(cfg, awstest.Endpoint(t, awstest.EnvEventBridge))}
	sent := evs(15, 20)
	if err := p.Publish(ctx, sent); err != nil {
		t.Fatal(err)
	}
	if got, want := counter.Calls(), map[string]int{"EventBridge.PutEvents": 2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("publishing 15 events made requests %v, want %v", got, want)
	}

	got := map[int]detail{}
	deadline := time.Now().Add(15 * time.Second)
	for len(got) < len(sent) && time.Now().Before(deadline) {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			var envelope struct {
				Source     string `json:"source"`
				DetailType string `json:"detail-type"`
				Detail     detail `json:"detail"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &envelope); err != nil {
				t.Fatalf("queue message is not an EventBridge event: %v", err)
			}
			if envelope.Source != source || envelope.DetailType != "test.happened" {
				t.Fatalf("event from %q of type %q", envelope.Source, envelope.DetailType)
			}
			if _, dup := got[envelope.Detail.N]; dup {
				t.Fatalf("event %d delivered twice", envelope.Detail.N)
			}
			got[envelope.Detail.N] = envelope.Detail
			q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(got) != len(sent) {
		t.Fatalf("received %d of %d events", len(got), len(sent))
	}
	for _, e := range sent {
		d := e.Detail.(detail)
		if got[d.N] != d {
			t.Fatalf("event %d arrived as %+v, want %+v", d.N, got[d.N], d)
		}
	}
}
