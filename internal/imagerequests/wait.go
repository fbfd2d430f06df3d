package imagerequests

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// ErrCallerGone says the client disconnected while a call waited (see
// WithClientDone).
var ErrCallerGone = errors.New("the client disconnected")

// ErrShuttingDown ends a wait when the server stops: the replica is going
// away (a rollout, a drain), not the caller.
var ErrShuttingDown = errors.New("the server is shutting down")

// Outcome is where a wait ended.
type Outcome struct {
	// Request is the latest state seen. Why its last attempt failed is
	// in its status.lastFailure.
	Request *imagesv1alpha1.ImageRequest
}

// Reporter is told about each state worth reporting while waiting:
// heartbeat is false for a change of phase, attempts or reason.
type Reporter func(ir *imagesv1alpha1.ImageRequest, heartbeat bool)

// Await follows the request from its created state until it is terminal,
// wait elapses or ctx ends (the client gave up: the request is left alone
// to finish). Updates come from the shared informer through the hub. The
// request it ends with carries freshly signed URLs, as Get's does.
func (s *Service) Await(ctx context.Context, created *imagesv1alpha1.ImageRequest, wait time.Duration, report Reporter) (Outcome, error) {
	out, err := s.await(ctx, created, wait, report)
	fresh, ferr := s.withFreshURLs(ctx, out.Request)
	if ferr != nil {
		// The wait's own error, if any, says more about where the call is.
		return out, errors.Join(err, ferr)
	}
	out.Request = fresh
	return out, err
}

func (s *Service) await(ctx context.Context, created *imagesv1alpha1.ImageRequest, wait time.Duration, report Reporter) (Outcome, error) {
	key := types.NamespacedName{Namespace: created.Namespace, Name: created.Name}
	w, stop := s.hub.wait(key)
	defer stop()

	out := Outcome{Request: created}
	// Events before the waiter was registered are in the cache already.
	var cached imagesv1alpha1.ImageRequest
	if err := s.reader.Get(ctx, key, &cached); err == nil && cached.UID == created.UID && newer(&cached, created) {
		out.Request = &cached
	}
	last := out.Request
	if report != nil {
		report(last, false)
	}
	if out.Request.Status.Phase.IsTerminal() || wait <= 0 {
		return out, nil
	}

	gone := clientDone(ctx)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	heartbeat := time.NewTicker(s.heartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case ev := <-w.ch:
			if ev.obj.UID != created.UID {
				continue // a namesake from before or after
			}
			if ev.deleted {
				return out, fmt.Errorf("ImageRequest %s was deleted while waiting for it", key)
			}
			if !newer(ev.obj, out.Request) {
				continue
			}
			out.Request = ev.obj.DeepCopy()
			if changed(last, out.Request) {
				last = out.Request
				if report != nil {
					report(last, false)
				}
				heartbeat.Reset(s.heartbeat)
			}
			if out.Request.Status.Phase.IsTerminal() {
				return out, nil
			}
		case <-heartbeat.C:
			if report != nil {
				report(out.Request, true)
			}
		case <-deadline.C:
			return out, nil
		case <-ctx.Done():
			return out, ctx.Err()
		case <-gone:
			return out, ErrCallerGone
		case <-s.stopping:
			return out, fmt.Errorf("%w; ImageRequest %s carries on: follow it with get_image_request", ErrShuttingDown, key)
		}
	}
}

// changed reports whether b differs from a in what a caller follows.
func changed(a, b *imagesv1alpha1.ImageRequest) bool {
	return a.Status.Phase != b.Status.Phase || a.Status.Attempts != b.Status.Attempts || a.Status.Reason != b.Status.Reason
}
