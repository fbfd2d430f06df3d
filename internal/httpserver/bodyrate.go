package httpserver

import (
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/imagegen/imagegen-operator/internal/httpapi"
)

// Request bodies are read against a minimum average rate rather than a
// fixed timeout: a fixed one long enough for a 12 MiB upload (the default
// --mcp-max-body-bytes) over a slow link would let a client that sends a
// byte a second hold its connection (and a large-body slot, see
// largebody.go) for as long. After a grace period a body must keep arriving
// at MinBodyRate on average, or the read fails and the request is answered
// 408. At the defaults the largest /mcp body (12 MiB) may take 10 s + 384 s;
// an edit with inputs in a Secret (at most 1 MiB, about 1.4 MiB of base64)
// takes under a minute at 32 KiB/s (256 kbit/s), one with a store (two
// inputs under 4 MB, under 11 MiB of base64) under six minutes.
const (
	defaultBodyReadGrace = 10 * time.Second
	defaultMinBodyRate   = 32 << 10 // bytes per second
)

// maxBodyReadTime is the longest reading the largest body may take at the
// minimum rate: the http.Server's ReadTimeout, a backstop for any request
// the pacing does not cover.
func maxBodyReadTime(maxBody int64, grace time.Duration, rate int64) time.Duration {
	return grace + time.Duration(maxBody/rate)*time.Second
}

// pacedBody moves the connection's read deadline along as the body
// arrives: it is start + grace + read/rate, the latest time the body is
// still on pace. When the body ends, net/http clears the deadline itself
// (it starts its background read, which watches for the client going
// away), so a call that then waits for its image is not cut.
type pacedBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	grace time.Duration
	rate  int64
	read  int64
}

func (b *pacedBody) deadline() time.Time {
	return b.start.Add(b.grace + time.Duration(float64(b.read)/float64(b.rate)*float64(time.Second)))
}

func (b *pacedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if err == nil && n > 0 {
		// Not after EOF: that would put back a deadline net/http has
		// just cleared for the rest of the request.
		_ = b.rc.SetReadDeadline(b.deadline())
	}
	if ne := net.Error(nil); err != nil && errors.As(err, &ne) && ne.Timeout() {
		err = &httpapi.BodyTooSlowError{Read: b.read, Elapsed: time.Since(b.start), Rate: b.rate}
	}
	return n, err
}

// paceBodies applies the minimum rate to every request body that next
// reads. The clock starts here, after any wait for a large-body slot: a
// client queued for one is not sending yet.
func (s *Server) paceBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		b := &pacedBody{ReadCloser: r.Body, rc: http.NewResponseController(w), start: time.Now(),
			grace: s.opts.BodyReadGrace, rate: s.opts.MinBodyRate}
		if err := b.rc.SetReadDeadline(b.deadline()); err != nil {
			next.ServeHTTP(w, r) // not a server connection (a test recorder)
			return
		}
		r.Body = b
		next.ServeHTTP(w, r)
	})
}
