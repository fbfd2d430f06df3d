package dallesim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FaultKind names a scripted failure.
type FaultKind string

// The scripted failures a Server can inject.
const (
	// FaultRateLimit answers 429 rate_limit_exceeded (type "requests") with Retry-After.
	FaultRateLimit FaultKind = "rate_limit"
	// FaultInsufficientQuota answers 429 insufficient_quota (type "insufficient_quota").
	FaultInsufficientQuota FaultKind = "insufficient_quota"
	// FaultBillingHardLimit answers 400 billing_hard_limit_reached.
	FaultBillingHardLimit FaultKind = "billing_hard_limit"
	// FaultServerError answers 500 (type "server_error", code null).
	FaultServerError FaultKind = "server_error"
	// FaultOverloaded answers 503 (type "server_error", code null): the model is overloaded.
	FaultOverloaded FaultKind = "overloaded"
	// FaultConnectionReset drops the TCP connection without a response, with
	// SO_LINGER 0 so the client sees a reset.
	FaultConnectionReset FaultKind = "connection_reset"
	// FaultHang holds the request until the client gives up or Duration
	// elapses, then does what AfterHang says.
	FaultHang FaultKind = "hang"
)

// What a hang fault does once its Duration elapses.
const (
	// HangThenAnswer carries on and answers the request normally (the default).
	HangThenAnswer = "answer"
	// HangThenClose resets the connection without answering.
	HangThenClose = "close"
)

// DefaultRetryAfterSeconds is the Retry-After of a FaultRateLimit that sets none.
const DefaultRetryAfterSeconds = 1

// Fault is one scripted failure. Faults are consumed in the order they were
// added, one per API request, by the first request that passes validation
// and whose prompt contains Match.
type Fault struct {
	Kind FaultKind
	// Match scopes the fault to requests whose prompt contains it; empty
	// matches any request. Parallel tests sharing a Server should each use a
	// distinct Match so they do not consume each other's faults.
	Match string
	// RetryAfterSeconds is the Retry-After header of FaultRateLimit
	// (DefaultRetryAfterSeconds when 0).
	RetryAfterSeconds int
	// Duration bounds a FaultHang; 0 holds until the client gives up.
	Duration time.Duration
	// AfterHang is HangThenAnswer (default) or HangThenClose.
	AfterHang string
}

// validate rejects faults the simulator cannot carry out.
func (f Fault) validate() error {
	switch f.Kind {
	case FaultRateLimit, FaultInsufficientQuota, FaultBillingHardLimit, FaultServerError,
		FaultOverloaded, FaultConnectionReset, FaultHang:
	default:
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	if f.RetryAfterSeconds < 0 || f.Duration < 0 {
		return fmt.Errorf("fault %s: retryAfterSeconds and duration must not be negative", f.Kind)
	}
	switch f.AfterHang {
	case "", HangThenAnswer, HangThenClose:
	default:
		return fmt.Errorf("fault %s: afterHang must be %q or %q, got %q", f.Kind, HangThenAnswer, HangThenClose, f.AfterHang)
	}
	return nil
}

// apiError is the error response of an answering fault; nil for the kinds
// that do not answer (reset, hang).
func (f Fault) apiError() *apiError {
	switch f.Kind {
	case FaultRateLimit:
		retry := f.RetryAfterSeconds
		if retry == 0 {
			retry = DefaultRetryAfterSeconds
		}
		// A scripted 429 reports a plausible, made-up window.
		return errRateLimited(50, 50, 1, retry)
	case FaultInsufficientQuota:
		return errInsufficientQuota()
	case FaultBillingHardLimit:
		return errBillingHardLimit()
	case FaultServerError:
		return errServer()
	case FaultOverloaded:
		return errOverloaded()
	}
	return nil
}

// faultQueue is the ordered script of pending faults.
type faultQueue struct {
	mu      sync.Mutex
	pending []Fault
}

func (q *faultQueue) add(faults ...Fault) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending, faults...)
}

// take removes and returns the first pending fault that matches prompt.
func (q *faultQueue) take(prompt string) (Fault, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, f := range q.pending {
		if strings.Contains(prompt, f.Match) {
			q.pending = append(q.pending[:i:i], q.pending[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

func (q *faultQueue) clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = nil
}

func (q *faultQueue) list() []Fault {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Fault(nil), q.pending...)
}

// AddFault appends faults to the script.
func (s *Server) AddFault(faults ...Fault) error {
	for _, f := range faults {
		if err := f.validate(); err != nil {
			return fmt.Errorf("adding fault: %w", err)
		}
	}
	s.faults.add(faults...)
	return nil
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() { s.faults.clear() }

// PendingFaults returns the faults not yet consumed, in order.
func (s *Server) PendingFaults() []Fault { return s.faults.list() }

// injectFault carries out f. It reports whether the request should go on
// being served (only a hang that ends with HangThenAnswer does).
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, call *Call, f Fault) (proceed bool) {
	call.Fault = f.Kind
	s.stats.faultInjected()
	s.log.Info("injecting fault", "kind", f.Kind, "match", f.Match, "request_id", call.RequestID)
	switch f.Kind {
	case FaultConnectionReset:
		s.resetConnection(w, call)
		return false
	case FaultHang:
		if !s.held(w, call, s.hold(r.Context(), f.Duration)) {
			return false
		}
		if f.AfterHang == HangThenClose {
			s.resetConnection(w, call)
			return false
		}
		return true
	}
	s.fail(w, call, f.apiError())
	return false
}

// errServerClosed reports that Close released a held request.
var errServerClosed = errors.New("dallesim: server closed")

// hold waits for d (forever when d is 0). It returns nil when d elapsed,
// the context's error when the client gave up, or errServerClosed.
func (s *Server) hold(ctx context.Context, d time.Duration) error {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return errServerClosed
	}
}

// held reports whether a request may go on after hold returned err; when it
// may not, the call is recorded as abandoned, and a request released by
// Close has its connection dropped rather than answered.
func (s *Server) held(w http.ResponseWriter, call *Call, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, errServerClosed):
		s.resetConnection(w, call)
	default:
		call.markAbandoned()
	}
	return false
}

// resetConnection drops the client's connection without a response. Over
// HTTP/1 it hijacks the TCP connection and closes it with SO_LINGER 0 so the
// peer gets an RST; where hijacking is impossible (HTTP/2) it aborts the
// handler, which resets the stream.
func (s *Server) resetConnection(w http.ResponseWriter, call *Call) {
	call.ConnectionReset = true
	call.Status = 0
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	if rw, ok := w.(*responseWriter); ok {
		rw.resetConn = conn // closed by serveAPI right after the call is recorded
		return
	}
	_ = conn.Close()
}
