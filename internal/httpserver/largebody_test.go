package httpserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLargeBodyLimiter(t *testing.T) {
	l := newLargeBodyLimiter(2, 10, time.Minute)
	var inFlight, peak atomic.Int32
	release := make(chan struct{})
	h := l.wrap(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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

// TestLargeBodyQueueWait: a request that cannot get a slot in time is
// answered 503 with Retry-After instead of waiting for ever.
func TestLargeBodyQueueWait(t *testing.T) {
	l := newLargeBodyLimiter(1, 10, 100*time.Millisecond)
	release := make(chan struct{})
	h := l.wrap(nil, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	held := make(chan struct{})
	go func() {
		defer close(held)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 100))))
	}()
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("y", 100))))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), `"unavailable"`) {
		t.Errorf("queued past the wait: %d %q Retry-After %q", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("answered after %v, want about the 100 ms queue wait", waited)
	}
	close(release)
	<-held
}

// TestLargeBodyAdmitFirst: a request admit refuses is answered by admit,
// never takes (or waits for) a slot, and its body is not read.
func TestLargeBodyAdmitFirst(t *testing.T) {
	l := newLargeBodyLimiter(1, 10, time.Minute)
	l.slots <- struct{}{} // every slot taken
	admit := func(w http.ResponseWriter, _ *http.Request) bool {
		http.Error(w, "no", http.StatusForbidden)
		return false
	}
	h := l.wrap(admit, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("a refused request was handled") }))
	body := &countingReader{r: strings.NewReader(strings.Repeat("x", 100))}
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", body))
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a refused request waited for a slot")
	}
	if rec.Code != http.StatusForbidden || body.n.Load() != 0 {
		t.Errorf("HTTP %d, %d body bytes read; want 403 and none", rec.Code, body.n.Load())
	}
}

// TestSmallChunkedBodyGivesSlotBack: a body of unknown length that turns
// out small frees its slot once read, while its handler still runs (an
// ordinary call waiting for its image).
func TestSmallChunkedBodyGivesSlotBack(t *testing.T) {
	l := newLargeBodyLimiter(1, 10, time.Minute)
	read, release := make(chan struct{}), make(chan struct{})
	h := l.wrap(nil, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		if r.Header.Get("X-Wait") != "" {
			close(read)
			<-release
		}
	}))
	chunked := func(body string, wait bool) *http.Request {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.ContentLength = -1
		if wait {
			req.Header.Set("X-Wait", "1")
		}
		return req
	}
	go h.ServeHTTP(httptest.NewRecorder(), chunked("small", true))
	<-read
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), chunked(strings.Repeat("x", 100), false))
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Error("a small chunked body kept its slot while its handler waited")
	}
	close(release)
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
