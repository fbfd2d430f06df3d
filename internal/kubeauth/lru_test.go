package kubeauth

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestLRUCacheEvictsLeastRecentlyUsed(t *testing.T) {
	now := time.Now()
	later := now.Add(time.Hour)
	c := newLRUCache[string, int](3)
	c.put("a", 1, later)
	c.put("b", 2, later)
	c.put("c", 3, later)
	if v, ok := c.get("a", now); !ok || v != 1 { // a is now the most recently used
		t.Fatalf("a: %d %v", v, ok)
	}
	c.put("d", 4, later) // evicts b, the least recently used, not a
	if _, ok := c.get("b", now); ok {
		t.Error("b survived; it was the least recently used")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.get(k, now); !ok {
			t.Errorf("%s was evicted", k)
		}
	}
	if got := c.keys(); !slices.Equal(got, []string{"d", "c", "a"}) {
		t.Errorf("keys %v, want most recently used first", got)
	}
	// Updating a key keeps one entry and refreshes it.
	c.put("a", 10, later)
	if v, _ := c.get("a", now); v != 10 || c.len() != 3 {
		t.Errorf("after an update: a=%d, %d entries", v, c.len())
	}
}

func TestLRUCacheExpiry(t *testing.T) {
	now := time.Now()
	c := newLRUCache[string, string](10)
	c.put("k", "v", now.Add(time.Second))
	if _, ok := c.get("k", now); !ok {
		t.Fatal("a fresh entry is missing")
	}
	if _, ok := c.get("k", now.Add(time.Second)); ok {
		t.Error("an entry is served at its expiry")
	}
	if c.len() != 0 {
		t.Errorf("an expired entry is kept after a get: %d entries", c.len())
	}
}

// TestLRUCacheFloodKeepsHotEntries: a flood of new keys far past the
// capacity never empties the cache, and an entry in use survives it.
func TestLRUCacheFloodKeepsHotEntries(t *testing.T) {
	now := time.Now()
	c := newLRUCache[string, int](100)
	c.put("hot", 1, now.Add(time.Hour))
	for i := range 10000 {
		c.put(fmt.Sprint("cold-", i), i, now.Add(time.Hour))
		if i%50 == 0 {
			if _, ok := c.get("hot", now); !ok {
				t.Fatalf("the entry in use was evicted after %d new keys", i)
			}
		}
	}
	if c.len() != 100 {
		t.Errorf("%d entries, want the capacity, 100", c.len())
	}
}
