package kubeauth

import (
	"context"
	"sync"
	"time"
)

// cache remembers the answers of an expensive lookup (a TokenReview, a
// SubjectAccessReview) for a while: answers expire after the TTL their
// load returns, at most capacity are kept (least recently used go first, so
// a flood of new keys never empties it), and concurrent misses of one key
// share one load. Both reviewers keep their answers in one.
type cache[K comparable, V any] struct {
	lru *lruCache[K, V]
	now func() time.Time

	mu      sync.Mutex
	flights map[K]*flight[V]
}

// flight is a load in progress; done is closed once v and err are set.
type flight[V any] struct {
	done chan struct{}
	v    V
	err  error
}

func newCache[K comparable, V any](capacity int) *cache[K, V] {
	return &cache[K, V]{lru: newLRUCache[K, V](capacity), now: time.Now, flights: map[K]*flight[V]{}}
}

// Get returns the answer under key, loading it if there is none. load runs
// on a context that the caller's cancellation does not end, because other
// callers may be waiting for the same answer; it returns the answer and how
// long to keep it, or an error, which is returned to every waiter and not
// kept. A ttl of zero or less is not kept either.
func (c *cache[K, V]) Get(ctx context.Context, key K, load func(context.Context) (V, time.Duration, error)) (V, error) {
	if v, ok := c.lru.get(key, c.now()); ok {
		return v, nil
	}
	c.mu.Lock()
	if f, ok := c.flights[key]; ok {
		c.mu.Unlock()
		<-f.done
		return f.v, f.err
	}
	f := &flight[V]{done: make(chan struct{})}
	c.flights[key] = f
	c.mu.Unlock()

	defer func() {
		// Stored before the flight ends, so nobody loads it twice.
		c.mu.Lock()
		delete(c.flights, key)
		c.mu.Unlock()
		close(f.done)
	}()
	v, ttl, err := load(context.WithoutCancel(ctx))
	f.v, f.err = v, err
	if err == nil && ttl > 0 {
		c.lru.put(key, v, c.now().Add(ttl))
	}
	return v, err
}

// len is the number of answers held, expired or not.
func (c *cache[K, V]) len() int { return c.lru.len() }

// keys lists the keys held, most recently used first.
func (c *cache[K, V]) keys() []K { return c.lru.keys() }
