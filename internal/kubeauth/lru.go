package kubeauth

import (
	"container/list"
	"sync"
	"time"
)

// lruCache is a bounded map whose entries expire: cache (the token and access
// review answers) and the per-address failure limiter keep their entries in
// it. Past its capacity it evicts the least recently used entry, so a flood
// of new keys (random tokens, say) pushes out only entries nobody has asked
// for lately, never the whole cache. It is safe for concurrent use.
type lruCache[K comparable, V any] struct {
	mu       sync.Mutex
	capacity int
	order    *list.List // of *lruEntry[K, V], most recently used first
	entries  map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key     K
	value   V
	expires time.Time
}

func newLRUCache[K comparable, V any](capacity int) *lruCache[K, V] {
	return &lruCache[K, V]{capacity: max(capacity, 1), order: list.New(), entries: map[K]*list.Element{}}
}

// get returns the value under key if it has not expired by now, and marks
// it recently used. An expired entry is dropped.
func (c *lruCache[K, V]) get(key K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.entries[key]
	if !ok {
		return zero, false
	}
	e := el.Value.(*lruEntry[K, V])
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return zero, false
	}
	c.order.MoveToFront(el)
	return e.value, true
}

// put stores value under key until expires, as the most recently used
// entry, evicting the least recently used ones past the capacity.
func (c *lruCache[K, V]) put(key K, value V, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*lruEntry[K, V])
		e.value, e.expires = value, expires
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(&lruEntry[K, V]{key: key, value: value, expires: expires})
	for c.order.Len() > c.capacity {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*lruEntry[K, V]).key)
	}
}

// len is the number of entries held, expired or not.
func (c *lruCache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// keys lists the keys held, most recently used first.
func (c *lruCache[K, V]) keys() []K {
	c.mu.Lock()
	defer c.mu.Unlock()
	ks := make([]K, 0, c.order.Len())
	for el := c.order.Front(); el != nil; el = el.Next() {
		ks = append(ks, el.Value.(*lruEntry[K, V]).key)
	}
	return ks
}
