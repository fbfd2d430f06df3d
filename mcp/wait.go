package mcp

import (
	"context"
	"errors"
	"fmt"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// errCallerGone says the HTTP client disconnected while a call waited.
var errCallerGone = errors.New("the client disconnected")

// waitOutcome is where a wait ended.
type waitOutcome struct {
	// ir is the latest state seen.
	ir *imagesv1alpha1.ImageRequest
	// rateLimited is set when any state seen was a retry after a rate limit,
	// and retryAfter is the longest such wait: a request that then ran out
	// of attempts failed because of the upstream's rate limit.
	rateLimited bool
	retryAfter  time.Duration
}

// reporter is told about each state worth reporting while waiting:
// heartbeat is false for a change of phase, attempts or reason.
type reporter func(ir *imagesv1alpha1.ImageRequest, heartbeat bool)

// await follows the request from its created state until it is terminal,
// wait elapses or ctx ends (the client gave up: the request is left alone
// to finish). Updates come from the shared informer through the hub.
func (s *Server) await(ctx context.Context, created *imagesv1alpha1.ImageRequest, wait time.Duration, report reporter) (waitOutcome, error) {
	key := types.NamespacedName{Namespace: created.Namespace, Name: created.Name}
	w, stop := s.hub.wait(key)
	defer stop()

	out := waitOutcome{ir: created}
	observe := func(ir *imagesv1alpha1.ImageRequest) {
		out.ir = ir
		if ir.Status.Reason == imagesv1alpha1.ReasonRateLimited {
			out.rateLimited = true
			if next, last := ir.Status.NextAttemptTime, ir.Status.LastAttemptTime; next != nil && last != nil {
				out.retryAfter = max(out.retryAfter, next.Sub(last.Time))
			}
		}
	}
	// Events before the waiter was registered are in the cache already.
	var cached imagesv1alpha1.ImageRequest
	if err := s.reader.Get(ctx, key, &cached); err == nil && cached.UID == created.UID && newer(&cached, created) {
		observe(&cached)
	}
	last := out.ir
	if report != nil {
		report(last, false)
	}
	if out.ir.Status.Phase.IsTerminal() || wait <= 0 {
		return out, nil
	}

	gone := requestDone(ctx)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	heartbeat := time.NewTicker(s.opts.HeartbeatInterval)
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
			if !newer(ev.obj, out.ir) {
				continue
			}
			observe(ev.obj.DeepCopy())
			if changed(last, out.ir) {
				last = out.ir
				if report != nil {
					report(last, false)
				}
				heartbeat.Reset(s.opts.HeartbeatInterval)
			}
			if out.ir.Status.Phase.IsTerminal() {
				return out, nil
			}
		case <-heartbeat.C:
			if report != nil {
				report(out.ir, true)
			}
		case <-deadline.C:
			return out, nil
		case <-ctx.Done():
			return out, ctx.Err()
		case <-gone:
			return out, errCallerGone
		case <-s.stopping:
			return out, fmt.Errorf("%w; ImageRequest %s carries on: follow it with get_image_request", errShuttingDown, key)
		}
	}
}

// changed reports whether b differs from a in what a caller follows.
func changed(a, b *imagesv1alpha1.ImageRequest) bool {
	return a.Status.Phase != b.Status.Phase || a.Status.Attempts != b.Status.Attempts || a.Status.Reason != b.Status.Reason
}

// getRequest reads an ImageRequest from the shared cache. A miss is asked
// of the API server before it becomes a 404: a client polling right after
// its create (a 202's poll URL) may be faster than the watch, and must not
// be told its request does not exist.
func (s *Server) getRequest(ctx context.Context, namespace, name string) (*imagesv1alpha1.ImageRequest, error) {
	var ir imagesv1alpha1.ImageRequest
	key := client.ObjectKey{Namespace: namespace, Name: name}
	err := s.reader.Get(ctx, key, &ir)
	if apierrors.IsNotFound(err) && s.apiReader != nil {
		err = s.apiReader.Get(ctx, key, &ir)
	}
	if err != nil {
		return nil, err
	}
	return &ir, nil
}
