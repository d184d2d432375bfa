package router

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// staffAt is when the agent replied in the auto-end tests; the timer fires
// 30 minutes later, at t0.
var staffAt = t0.Add(-30 * time.Minute)

// autoEndSetting is a team's auto-end after 30 minutes, with survey as given.
func autoEndSetting(survey switchboard.SurveyMode) switchboard.AutoEnd {
	return switchboard.AutoEnd{Enabled: true, After: 30 * time.Minute, Survey: survey, SurveyText: "How did we do? Reply 1 to 5."}
}

// inProgress is a conversation on ch followed by member M1, whose customer
// wrote at customerAt and whom staff last answered at staffAt.
func inProgress(ch *switchboard.Channel, customerAt time.Time) *switchboard.Conversation {
	return &switchboard.Conversation{
		ID: convID(ch), TeamID: team, ContactID: convID(ch), ChannelID: ch.ID,
		Status: switchboard.StatusInProgress, FollowerID: "M1", Version: 3,
		LastCustomerAt: customerAt, LastStaffAt: staffAt, LastOutboundAt: staffAt, LastMessageAt: staffAt,
	}
}

// autoEndEvent is the firing of the auto-end timer armed at the staff reply
// at replyAt, as the timer service forwards it.
func autoEndEvent(t *testing.T, ch *switchboard.Channel, replyAt time.Time) *switchboard.TimerEvent {
	t.Helper()
	tm := &switchboard.Timer{
		ID: switchboard.AutoEndTimerID(convID(ch)), TeamID: team, Kind: switchboard.TimerAutoEnd,
		DueAt: replyAt.Add(30 * time.Minute), Generation: switchboard.AutoEndGeneration(replyAt),
	}
	te, err := switchboard.NewTimerEvent(tm, switchboard.ConversationTimer{ChannelID: ch.ID, ChannelKind: ch.Kind, CustomerID: "U1", ConversationID: convID(ch)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return te
}

// windowSender is the fake sender behaving as the real senders do: it
// refuses a message the platform's window does not allow.
func windowSender(kind switchboard.ChannelKind, now time.Time) func(switchboard.SendRequest) (switchboard.SendResult, error) {
	return func(req switchboard.SendRequest) (switchboard.SendResult, error) {
		if _, err := switchboard.CheckWindow(kind, req.Purpose, req.To.LastCustomerAt, now, req.Messages); err != nil {
			return switchboard.SendResult{}, err
		}
		return switchboard.SendResult{PlatformMessageIDs: []string{"p-" + req.IdempotencyKey}, Via: "push"}, nil
	}
}

func TestAutoEnd(t *testing.T) {
	tests := []struct {
		name    string
		ch      *switchboard.Channel
		setting switchboard.AutoEnd
		conv    func() *switchboard.Conversation
		// replyAt is the staff reply the timer was armed for.
		replyAt    time.Time
		wantStatus switchboard.ConversationStatus
		// closes says the firing itself closes the conversation.
		closes bool
		// wantSurvey is the survey's stored status; empty when none is sent.
		wantSurvey switchboard.DeliveryStatus
		wantReason string
	}{
		{
			name: "silent customer: closed", ch: lineCh, setting: autoEndSetting(switchboard.SurveyNone),
			conv: func() *switchboard.Conversation { return inProgress(lineCh, staffAt.Add(-time.Minute)) }, replyAt: staffAt,
			wantStatus: switchboard.StatusClosed, closes: true,
		},
		{
			name: "customer wrote after the reply: left open", ch: lineCh, setting: autoEndSetting(switchboard.SurveyAutomatic),
			conv: func() *switchboard.Conversation { return inProgress(lineCh, staffAt.Add(time.Minute)) }, replyAt: staffAt,
			wantStatus: switchboard.StatusInProgress,
		},
		{
			name: "a newer staff reply: left open", ch: lineCh, setting: autoEndSetting(switchboard.SurveyAutomatic),
			conv: func() *switchboard.Conversation { return inProgress(lineCh, staffAt.Add(-time.Minute)) }, replyAt: staffAt.Add(-10 * time.Minute),
			wantStatus: switchboard.StatusInProgress,
		},
		{
			name: "already closed: nothing", ch: lineCh, setting: autoEndSetting(switchboard.SurveyAutomatic),
			conv: func() *switchboard.Conversation {
				c := inProgress(lineCh, staffAt.Add(-time.Minute))
				c.Status = switchboard.StatusClosed
				return c
			}, replyAt: staffAt,
			wantStatus: switchboard.StatusClosed,
		},
		{
			name: "auto-end switched off since: left open", ch: lineCh, setting: switchboard.AutoEnd{After: 30 * time.Minute},
			conv: func() *switchboard.Conversation { return inProgress(lineCh, staffAt.Add(-time.Minute)) }, replyAt: staffAt,
			wantStatus: switchboard.StatusInProgress,
		},
		{
			name: "automatic survey inside the window: sent", ch: fbCh, setting: autoEndSetting(switchboard.SurveyAutomatic),
			conv: func() *switchboard.Conversation { return inProgress(fbCh, staffAt.Add(-time.Minute)) }, replyAt: staffAt,
			wantStatus: switchboard.StatusClosed, closes: true, wantSurvey: switchboard.DeliverySent,
		},
		{
			name: "automatic survey outside the 24 h window: recorded failed", ch: fbCh, setting: autoEndSetting(switchboard.SurveyAutomatic),
			conv: func() *switchboard.Conversation { return inProgress(fbCh, t0.Add(-30*time.Hour)) }, replyAt: staffAt,
			wantStatus: switchboard.StatusClosed, closes: true, wantSurvey: switchboard.DeliveryFailed, wantReason: "24",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.autoEnd = tt.setting
			w.conv = tt.conv()
			before := w.conv.Version
			w.send = windowSender(tt.ch.Kind, t0)
			te := autoEndEvent(t, tt.ch, tt.replyAt)
			if err := w.router(t, t0).RouteTimer(context.Background(), te); err != nil {
				t.Fatalf("RouteTimer: %v", err)
			}
			if got, want := w.conv.Status, tt.wantStatus; got != want {
				t.Errorf("status = %q, want %q", got, want)
			}
			closedNow := w.conv.Version != before
			if got, want := closedNow, tt.closes; got != want {
				t.Errorf("conversation written = %v, want %v", got, want)
			}
			if closedNow && w.conv.FollowerID != "M1" {
				t.Errorf("follower = %q, want M1 kept", w.conv.FollowerID)
			}
			if n := len(w.conv.History); closedNow && (n == 0 || w.conv.History[n-1].Kind != switchboard.HistoryAutoEnded || w.conv.History[n-1].ActorID != "") {
				t.Errorf("history = %+v, want it to end with the system's auto-end", w.conv.History)
			}
			wr := w.lastWrite(t)
			if got, want := wr.EventID, te.ID; got != want {
				t.Errorf("claim = %q, want the timer event's id %q", got, want)
			}
			var survey *switchboard.Message
			for _, m := range w.messages {
				survey = m
			}
			if tt.wantSurvey == "" {
				if survey != nil || len(w.sends) != 0 {
					t.Fatalf("survey stored %+v, sends %d; want none", survey, len(w.sends))
				}
				return
			}
			if survey == nil || len(w.sends) != 1 {
				t.Fatalf("survey %+v, sends %d; want one survey", survey, len(w.sends))
			}
			if got, want := survey.Text, tt.setting.SurveyText; got != want {
				t.Errorf("survey text = %q, want %q", got, want)
			}
			if got, want := w.sends[0].Purpose, switchboard.PurposeSystem; got != want {
				t.Errorf("purpose = %q, want %q", got, want)
			}
			if got, want := survey.Status, tt.wantSurvey; got != want {
				t.Errorf("survey status = %q, want %q", got, want)
			}
			if !strings.Contains(survey.FailureReason, tt.wantReason) || (tt.wantReason == "") != (survey.FailureReason == "") {
				t.Errorf("failure reason = %q, want one containing %q", survey.FailureReason, tt.wantReason)
			}
		})
	}
}

func TestAutoEndRedeliveryDoesNothingTwice(t *testing.T) {
	w := newWorld()
	w.autoEnd = autoEndSetting(switchboard.SurveyAutomatic)
	w.conv = inProgress(fbCh, staffAt.Add(-time.Minute))
	w.send = windowSender(fbCh.Kind, t0)
	te := autoEndEvent(t, fbCh, staffAt)
	r := w.router(t, t0)
	for i := range 2 {
		if err := r.RouteTimer(context.Background(), te); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	if got, want := len(w.writes), 1; got != want {
		t.Errorf("writes = %d, want %d", got, want)
	}
	if got, want := len(w.sends), 1; got != want {
		t.Errorf("survey sends = %d, want %d", got, want)
	}
	if got, want := w.conv.Version, int64(4); got != want {
		t.Errorf("conversation version = %d, want %d", got, want)
	}
}

func TestAutoEndRedeliveryFinishesSurvey(t *testing.T) {
	w := newWorld()
	w.autoEnd = autoEndSetting(switchboard.SurveyAutomatic)
	w.conv = inProgress(fbCh, staffAt.Add(-time.Minute))
	outage := switchboard.Errorf(switchboard.EUnavailable, "platform down")
	w.send = func(switchboard.SendRequest) (switchboard.SendResult, error) { return switchboard.SendResult{}, outage }
	te := autoEndEvent(t, fbCh, staffAt)
	r := w.router(t, t0)
	if err := r.RouteTimer(context.Background(), te); switchboard.ErrorCode(err) != switchboard.EUnavailable {
		t.Fatalf("first delivery: err = %v, want the outage", err)
	}
	w.send = windowSender(fbCh.Kind, t0)
	if err := r.RouteTimer(context.Background(), te); err != nil {
		t.Fatalf("second delivery: %v", err)
	}
	if got, want := len(w.sends), 2; got != want {
		t.Fatalf("sends = %d, want %d", got, want)
	}
	if got, want := w.sends[1].IdempotencyKey, w.sends[0].IdempotencyKey; got != want {
		t.Errorf("retry key = %q, want the first send's %q", got, want)
	}
	for _, m := range w.messages {
		if got, want := m.Status, switchboard.DeliverySent; got != want {
			t.Errorf("survey status = %q, want %q", got, want)
		}
	}
	if got, want := len(w.writes), 1; got != want {
		t.Errorf("writes = %d, want %d", got, want)
	}
}

func TestAutoEndThroughTheQueue(t *testing.T) {
	tests := []struct {
		name       string
		kind       switchboard.TimerKind
		wantFailed bool
		wantStatus switchboard.ConversationStatus
	}{
		{"auto-end timer closes", switchboard.TimerAutoEnd, false, switchboard.StatusClosed},
		{"another kind is dropped", switchboard.TimerBotDelay, true, switchboard.StatusInProgress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.autoEnd = autoEndSetting(switchboard.SurveyNone)
			w.conv = inProgress(lineCh, staffAt.Add(-time.Minute))
			te := autoEndEvent(t, lineCh, staffAt)
			te.Timer.Kind = tt.kind
			body, err := json.Marshal(te)
			if err != nil {
				t.Fatal(err)
			}
			res, err := w.router(t, t0).Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{
				MessageId: "q1", Body: string(body), Attributes: map[string]string{"ApproximateReceiveCount": "1"},
			}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.BatchItemFailures) != 0 {
				t.Errorf("batch failures = %v, want none (a bad timer is dropped, not retried)", res.BatchItemFailures)
			}
			if got, want := w.conv.Status, tt.wantStatus; got != want {
				t.Errorf("status = %q, want %q", got, want)
			}
			if got, want := len(w.writes) == 0, tt.wantFailed; got != want {
				t.Errorf("nothing written = %v, want %v", got, want)
			}
		})
	}
}
