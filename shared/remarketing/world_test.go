package remarketing_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/remarketing"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/timer"
)

// taipei is the team's time zone in every test.
var taipei = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Taipei")
	if err != nil {
		panic(err)
	}
	return loc
}()

// local parses "2006-01-02 15:04:05" in Taipei.
func local(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation(time.DateTime, s, taipei)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// fakeSender records sends and answers with err, when set.
type fakeSender struct {
	mu   sync.Mutex
	reqs []switchboard.SendRequest
	err  error
}

func (f *fakeSender) Send(_ context.Context, req switchboard.SendRequest) (switchboard.SendResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return switchboard.SendResult{}, f.err
	}
	f.reqs = append(f.reqs, req)
	return switchboard.SendResult{PlatformMessageIDs: []string{"m" + string(rune('0'+len(f.reqs)))}, Via: "push"}, nil
}

func (f *fakeSender) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// take returns the sends so far and forgets them.
func (f *fakeSender) take() []switchboard.SendRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.reqs
	f.reqs = nil
	return out
}

const (
	clickSecret = "0123456789abcdef0123456789abcdef"
	baseURL     = "https://sb.example"
)

// world is the whole wiring on the emulators: table, timer queue, services,
// pixel handler, dispatcher and consumer, a LINE channel with one subscribed
// contact, and a browser and a server site key.
type world struct {
	clock      *fakeClock
	store      *dynamo.Store
	sqs        *sqs.Client
	queueURL   string
	line       *fakeSender
	svc        *remarketing.Service
	handler    *remarketing.Handler
	dispatcher *timer.Dispatcher
	consumer   *timer.Consumer
	team       string
	channel    *switchboard.Channel
	contact    *switchboard.Contact
	browserKey string
	serverKey  string
}

func newWorld(t *testing.T, start time.Time) *world {
	t.Helper()
	ctx := context.Background()
	ddb := awstest.DynamoDB(t)
	client := awstest.SQS(t)
	w := &world{clock: &fakeClock{now: start}, sqs: client, line: &fakeSender{}}
	w.store = dynamo.New(ddb, awstest.Table(t, ddb), dynamo.WithClock(w.clock.Now), dynamo.WithMaxAttempts(20))
	w.queueURL = awstest.Queue(t, client, false)
	w.team = switchboard.NewID()
	must(t, w.store.CreateTeam(ctx, &switchboard.Team{ID: w.team, Name: "Shop", TimeZone: "Asia/Taipei"}))
	w.channel = &switchboard.Channel{ID: switchboard.NewID(), TeamID: w.team, Kind: switchboard.KindLINE, Name: "Shop LINE", Enabled: true}
	must(t, w.store.CreateChannel(ctx, w.channel))
	var err error
	w.contact, err = w.store.UpsertContact(ctx, w.team, w.channel.ID, "U1", func(c *switchboard.Contact) (*switchboard.Contact, error) {
		c.ChannelKind, c.Subscribed, c.DisplayName = switchboard.KindLINE, true, "Mei"
		return c, nil
	})
	must(t, err)
	w.browserKey = w.siteKey(t, switchboard.SiteKeyBrowser)
	w.serverKey = w.siteKey(t, switchboard.SiteKeyServer)
	w.svc = remarketing.New(remarketing.Config{
		Directory: w.store, Carts: w.store, Stats: w.store, Payments: w.store, Timers: w.store,
		Senders:     map[switchboard.ChannelKind]switchboard.Sender{switchboard.KindLINE: w.line},
		ClickSecret: []byte(clickSecret), PublicBaseURL: baseURL,
		Clock: w.clock.Now,
	})
	w.handler = remarketing.NewHandler(remarketing.HandlerConfig{Service: w.svc, SiteKeys: w.store, Clock: w.clock.Now})
	w.dispatcher = timer.NewDispatcher(timer.DispatcherConfig{
		Store: w.store, Queue: queue.New(client), QueueURL: w.queueURL, Shards: dynamo.TimerShards, Clock: w.clock.Now,
	})
	w.consumer = timer.NewConsumer(timer.ConsumerConfig{Claims: w.store, Clock: w.clock.Now})
	w.consumer.Register(switchboard.TimerCartReminder, w.svc.FireCartReminder)
	w.consumer.Register(switchboard.TimerPaymentReminder, w.svc.FirePaymentReminder)
	return w
}

