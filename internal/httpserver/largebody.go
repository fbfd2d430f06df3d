package httpserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/imagegen/imagegen-operator/internal/httpapi"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// A request body this large is an edit's upload: without an artifact store
// it cannot become an ImageRequest (its inputs would not fit the input
// Secret), yet the transport must read it to say so by name; with one it
// may be an edit of several large images. largeBodySlots bounds how many such bodies are in memory at
// once, so a burst of oversized uploads cannot exhaust the manager's memory;
// ordinary calls never wait for a slot.
//
// A slot must not be something anyone can sit on: it is granted only to a
// caller who may create ImageRequests (admitLargeBody, before the body is
// read), its body is paced (bodyrate.go) so a trickling client loses it
// within the grace period, and a request waits at most
// defaultLargeBodyQueueWait for one before it is told to come back.
const (
	largeBodyBytes = 2 << 20
	largeBodySlots = 4
	// defaultLargeBodyQueueWait bounds the wait for a slot; then 503.
	defaultLargeBodyQueueWait = 30 * time.Second
	// largeBodyRetryAfter is the Retry-After of that 503.
	largeBodyRetryAfter = 5
)

type largeBodyLimiter struct {
	threshold int64
	slots     chan struct{}
	queueWait time.Duration
}

func newLargeBodyLimiter(slots int, threshold int64, queueWait time.Duration) *largeBodyLimiter {
	return &largeBodyLimiter{threshold: threshold, slots: make(chan struct{}, slots), queueWait: queueWait}
}

// wrap makes requests with a large (or unknown, chunked) body pass admit,
// which answers those it refuses, and then take a slot before their body
// is read. Waiters get slots in the order they asked (a channel's senders
// are queued first in, first out), so clients that keep reconnecting cannot
// jump ahead of one that waits.
func (l *largeBodyLimiter) wrap(admit func(http.ResponseWriter, *http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || (r.ContentLength >= 0 && r.ContentLength <= l.threshold) {
			next.ServeHTTP(w, r)
			return
		}
		if admit != nil && !admit(w, r) {
			return
		}
		queued := time.NewTimer(l.queueWait)
		defer queued.Stop()
		select {
		case l.slots <- struct{}{}:
		case <-queued.C:
			httpapi.LeaveBodyUnread(w, r)
			w.Header().Set("Retry-After", strconv.Itoa(largeBodyRetryAfter))
			httpapi.WriteError(w, http.StatusServiceUnavailable, httpapi.Error{Code: httpapi.CodeUnavailable, Message: fmt.Sprintf(
				"the server is reading as many request bodies over %d bytes (or of unknown length) as it allows; try again in %d s, or send a smaller body with a Content-Length",
				l.threshold, largeBodyRetryAfter)})
			return
		case <-r.Context().Done():
			return
		}
		held := &slotBody{ReadCloser: r.Body, threshold: l.threshold, release: sync.OnceFunc(func() { <-l.slots })}
		defer held.release()
		r.Body = held
		next.ServeHTTP(w, r)
	})
}

// slotBody gives its slot back as soon as a body of unknown length turns
// out small once read: an ordinary call sent chunked must not keep a slot
// while it waits minutes for its image. A large body keeps it until the
// request is answered (it is refused quickly; its bytes are in memory).
type slotBody struct {
	io.ReadCloser
	read, threshold int64
	release         func()
}

func (b *slotBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if errors.Is(err, io.EOF) && b.read <= b.threshold {
		b.release()
	}
	return n, err
}

// admitLargeBody runs before a large or chunked body is read, so that only
// a caller who could create an ImageRequest can hold a slot (or wait for
// one): any token, even one bound to no role, could otherwise fill them.
// The body is not read yet, so the namespace checked is the one in the
// query (?namespace=, on /mcp and the REST endpoints alike), else the
// caller's default (its ServiceAccount's, else --mcp-default-namespace). A
// caller whose rights lie elsewhere names that namespace in the query.
// Once read, a body that names another namespace is authorised again for
// it (the service's Prepare). Anonymous callers (--mcp-auth=none) pass.
func (s *Server) admitLargeBody(w http.ResponseWriter, r *http.Request) bool {
	caller := imagerequests.CallerFrom(r.Context())
	ns, err := s.svc.ResolveNamespace(caller, r.URL.Query().Get("namespace"))
	if err == nil {
		err = s.svc.Authorize(r.Context(), caller, "create", ns, "")
	}
	if err == nil {
		return true
	}
	httpapi.LeaveBodyUnread(w, r)
	var fe *imagerequests.ForbiddenError
	switch ies := imagerequests.AsInputErrors(err); {
	case ies != nil:
		httpapi.WriteError(w, http.StatusBadRequest, httpapi.Error{Code: httpapi.CodeInvalidArgument, Field: ies[0].Field, Rule: ies[0].Rule, Message: ies.Error()})
	case errors.As(err, &fe):
		s.log.V(1).Info("large body refused before reading it", "user", caller.Name(), "namespace", ns, "path", r.URL.Path)
		httpapi.WriteError(w, http.StatusForbidden, httpapi.Error{Code: httpapi.CodeForbidden, Message: fe.Error() +
			fmt.Sprintf("; a body over %d MiB or of unknown length is only read for a caller who may create ImageRequests in the namespace of ?namespace= or, without it, the caller's default namespace", largeBodyBytes>>20)})
	default:
		s.log.Error(err, "authorising a large body")
		httpapi.WriteError(w, http.StatusServiceUnavailable, httpapi.Error{Code: httpapi.CodeUnavailable, Message: "could not check the caller's access with the Kubernetes API server; try again"})
	}
	return false
}
