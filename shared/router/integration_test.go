package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/switchboard-chat/switchboard/shared/autotag"
	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/timer"
)

// flakyAPI is DynamoDB with a hook in front of TransactWriteItems, to make one
// event's commit fail on demand.
type flakyAPI struct {
	dynamo.API
	mu       sync.Mutex
	transact func(in *dynamodb.TransactWriteItemsInput) error
}

func (f *flakyAPI) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.mu.Lock()
	hook := f.transact
	f.mu.Unlock()
	if hook != nil {
		if err := hook(in); err != nil {
			return nil, err
		}
	}
	return f.API.TransactWriteItems(ctx, in, opts...)
}

// stack is the router wired to DynamoDB Local and the SQS emulator, with a
// fake sender that records what it delivered.
type stack struct {
	router  *Router
	store   *dynamo.Store
	api     *flakyAPI
	sqs     *sqs.Client
	inbound string
	bots    string
	counter *awsclient.RequestCounter

	mu        sync.Mutex
	delivered []switchboard.SendRequest
	send      func(req switchboard.SendRequest) (switchboard.SendResult, error)
}

func newStack(tb testing.TB, wrap func(*dynamo.Store) Store) *stack {
	tb.Helper()
	ctx := context.Background()
	cfg := awstest.Config(tb)
	counter := &awsclient.RequestCounter{}
	counter.Add(&cfg)
	ddb := awsclient.DynamoDB(cfg, awstest.Endpoint(tb, awstest.EnvDynamoDB))
	sq := awsclient.SQS(cfg, awstest.Endpoint(tb, awstest.EnvSQS))
	api := &flakyAPI{API: ddb}
	store := dynamo.New(api, awstest.Table(tb, ddb))
	if err := store.CreateTeam(ctx, &switchboard.Team{ID: team, Name: "team"}); err != nil {
		tb.Fatal(err)
	}
	for _, ch := range []*switchboard.Channel{lineCh, waCh, fbCh} {
		c := *ch
		if err := store.CreateChannel(ctx, &c); err != nil {
			tb.Fatal(err)
		}
	}
	inbound, _ := awstest.QueueWithDLQ(tb, sq, true, 5)
	s := &stack{store: store, api: api, sqs: sq, inbound: inbound, bots: awstest.Queue(tb, sq, true), counter: counter}
	s.send = func(req switchboard.SendRequest) (switchboard.SendResult, error) {
		return switchboard.SendResult{PlatformMessageIDs: []string{"p-" + req.IdempotencyKey}, Via: "reply"}, nil
	}
	sender := &fakeSender{fn: func(_ context.Context, req switchboard.SendRequest) (switchboard.SendResult, error) {
		s.mu.Lock()
		send := s.send
		s.mu.Unlock()
		res, err := send(req) // may panic, like a process that dies mid-send
		if err == nil {
			s.mu.Lock()
			s.delivered = append(s.delivered, req)
			s.mu.Unlock()
		}
		return res, err
	}}
	var st Store = store
	if wrap != nil {
		st = wrap(store)
	}
	rs := rules()
	rs.AutoTag = autotag.Config{Enabled: true, Tags: []autotag.Tag{{Name: "pricing", Keywords: []string{"price"}}}}
	s.router = New(Config{
		Store:     st,
		Directory: store,
		Rules: &fakeRules{
			getRuleSet:        func(context.Context, string) (*keyword.RuleSet, error) { return rs, nil },
			getAssignSettings: store.GetAssignSettings,
		},
		Senders: map[switchboard.ChannelKind]switchboard.Sender{
			switchboard.KindLINE: sender, switchboard.KindWhatsApp: sender, switchboard.KindMessenger: sender,
		},
		Bots: &BotQueue{Queue: s.bots, Publisher: queue.New(sq)},
	})
	counter.Reset()
	return s
}

func (s *stack) deliveredKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for _, r := range s.delivered {
		keys = append(keys, r.IdempotencyKey)
	}
	return keys
}

