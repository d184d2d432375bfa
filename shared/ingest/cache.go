package ingest

import (
	"context"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// channelCache keeps channel configuration in memory between invocations of a
// warm Lambda, so a webhook delivery costs no database read. Misses are cached
// for a shorter time so probes of unknown ids cannot turn into a read each.
type channelCache struct {
	lookup  ChannelLookup
	now     switchboard.Clock
	ttl     time.Duration
	negTTL  time.Duration
	refresh time.Duration
	max     int

	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	ch        *switchboard.Channel
	err       error
	fetchedAt time.Time
}

func newChannelCache(lookup ChannelLookup, now switchboard.Clock, ttl time.Duration) *channelCache {
	return &channelCache{
		lookup:  lookup,
		now:     now,
		ttl:     ttl,
		negTTL:  ttl / 6,
		refresh: 10 * time.Second,
		max:     10000,
		entries: map[string]*cacheEntry{},
	}
}

// get returns the channel, from memory when fresh.
func (c *channelCache) get(ctx context.Context, id string) (*switchboard.Channel, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok {
		ttl := c.ttl
		if e.err != nil {
			ttl = c.negTTL
		}
		if now.Sub(e.fetchedAt) < ttl {
			return e.ch, e.err
		}
	}
	return c.fetch(ctx, id, now)
}

// refreshed re-reads a channel whose cached secret failed verification, so a
// rotated secret takes effect at once rather than after the TTL. It returns nil
// when the entry is younger than the refresh interval: bad signatures must not be
// a way to make every request read the database.
func (c *channelCache) refreshed(ctx context.Context, id string) (*switchboard.Channel, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && now.Sub(e.fetchedAt) < c.refresh {
		return nil, nil
	}
	return c.fetch(ctx, id, now)
}

func (c *channelCache) fetch(ctx context.Context, id string, now time.Time) (*switchboard.Channel, error) {
	ch, err := c.lookup.LookupChannel(ctx, id)
	if err != nil && switchboard.ErrorCode(err) != switchboard.ENotFound {
		return nil, err // a failed read is not a fact about the channel: do not cache it
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		c.evict(now)
	}
	c.entries[id] = &cacheEntry{ch: ch, err: err, fetchedAt: now}
	return ch, err
}

// evict drops expired entries, and if that frees nothing, an arbitrary half.
func (c *channelCache) evict(now time.Time) {
	for k, e := range c.entries {
		if now.Sub(e.fetchedAt) >= c.ttl {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < c.max/2 {
			return
		}
		delete(c.entries, k)
	}
}
