package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// Once an attempt is recorded, its upstream call and the write of what the
// call returned are paid work: losing either means the next reconcile (here
// or in the next manager) finds the request Running, counts the attempt as
// spent and pays again. Two things in a real cluster would lose it, and
// this file is the answer to both:
//
//   - A rolling update, node drain or eviction stops the manager (SIGTERM),
//     which cancels every reconcile's context. Paid work runs on a context
//     that ignores that cancellation for up to Options.DrainTimeout, so the
//     calls in flight finish and their outcomes are written; no new call
//     starts, because recording an attempt still uses the cancelled
//     context. The manager's graceful-shutdown timeout is sized to the
//     drain, and the leader lease is released only after it.
//   - The API server goes away (a control-plane upgrade) while calls are in
//     flight. The outcome is held in memory, in the reconcile that made the
//     call, and its write retried with backoff for as long as it is worth
//     something: a URL result until its links expire. The workqueue never
//     hands the same request to a second worker meanwhile, so nothing in
//     this process can take it for interrupted.

// outcomeHoldLimit bounds how long an outcome without an expiry (a failure,
// a retry to schedule) keeps waiting for the API server.
const outcomeHoldLimit = time.Hour

// outcomeWriteTryTimeout bounds one write or read while holding an
// outcome, so a connection that hangs rather than fails is given up on and
// tried again.
const outcomeWriteTryTimeout = 15 * time.Second

// errOutcomeSuperseded says the request moved on without this outcome.
var errOutcomeSuperseded = errors.New("the request moved on since this attempt was recorded")

// paidWorkContext returns the context for paid work: it carries ctx's
// values but not its cancellation, and ends drain after ctx does (or when
// cancel is called).
func paidWorkContext(ctx context.Context, drain time.Duration) (context.Context, context.CancelFunc) {
	paid, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		timer := time.AfterFunc(drain, cancel)
		context.AfterFunc(paid, func() { timer.Stop() })
	})
	return paid, func() {
		stop()
		cancel()
	}
}

// recordOutcome writes what attempt's call returned: apply sets the
// outcome on the object it is given (it may be called more than once, on
// fresher copies, so it sets values rather than changing them). The write
// is fenced on the attempt: it only lands while the request is still
// Running that attempt, so a deposed leader finishing late, or a write that
// landed although its answer was lost, can never overwrite newer state.
// Transient API errors are retried with backoff until validUntil or until
// ctx (paid work, see paidWorkContext) ends. On success ir holds the
// written object.
func (r *ImageRequestReconciler) recordOutcome(ctx context.Context, ir *imagesv1alpha1.ImageRequest, attempt int32, validUntil time.Time, apply func(*imagesv1alpha1.ImageRequest)) error {
	log := ctrl.LoggerFrom(ctx)
	base := ir.DeepCopy()
	apply(ir)
	delay := wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 1 << 30, Cap: 5 * time.Second}
	var lastLogged time.Time
	for failures := 0; ; failures++ {
		err := r.tryOutcomeWrite(ctx, ir, base)
		switch {
		case err == nil:
			if failures > 0 {
				log.Info("outcome written after the API server came back", "phase", ir.Status.Phase, "failedWrites", failures)
			}
			return nil
		case apierrors.IsNotFound(err):
			return err // deleted: nothing is left to record
		case apierrors.IsConflict(err):
			fresh := &imagesv1alpha1.ImageRequest{}
			if getErr := r.readFresh(ctx, client.ObjectKeyFromObject(ir), fresh); getErr != nil {
				if apierrors.IsNotFound(getErr) {
					return getErr
				}
				err = getErr
				break
			}
			if fresh.Status.Phase != imagesv1alpha1.PhaseRunning || fresh.Status.Attempts != attempt {
				log.Info("not recording the outcome: the request moved on", "attempt", attempt,
					"phase", fresh.Status.Phase, "attempts", fresh.Status.Attempts)
				*ir = *fresh
				return errOutcomeSuperseded
			}
			base, *ir = fresh.DeepCopy(), *fresh
			apply(ir)
			continue
		}
		now := r.Clock.Now()
		if ctx.Err() != nil || !now.Before(validUntil) {
			return fmt.Errorf("writing the outcome of attempt %d (phase %s), given up after %d tries: %w", attempt, ir.Status.Phase, failures+1, err)
		}
		if now.Sub(lastLogged) >= 30*time.Second {
			lastLogged = now
			log.Info("cannot reach the API server; holding the paid outcome and retrying", "attempt", attempt,
				"phase", ir.Status.Phase, "until", validUntil.UTC().Format(time.RFC3339), "error", err.Error())
		}
		select {
		case <-time.After(delay.Step()):
		case <-ctx.Done():
		}
	}
}

// tryOutcomeWrite makes one fenced write. It is not cut short by ctx: the
// loop stops between tries once ctx ends, so an outcome whose call the
// drain cut off still gets one try to say so (and its successor knows the
// attempt's fate without guessing).
func (r *ImageRequestReconciler) tryOutcomeWrite(ctx context.Context, ir, base *imagesv1alpha1.ImageRequest) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outcomeWriteTryTimeout)
	defer cancel()
	return r.Status().Patch(ctx, ir, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
}

func (r *ImageRequestReconciler) readFresh(ctx context.Context, key client.ObjectKey, into *imagesv1alpha1.ImageRequest) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outcomeWriteTryTimeout)
	defer cancel()
	return r.APIReader.Get(ctx, key, into)
}
