// Package ttlcache keeps what a warm Lambda read recently (channels, rules,
// teams, bots), so handling an event costs no read of configuration. Entries
// live for a fixed time; errors are never cached, because a failed read is not
// a fact about the thing read.
package ttlcache

import (
	"context"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Cache is a read-through cache of values by string key. It is safe for
// concurrent use.
type Cache[V any] struct {
	fetch func(ctx context.Context, key string) (V, error)
	now   switchboard.Clock
	ttl   time.Duration
	max   int

	mu      sync.Mutex
	entries map[string]entry[V]
}

type entry[V any] struct {
	v         V
	fetchedAt time.Time
}

// New returns a cache that reads misses with fetch and keeps at most max
// entries for ttl each.
func New[V any](fetch func(context.Context, string) (V, error), now switchboard.Clock, ttl time.Duration, max int) *Cache[V] {
	if now == nil {
		now = time.Now
	}
	if max < 2 {
		max = 2
	}
	return &Cache[V]{fetch: fetch, now: now, ttl: ttl, max: max, entries: map[string]entry[V]{}}
}

// Get returns the value for key, from memory while it is younger than the TTL.
// When the cache is full it first drops expired entries, then arbitrary ones
// down to half, so memory stays bounded however many keys a Lambda sees.
func (c *Cache[V]) Get(ctx context.Context, key string) (V, error) {
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
	c.entries[key] = entry[V]{v: v, fetchedAt: now}
	return v, nil
}

// Forget drops key, so the next Get reads it again (after a write this process
// made, for instance).
func (c *Cache[V]) Forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}
