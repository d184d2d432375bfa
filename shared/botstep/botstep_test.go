package botstep

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/queue"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestKeywordStep(t *testing.T) {
	w := newWorld(t, sb.KindLINE)
	if err := w.handle(keyword("req1", "menu"), 1); err != nil {
		t.Fatal(err)
	}
	if len(w.sent) != 1 {
		t.Fatalf("%d sends, want 1", len(w.sent))
	}
	s := w.sent[0]
	if s.To.ReplyToken != "rt-req1" || s.To.PlatformUserID != user || s.Purpose != sb.PurposeResponse || s.IdempotencyKey != "req1/0" {
		t.Errorf("send = %+v, want the reply token, the customer, a response and key req1/0", s)
	}
	if got := s.Messages[0]; got.Text != "Hi Mei!" || len(got.Buttons) != 1 || got.Buttons[0].Payload != "bot:B1:menu:0" {
		t.Errorf("message = %+v", got)
	}
	if len(w.commits) != 1 {
		t.Fatalf("%d commits, want 1", len(w.commits))
	}
	c := w.commits[0]
	if c.RequestID != "req1" || c.Session.Waiting != bot.WaitButtons || c.Session.Version != 0 || len(c.Messages) != 1 || c.Outbox == nil {
		t.Errorf("commit = %+v, session %+v", c, c.Session)
	}
	if c.Contact != nil {
		t.Errorf("the contact was written without a change")
	}
	if c.Conversation == nil || !c.Conversation.LastOutboundAt.Equal(now) {
		t.Errorf("conversation = %+v, want the bot's message recorded", c.Conversation)
	}
	for id, st := range w.status {
		if st != sb.DeliverySent {
			t.Errorf("message %s is %s, want sent", id, st)
		}
	}
	m := c.Messages[0]
	if m.Direction != sb.Outbound || m.Kind != sb.MsgText || m.Text != "Hi Mei!" || m.ContactID != contact || m.ID != c.Outbox.MessageIDs[0] {
		t.Errorf("stored message = %+v", m)
	}
}

func TestMessagesGoInSendsOfFive(t *testing.T) {
	w := newWorld(t, sb.KindLINE)
	if err := w.handle(keyword("req2", "many"), 1); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"part 1", "part 2", "part 3", "part 4", "part 5"}, {"part 6", "part 7"}}
	if got := w.sentTexts(); !reflect.DeepEqual(got, want) {
		t.Fatalf("sends = %q, want %q", got, want)
	}
	if w.sent[0].To.ReplyToken != "rt-req2" || w.sent[1].To.ReplyToken != "" {
		t.Errorf("reply tokens = %q, %q; want the first send only", w.sent[0].To.ReplyToken, w.sent[1].To.ReplyToken)
	}
	if w.sent[0].IdempotencyKey != "req2/0" || w.sent[1].IdempotencyKey != "req2/1" {
		t.Errorf("keys = %q, %q", w.sent[0].IdempotencyKey, w.sent[1].IdempotencyKey)
	}
}

func TestButtonTapTagsTheContact(t *testing.T) {
	w := newWorld(t, sb.KindMessenger)
	if err := w.handle(postback("req3", "bot:B1:menu:0"), 1); err != nil {
		t.Fatal(err)
	}
	if got := w.sentTexts(); !reflect.DeepEqual(got, [][]string{{"Welcome to VIP."}}) {
		t.Errorf("sends = %q", got)
	}
	c := w.commits[0]
	if c.Contact == nil || c.Contact.Tags["vip"].Count != 1 || c.Contact.Version != 3 {
		t.Fatalf("contact = %+v, want tagged at the version read", c.Contact)
	}
	if len(c.TagLogs) != 1 || c.TagLogs[0].Tag != "vip" || c.TagLogs[0].Source != bot.TagByBot || c.TagLogs[0].ChannelID != chanID {
		t.Errorf("tag logs = %+v", c.TagLogs)
	}
}

func TestStalePostbackGetsFallback(t *testing.T) {
	for _, payload := range []string{"bot:B9:menu:0", "bot:B1:gone:0", "bot:B1:menu:5", "SOMETHING_ELSE"} {
		t.Run(payload, func(t *testing.T) {
			w := newWorld(t, sb.KindLINE)
			if err := w.handle(postback("req4", payload), 1); err != nil {
				t.Fatal(err)
			}
			if got := w.sentTexts(); !reflect.DeepEqual(got, [][]string{{bot.DefaultFallbackText}}) {
				t.Errorf("sends = %q, want the fallback", got)
			}
		})
	}
}

