package dynamo_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// dueIDs reads every timer due in minute (all shards) and returns their ids,
// sorted.
func dueIDs(t *testing.T, s *dynamo.Store, minute time.Time) []string {
	t.Helper()
	var ids []string
	for shard := range dynamo.TimerShards {
		cursor := ""
		for {
			ts, next, err := s.DueTimers(context.Background(), minute, shard, cursor, 2)
			must(t, err)
			for _, x := range ts {
				ids = append(ids, x.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	slices.Sort(ids)
	return ids
}

func newTimer(id string, due time.Time) *switchboard.Timer {
	return &switchboard.Timer{ID: id, TeamID: "team1", Kind: switchboard.TimerCartReminder, DueAt: due, Generation: 3, Payload: []byte(`{"x":1}`)}
}

func TestTimerStore(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s := newStore(t, clock.Now)
	minute := t0.Truncate(time.Minute).Add(10 * time.Minute)

	t.Run("arm is idempotent and keeps the timer", func(t *testing.T) {
		a := newTimer("a", minute.Add(15*time.Second+400*time.Millisecond))
		must(t, s.ArmTimers(ctx, a))
		must(t, s.ArmTimers(ctx, newTimer("a", minute.Add(15*time.Second))))
		if got, want := dueIDs(t, s, minute), []string{"a"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("due ids = %v, want %v", got, want)
		}
		ts, _, err := s.DueTimers(ctx, minute, dynamo.TimerShard("a"), "", 10)
		must(t, err)
		got := ts[0]
		want := newTimer("a", minute.Add(15*time.Second))
		if !got.DueAt.Equal(want.DueAt) || got.Generation != want.Generation || string(got.Payload) != string(want.Payload) || got.Kind != want.Kind {
			t.Fatalf("stored timer = %+v, want %+v", got, want)
		}
	})

	t.Run("many timers in one call, duplicates collapse", func(t *testing.T) {
		var ts []*switchboard.Timer
		for i := range 30 {
			ts = append(ts, newTimer("b"+string(rune('A'+i)), minute.Add(time.Duration(i)*time.Second)))
		}
		ts = append(ts, newTimer("bA", minute)) // the same as the first
		must(t, s.ArmTimers(ctx, ts...))
		if got := len(dueIDs(t, s, minute)); got != 31 {
			t.Fatalf("%d timers in the bucket, want 31 (30 new + a)", got)
		}
		must(t, s.CancelTimers(ctx, ts...))
		if got, want := dueIDs(t, s, minute), []string{"a"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("after cancel: %v, want %v", got, want)
		}
	})

	t.Run("move deletes the item at the old time", func(t *testing.T) {
		c := newTimer("c", minute.Add(5*time.Second))
		must(t, s.ArmTimers(ctx, c))
		moved := newTimer("c", minute.Add(3*time.Minute))
		must(t, s.MoveTimer(ctx, moved, c.DueAt))
		if got := dueIDs(t, s, minute); slices.Contains(got, "c") {
			t.Fatalf("old minute still holds c: %v", got)
		}
		if got, want := dueIDs(t, s, minute.Add(3*time.Minute)), []string{"c"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("new minute = %v, want %v", got, want)
		}
		// Moving to the same second is a plain re-arm.
		must(t, s.MoveTimer(ctx, newTimer("c", minute.Add(3*time.Minute)), moved.DueAt))
		if got := dueIDs(t, s, minute.Add(3*time.Minute)); len(got) != 1 {
			t.Fatalf("re-arm at the same time left %v", got)
		}
	})

	t.Run("a timer due in the past is due now", func(t *testing.T) {
		late := newTimer("late", t0.Add(-time.Hour))
		must(t, s.ArmTimers(ctx, late))
		if !late.DueAt.Equal(t0) {
			t.Fatalf("due = %v, want the store's now %v", late.DueAt, t0)
		}
		if got := dueIDs(t, s, t0.Truncate(time.Minute)); !slices.Contains(got, "late") {
			t.Fatalf("current minute = %v, want late in it", got)
		}
	})

	t.Run("invalid timers are refused", func(t *testing.T) {
		tests := []struct {
			name string
			t    *switchboard.Timer
			code string
		}{
			{"no id", &switchboard.Timer{TeamID: "t", Kind: switchboard.TimerAutoEnd, DueAt: minute}, switchboard.EInvalid},
			{"bad kind", &switchboard.Timer{ID: "x", TeamID: "t", Kind: "nope", DueAt: minute}, switchboard.EInvalid},
			{"no due", &switchboard.Timer{ID: "x", TeamID: "t", Kind: switchboard.TimerAutoEnd}, switchboard.EInvalid},
			{"team with separator", &switchboard.Timer{ID: "x", TeamID: "a#b", Kind: switchboard.TimerAutoEnd, DueAt: minute}, switchboard.EInvalid},
			{"payload not JSON", &switchboard.Timer{ID: "x", TeamID: "t", Kind: switchboard.TimerAutoEnd, DueAt: minute, Payload: []byte("{")}, switchboard.EInvalid},
			{"payload too large", &switchboard.Timer{ID: "x", TeamID: "t", Kind: switchboard.TimerAutoEnd, DueAt: minute, Payload: make([]byte, switchboard.MaxTimerPayload+1)}, switchboard.ETooLarge},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { wantCode(t, s.ArmTimers(ctx, tt.t), tt.code) })
		}
	})

	t.Run("shard out of range", func(t *testing.T) {
		_, _, err := s.DueTimers(ctx, minute, dynamo.TimerShards, "", 10)
		wantCode(t, err, switchboard.EInvalid)
	})
}

func TestTimerCursor(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, time.Now)
	got, err := s.TimerCursor(ctx)
	must(t, err)
	if !got.IsZero() {
		t.Fatalf("cursor before any run = %v, want zero", got)
	}
	m := t0.Truncate(time.Minute)
	steps := []struct {
		set, want time.Time
	}{
		{m, m},
		{m.Add(5 * time.Minute), m.Add(5 * time.Minute)},
		{m.Add(2 * time.Minute), m.Add(5 * time.Minute)}, // never backwards
		{m.Add(6*time.Minute + 30*time.Second), m.Add(6 * time.Minute)},
	}
	for _, st := range steps {
		must(t, s.SetTimerCursor(ctx, st.set))
		got, err := s.TimerCursor(ctx)
		must(t, err)
		if !got.Equal(st.want) {
			t.Fatalf("after setting %v: cursor = %v, want %v", st.set, got, st.want)
		}
	}
}

// TestTimerWritesPerOperation pins what arming and dispatching cost: one
// write per timer each way.
func TestTimerWritesPerOperation(t *testing.T) {
	ctx := context.Background()
	var counter awsclient.RequestCounter
	cfg := awstest.Config(t)
	counter.Add(&cfg)
	client := awsclient.DynamoDB(cfg, awstest.Endpoint(t, awstest.EnvDynamoDB))
	s := dynamo.New(client, awstest.Table(t, client))
	due := time.Now().Add(time.Hour)
	var many []*switchboard.Timer
	for i := range 26 {
		many = append(many, newTimer("m"+string(rune('a'+i)), due))
	}
	tests := []struct {
		name string
		op   func() error
		want map[string]int
	}{
		{"arm one", func() error { return s.ArmTimers(ctx, newTimer("one", due)) }, map[string]int{"DynamoDB.PutItem": 1}},
		{"arm 26", func() error { return s.ArmTimers(ctx, many...) }, map[string]int{"DynamoDB.BatchWriteItem": 2}},
		{"delete 26", func() error { return s.DeleteTimers(ctx, many) }, map[string]int{"DynamoDB.BatchWriteItem": 2}},
		{"move", func() error { return s.MoveTimer(ctx, newTimer("one", due.Add(time.Hour)), due) }, map[string]int{"DynamoDB.BatchWriteItem": 1}},
	}
	for _, tt := range tests {
		counter.Reset()
		must(t, tt.op())
		if got := counter.Calls(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: requests = %v, want %v", tt.name, got, tt.want)
		}
	}
}