// now is an event time just before now, as a platform would stamp it.
func nowEvent(e *switchboard.InboundEvent) *switchboard.InboundEvent {
	e.OccurredAt = time.Now().UTC().Add(-time.Second).Truncate(time.Millisecond)
	return e
}

// publish puts events on the inbound queue the way ingest does.
func (s *stack) publish(t *testing.T, evs ...*switchboard.InboundEvent) {
	t.Helper()
	var vals []switchboard.InboundEvent
	for _, e := range evs {
		vals = append(vals, *e)
	}
	p := &queue.InboundPublisher{Queue: s.inbound, Publisher: queue.New(s.sqs)}
	if err := p.PublishInbound(context.Background(), vals); err != nil {
		t.Fatal(err)
	}
}

// poll receives one batch as Lambda's event source would and runs it.
func (s *stack) poll(t *testing.T, handle func(events.SQSEvent) events.SQSEventResponse) (received, failed []string) {
	t.Helper()
	out, err := s.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(s.inbound), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	var records []events.SQSMessage
	for _, m := range out.Messages {
		records = append(records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), Attributes: m.Attributes, ReceiptHandle: aws.ToString(m.ReceiptHandle)})
	}
	received, failed, _ = s.run(t, records, handle)
	return received, failed
}

// run hands records to the router and deletes from the queue those it did
// not report as failures. It returns the event ids handed over, those
// reported, and the reported records.
func (s *stack) run(t *testing.T, records []events.SQSMessage, handle func(events.SQSEvent) events.SQSEventResponse) (received, failed []string, failedRecords []events.SQSMessage) {
	t.Helper()
	if len(records) == 0 {
		return nil, nil, nil
	}
	ids := map[string]string{}
	for _, m := range records {
		e, err := queue.DecodeInbound(m)
		if err != nil {
			t.Fatal(err)
		}
		ids[m.MessageId] = e.ID
		received = append(received, e.ID)
	}
	resp := handle(events.SQSEvent{Records: records})
	bad := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		bad[f.ItemIdentifier] = true
		failed = append(failed, ids[f.ItemIdentifier])
	}
	for _, m := range records {
		if bad[m.MessageId] {
			failedRecords = append(failedRecords, m)
			continue
		}
		if _, err := s.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(s.inbound), ReceiptHandle: aws.String(m.ReceiptHandle)}); err != nil {
			t.Fatal(err)
		}
	}
	return received, failed, failedRecords
}

func (s *stack) handle(ev events.SQSEvent) events.SQSEventResponse {
	resp, _ := s.router.Handle(context.Background(), ev)
	return resp
}

func (s *stack) message(t *testing.T, conv, id string) *switchboard.Message {
	t.Helper()
	msgs, _, err := s.store.ListMessages(context.Background(), team, conv, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("message %s not stored", id)
	return nil
}

func TestIntegrationRedeliveryChangesNothing(t *testing.T) {
	s := newStack(t, nil)
	ctx := context.Background()
	e := nowEvent(textEvent(lineCh, "ev1", "price please"))
	if err := s.router.Route(ctx, e); err != nil {
		t.Fatal(err)
	}
	contact, conv, err := s.store.LoadInbound(ctx, team, convID(lineCh))
	if err != nil {
		t.Fatal(err)
	}
	counts, err := s.store.TriggerCounts(ctx, team)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _, _ := s.store.ListMessages(ctx, team, convID(lineCh), "", 100)

	// A late redelivery: the platform sent the same event again hours later,
	// after the queue's own deduplication window.
	again := *e
	again.Redelivery = true
	resp, _ := s.router.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{sqsMessage(t, &again, "m2")}})
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("redelivery reported %v", resp.BatchItemFailures)
	}
	contact2, conv2, err := s.store.LoadInbound(ctx, team, convID(lineCh))
	if err != nil {
		t.Fatal(err)
	}
	counts2, _ := s.store.TriggerCounts(ctx, team)
	msgs2, _, _ := s.store.ListMessages(ctx, team, convID(lineCh), "", 100)
	got := []any{len(s.deliveredKeys()), contact2.Version, conv2.Version, len(msgs2), fmt.Sprint(counts2), contact2.Tags["pricing"].Count}
	want := []any{1, contact.Version, conv.Version, len(msgs), fmt.Sprint(counts), 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sends, contact version, conversation version, messages, counts, tag count = %v, want %v", got, want)
	}
	if got, want := s.message(t, convID(lineCh), ReplyMessageID(e, 0)).Status, switchboard.DeliverySent; got != want {
		t.Errorf("reply status = %s, want %s", got, want)
	}
}

