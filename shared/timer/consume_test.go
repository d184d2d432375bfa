package timer_test

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/timer"
)

// fakeClaims is an in-memory Claimer: a key can be claimed once.
type fakeClaims struct {
	mu   sync.Mutex
	keys map[string]bool
}

func (f *fakeClaims) Claim(_ context.Context, key string, _ time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys == nil {
		f.keys = map[string]bool{}
	}
	if f.keys[key] {
		return false, nil
	}
	f.keys[key] = true
	return true, nil
}

func message(t *testing.T, id string, tm *switchboard.Timer) events.SQSMessage {
	t.Helper()
	b, err := json.Marshal(tm)
	if err != nil {
		t.Fatal(err)
	}
	return events.SQSMessage{MessageId: id, Body: string(b)}
}

func TestConsumerDispatchesByKind(t *testing.T) {
	now := at("06:00:00")
	var handled []string
	handler := func(name string, err error) timer.HandlerFunc {
		return func(_ context.Context, tm *switchboard.Timer) error {
			handled = append(handled, name+":"+tm.ID)
			return err
		}
	}
	c := timer.NewConsumer(timer.ConsumerConfig{Claims: &fakeClaims{}, Clock: func() time.Time { return now }})
	c.Register(switchboard.TimerCartReminder, handler("cart", nil))
	c.Register(switchboard.TimerPaymentReminder, handler("pay", switchboard.Errorf(switchboard.EUnavailable, "platform down")))
	c.Register(switchboard.TimerAutoEnd, handler("end", switchboard.Errorf(switchboard.EInvalid, "bad payload")))
	due := now.Add(-time.Second)
	mk := func(id string, kind switchboard.TimerKind, gen int64, dueAt time.Time) *switchboard.Timer {
		return &switchboard.Timer{ID: id, TeamID: "t1", Kind: kind, DueAt: dueAt, Generation: gen}
	}
	ev := events.SQSEvent{Records: []events.SQSMessage{
		message(t, "m1", mk("c1", switchboard.TimerCartReminder, 1, due)),
		message(t, "m2", mk("p1", switchboard.TimerPaymentReminder, 1, due)),                 // retried
		message(t, "m3", mk("e1", switchboard.TimerAutoEnd, 1, due)),                         // dropped
		message(t, "m4", mk("b1", switchboard.TimerBroadcastStart, 1, due)),                  // no handler: retried
		{MessageId: "m5", Body: `{"id":`},                                                    // not a timer: dropped
		message(t, "m6", mk("c1", switchboard.TimerCartReminder, 1, due)),                    // a copy: claimed already
		message(t, "m7", mk("c1", switchboard.TimerCartReminder, 2, due)),                    // next generation: a new firing
		message(t, "m8", mk("c2", switchboard.TimerCartReminder, 1, now.Add(time.Minute))),   // early: retried
		message(t, "m9", mk("c3", switchboard.TimerCartReminder, 1, now.Add(3*time.Second))), // within tolerance
	}}
	resp, err := c.Handle(context.Background(), ev)
	must(t, err)
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if want := []string{"m2", "m4", "m8"}; !reflect.DeepEqual(failed, want) {
		t.Errorf("failures reported = %v, want %v", failed, want)
	}
	if want := []string{"cart:c1", "pay:p1", "end:e1", "cart:c1", "cart:c3"}; !reflect.DeepEqual(handled, want) {
		t.Errorf("handled = %v, want %v", handled, want)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		body string
		code string
	}{
		{"valid", `{"id":"x","teamId":"t","kind":"auto_end","dueAt":"2026-03-02T06:00:00Z","generation":2}`, ""},
		{"not JSON", `nope`, switchboard.EInvalid},
		{"unknown kind", `{"id":"x","teamId":"t","kind":"later","dueAt":"2026-03-02T06:00:00Z"}`, switchboard.EInvalid},
		{"no due time", `{"id":"x","teamId":"t","kind":"auto_end"}`, switchboard.EInvalid},
		{"payload not an object", `{"id":"x","teamId":"t","kind":"auto_end","dueAt":"2026-03-02T06:00:00Z","payload":1}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := timer.Decode(tt.body)
			if got := switchboard.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"id":"x","teamId":"t","kind":"auto_end","dueAt":"2026-03-02T06:00:00Z","generation":2,"payload":{"a":1}}`)
	f.Add(`{"id":"","kind":"cart_reminder"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		tm, err := timer.Decode(body)
		if err != nil {
			if c := switchboard.ErrorCode(err); c != switchboard.EInvalid && c != switchboard.ETooLarge {
				t.Fatalf("error code %q, want invalid or too_large", c)
			}
			return
		}
		if tm.ID == "" || tm.TeamID == "" || !tm.Kind.Valid() || tm.DueAt.IsZero() {
			t.Fatalf("decoded an incomplete timer: %+v", tm)
		}
	})
}

// sendRecorder is a queue that remembers what it was asked to send.
type sendRecorder struct {
	url  string
	msgs []queue.Message
}

func (r *sendRecorder) Send(_ context.Context, url string, msgs []queue.Message) error {
	r.url = url
	r.msgs = append(r.msgs, msgs...)
	return nil
}

// TestForwardReentersTheConversation: a conversation's timer goes to its FIFO
// queue under the group of the conversation's inbound events, and decodes as
// an inbound event of type timer.
func TestForwardReentersTheConversation(t *testing.T) {
	now := at("06:00:05")
	tm, err := timer.Conversation(switchboard.TimerAutoEnd, "t1", "autoend/cv1", 7, at("06:00:00"), switchboard.ConversationTimer{
		ChannelID: "ch1", ChannelKind: switchboard.KindLINE, CustomerID: "U1", ConversationID: "cv1", Data: json.RawMessage(`{"version":3}`),
	})
	must(t, err)
	rec := &sendRecorder{}
	fwd := timer.Forward(rec, "https://sqs.example/inbound.fifo", func() time.Time { return now })
	must(t, fwd(context.Background(), tm))
	must(t, fwd(context.Background(), tm))
	if len(rec.msgs) != 2 || rec.url != "https://sqs.example/inbound.fifo" {
		t.Fatalf("sent %d messages to %q, want 2 to inbound.fifo", len(rec.msgs), rec.url)
	}
	inbound := switchboard.InboundEvent{TeamID: "t1", ChannelID: "ch1", CustomerID: "U1"}
	m := rec.msgs[0]
	if m.GroupID != inbound.GroupID() {
		t.Errorf("group = %q, want the conversation's %q", m.GroupID, inbound.GroupID())
	}
	if m.DedupID == "" || m.DedupID != rec.msgs[1].DedupID {
		t.Errorf("dedup ids %q and %q: want one stable id per firing", m.DedupID, rec.msgs[1].DedupID)
	}
	ev, err := queue.DecodeInbound(events.SQSMessage{MessageId: "m", Body: m.Body})
	must(t, err)
	if ev.Type != switchboard.InTimer || ev.CustomerID != "U1" || ev.ChannelKind != switchboard.KindLINE {
		t.Errorf("as an inbound event: %+v", ev)
	}
	var te switchboard.TimerEvent
	must(t, json.Unmarshal([]byte(m.Body), &te))
	want := switchboard.FiredTimer{ID: "autoend/cv1", Kind: switchboard.TimerAutoEnd, Generation: 7, DueAt: at("06:00:00"), ConversationID: "cv1", Data: json.RawMessage(`{"version":3}`)}
	if !reflect.DeepEqual(te.Timer, want) || !te.OccurredAt.Equal(now) {
		t.Errorf("timer part = %+v at %v, want %+v at %v", te.Timer, te.OccurredAt, want, now)
	}

	// The next generation is another firing.
	tm2 := *tm
	tm2.Generation = 8
	must(t, fwd(context.Background(), &tm2))
	if rec.msgs[2].DedupID == m.DedupID {
		t.Error("a new generation kept the dedup id of the old one")
	}

	tests := []struct {
		name string
		url  string
		tm   *switchboard.Timer
		code string
	}{
		{"standard queue", "https://sqs.example/timers", tm, switchboard.EInternal},
		{"payload without a conversation", "https://sqs.example/bot.fifo", &switchboard.Timer{ID: "x", TeamID: "t1", Kind: switchboard.TimerBotDelay, DueAt: now, Payload: json.RawMessage(`{}`)}, switchboard.EInvalid},
		{"payload not an object", "https://sqs.example/bot.fifo", &switchboard.Timer{ID: "x", TeamID: "t1", Kind: switchboard.TimerBotDelay, DueAt: now, Payload: json.RawMessage(`[1]`)}, switchboard.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := timer.Forward(&sendRecorder{}, tt.url, nil)(context.Background(), tt.tm)
			if got := switchboard.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
			}
		})
	}
	if _, err := timer.Conversation(switchboard.TimerBotDelay, "t1", "x", 1, now, switchboard.ConversationTimer{ChannelID: "ch1"}); switchboard.ErrorCode(err) != switchboard.EInvalid {
		t.Errorf("a conversation timer without a customer: %v, want EInvalid", err)
	}
}