func TestUserInputReply(t *testing.T) {
	w := newWorld(t, sb.KindWhatsApp)
	if err := w.handle(keyword("req5", "ask"), 1); err != nil {
		t.Fatal(err)
	}
	if w.session.Waiting != bot.WaitInput {
		t.Fatalf("session = %+v, want waiting for input", w.session)
	}
	// The router reads this to send the next message to the bot.
	if got, want := w.conv.BotInputUntil, now.Add(bot.DefaultInputWindow); !got.Equal(want) {
		t.Errorf("conversation BotInputUntil = %v, want %v", got, want)
	}
	w.clock = now.Add(10 * time.Minute)
	r := request("req6", TriggerMessage, sb.InboundEvent{OccurredAt: w.clock, Message: &sb.InboundMessage{Kind: sb.MsgText, Text: "mei@example.com"}})
	if err := w.handle(r, 1); err != nil {
		t.Fatal(err)
	}
	if got := w.contact.Attributes["work_email"]; got.Value != "mei@example.com" || got.Type != sb.AttrText {
		t.Errorf("work_email = %+v", got)
	}
	if got := w.sentTexts(); !reflect.DeepEqual(got, [][]string{{"Your e-mail?"}, {"Welcome to VIP."}}) {
		t.Errorf("sends = %q", got)
	}
	if got := w.conv.BotInputUntil; !got.IsZero() {
		t.Errorf("conversation BotInputUntil after the answer = %v, want zero", got)
	}
	// A quick-reply request that carries only the text reads the same way.
	w.session.Waiting = bot.WaitNone
	before := len(w.commits)
	r = request("req7", sb.TriggerQuickReply, sb.InboundEvent{Message: &sb.InboundMessage{Kind: sb.MsgText, Text: "hello"}})
	if err := w.handle(r, 1); err != nil {
		t.Fatal(err)
	}
	if len(w.commits) != before {
		t.Errorf("a reply nothing waited for was committed")
	}
}