func TestIntegrationCrashBetweenCommitAndSend(t *testing.T) {
	s := newStack(t, nil)
	crashed := false
	s.send = func(req switchboard.SendRequest) (switchboard.SendResult, error) {
		if !crashed {
			crashed = true
			panic("process killed after the commit, before the send")
		}
		return switchboard.SendResult{PlatformMessageIDs: []string{"p-" + req.IdempotencyKey}}, nil
	}
	e := nowEvent(textEvent(lineCh, "ev1", "price"))
	s.publish(t, e)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the sender did not abort")
			}
		}()
		s.poll(t, s.handle)
	}()
	// The invocation died: nothing was deleted, the queue delivers again.
	received, failed := s.poll(t, s.handle)
	if !slices.Equal(received, []string{"ev1"}) || len(failed) != 0 {
		t.Fatalf("second delivery received %v, failed %v", received, failed)
	}
	if got, want := s.deliveredKeys(), []string{ReplyMessageID(e, 0)}; !slices.Equal(got, want) {
		t.Errorf("delivered %v, want exactly %v", got, want)
	}
	if got := s.message(t, convID(lineCh), ReplyMessageID(e, 0)).Status; got != switchboard.DeliverySent {
		t.Errorf("reply status = %s, want sent", got)
	}
	if received, _ := s.poll(t, s.handle); len(received) != 0 {
		t.Errorf("queue still holds %v", received)
	}
}

func TestIntegrationBatchInOrder(t *testing.T) {
	s := newStack(t, nil)
	e1 := nowEvent(textEvent(lineCh, "ev1", "price"))
	e2 := nowEvent(textEvent(lineCh, "ev2", "photo"))
	e2.OccurredAt = e1.OccurredAt.Add(time.Millisecond)
	s.publish(t, e1, e2)
	received, failed := s.poll(t, s.handle)
	if !slices.Equal(received, []string{"ev1", "ev2"}) || len(failed) != 0 {
		t.Fatalf("received %v, failed %v; want both in one batch, in order", received, failed)
	}
	if got, want := s.deliveredKeys(), []string{ReplyMessageID(e1, 0), ReplyMessageID(e2, 0)}; !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	// Only if ev1 was routed and its reply sent before ev2 was decided can
	// ev2 (the customer writing again on LINE) mark that reply read.
	if got, want := s.message(t, convID(lineCh), ReplyMessageID(e1, 0)).Status, switchboard.DeliveryRead; got != want {
		t.Errorf("first reply = %s, want %s", got, want)
	}
	_, conv, err := s.store.LoadInbound(context.Background(), team, convID(lineCh))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := conv.Unread[switchboard.PendingReader], 2; got != want {
		t.Errorf("unread = %d, want %d", got, want)
	}
}

