package mcp

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLargeBodyLimiter(t *testing.T) {
	l := newLargeBodyLimiter(2, 10)
	var inFlight, peak atomic.Int32
	release := make(chan struct{})
	h := l.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if r.ContentLength > 10 {
			<-release
		}
	}))
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 100))))
		})
	}
	time.Sleep(50 * time.Millisecond)
	// Small bodies pass while the large ones wait.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader("small")))
	close(release)
	wg.Wait()
	if p := peak.Load(); p > 3 {
		t.Errorf("%d requests in flight at once, want at most 2 large (+1 small)", p)
	}
}