func TestDelayArmsATimerThatResumes(t *testing.T) {
	w := newWorld(t, sb.KindLINE)
	if err := w.handle(keyword("req8", "remind"), 1); err != nil {
		t.Fatal(err)
	}
	tm := w.commits[0].Timer
	if tm == nil {
		t.Fatal("no timer armed")
	}
	seq := w.session.Delay.Seq
	if tm.Kind != sb.TimerBotDelay || tm.TeamID != team || !tm.DueAt.Equal(now.Add(15*time.Minute)) || tm.Generation != seq {
		t.Errorf("timer = %+v, want a bot delay due in 15 minutes at generation %d", tm, seq)
	}
	if err := tm.Validate(); err != nil {
		t.Fatal(err)
	}
	var ct sb.ConversationTimer
	if err := json.Unmarshal(tm.Payload, &ct); err != nil || ct.ChannelID != chanID || ct.CustomerID != user || ct.ConversationID != contact {
		t.Fatalf("payload = %s (%v)", tm.Payload, err)
	}
	// The timer service fires it into bot.fifo as a TimerEvent.
	w.clock = now.Add(15 * time.Minute)
	ev, err := sb.NewTimerEvent(tm, ct, w.clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.handle(ev, 1); err != nil {
		t.Fatal(err)
	}
	if got := w.sentTexts(); !reflect.DeepEqual(got, [][]string{{"Later then."}, {"Welcome to VIP."}}) {
		t.Fatalf("sends = %q", got)
	}
	if w.sent[1].To.ReplyToken != "" || !strings.HasPrefix(w.sent[1].IdempotencyKey, "timer_") {
		t.Errorf("delayed send = %+v, want a push keyed by the firing", w.sent[1].To)
	}
	if w.session.Delay != nil {
		t.Errorf("delay still pending after it fired")
	}
	// The same firing again finds its claim: nothing is sent twice.
	if err := w.handle(ev, 2); err != nil {
		t.Fatal(err)
	}
	if len(w.sent) != 2 {
		t.Errorf("%d sends after a redelivered firing, want 2", len(w.sent))
	}
	// A timer of a replaced delay finds nothing to do.
	stale := *ev
	stale.ID = "other-firing"
	if err := w.handle(&stale, 1); err != nil {
		t.Fatal(err)
	}
	if len(w.sent) != 2 {
		t.Errorf("a stale timer sent something")
	}
}

func TestLiveAgentHandsTheConversationToAPerson(t *testing.T) {
	w := newWorld(t, sb.KindMessenger)
	if err := w.handle(keyword("req9", "human"), 1); err != nil {
		t.Fatal(err)
	}
	if w.conv.PendingKind != sb.PendingHuman || w.conv.Version != 6 {
		t.Errorf("conversation = %+v, want pending human", w.conv)
	}
	if got := w.sentTexts(); !reflect.DeepEqual(got, [][]string{{"A colleague will answer."}}) {
		t.Errorf("sends = %q", got)
	}
}

func TestEntryPoints(t *testing.T) {
	follow := request("req10", sb.TriggerFollow, sb.InboundEvent{Type: sb.InFollow, ReplyToken: "rt"})
	ref := request("req11", sb.TriggerReferral, sb.InboundEvent{Type: sb.InReferral, Referral: &sb.Referral{Ref: "summer"}})
	getStarted := request("req12", sb.TriggerReferral, sb.InboundEvent{Type: sb.InPostback, Postback: &sb.Postback{Payload: "bot:B1:vip", Referral: &sb.Referral{Ref: "unknown"}}})
	tests := []struct {
		name    string
		req     sb.BotRequest
		entries map[string]bot.Entry
		want    [][]string
	}{
		{"follow runs the welcome", follow, map[string]bot.Entry{bot.WelcomeEntry(chanID): {BotID: "B1", ModuleID: "vip"}}, [][]string{{"Welcome to VIP."}}},
		{"follow without a welcome", follow, nil, nil},
		{"referral runs its module", ref, map[string]bot.Entry{bot.RefEntry("summer"): {BotID: "B1", ModuleID: "menu"}}, [][]string{{"Hi Mei!"}}},
		{"unknown referral", ref, nil, nil},
		{"unknown referral with a payload", getStarted, nil, [][]string{{"Welcome to VIP."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, sb.KindMessenger)
			for k, v := range tt.entries {
				w.entries[k] = v
			}
			if err := w.handle(tt.req, 1); err != nil {
				t.Fatal(err)
			}
			if got := w.sentTexts(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sends = %q, want %q", got, tt.want)
			}
			if tt.want == nil && len(w.commits) != 0 {
				t.Errorf("%d commits, want none", len(w.commits))
			}
		})
	}
}

func TestRedeliveryFinishesWithoutDecidingAgain(t *testing.T) {
	w := newWorld(t, sb.KindLINE)
	w.sendErr = func(req sb.SendRequest) error {
		if req.IdempotencyKey == "req13/1" {
			return sb.Errorf(sb.EUnavailable, "LINE is down")
		}
		return nil
	}
	err := w.handle(keyword("req13", "many"), 1)
	if queue.Disposition(err) != queue.Retry {
		t.Fatalf("err = %v, want a retry", err)
	}
	loads := w.loads
	w.sendErr = nil
	if err := w.handle(keyword("req13", "many"), 2); err != nil {
		t.Fatal(err)
	}
	if w.loads != loads {
		t.Errorf("the redelivery read the state again (%d loads, was %d): it decided the step twice", w.loads, loads)
	}
	want := [][]string{{"part 1", "part 2", "part 3", "part 4", "part 5"}, {"part 6", "part 7"}}
	if got := w.sentTexts(); !reflect.DeepEqual(got, want) {
		t.Errorf("sends = %q, want the second send once, after the first", got)
	}
	if len(w.commits) != 1 {
		t.Errorf("%d commits, want 1", len(w.commits))
	}
	// A third delivery has nothing left to send.
	if err := w.handle(keyword("req13", "many"), 3); err != nil || len(w.sent) != 2 {
		t.Errorf("third delivery: %v, %d sends", err, len(w.sent))
	}
}

func TestCommitFoundClaimedSendsWhatIsLeft(t *testing.T) {
	w := newWorld(t, sb.KindLINE)
	if err := w.handle(keyword("req14", "menu"), 1); err != nil {
		t.Fatal(err)
	}
	// A first delivery whose commit races another run of the same request.
	w.status[w.commits[0].Outbox.MessageIDs[0]] = sb.DeliverySending
	if err := w.handle(keyword("req14", "menu"), 1); err != nil {
		t.Fatal(err)
	}
	if len(w.sent) != 2 || w.sent[1].IdempotencyKey != "req14/0" {
		t.Errorf("sends = %d, want the sending message sent again with the same key", len(w.sent))
	}
}

func TestSendFailures(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		receives   int
		wantRetry  bool
		wantStatus sb.DeliveryStatus
	}{
		{"passing failure is retried", sb.Errorf(sb.ERateLimited, "slow down"), 1, true, sb.DeliverySending},
		{"passing failure at the last attempt is recorded", sb.Errorf(sb.EUnavailable, "down"), DefaultSendAttempts, false, sb.DeliveryFailed},
		{"a closed window is recorded", sb.Errorf(sb.EForbidden, "outside 24 hours"), 1, false, sb.DeliveryFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, sb.KindMessenger)
			w.sendErr = func(sb.SendRequest) error { return tt.err }
			if tt.receives > 1 {
				w.store.getBotOutbox = func(context.Context, string, string, string) (*dynamo.BotOutboxState, error) {
					return &dynamo.BotOutboxState{}, nil
				}
			}
			err := w.handle(keyword("req15", "menu"), tt.receives)
			if got := queue.Disposition(err) == queue.Retry; got != tt.wantRetry {
				t.Errorf("err = %v, retry %t, want %t", err, got, tt.wantRetry)
			}
			for id, st := range w.status {
				if st != tt.wantStatus {
					t.Errorf("message %s is %s, want %s", id, st, tt.wantStatus)
				}
				if st == sb.DeliveryFailed && w.reasons[id] == "" {
					t.Errorf("failed without a reason")
				}
			}
		})
	}
}

