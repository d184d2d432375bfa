// Package ttlcache keeps what a warm Lambda read recently (channels, rules,
// teams, bots), so handling an event costs no read of configuration. Entries
// live for a fixed time. Errors are not cached, because a failed read is not a
// fact about the thing read, with one opt-in exception: WithNotFoundTTL caches
// "not found", which is such a fact, so probes of unknown keys cost no read each.
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
	opts  options

	mu      sync.Mutex
	entries map[string]entry[V]
}

type entry[V any] struct {
	v         V
	err       error // non-nil only for a cached ENotFound
	fetchedAt time.Time
}

// Option changes how a Cache treats misses and forced refreshes. The zero set of
// options is the plain read-through cache.
type Option func(*options)

type options struct {
	notFoundTTL     time.Duration
	refreshInterval time.Duration
}

// WithNotFoundTTL caches a fetch that fails with switchboard.ENotFound for ttl,
// so a flood of requests for a key that does not exist (a bogus id in a URL)
// costs one read per ttl rather than one each. Keep it shorter than the cache's
// TTL: a key created meanwhile stays unknown to this process until it expires.
// Zero or less keeps the default, which is to cache no error at all.
func WithNotFoundTTL(ttl time.Duration) Option {
	return func(o *options) { o.notFoundTTL = ttl }
}

// WithRefreshInterval makes Refresh leave alone a key read less than d ago, by
// Get or by Refresh. Refresh is for callers that suspect a cached value is stale
// because of something a client sent (a signature that does not verify against
// a cached secret, say); the interval keeps such clients from turning every
// request into a read. Zero or less keeps the default: Refresh always reads.
func WithRefreshInterval(d time.Duration) Option {
	return func(o *options) { o.refreshInterval = d }
}

// New returns a cache that reads misses with fetch and keeps at most max
// entries for ttl each.
func New[V any](fetch func(context.Context, string) (V, error), now switchboard.Clock, ttl time.Duration, max int, opts ...Option) *Cache[V] {
	if now == nil {
		now = time.Now
	}
	if max < 2 {
		max = 2
	}
	c := &Cache[V]{fetch: fetch, now: now, ttl: ttl, max: max, entries: map[string]entry[V]{}}
	for _, o := range opts {
		o(&c.opts)
	}
	return c
}

// Get returns the value for key, from memory while it is younger than the TTL
// (or a cached ENotFound while younger than the not-found TTL). When the cache
// is full it first drops expired entries, then arbitrary ones down to half, so
// memory stays bounded however many keys a Lambda sees.
func (c *Cache[V]) Get(ctx context.Context, key string) (V, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Sub(e.fetchedAt) < c.lifetime(e) {
		return e.v, e.err
	}
	return c.read(ctx, key, now)
}

// Refresh reads key again even though it may be cached, for a caller with
// reason to think the cached value is stale, and stores the result as Get
// would. With WithRefreshInterval, a key read less than the interval ago is not
// read again: Refresh then returns what is cached (the zero value if nothing
// is) with fresh false. fresh is true when v and err come from a read made now.
func (c *Cache[V]) Refresh(ctx context.Context, key string) (v V, fresh bool, err error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Sub(e.fetchedAt) < c.opts.refreshInterval {
		return e.v, false, e.err
	}
	v, err = c.read(ctx, key, now)
	return v, true, err
}

// Forget drops key, so the next Get reads it again (after a write this process
// made, for instance).
func (c *Cache[V]) Forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}

// read fetches key and keeps the result if it is a value, or an ENotFound the
// options say to cache.
func (c *Cache[V]) read(ctx context.Context, key string, now time.Time) (V, error) {
	var zero V
	v, err := c.fetch(ctx, key)
	e := entry[V]{v: v, fetchedAt: now}
	if err != nil {
		if c.opts.notFoundTTL <= 0 || switchboard.ErrorCode(err) != switchboard.ENotFound {
			return zero, err
		}
		e = entry[V]{v: zero, err: err, fetchedAt: now}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, old := range c.entries {
			if now.Sub(old.fetchedAt) >= c.lifetime(old) || len(c.entries) >= c.max/2 {
				delete(c.entries, k)
			}
		}
	}
	c.entries[key] = e
	return e.v, e.err
}

// lifetime is how long e may be served from memory.
func (c *Cache[V]) lifetime(e entry[V]) time.Duration {
	if e.err != nil {
		return c.opts.notFoundTTL
	}
	return c.ttl
}
