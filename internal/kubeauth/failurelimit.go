package kubeauth

import (
	"fmt"
	"math"
	"net"
	"sync"
	"time"
)

// Every token the cache has not seen costs a TokenReview, a round trip on
// the API client the reconciler shares. A stream of random tokens would buy
// one each (6000 bad requests made 6000 reviews and slowed real calls), so
// reviews that end in a rejection are limited per source address: each
// address may cause authFailureBurst of them at once, refilled over
// authFailurePeriod. Past that, requests with a token the cache does not
// know get 429 and no review; cached answers (good and bad) still flow, so
// an agent whose token is known keeps working even behind the same address.
const (
	authFailureBurst  = 20
	authFailurePeriod = time.Minute
	// maxAuthFailureSources bounds the addresses remembered; the least
	// recently seen are forgotten first (they start again with a full
	// allowance, which only favours an address idle for the longest).
	maxAuthFailureSources = 10000
)

// ThrottledError says an address has caused too many failed token
// reviews lately; RetryAfter is when the next one is allowed.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many requests with invalid tokens from this address; try again in %d s", e.RetryAfterSeconds())
}

// RetryAfterSeconds is RetryAfter as a Retry-After value: whole seconds,
// at least 1.
func (e *ThrottledError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(e.RetryAfter.Seconds())))
}

// failureLimiter is a token bucket per source address. A review takes a
// token before it is made, and one that does not end in a rejection gives
// it back, so concurrent bad tokens from one address cannot all slip past
// the limit while their reviews are in flight.
type failureLimiter struct {
	burst float64
	// rate is tokens per second.
	rate float64
	now  func() time.Time

	mu      sync.Mutex // serialises each read-modify-write of a bucket
	buckets *lruCache[string, failureBucket]
}

// failureBucket is an address's allowance as of at. An address missing
// from the cache has a full one: entries expire when they would be full.
type failureBucket struct {
	tokens float64
	at     time.Time
}

func newFailureLimiter(burst int, period time.Duration, sources int) *failureLimiter {
	return &failureLimiter{burst: float64(burst), rate: float64(burst) / period.Seconds(), now: time.Now,
		buckets: newLRUCache[string, failureBucket](sources)}
}

// level is source's allowance now; callers hold l.mu.
func (l *failureLimiter) level(source string, now time.Time) float64 {
	b, ok := l.buckets.get(source, now)
	if !ok {
		return l.burst
	}
	return min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
}

// set stores source's allowance, remembered until it would be full again.
func (l *failureLimiter) set(source string, tokens float64, now time.Time) {
	full := now.Add(time.Duration((l.burst - tokens) / l.rate * float64(time.Second)))
	l.buckets.put(source, failureBucket{tokens: tokens, at: now}, full)
}

// take reserves a review for source; if none is left it returns false and
// how long until one is.
func (l *failureLimiter) take(source string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	tokens := l.level(source, now)
	if tokens < 1 {
		return time.Duration((1 - tokens) / l.rate * float64(time.Second)), false
	}
	l.set(source, tokens-1, now)
	return 0, true
}

// refund gives back a reservation whose review did not reject the token.
func (l *failureLimiter) refund(source string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.set(source, min(l.burst, l.level(source, now)+1), now)
}

// SourceOf is the address a request's failures are counted against: the
// peer's IP (a forwarded-for header would let a caller choose its own), and
// for IPv6 its /64, which one host can fill with addresses at will.
func SourceOf(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}