func (w *world) siteKey(t *testing.T, kind switchboard.SiteKeyKind) string {
	t.Helper()
	plain, hash := switchboard.NewSiteKeySecret(kind)
	must(t, w.store.CreateSiteKey(context.Background(), &switchboard.SiteKey{
		ID: switchboard.NewID(), TeamID: w.team, Name: string(kind), Kind: kind, Hash: hash,
	}))
	return plain
}

// enableCart saves and enables the cart configuration of the LINE channel:
// message 1 after an hour, message 2 after a day, restart cycle three days,
// unless change adjusts it.
func (w *world) enableCart(t *testing.T, change func(*cart.Config)) {
	t.Helper()
	cfg := cart.Config{
		TeamID: w.team, ChannelID: w.channel.ID, Enabled: true,
		Messages: []cart.MessageConfig{
			{Enabled: true, Delay: cart.Delay{Hours: 1}, BotModuleID: "abandoned-1"},
			{Enabled: true, Delay: cart.Delay{Days: 1}, BotModuleID: "abandoned-2"},
		},
		RestartCycle: cart.Delay{Days: 3},
	}
	if change != nil {
		change(&cfg)
	}
	got, err := w.svc.SaveCartConfig(context.Background(), cfg)
	must(t, err)
	if !got.Enabled {
		t.Fatalf("saved configuration is not enabled: %+v", got)
	}
}

// request sends one HTTP API request to the pixel handler.
func (w *world) request(t *testing.T, method, path, key, body string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	req := events.APIGatewayV2HTTPRequest{RawPath: path, Body: body, Headers: map[string]string{}}
	if p, q, ok := strings.Cut(path, "?"); ok {
		req.RawPath = p
		vals, err := url.ParseQuery(q)
		must(t, err)
		req.QueryStringParameters = map[string]string{}
		for k := range vals {
			req.QueryStringParameters[k] = vals.Get(k)
		}
	}
	req.RequestContext.HTTP.Method = method
	req.RequestContext.HTTP.Path = req.RawPath
	req.RequestContext.RequestID = "req-" + switchboard.NewID()
	if key != "" {
		req.Headers["X-Switchboard-Site-Key"] = key
	}
	resp, err := w.handler.Handle(context.Background(), req)
	must(t, err)
	return resp
}

// ok sends a request and fails the test unless it answers 200.
func (w *world) ok(t *testing.T, method, path, key, body string) string {
	t.Helper()
	resp := w.request(t, method, path, key, body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: status %d, body %s", method, path, resp.StatusCode, resp.Body)
	}
	return resp.Body
}

// tick moves the clock to at and plays what the schedule and the queue would
// have done by then: the dispatcher runs (the runs of the minutes in between
// found nothing due, so the cursor is moved up to a few minutes before at),
// and every timer visible on the queue is handed to the consumer. Tests arm
// nothing due within two minutes after at, since the emulator delays those
// in real time.
func (w *world) tick(t *testing.T, at time.Time) {
	t.Helper()
	ctx := context.Background()
	w.clock.Set(at)
	must(t, w.store.SetTimerCursor(ctx, at.Add(-5*time.Minute)))
	_, err := w.dispatcher.Run(ctx)
	must(t, err)
	for {
		out, err := w.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(w.queueURL), MaxNumberOfMessages: 10})
		must(t, err)
		if len(out.Messages) == 0 {
			return
		}
		ev := events.SQSEvent{}
		for _, m := range out.Messages {
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)})
		}
		resp, err := w.consumer.Handle(ctx, ev)
		must(t, err)
		if len(resp.BatchItemFailures) > 0 {
			t.Fatalf("the consumer failed %d timers", len(resp.BatchItemFailures))
		}
		for _, m := range out.Messages {
			_, err := w.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(w.queueURL), ReceiptHandle: m.ReceiptHandle})
			must(t, err)
		}
	}
}

// fire hands one timer straight to the consumer, as a late copy from the
// queue would arrive.
func (w *world) fire(t *testing.T, tm *switchboard.Timer) error {
	t.Helper()
	body, err := timerBody(tm)
	must(t, err)
	return w.consumer.HandleMessage(context.Background(), events.SQSMessage{MessageId: "copy", Body: body})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
