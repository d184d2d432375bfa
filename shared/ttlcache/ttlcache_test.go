package ttlcache

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestGet(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reads := map[string]int{}
	fail := false
	c := New(func(_ context.Context, k string) (string, error) {
		if fail {
			return "", errors.New("down")
		}
		reads[k]++
		return fmt.Sprintf("%s#%d", k, reads[k]), nil
	}, func() time.Time { return at }, time.Minute, 4)
	ctx := context.Background()

	steps := []struct {
		name    string
		advance time.Duration
		fail    bool
		key     string
		want    string
		wantErr bool
	}{
		{"miss reads", 0, false, "a", "a#1", false},
		{"hit within ttl", 30 * time.Second, false, "a", "a#1", false},
		{"expired reads again", 31 * time.Second, false, "a", "a#2", false},
		{"errors are returned", 0, true, "b", "", true},
		{"errors are not cached", 0, false, "b", "b#1", false},
	}
	for _, s := range steps {
		at = at.Add(s.advance)
		fail = s.fail
		got, err := c.Get(ctx, s.key)
		if (err != nil) != s.wantErr || got != s.want {
			t.Errorf("%s: got %q, %v; want %q, error %v", s.name, got, err, s.want, s.wantErr)
		}
	}
}

func TestBoundedAndForget(t *testing.T) {
	c := New(func(_ context.Context, k string) (string, error) { return k, nil }, nil, time.Hour, 4)
	for i := range 20 {
		if _, err := c.Get(context.Background(), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(c.entries); got > 4 {
		t.Errorf("entries = %d, want at most 4", got)
	}
	c.Forget("19")
	if _, ok := c.entries["19"]; ok {
		t.Error("Forget kept the entry")
	}
}

// fakeStore is a fetch function over a map, counting reads per key: a key not
// in vals is ENotFound, and while down every read fails with EUnavailable.
type fakeStore struct {
	vals  map[string]string
	down  bool
	reads map[string]int
}

func (f *fakeStore) fetch(_ context.Context, k string) (string, error) {
	f.reads[k]++
	if f.down {
		return "", switchboard.Errorf(switchboard.EUnavailable, "database unavailable")
	}
	v, ok := f.vals[k]
	if !ok {
		return "", switchboard.Errorf(switchboard.ENotFound, "%s not found", k)
	}
	return v, nil
}

// step is one call on a cache in a scripted sequence: advance the clock, change
// the store, call Get or Refresh, and check the answer and the reads so far.
type step struct {
	name      string
	advance   time.Duration
	set       map[string]string // stored values to change before the call ("" deletes)
	down      bool
	refresh   bool // Refresh instead of Get
	key       string
	want      string
	wantCode  string // switchboard error code, "" for none
	wantFresh bool   // Refresh only
	wantReads int    // reads of key so far
}

func runSteps(t *testing.T, steps []step, opts ...Option) {
	t.Helper()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := &fakeStore{vals: map[string]string{"a": "a1"}, reads: map[string]int{}}
	c := New(st.fetch, func() time.Time { return at }, time.Minute, 100, opts...)
	ctx := context.Background()
	for _, s := range steps {
		at = at.Add(s.advance)
		for k, v := range s.set {
			if v == "" {
				delete(st.vals, k)
			} else {
				st.vals[k] = v
			}
		}
		st.down = s.down
		var (
			got   string
			fresh bool
			err   error
		)
		if s.refresh {
			got, fresh, err = c.Refresh(ctx, s.key)
			if fresh != s.wantFresh {
				t.Errorf("%s: fresh = %v, want %v", s.name, fresh, s.wantFresh)
			}
		} else {
			got, err = c.Get(ctx, s.key)
		}
		if got != s.want || switchboard.ErrorCode(err) != s.wantCode {
			t.Errorf("%s: got %q, %v; want %q, code %q", s.name, got, err, s.want, s.wantCode)
		}
		if got, want := st.reads[s.key], s.wantReads; got != want {
			t.Errorf("%s: reads of %s = %d, want %d", s.name, s.key, got, want)
		}
	}
}

func TestNotFound(t *testing.T) {
	tests := []struct {
		name  string
		opts  []Option
		steps []step
	}{
		{"not cached by default", nil, []step{
			{name: "miss", key: "x", wantCode: switchboard.ENotFound, wantReads: 1},
			{name: "read again", key: "x", wantCode: switchboard.ENotFound, wantReads: 2},
		}},
		{"cached for the not-found TTL", []Option{WithNotFoundTTL(10 * time.Second)}, []step{
			{name: "miss", key: "x", wantCode: switchboard.ENotFound, wantReads: 1},
			{name: "from memory", advance: 9 * time.Second, key: "x", wantCode: switchboard.ENotFound, wantReads: 1},
			{name: "created meanwhile, still unknown", set: map[string]string{"x": "x1"}, key: "x", wantCode: switchboard.ENotFound, wantReads: 1},
			{name: "expired, read again", advance: time.Second, key: "x", want: "x1", wantReads: 2},
			{name: "found is cached for the full TTL", advance: 59 * time.Second, key: "x", want: "x1", wantReads: 2},
		}},
		{"other errors are never cached", []Option{WithNotFoundTTL(10 * time.Second)}, []step{
			{name: "unavailable", down: true, key: "x", wantCode: switchboard.EUnavailable, wantReads: 1},
			{name: "read again", key: "x", wantCode: switchboard.ENotFound, wantReads: 2},
		}},
		{"a failed read keeps the cached not-found", []Option{WithNotFoundTTL(10 * time.Second)}, []step{
			{name: "miss", key: "x", wantCode: switchboard.ENotFound, wantReads: 1},
			{name: "expired, read fails", advance: 10 * time.Second, down: true, key: "x", wantCode: switchboard.EUnavailable, wantReads: 2},
			{name: "read again", key: "x", wantCode: switchboard.ENotFound, wantReads: 3},
			{name: "from memory", key: "x", wantCode: switchboard.ENotFound, wantReads: 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.steps, tt.opts...) })
	}
}

func TestRefresh(t *testing.T) {
	tests := []struct {
		name  string
		opts  []Option
		steps []step
	}{
		{"reads every time by default", nil, []step{
			{name: "get", key: "a", want: "a1", wantReads: 1},
			{name: "refresh", refresh: true, set: map[string]string{"a": "a2"}, key: "a", want: "a2", wantFresh: true, wantReads: 2},
			{name: "refresh again", refresh: true, key: "a", want: "a2", wantFresh: true, wantReads: 3},
			{name: "get serves the refreshed value", key: "a", want: "a2", wantReads: 3},
		}},
		{"rate limited per key", []Option{WithRefreshInterval(10 * time.Second)}, []step{
			{name: "get", key: "a", want: "a1", wantReads: 1},
			{name: "too soon after get: cached, no read", advance: 9 * time.Second, set: map[string]string{"a": "a2"}, refresh: true, key: "a", want: "a1", wantReads: 1},
			{name: "interval passed: reads", advance: time.Second, refresh: true, key: "a", want: "a2", wantFresh: true, wantReads: 2},
			{name: "too soon after refresh", advance: 5 * time.Second, set: map[string]string{"a": "a3"}, refresh: true, key: "a", want: "a2", wantReads: 2},
			{name: "refresh restarted the TTL", advance: 50 * time.Second, key: "a", want: "a2", wantReads: 2},
			{name: "TTL of the refresh passed", advance: 5 * time.Second, key: "a", want: "a3", wantReads: 3},
		}},
		{"a key not cached is read at once", []Option{WithRefreshInterval(10 * time.Second)}, []step{
			{name: "refresh", refresh: true, key: "a", want: "a1", wantFresh: true, wantReads: 1},
			{name: "get from memory", key: "a", want: "a1", wantReads: 1},
		}},
		{"a failed read keeps the cached value", []Option{WithRefreshInterval(10 * time.Second)}, []step{
			{name: "get", key: "a", want: "a1", wantReads: 1},
			{name: "refresh fails", advance: 10 * time.Second, down: true, refresh: true, key: "a", wantCode: switchboard.EUnavailable, wantFresh: true, wantReads: 2},
			{name: "get from memory", key: "a", want: "a1", wantReads: 2},
		}},
		{"deleted key", []Option{WithRefreshInterval(10 * time.Second), WithNotFoundTTL(30 * time.Second)}, []step{
			{name: "get", key: "a", want: "a1", wantReads: 1},
			{name: "refresh finds it gone", advance: 10 * time.Second, set: map[string]string{"a": ""}, refresh: true, key: "a", wantCode: switchboard.ENotFound, wantFresh: true, wantReads: 2},
			{name: "get remembers it is gone", key: "a", wantCode: switchboard.ENotFound, wantReads: 2},
			{name: "too soon: cached not-found", advance: 5 * time.Second, refresh: true, key: "a", wantCode: switchboard.ENotFound, wantReads: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, tt.steps, tt.opts...) })
	}
}
