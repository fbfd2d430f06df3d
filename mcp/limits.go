package mcp

import (
	"net/http"
)

// A request body this large cannot become an ImageRequest (its inputs
// would not fit the input Secret), yet the transport must read it to say
// so by name. largeBodySlots bounds how many such bodies are in memory at
// once, so a burst of oversized uploads cannot exhaust the manager's memory;
// ordinary calls never wait for a slot.
const (
	largeBodyBytes = 2 << 20
	largeBodySlots = 4
)

type largeBodyLimiter struct {
	threshold int64
	slots     chan struct{}
}

func newLargeBodyLimiter(slots int, threshold int64) *largeBodyLimiter {
	return &largeBodyLimiter{threshold: threshold, slots: make(chan struct{}, slots)}
}

// wrap makes requests with a large (or unknown, chunked) body take a slot
// for as long as they are handled.
func (l *largeBodyLimiter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || (r.ContentLength >= 0 && r.ContentLength <= l.threshold) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case l.slots <- struct{}{}:
			defer func() { <-l.slots }()
		case <-r.Context().Done():
			return
		}
		next.ServeHTTP(w, r)
	})
}