func TestIntegrationFailedWriteRetriesTheRest(t *testing.T) {
	s := newStack(t, nil)
	// One customer writes three times: one message group, so one batch.
	var evs []*switchboard.InboundEvent
	for i, text := range []string{"price", "photo", "price again"} {
		e := nowEvent(textEvent(fbCh, "ev"+strconv.Itoa(i+1), text))
		e.OccurredAt = e.OccurredAt.Add(time.Duration(i) * time.Millisecond)
		evs = append(evs, e)
	}
	var failing atomic.Bool
	failing.Store(true)
	claim2 := dynamo.InboundClaim(fbCh.ID, "ev2")
	s.api.mu.Lock()
	s.api.transact = func(in *dynamodb.TransactWriteItemsInput) error {
		if put := in.TransactItems[0].Put; failing.Load() && put != nil {
			if pk, ok := put.Item["PK"].(*ddbtypes.AttributeValueMemberS); ok && strings.HasSuffix(pk.Value, claim2) {
				return errors.New("connection reset by peer")
			}
		}
		return nil
	}
	s.api.mu.Unlock()
	s.router.maxAttempts = 2
	s.publish(t, evs...)
	out, err := s.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(s.inbound), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	var records []events.SQSMessage
	for _, m := range out.Messages {
		records = append(records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), Attributes: m.Attributes, ReceiptHandle: aws.ToString(m.ReceiptHandle)})
	}
	received, failed, retry := s.run(t, records, s.handle)
	if !slices.Equal(received, []string{"ev1", "ev2", "ev3"}) || !slices.Equal(failed, []string{"ev2", "ev3"}) {
		t.Fatalf("received %v, failed %v; want ev2 and ev3 reported", received, failed)
	}
	if got, want := s.deliveredKeys(), []string{ReplyMessageID(evs[0], 0)}; !slices.Equal(got, want) {
		t.Errorf("delivered after the failure %v, want %v", got, want)
	}
	// SQS delivers the reported messages again, in order (the emulator's
	// zero visibility timeout reorders a group, which real FIFO queues never
	// do, so the retry hands the same records over as Lambda would).
	failing.Store(false)
	for i := range retry {
		retry[i].Attributes["ApproximateReceiveCount"] = "2"
	}
	received, failed, _ = s.run(t, retry, s.handle)
	if !slices.Equal(received, []string{"ev2", "ev3"}) || len(failed) != 0 {
		t.Fatalf("retry received %v, failed %v", received, failed)
	}
	want := []string{ReplyMessageID(evs[0], 0), ReplyMessageID(evs[1], 0), ReplyMessageID(evs[2], 0)}
	if got := s.deliveredKeys(); !slices.Equal(got, want) {
		t.Errorf("delivered %v, want each reply once: %v", got, want)
	}
	counts, err := s.store.TriggerCounts(context.Background(), team)
	if err != nil {
		t.Fatal(err)
	}
	var replies int64
	for _, c := range counts {
		if c.Kind == keyword.TriggerReply && c.Scope == dynamo.ScopeChannel {
			replies = c.Count
		}
	}
	if replies != 3 {
		t.Errorf("reply triggers counted = %d, want 3", replies)
	}
}

// racingStore lets an agent act on the conversation between the router's
// read and its commit, once.
type racingStore struct {
	*dynamo.Store
	once  sync.Once
	race  func()
	loads int
}

func (s *racingStore) LoadInbound(ctx context.Context, teamID, contactID string) (*switchboard.Contact, *switchboard.Conversation, error) {
	s.loads++
	return s.Store.LoadInbound(ctx, teamID, contactID)
}

func (s *racingStore) ApplyInbound(ctx context.Context, w *dynamo.InboundWrite) error {
	if s.race != nil {
		s.once.Do(s.race)
	}
	return s.Store.ApplyInbound(ctx, w)
}

