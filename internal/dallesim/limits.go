package dallesim

import (
	"sync"
	"time"
)

// rateWindow is the span of the images-per-minute limit.
const rateWindow = time.Minute

// imageLimiter enforces an images-per-minute limit over a sliding window:
// a request for n images is admitted when the images admitted during the
// last minute plus n stay within the limit.
type imageLimiter struct {
	mu     sync.Mutex
	grants []grant // admitted requests, oldest first
	used   int     // sum of n over grants
}

type grant struct {
	at time.Time
	n  int
}

// admit records n images at now if the limit allows it. Otherwise it returns
// the images used in the window and how long until enough of them expire.
func (l *imageLimiter) admit(now time.Time, n, limit int) (ok bool, used int, retryAfter time.Duration) {
	if limit <= 0 {
		return true, 0, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(now)
	if l.used+n <= limit {
		l.grants = append(l.grants, grant{at: now, n: n})
		l.used += n
		return true, l.used, 0
	}
	if n > limit {
		// Never satisfiable; tell the client to come back after a full window.
		return false, l.used, rateWindow
	}
	// Walk forward until enough images have left the window.
	free := limit - l.used
	for _, g := range l.grants {
		free += g.n
		if free >= n {
			return false, l.used, g.at.Add(rateWindow).Sub(now)
		}
	}
	return false, l.used, rateWindow
}

// expire drops grants older than the window.
func (l *imageLimiter) expire(now time.Time) {
	cut := 0
	for cut < len(l.grants) && !now.Before(l.grants[cut].at.Add(rateWindow)) {
		l.used -= l.grants[cut].n
		cut++
	}
	if cut > 0 {
		l.grants = append(l.grants[:0], l.grants[cut:]...)
	}
}

func (l *imageLimiter) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.grants, l.used = nil, 0
}
