package kubeauth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCacheLoadsOnceAndExpires: concurrent misses share one load, answers
// live for the TTL load gave, and errors are not kept.
func TestCacheLoadsOnceAndExpires(t *testing.T) {
	c := newCache[string, int](10)
	now := time.Now()
	c.now = func() time.Time { return now }
	var loads atomic.Int32
	release := make(chan struct{})
	load := func(context.Context) (int, time.Duration, error) {
		loads.Add(1)
		<-release
		return 7, time.Minute, nil
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if v, err := c.Get(context.Background(), "k", load); err != nil || v != 7 {
				t.Errorf("%d %v", v, err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("%d loads for concurrent misses, want 1", n)
	}
	now = now.Add(2 * time.Minute)
	if _, _ = c.Get(context.Background(), "k", load); loads.Load() != 2 {
		t.Error("an expired answer was served")
	}
	boom := errors.New("boom")
	fail := func(context.Context) (int, time.Duration, error) { loads.Add(1); return 0, time.Minute, boom }
	for range 2 {
		if _, err := c.Get(context.Background(), "e", fail); !errors.Is(err, boom) {
			t.Fatal(err)
		}
	}
	if n := loads.Load(); n != 4 {
		t.Errorf("%d loads, want errors loaded again (4)", n)
	}
}
