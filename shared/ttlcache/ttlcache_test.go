package ttlcache

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
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
