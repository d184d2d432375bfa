package timer_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/timer"
)

func at(hhmmss string) time.Time {
	t, err := time.Parse("15:04:05", hhmmss)
	if err != nil {
		panic(err)
	}
	return time.Date(t0.Year(), t0.Month(), t0.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

func TestDelaySeconds(t *testing.T) {
	now := at("06:00:04")
	tests := []struct {
		due  time.Time
		want int32
	}{
		{now.Add(-time.Hour), 0},
		{now, 0},
		{now.Add(300 * time.Millisecond), 1}, // rounded up: never visible early
		{now.Add(26 * time.Second), 26},
		{now.Add(115 * time.Second), 115},
		{now.Add(900 * time.Second), 900},
		{now.Add(2 * time.Hour), 900},
	}
	for _, tt := range tests {
		if got := timer.DelaySeconds(tt.due, now); got != tt.want {
			t.Errorf("DelaySeconds(due %s after now) = %d, want %d", tt.due.Sub(now), got, tt.want)
		}
	}
}

// TestDispatchDueTimers checks one ordinary run: timers due up to the end of
// the next minute go out with the delay that makes them visible at their
// second and are deleted; later ones stay; the cursor stays behind the
// minutes that may still receive timers.
func TestDispatchDueTimers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.clock.Set(at("05:50:00")) // arm before they are due, so the due times stand
	for id, due := range map[string]string{
		"past": "05:58:30", "now": "06:00:04", "soon": "06:00:30", "next": "06:01:59",
		"later": "06:02:00", "hour": "07:00:00",
	} {
		e.arm(t, id, at(due))
	}
	e.clock.Set(at("06:00:04"))
	d := e.dispatcher(timer.DispatcherConfig{})
	res, err := d.Run(ctx)
	must(t, err)
	if got, want := e.queue.delays(t), map[string]int32{"past": 0, "now": 0, "soon": 26, "next": 115}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sent with delays %v, want %v", got, want)
	}
	if got, want := e.stored(t, at("05:00:00"), at("07:30:00")), []string{"hour", "later"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("still stored: %v, want %v", got, want)
	}
	if got, want := e.receive(t), []string{"now", "past"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("visible on the queue now: %v, want %v (the others are delayed)", got, want)
	}
	if res.Dispatched != 4 || !res.Cursor.Equal(at("05:58:00")) || !res.Through.Equal(at("06:01:00")) {
		t.Fatalf("result = %+v, want 4 dispatched through 06:01, cursor 05:58", res)
	}
	cursor, err := e.store.TimerCursor(ctx)
	must(t, err)
	if !cursor.Equal(at("05:58:00")) {
		t.Fatalf("stored cursor = %v, want 05:58", cursor)
	}

	// The next minute's run sends the timer of 06:02 with its delay.
	e.clock.Set(at("06:01:04"))
	_, err = d.Run(ctx)
	must(t, err)
	if got, want := e.queue.delays(t), map[string]int32{"later": 56}; !reflect.DeepEqual(got, want) {
		t.Fatalf("second run sent %v, want %v", got, want)
	}
}

// TestDispatchCatchesUpMissedMinutes: after an outage the cursor lags and the
// next run sends everything due since, at once.
func TestDispatchCatchesUpMissedMinutes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	must(t, e.store.SetTimerCursor(ctx, at("05:10:00")))
	e.clock.Set(at("05:00:00"))
	for id, due := range map[string]string{"a": "05:11:00", "b": "05:30:59", "c": "05:59:59", "d": "06:00:10"} {
		e.arm(t, id, at(due))
	}
	e.clock.Set(at("06:00:04"))
	res, err := e.dispatcher(timer.DispatcherConfig{}).Run(ctx)
	must(t, err)
	if got, want := e.queue.delays(t), map[string]int32{"a": 0, "b": 0, "c": 0, "d": 6}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	if got := e.stored(t, at("05:00:00"), at("06:10:00")); len(got) != 0 {
		t.Fatalf("still stored after catching up: %v", got)
	}
	if res.Behind != 0 || !res.From.Equal(at("05:11:00")) {
		t.Fatalf("result = %+v, want from 05:11 and nothing left behind", res)
	}
}