func TestIntegrationVersionRace(t *testing.T) {
	var rs *racingStore
	s := newStack(t, func(st *dynamo.Store) Store { rs = &racingStore{Store: st}; return rs })
	ctx := context.Background()
	if err := s.router.Route(ctx, nowEvent(textEvent(fbCh, "ev1", "hello"))); err != nil {
		t.Fatal(err)
	}
	rs.race = func() {
		_, err := s.store.UpdateConversation(ctx, team, convID(fbCh), func(c *switchboard.Conversation) (*switchboard.Conversation, error) {
			return c, c.Follow(agentA, time.Now())
		})
		if err != nil {
			t.Error(err)
		}
	}
	rs.loads = 0
	if err := s.router.Route(ctx, nowEvent(textEvent(fbCh, "ev2", "price"))); err != nil {
		t.Fatal(err)
	}
	_, conv, err := s.store.LoadInbound(ctx, team, convID(fbCh))
	if err != nil {
		t.Fatal(err)
	}
	got := []any{rs.loads, conv.Status, conv.FollowerID, conv.Unread["agentA"], conv.Version, len(s.deliveredKeys())}
	// Decided again on the followed conversation: both messages are the
	// agent's to read, and in progress takes no auto-reply.
	want := []any{2, switchboard.StatusInProgress, "agentA", 2, int64(3), 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("reads, status, follower, unread, version, replies = %v, want %v", got, want)
	}
	// The status record, as stored, has the agent's follow once and nothing
	// of the decision that lost the race.
	var kinds []switchboard.HistoryKind
	for _, e := range conv.History {
		kinds = append(kinds, e.Kind)
	}
	if want := []switchboard.HistoryKind{switchboard.HistoryOpened, switchboard.HistoryFollowed}; !slices.Equal(kinds, want) || conv.History[1].ActorID != "agentA" {
		t.Errorf("history = %+v, want %v by agentA", conv.History, want)
	}
}

func TestIntegrationBotRequestReachesBotQueue(t *testing.T) {
	s := newStack(t, nil)
	ctx := context.Background()
	e := nowEvent(textEvent(lineCh, "ev1", "menu"))
	if err := s.router.Route(ctx, e); err != nil {
		t.Fatal(err)
	}
	out, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(s.bots), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("bot queue holds %d messages, want 1", len(out.Messages))
	}
	var req switchboard.BotRequest
	if err := json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &req); err != nil {
		t.Fatal(err)
	}
	got := []any{req.ID, req.Trigger, req.BotID, req.ModuleID, req.ConversationID, req.Event.ID, out.Messages[0].Attributes["MessageGroupId"]}
	want := []any{BotRequestID(e), switchboard.TriggerKeyword, "b1", "m1", convID(lineCh), "ev1", e.GroupID()}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bot request = %v, want %v", got, want)
	}
}