func TestLostRaceDecidesAgain(t *testing.T) {
	w := newWorld(t, sb.KindLINE)
	commit := w.store.commitBotStep
	races := 1
	w.store.commitBotStep = func(ctx context.Context, bw *dynamo.BotStepWrite) error {
		if races > 0 {
			races--
			return sb.Errorf(sb.EConflict, "the router wrote the contact")
		}
		return commit(ctx, bw)
	}
	if err := w.handle(keyword("req16", "menu"), 1); err != nil {
		t.Fatal(err)
	}
	if w.loads != 2 || len(w.sent) != 1 {
		t.Errorf("%d loads, %d sends; want 2 and 1", w.loads, len(w.sent))
	}
}

func TestBlockedOrMissingContact(t *testing.T) {
	w := newWorld(t, sb.KindLINE)
	w.contact.Blocked = true
	if err := w.handle(keyword("req17", "menu"), 1); err != nil || len(w.sent) != 0 {
		t.Errorf("blocked: %v, %d sends", err, len(w.sent))
	}
	w.contact = nil
	if err := w.handle(keyword("req18", "menu"), 1); queue.Disposition(err) != queue.Drop {
		t.Errorf("missing contact: %v, want dropped", err)
	}
}

func TestChannelOfAnotherTeam(t *testing.T) {
	w := newWorld(t, sb.KindLINE)
	w.channel.TeamID = "T2"
	if err := w.handle(keyword("req19", "menu"), 1); sb.ErrorCode(err) != sb.ENotFound {
		t.Errorf("err = %v, want %s", err, sb.ENotFound)
	}
}

func TestHandleReportsTheFirstRetryAndAfter(t *testing.T) {
	w := newWorld(t, sb.KindLINE)
	w.sendErr = func(req sb.SendRequest) error {
		if strings.HasPrefix(req.IdempotencyKey, "b2/") {
			return sb.Errorf(sb.EUnavailable, "down")
		}
		return nil
	}
	ev := events.SQSEvent{Records: []events.SQSMessage{
		sqsMessage(t, "q1", keyword("b1", "vip"), 1),
		{MessageId: "q-poison", Body: "not json"},
		sqsMessage(t, "q2", keyword("b2", "vip"), 1),
		sqsMessage(t, "q3", keyword("b3", "vip"), 1),
	}}
	resp, err := w.handler.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if want := []string{"q2", "q3"}; !reflect.DeepEqual(failed, want) {
		t.Errorf("failures = %q, want %q", failed, want)
	}
	if len(w.sent) != 1 {
		t.Errorf("%d sends, want only b1's", len(w.sent))
	}
}

func TestBotsAreCached(t *testing.T) {
	w := newWorld(t, sb.KindLINE)
	reads := 0
	get := w.store.getBot
	w.store.getBot = func(ctx context.Context, teamID, id string) (*bot.Bot, error) {
		reads++
		return get(ctx, teamID, id)
	}
	for _, id := range []string{"c1", "c2", "c3"} {
		if err := w.handle(keyword(id, "vip"), 1); err != nil {
			t.Fatal(err)
		}
	}
	w.clock = w.clock.Add(DefaultCacheTTL)
	if err := w.handle(keyword("c4", "vip"), 1); err != nil {
		t.Fatal(err)
	}
	if reads != 2 {
		t.Errorf("%d bot reads for 4 steps across a cache expiry, want 2", reads)
	}
}

func TestStepMessageID(t *testing.T) {
	a := StepMessageID("req1", now, 0)
	if a != StepMessageID("req1", now, 0) {
		t.Error("ids are not deterministic")
	}
	ids := map[string]bool{a: true}
	for _, id := range []string{StepMessageID("req1", now, 1), StepMessageID("req2", now, 0), StepMessageID("req1", now.Add(time.Millisecond), 0)} {
		if ids[id] {
			t.Errorf("id %s repeats", id)
		}
		ids[id] = true
	}
	if later := StepMessageID("req0", now.Add(time.Millisecond), 0); later <= StepMessageID("req9", now, 5) {
		t.Errorf("ids do not sort by time")
	}
}
