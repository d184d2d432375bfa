package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	samples "github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/infra/demo"
	"github.com/switchboard-chat/switchboard/infra/fakes"
	"github.com/switchboard-chat/switchboard/infra/fakes/line"
	"github.com/switchboard-chat/switchboard/infra/fakes/platform"
	"github.com/switchboard-chat/switchboard/infra/fakes/widgetsite"
	"github.com/switchboard-chat/switchboard/infra/runner"
	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	channelline "github.com/switchboard-chat/switchboard/shared/channel/line"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// env is one running stack shared by every test of the package: building and
// starting every function is the expensive part, so it happens once.
type env struct {
	runner *runner.Runner
	fakes  *fakes.Set
	url    string
	sqs    *sqs.Client
}

var (
	shared    *env
	sharedErr error
	once      sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.runner.Close()
		shared.fakes.Close()
	}
	os.Exit(code)
}

// stack returns the shared stack, starting it on first use. Without the
// emulators it skips (or fails under SWITCHBOARD_REQUIRE_EMULATORS=1), as every
// emulator test does.
func stack(t *testing.T) *env {
	t.Helper()
	ddb := awstest.Endpoint(t, "SWITCHBOARD_DYNAMODB_ENDPOINT")
	sq := awstest.Endpoint(t, "SWITCHBOARD_SQS_ENDPOINT")
	eb := awstest.Endpoint(t, "SWITCHBOARD_EVENTBRIDGE_ENDPOINT")
	once.Do(func() { shared, sharedErr = start(ddb, sq, eb) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

func start(ddb, sq, eb string) (*env, error) {
	set, err := fakes.Start(fakes.Config{
		LINEAddr: "127.0.0.1:0", GraphAddr: "127.0.0.1:0", WhatsAppAddr: "127.0.0.1:0", MoFAddr: "127.0.0.1:0", WidgetSiteAddr: "127.0.0.1:0",
		LINE:       line.Config{GenerateProfiles: true},
		WidgetSite: widgetsite.Config{Tokens: []string{samples.DemoSecret}},
	})
	if err != nil {
		return nil, err
	}
	var out io.Writer = io.Discard
	if os.Getenv("SWITCHBOARD_E2E_VERBOSE") != "" {
		out = os.Stderr
	}
	widgetURL := set.URLs()["widgetsite"] + "/messages"
	r, err := runner.New(runner.Options{
		TemplatePath:         "../../template.yaml",
		StackName:            awstest.Name("e2e"),
		DynamoDBEndpoint:     ddb,
		SQSEndpoint:          sq,
		EventBridgeEndpoint:  eb,
		HTTPAddr:             "127.0.0.1:0",
		Env:                  set.Env(),
		MaxVisibilityTimeout: 2 * time.Second,
		DisableSchedules:     true,
		Output:               out,
		Seed: func(ctx context.Context, st *runner.Stack) error {
			store := dynamo.New(awsclient.DynamoDB(st.AWS, st.DynamoDBEndpoint), st.Tables["Table"])
			return demo.Seed(ctx, store, demo.Options{WidgetOutboundURL: widgetURL})
		},
	})
	if err != nil {
		set.Close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if err := r.Start(ctx); err != nil {
		r.Close()
		set.Close()
		return nil, fmt.Errorf("start the local stack: %w", err)
	}
	st := r.Stack()
	return &env{
		runner: r,
		fakes:  set,
		url:    st.HTTPURL,
		sqs:    awsclient.SQS(st.AWS, st.SQSEndpoint),
	}, nil
}

// post sends an API Gateway sample (or a request built like one) to the local
// HTTP API exactly as the platform would.
func (e *env) post(t *testing.T, req events.APIGatewayV2HTTPRequest) (int, string) {
	t.Helper()
	hreq, err := samples.HTTPRequest(context.Background(), e.url, req)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// fresh returns a sample as if just written (demo.Refresh): the samples' March
// timestamps would put Messenger, Instagram and WhatsApp outside their window.
func fresh(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	req, err := demo.Refresh(sample(t, name), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func sample(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
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

// lineWebhook builds a signed LINE delivery of text events from one user, each
// with its own event id and reply token, so replies can be told apart.
func lineWebhook(user string, ids ...[2]string) events.APIGatewayV2HTTPRequest {
	var evs []string
	for i, e := range ids {
		id, token := e[0], e[1]
		evs = append(evs, fmt.Sprintf(`{"type":"message","mode":"active","timestamp":%d,"webhookEventId":%q,"deliveryContext":{"isRedelivery":false},"replyToken":%q,"source":{"type":"user","userId":%q},"message":{"type":"text","id":"m%s","quoteToken":"q","text":"order question %d"}}`,
			time.Now().UnixMilli()+int64(i), id, token, user, id, i))
	}
	body := fmt.Sprintf(`{"destination":%q,"events":[%s]}`, samples.DemoLINEBotID, strings.Join(evs, ","))
	r := events.APIGatewayV2HTTPRequest{
		RawPath: "/webhooks/line/" + samples.DemoLINEChannelID,
		Headers: map[string]string{"content-type": "application/json", channelline.SignatureHeader: channelline.Sign(samples.DemoSecret, []byte(body))},
		Body:    body,
	}
	r.RequestContext.HTTP.Method = "POST"
	return r
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lineReplies returns the reply tokens of the replies the LINE fake accepted,
// in order.
func (e *env) lineReplies() []string {
	var out []string
	for _, d := range e.fakes.LINE.Deliveries() {
		if d.Kind == "reply" {
			out = append(out, d.ReplyToken)
		}
	}
	return out
}

func count(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

// okRequests counts the requests a fake answered with 2xx whose body holds s.
func okRequests(reqs []platform.Request, s string) int {
	n := 0
	for _, r := range reqs {
		if r.Status >= 200 && r.Status < 300 && strings.Contains(r.Body, s) {
			n++
		}
	}
	return n
}

// TestEveryChannelRepliesThroughTheStack posts each channel's signed text sample
// and waits for the demo auto-reply at that channel's fake platform.
func TestEveryChannelRepliesThroughTheStack(t *testing.T) {
	e := stack(t)
	tests := []struct {
		sample string
		seen   func() int
	}{
		{"line-text.json", func() int { return okRequests(e.fakes.LINE.Requests(), demo.AutoReply) }},
		{"messenger-text.json", func() int { return okRequests(e.fakes.Graph.Requests(), demo.AutoReply) }},
		{"instagram-text.json", func() int { return okRequests(e.fakes.Graph.Requests(), demo.AutoReply) }},
		{"whatsapp-text.json", func() int { return okRequests(e.fakes.WhatsApp.Requests(), demo.AutoReply) }},
		{"widget-message.json", func() int { return okRequests(e.fakes.WidgetSite.Requests(), demo.AutoReply) }},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			before := tt.seen()
			if status, body := e.post(t, fresh(t, tt.sample)); status != 200 {
				t.Fatalf("webhook answered %d: %s", status, body)
			}
			waitFor(t, 60*time.Second, "the auto-reply at the fake platform", func() bool { return tt.seen() > before })
		})
	}
}

// TestRedeliveredWebhookRepliesOnce is issue 6's check: a signed LINE webhook
// gets its reply at the fake LINE API; the same webhook again gets nothing new,
// both within SQS's five-minute deduplication window and after it (the router's
// own claim, reached by putting the event on the queue with another dedup id).
func TestRedeliveredWebhookRepliesOnce(t *testing.T) {
	e := stack(t)
	user := "U" + strings.Repeat("a", 31) + "1"
	first := lineWebhook(user, [2]string{"01JE2EREDELIVER00000000001", "rt-redeliver-1"})
	if status, body := e.post(t, first); status != 200 {
		t.Fatalf("webhook answered %d: %s", status, body)
	}
	waitFor(t, 60*time.Second, "the reply", func() bool { return count(e.lineReplies(), "rt-redeliver-1") == 1 })

	// The same delivery again, as LINE redelivers it.
	if status, _ := e.post(t, first); status != 200 {
		t.Fatalf("redelivery answered %d", status)
	}
	// The same event behind SQS's back, as after the deduplication window.
	ev := switchboard.InboundEvent{
		ID: "01JE2EREDELIVER00000000001", TeamID: samples.DemoTeamID, ChannelID: samples.DemoLINEChannelID,
		ChannelKind: switchboard.KindLINE, Type: switchboard.InMessage, CustomerID: user, OccurredAt: time.Now().UTC(),
		ReplyToken: "rt-redeliver-1", Redelivery: true,
		Message: &switchboard.InboundMessage{ID: "m01JE2EREDELIVER00000000001", Kind: switchboard.MsgText, Text: "order question 0"},
	}
	body, err := queue.EncodeInbound(&ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(e.runner.Stack().Queues["InboundQueue"].URL), MessageBody: aws.String(body),
		MessageGroupId: aws.String(ev.GroupID()), MessageDeduplicationId: aws.String("after-the-window"),
	}); err != nil {
		t.Fatal(err)
	}
	// A later event of the same conversation: once it is answered, everything
	// queued before it in the conversation's group has been processed.
	if status, _ := e.post(t, lineWebhook(user, [2]string{"01JE2EREDELIVER00000000002", "rt-redeliver-2"})); status != 200 {
		t.Fatal("second webhook refused")
	}
	waitFor(t, 60*time.Second, "the later event's reply", func() bool { return count(e.lineReplies(), "rt-redeliver-2") == 1 })
	if got := count(e.lineReplies(), "rt-redeliver-1"); got != 1 {
		t.Fatalf("replies to the redelivered event = %d, want 1", got)
	}
}

// TestRepliesKeepConversationOrder posts five events of one conversation in one
// delivery and checks the replies left in the same order.
func TestRepliesKeepConversationOrder(t *testing.T) {
	e := stack(t)
	user := "U" + strings.Repeat("b", 31) + "2"
	var evs [][2]string
	var want []string
	for i := range 5 {
		evs = append(evs, [2]string{fmt.Sprintf("01JE2EORDER000000000000%03d", i), fmt.Sprintf("rt-order-%d", i)})
		want = append(want, fmt.Sprintf("rt-order-%d", i))
	}
	if status, body := e.post(t, lineWebhook(user, evs...)); status != 200 {
		t.Fatalf("webhook answered %d: %s", status, body)
	}
	var got []string
	waitFor(t, 60*time.Second, "five replies", func() bool {
		got = got[:0]
		for _, tok := range e.lineReplies() {
			if strings.HasPrefix(tok, "rt-order-") {
				got = append(got, tok)
			}
		}
		return len(got) >= 5
	})
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("replies in order %v, want %v", got, want)
	}
}

// TestCrashMidBatchRepliesExactlyOnce kills the router while it waits on the
// LINE API for the second reply of a three-event batch. Lambda would retry the
// batch; each of the three replies must still arrive exactly once, in order.
func TestCrashMidBatchRepliesExactlyOnce(t *testing.T) {
	e := stack(t)
	user := "U" + strings.Repeat("c", 31) + "3"
	// The second reply hangs at the fake until the router is gone.
	e.fakes.LINE.Fail(platform.Failure{Count: 1, Status: 500, Body: `{"message":"hung"}`, DelayMillis: 60000, Match: "rt-crash-2"})
	defer e.fakes.LINE.ClearFailures()

	if status, body := e.post(t, lineWebhook(user,
		[2]string{"01JE2ECRASH000000000000001", "rt-crash-1"},
		[2]string{"01JE2ECRASH000000000000002", "rt-crash-2"},
		[2]string{"01JE2ECRASH000000000000003", "rt-crash-3"},
	)); status != 200 {
		t.Fatalf("webhook answered %d: %s", status, body)
	}
	waitFor(t, 60*time.Second, "the first reply", func() bool { return count(e.lineReplies(), "rt-crash-1") == 1 })
	time.Sleep(1500 * time.Millisecond) // the second reply is now hanging at the fake
	killed, err := e.runner.Crash(context.Background(), "RouterFunction")
	if err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no router process was running to crash")
	}
	e.fakes.LINE.ClearFailures()

	want := []string{"rt-crash-1", "rt-crash-2", "rt-crash-3"}
	var got []string
	waitFor(t, 90*time.Second, "all three replies after the crash", func() bool {
		got = got[:0]
		for _, tok := range e.lineReplies() {
			if strings.HasPrefix(tok, "rt-crash-") {
				got = append(got, tok)
			}
		}
		return len(got) >= 3
	})
	time.Sleep(2 * time.Second) // room for a duplicate to show up
	got = got[:0]
	for _, tok := range e.lineReplies() {
		if strings.HasPrefix(tok, "rt-crash-") {
			got = append(got, tok)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("replies %v, want each of %v exactly once, in order", got, want)
	}
}

// TestOperatorsSeeTheConversation reads the inbox through the api function with
// the demo token after a LINE customer wrote.
func TestOperatorsSeeTheConversation(t *testing.T) {
	e := stack(t)
	user := "U" + strings.Repeat("d", 31) + "4"
	if status, _ := e.post(t, lineWebhook(user, [2]string{"01JE2EINBOX000000000000001", "rt-inbox-1"})); status != 200 {
		t.Fatal("webhook refused")
	}
	waitFor(t, 60*time.Second, "the reply", func() bool { return count(e.lineReplies(), "rt-inbox-1") == 1 })

	contact := dynamo.ContactID(samples.DemoTeamID, samples.DemoLINEChannelID, user)
	req, _ := http.NewRequest("GET", e.url+"/v1/conversations/"+contact, nil)
	req.Header.Set("authorization", "Bearer "+demo.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&got)
	if resp.StatusCode != 200 {
		t.Fatalf("GET conversation = %d: %v", resp.StatusCode, got)
	}
	raw, _ := json.Marshal(got)
	for _, want := range []string{"order question 0", demo.AutoReply} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("conversation lacks %q: %s", want, raw)
		}
	}
}