func TestIntegrationDeliveryStatus(t *testing.T) {
	s := newStack(t, nil)
	ctx := context.Background()
	e := nowEvent(textEvent(waCh, "ev1", "price"))
	if err := s.router.Route(ctx, e); err != nil {
		t.Fatal(err)
	}
	reply := ReplyMessageID(e, 0)
	for _, st := range []switchboard.DeliveryStatus{switchboard.DeliveryRead, switchboard.DeliveryReceived} {
		se := nowEvent(typedEvent(waCh, "st-"+string(st), switchboard.InStatus))
		se.Status = &switchboard.StatusUpdate{Status: st, MessageIDs: []string{"p-" + reply}}
		if err := s.router.Route(ctx, se); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := s.message(t, convID(waCh), reply).Status, switchboard.DeliveryRead; got != want {
		t.Errorf("status after read then a late delivery = %s, want %s", got, want)
	}
}

// BenchmarkRouterKeywordReply counts the AWS requests of routing one inbound
// text message that a keyword rule answers, warm (configuration cached), in a
// conversation that already had a reply: target at most 6. On LINE the
// customer's message also marks the previous reply read (one Query more).
func BenchmarkRouterKeywordReply(b *testing.B) {
	if os.Getenv(awstest.EnvDynamoDB) == "" && os.Getenv(awstest.EnvRequireEmulator) == "" {
		b.Skip("run through make bench: needs the emulators")
	}
	for _, ch := range []*switchboard.Channel{lineCh, fbCh} {
		b.Run(string(ch.Kind), func(b *testing.B) {
			s := newStack(b, nil)
			ctx := context.Background()
			if err := s.router.Route(ctx, nowEvent(textEvent(ch, "warm", "price"))); err != nil {
				b.Fatal(err)
			}
			s.counter.Reset()
			for i := 0; b.Loop(); i++ {
				if err := s.router.Route(ctx, nowEvent(textEvent(ch, fmt.Sprintf("bench-%d", i), "price?"))); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(s.counter.Total())/float64(b.N), "aws-req/message")
			per := map[string]float64{}
			for k, v := range s.counter.Snapshot() {
				per[k] = float64(v) / float64(b.N)
			}
			b.Logf("per message: %v", per)
		})
	}
}

// BenchmarkRouterDecide is the CPU of deciding one keyword-answered message in
// memory (rules, auto-tag, detection, state machine), with fakes, over a team
// with 60 reply rules and 60 auto-tags, one of which the message triggers.
func BenchmarkRouterDecide(b *testing.B) {
	w := newWorld()
	w.rules = rules()
	for i := range 54 {
		w.rules.Replies = append(w.rules.Replies, keyword.Rule{
			ID: fmt.Sprint("x", i), GroupID: "g1", ChannelIDs: channelIDs(), CreatedAt: t0.Add(time.Duration(i) * time.Second),
			Condition: keyword.Condition{Mode: keyword.ContainsAny, Keywords: []string{fmt.Sprint("keyword", i), fmt.Sprint("關鍵字", i)}},
			Reply:     keyword.Reply{Kind: keyword.ReplyText, Text: "answer"},
		})
	}
	w.rules.AutoTag.Enabled = true
	for i := range 60 {
		w.rules.AutoTag.Tags = append(w.rules.AutoTag.Tags, autotag.Tag{Name: fmt.Sprint("tag-", i), Keywords: []string{fmt.Sprint("word", i), fmt.Sprint("詞", i)}})
	}
	w.rules.AutoTag.Tags[7].Keywords[1] = "price"
	r := w.router(b, t0)
	contact := existingContact(fbCh)
	conv := conversation(fbCh, switchboard.StatusPending, switchboard.PendingBot, "")
	e := textEvent(fbCh, "ev1", "Hi, what is the price of the blue one? Call me at 0912-345-678.")
	ctx := context.Background()
	rs, err := r.rules.Get(ctx, team)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p, err := r.decide(ctx, e, fbCh, rs, contact, conv)
		if err != nil || len(p.outbox) != 1 {
			b.Fatalf("decide: %v, %d replies", err, len(p.outbox))
		}
	}
}