// TestDispatchCatchUpIsBounded: a run reads at most MaxCatchUp minutes,
// oldest first; later runs continue where it stopped and nothing is lost.
func TestDispatchCatchUpIsBounded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	must(t, e.store.SetTimerCursor(ctx, at("05:40:00")))
	e.clock.Set(at("05:30:00"))
	for id, due := range map[string]string{"m41": "05:41:10", "m45": "05:45:00", "m47": "05:47:00", "m52": "05:52:00", "m60": "06:00:30"} {
		e.arm(t, id, at(due))
	}
	e.clock.Set(at("06:00:04"))
	d := e.dispatcher(timer.DispatcherConfig{MaxCatchUp: 5 * time.Minute})
	runs := []struct {
		sent   map[string]int32
		behind int
	}{
		{map[string]int32{"m41": 0, "m45": 0}, 16},
		{map[string]int32{"m47": 0}, 11},
		{map[string]int32{"m52": 0}, 6},
		{map[string]int32{"m60": 26}, 1},
		{map[string]int32{}, 0},
	}
	for i, r := range runs {
		res, err := d.Run(ctx)
		must(t, err)
		if got := e.queue.delays(t); !reflect.DeepEqual(got, r.sent) {
			t.Fatalf("run %d sent %v, want %v", i+1, got, r.sent)
		}
		if res.Behind != r.behind {
			t.Fatalf("run %d: %d minutes behind, want %d", i+1, res.Behind, r.behind)
		}
	}
}

// TestDispatchReadsRecentMinutesAgain: a timer armed after its minute was
// read (here: armed late, so due now) is sent by the next run.
func TestDispatchReadsRecentMinutesAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := e.dispatcher(timer.DispatcherConfig{})
	_, err := d.Run(ctx)
	must(t, err)
	e.clock.Set(at("06:00:50"))
	late := e.arm(t, "late", at("05:59:00"))
	if !late.DueAt.Equal(at("06:00:50")) {
		t.Fatalf("late timer due %v, want now (06:00:50)", late.DueAt)
	}
	e.clock.Set(at("06:01:04"))
	_, err = d.Run(ctx)
	must(t, err)
	if got, want := e.queue.delays(t), map[string]int32{"late": 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
}

// failingQueue refuses every send.
type failingQueue struct{}

func (failingQueue) Send(context.Context, string, []queue.Message) error {
	return switchboard.Errorf(switchboard.EUnavailable, "queue is down")
}

// TestDispatchFailureKeepsTimers: a timer whose send failed is neither
// deleted nor skipped by the cursor, so the next run sends it.
func TestDispatchFailureKeepsTimers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	must(t, e.store.SetTimerCursor(ctx, at("05:55:00")))
	e.clock.Set(at("05:50:00"))
	e.arm(t, "x", at("05:57:00"))
	e.clock.Set(at("06:00:04"))
	broken := timer.NewDispatcher(timer.DispatcherConfig{Store: e.store, Queue: failingQueue{}, QueueURL: e.url, Shards: 16, Clock: e.clock.Now})
	_, err := broken.Run(ctx)
	if got := switchboard.ErrorCode(err); got != switchboard.EUnavailable {
		t.Fatalf("run with the queue down: error %v, want EUnavailable", err)
	}
	if got, want := e.stored(t, at("05:50:00"), at("06:10:00")), []string{"x"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("stored after a failed send: %v, want %v", got, want)
	}
	cursor, err := e.store.TimerCursor(ctx)
	must(t, err)
	if !cursor.Equal(at("05:56:00")) {
		t.Fatalf("cursor = %v, want 05:56 (the last minute before the failure)", cursor)
	}
	_, err = e.dispatcher(timer.DispatcherConfig{}).Run(ctx)
	must(t, err)
	if got, want := e.queue.delays(t), map[string]int32{"x": 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("retry sent %v, want %v", got, want)
	}
}

// TestDispatchLease: a second run while the first holds the lease does
// nothing; the next minute's run works again.
func TestDispatchLease(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := e.dispatcher(timer.DispatcherConfig{Lease: e.store})
	steps := []struct {
		at      string
		skipped bool
	}{
		{"06:00:04", false},
		{"06:00:20", true},
		{"06:01:04", false},
	}
	for _, st := range steps {
		e.clock.Set(at(st.at))
		res, err := d.Run(ctx)
		must(t, err)
		if res.Skipped != st.skipped {
			t.Fatalf("run at %s: skipped = %v, want %v", st.at, res.Skipped, st.skipped)
		}
	}
}
