package switchboard

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimerValidate(t *testing.T) {
	due := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	ok := Timer{ID: "cart/t/v/0/1/1", TeamID: "t", Kind: TimerCartReminder, DueAt: due, Payload: json.RawMessage(`{"a":1}`)}
	tests := []struct {
		name   string
		change func(*Timer)
		code   string
	}{
		{"valid", func(*Timer) {}, ""},
		{"no payload", func(t *Timer) { t.Payload = nil }, ""},
		{"no id", func(t *Timer) { t.ID = "" }, EInvalid},
		{"no team", func(t *Timer) { t.TeamID = "" }, EInvalid},
		{"unknown kind", func(t *Timer) { t.Kind = "soon" }, EInvalid},
		{"no due time", func(t *Timer) { t.DueAt = time.Time{} }, EInvalid},
		{"payload not JSON", func(t *Timer) { t.Payload = json.RawMessage(`{`) }, EInvalid},
		{"payload too large", func(t *Timer) { t.Payload = make(json.RawMessage, MaxTimerPayload+1) }, ETooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := ok
			tt.change(&tm)
			if got := ErrorCode(tm.Validate()); got != tt.code {
				t.Fatalf("code = %q, want %q", got, tt.code)
			}
		})
	}
}

// TestTimerFiringKey: a redelivery is the same firing; another generation or
// another due time (a postponement) is another one.
func TestTimerFiringKey(t *testing.T) {
	due := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	base := Timer{ID: "x", TeamID: "t", Kind: TimerAutoEnd, DueAt: due, Generation: 1}
	same := base
	same.Payload = json.RawMessage(`{"ignored":true}`)
	if base.FiringKey() != same.FiringKey() {
		t.Fatal("the payload changed the firing key")
	}
	others := []func(*Timer){
		func(t *Timer) { t.Generation = 2 },
		func(t *Timer) { t.DueAt = due.Add(time.Second) },
		func(t *Timer) { t.ID = "y" },
		func(t *Timer) { t.TeamID = "u" },
	}
	for i, change := range others {
		o := base
		change(&o)
		if o.FiringKey() == base.FiringKey() {
			t.Errorf("change %d kept the firing key %q", i, base.FiringKey())
		}
	}
}

func TestNewTimerEvent(t *testing.T) {
	now := time.Date(2026, 3, 2, 6, 0, 1, 0, time.UTC)
	tm := &Timer{ID: "x", TeamID: "t", Kind: TimerBotDelay, DueAt: now.Add(-time.Second), Generation: 4}
	ev, err := NewTimerEvent(tm, ConversationTimer{ChannelID: "c", CustomerID: "U1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	in := InboundEvent{TeamID: "t", ChannelID: "c", CustomerID: "U1"}
	if ev.GroupID() != in.GroupID() || ev.Type != InTimer || ev.Timer.Generation != 4 || !ev.OccurredAt.Equal(now) {
		t.Fatalf("event = %+v", ev)
	}
	if _, err := NewTimerEvent(tm, ConversationTimer{ChannelID: "c"}, now); ErrorCode(err) != EInvalid {
		t.Fatalf("without a customer: %v, want EInvalid", err)
	}
}
