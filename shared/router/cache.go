package router

import (
	"context"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// ttlCache keeps what a warm Lambda read recently (channels, rules, teams,
// members), so routing an event costs no read of configuration. Errors are not
// cached: a failed read is not a fact about the thing read.
type ttlCache[V any] struct {
	fetch func(ctx context.Context, key string) (V, error)
	now   switchboard.Clock
	ttl   time.Duration
	max   int

	mu      sync.Mutex
	entries map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v         V
	fetchedAt time.Time
}

func newCache[V any](fetch func(context.Context, string) (V, error), now switchboard.Clock, ttl time.Duration) *ttlCache[V] {
	return &ttlCache[V]{fetch: fetch, now: now, ttl: ttl, max: 10000, entries: map[string]cacheEntry[V]{}}
}

// get returns the value for key, from memory while it is younger than the TTL.
func (c *ttlCache[V]) get(ctx context.Context, key string) (V, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Sub(e.fetchedAt) < c.ttl {
		return e.v, nil
	}
	v, err := c.fetch(ctx, key)
	if err != nil {
		var zero V
		return zero, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, old := range c.entries {
			if now.Sub(old.fetchedAt) >= c.ttl || len(c.entries) >= c.max/2 {
				delete(c.entries, k)
			}
		}
	}
	c.entries[key] = cacheEntry[V]{v: v, fetchedAt: now}
	return v, nil
}