// TestAutoEndIntegration runs an auto-end timer through the timer service's
// forwarder, inbound.fifo and the router against DynamoDB Local: the silent
// conversation is closed with the survey sent, and a second copy of the same
// firing changes nothing.
func TestAutoEndIntegration(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, nil)
	setting := switchboard.AutoEnd{Enabled: true, After: 30 * time.Minute, Survey: switchboard.SurveyAutomatic, SurveyText: "How did we do?"}
	if err := s.store.PutAssignSettings(ctx, team, &switchboard.AssignSettings{AutoEnd: setting}); err != nil {
		t.Fatal(err)
	}
	if err := s.router.Route(ctx, nowEvent(textEvent(fbCh, "ae-1", "hello"))); err != nil {
		t.Fatal(err)
	}
	id := convID(fbCh)
	staff := time.Now().UTC()
	if _, err := s.store.UpdateConversation(ctx, team, id, func(c *switchboard.Conversation) (*switchboard.Conversation, error) {
		c.Status, c.PendingKind, c.FollowerID = switchboard.StatusInProgress, "", "M1"
		c.LastStaffAt, c.LastOutboundAt = staff, staff
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	tm, err := timer.Conversation(switchboard.TimerAutoEnd, team, switchboard.AutoEndTimerID(id), switchboard.AutoEndGeneration(staff),
		staff.Add(setting.After), switchboard.ConversationTimer{ChannelID: fbCh.ID, ChannelKind: fbCh.Kind, CustomerID: "U1", ConversationID: id})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	if err := timer.Forward(queue.New(s.sqs), s.inbound, nil)(ctx, tm); err != nil {
		t.Fatal(err)
	}
	out, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(s.inbound), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range out.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
	}
	if got, want := len(bodies), 1; got != want {
		t.Fatalf("timer events on inbound.fifo = %d, want %d", got, want)
	}
	// The same firing twice, as a redelivery after the queue's
	// deduplication window would hand it over.
	for i := range 2 {
		res, err := s.router.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{{
			MessageId: "q" + strconv.Itoa(i), Body: bodies[0], Attributes: map[string]string{"ApproximateReceiveCount": "1"},
		}}})
		if err != nil || len(res.BatchItemFailures) != 0 {
			t.Fatalf("delivery %d: err %v, failures %v", i+1, err, res.BatchItemFailures)
		}
	}
	conv, err := s.store.GetConversation(ctx, team, id)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := conv.Status, switchboard.StatusClosed; got != want {
		t.Errorf("status = %q, want %q", got, want)
	}
	if got, want := conv.FollowerID, "M1"; got != want {
		t.Errorf("follower = %q, want %q kept", got, want)
	}
	if got, want := len(s.deliveredKeys()), 1; got != want {
		t.Fatalf("surveys sent = %d, want %d", got, want)
	}
	msgs, _, err := s.store.ListMessages(ctx, team, id, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var surveys []*switchboard.Message
	for _, m := range msgs {
		if m.Direction == switchboard.Outbound {
			surveys = append(surveys, m)
		}
	}
	if len(surveys) != 1 || surveys[0].Text != setting.SurveyText || surveys[0].Status != switchboard.DeliverySent {
		t.Errorf("outbound messages = %+v, want the survey, sent", surveys)
	}
	s.mu.Lock()
	purpose := s.delivered[0].Purpose
	s.mu.Unlock()
	if got, want := purpose, switchboard.PurposeSystem; got != want {
		t.Errorf("survey purpose = %q, want %q", got, want)
	}
}

// TestIntegrationStaleAssignee deactivates the member a sequential rule would
// pick next while the router's member cache still has them active: the
// write's check refuses them, the router reads the members again and assigns
// the conversation to someone who can take it.
func TestIntegrationStaleAssignee(t *testing.T) {
	s := newStack(t, nil)
	ctx := context.Background()
	for _, m := range []*switchboard.Member{agentA, agentB} {
		c := *m
		if err := s.store.CreateMember(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	first := nowEvent(textEvent(lineCh, "ev-stale-1", "buy"))
	if err := s.router.Route(ctx, first); err != nil {
		t.Fatal(err)
	}
	// The cache now holds both, active; agentB is next in the rotation.
	if _, err := s.store.UpdateMember(ctx, team, "agentB", func(m *switchboard.Member) (*switchboard.Member, error) {
		m.Active = false
		return m, nil
	}); err != nil {
		t.Fatal(err)
	}
	second := nowEvent(textEvent(lineCh, "ev-stale-2", "buy"))
	second.CustomerID = "U2"
	if err := s.router.Route(ctx, second); err != nil {
		t.Fatal(err)
	}
	followers := map[string]string{}
	for _, user := range []string{"U1", "U2"} {
		_, conv, err := s.store.LoadInbound(ctx, team, dynamo.ContactID(team, lineCh.ID, user))
		if err != nil {
			t.Fatal(err)
		}
		followers[user] = conv.FollowerID
	}
	if want := map[string]string{"U1": "agentA", "U2": "agentA"}; !maps.Equal(followers, want) {
		t.Errorf("followers = %v, want %v: the deactivated agentB must not be assigned", followers, want)
	}
}
