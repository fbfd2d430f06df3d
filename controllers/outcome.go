package controllers

import (
	"cmp"
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// scheduleRetry puts the request back to Pending until the next attempt may
// start. The time is stored in status so a restart honours it too.
func (r *ImageRequestReconciler) scheduleRetry(ctx context.Context, ir *imagesv1alpha1.ImageRequest, attempt int32, upErr *upstream.Error) (ctrl.Result, error) {
	delay := upErr.RetryAfter
	if delay <= 0 {
		delay = backoff(attempt, r.Options.RetryBaseDelay, r.Options.RetryMaxDelay)
	}
	now := r.Clock.Now()
	// Status times have second precision: round up so a restart never
	// retries before the upstream said it may.
	next := metav1.NewTime(ceilSecond(now.Add(delay)))
	delay = next.Sub(now)
	message := fmt.Sprintf("attempt %d of %d failed: %s; next attempt after %s", attempt, r.Options.MaxAttempts, upErr.Error(), delay)
	err := r.recordOutcome(ctx, ir, attempt, now.Add(outcomeHoldLimit), func(ir *imagesv1alpha1.ImageRequest) {
		st := &ir.Status
		st.Phase = imagesv1alpha1.PhasePending
		st.NextAttemptTime = &next
		st.UpstreamRequestID = upErr.RequestID
		st.UpstreamUnreachableSince = nil
		st.LastFailure = failureOf(attempt, upErr, now)
		st.Reason = reasonFor(upErr)
		st.Message = message
	})
	if err != nil {
		return ctrl.Result{}, err
	}
	r.event(ir, corev1.EventTypeWarning, "Retrying", "Call", "%s", message)
	return ctrl.Result{RequeueAfter: delay}, nil
}

// maxUnreachableDelay caps the wait between calls that could not connect.
const maxUnreachableDelay = 30 * time.Second

// retryUnsent handles a call that never reached the upstream (no
// connection: see upstream.Error.NeverSent). Nothing was sent, so nothing
// was paid: the attempt is given back and the call tried again, waiting as
// long again as the upstream has been unreachable (capped), until
// Options.UnreachableTimeout has passed since the first such failure; then
// the request fails with UpstreamUnreachable. MaxAttempts keeps counting
// only calls that may have been paid for.
func (r *ImageRequestReconciler) retryUnsent(ctx context.Context, ir *imagesv1alpha1.ImageRequest, attempt int32, upErr *upstream.Error) (ctrl.Result, error) {
	now := r.Clock.Now()
	since := metav1.NewTime(now)
	if s := ir.Status.UpstreamUnreachableSince; s != nil {
		since = *s
	}
	unreachableFor := now.Sub(since.Time)
	if unreachableFor >= r.Options.UnreachableTimeout {
		message := fmt.Sprintf("could not connect to the upstream for %s (nothing was sent, no attempt spent); last: %s",
			unreachableFor.Round(time.Second), upErr.Error())
		return ctrl.Result{}, r.finishFailedOutcome(ctx, ir, attempt, imagesv1alpha1.ReasonUpstreamUnreachable, message, func(st *imagesv1alpha1.ImageRequestStatus) {
			st.Attempts = attempt - 1
			st.UpstreamUnreachableSince = &since
			st.LastFailure = failureOf(attempt, upErr, now)
		})
	}
	delay := min(max(r.Options.RetryBaseDelay, unreachableFor), maxUnreachableDelay, r.Options.UnreachableTimeout-unreachableFor)
	next := metav1.NewTime(ceilSecond(now.Add(delay)))
	delay = next.Sub(now)
	message := fmt.Sprintf("could not connect to the upstream (nothing was sent, no attempt spent): %s; unreachable for %s, retrying after %s, giving up after %s",
		upErr.Error(), unreachableFor.Round(time.Second), delay, r.Options.UnreachableTimeout)
	err := r.recordOutcome(ctx, ir, attempt, now.Add(outcomeHoldLimit), func(ir *imagesv1alpha1.ImageRequest) {
		st := &ir.Status
		st.Attempts = attempt - 1
		st.Phase = imagesv1alpha1.PhasePending
		st.NextAttemptTime = &next
		st.UpstreamUnreachableSince = &since
		st.LastFailure = failureOf(attempt, upErr, now)
		st.Reason = imagesv1alpha1.ReasonUpstreamUnreachable
		st.Message = message
	})
	if err != nil {
		return ctrl.Result{}, err
	}
	r.event(ir, corev1.EventTypeWarning, imagesv1alpha1.ReasonUpstreamUnreachable, "Call", "%s", message)
	return ctrl.Result{RequeueAfter: delay}, nil
}

// succeed records the images and their cost. With an artifact store the
// images are stored first (see storeResults), and a failure to keep them
// ends the request with StorageError.
func (r *ImageRequestReconciler) succeed(ctx context.Context, ir *imagesv1alpha1.ImageRequest, attempt int32, req resolvedSpec, res *upstream.Result) error {
	model := req.model
	now := r.Clock.Now()
	cost, err := costOf(model, req.size, res)
	if err != nil {
		// The images were paid for and are kept; only their price is unknown.
		ctrl.LoggerFrom(ctx).Error(err, "cost unknown", "attempt", attempt, "model", model.Name)
	}
	var images []imagesv1alpha1.GeneratedImage
	if r.Artifacts != nil {
		stored, err := r.storeResults(ctx, ir, attempt, res)
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "keeping the paid result failed", "attempt", attempt, "backend", r.Artifacts.Store.Backend())
			return r.finishFailedOutcome(ctx, ir, attempt, imagesv1alpha1.ReasonStorageError, err.Error(), func(st *imagesv1alpha1.ImageRequestStatus) {
				st.EstimatedCostUSD = cost.formatted()
				st.Usage = cost.usage
				st.UpstreamRequestID = res.RequestID
				st.UpstreamUnreachableSince = nil
				st.LastFailure = &imagesv1alpha1.AttemptFailure{Attempt: attempt, Reason: imagesv1alpha1.ReasonStorageError, Time: metav1.NewTime(now)}
			})
		}
		images = stored
	} else {
		images = upstreamImages(model, res)
	}
	return r.recordPaidSuccess(ctx, ir, attempt, images, model.Name, cost, res.RequestID)
}

// upstreamImages are the upstream's URLs as status entries, with the expiry
// the upstream signed into each, else the model's documented lifetime.
func upstreamImages(model models.Model, res *upstream.Result) []imagesv1alpha1.GeneratedImage {
	images := make([]imagesv1alpha1.GeneratedImage, 0, len(res.Images))
	for _, img := range res.Images {
		out := imagesv1alpha1.GeneratedImage{URL: img.URL}
		expires := img.ExpiresAt
		if expires.IsZero() && model.URLValidity > 0 {
			expires = res.Created.Add(model.URLValidity)
		}
		if !expires.IsZero() {
			out.ExpiresAt = &metav1.Time{Time: expires}
		}
		images = append(images, out)
	}
	return images
}

// recordPaidSuccess writes Succeeded with images as attempt's outcome, with
// the cost as priced by costOf (possibly unknown) and the usage it came
// from. The result is worth holding (see recordOutcome) until its first
// link expires.
func (r *ImageRequestReconciler) recordPaidSuccess(ctx context.Context, ir *imagesv1alpha1.ImageRequest, attempt int32,
	images []imagesv1alpha1.GeneratedImage, model string, cost paidCost, upstreamRequestID string) error {
	now := r.Clock.Now()
	validUntil := earliestExpiry(images, now.Add(outcomeHoldLimit))
	completed := metav1.NewTime(now)
	message := fmt.Sprintf("%d image(s) ready after %d attempt(s)", len(images), attempt)
	err := r.recordOutcome(ctx, ir, attempt, validUntil, func(ir *imagesv1alpha1.ImageRequest) {
		st := &ir.Status
		st.Images = images
		st.EstimatedCostUSD = cost.formatted()
		st.Usage = cost.usage
		st.UpstreamRequestID = upstreamRequestID
		st.UpstreamUnreachableSince = nil
		st.Phase = imagesv1alpha1.PhaseSucceeded
		st.Reason = imagesv1alpha1.ReasonSucceeded
		st.Message = message
		st.CompletionTime = &completed
		st.NextAttemptTime = nil
		setCondition(ir, imagesv1alpha1.ConditionComplete, metav1.ConditionTrue, imagesv1alpha1.ReasonSucceeded, message)
	})
	if err != nil {
		return err
	}
	observeFinished(ir, model, cost.usd)
	r.event(ir, corev1.EventTypeNormal, "Succeeded", "Complete", "%s (estimated cost $%s)", message, cmp.Or(ir.Status.EstimatedCostUSD, "unknown"))
	return nil
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// reject fails a request before any call was made for this attempt. The
// decision rests on what was read, which may be stale, so the write is
// optimistically locked: a conflict re-runs the reconcile on fresh state.
func (r *ImageRequestReconciler) reject(ctx context.Context, ir *imagesv1alpha1.ImageRequest, reason, message string) error {
	now := r.Clock.Now()
	// The model is recorded on a refusal too (status.model is set when the
	// request is first checked): it says which model's rules refused it.
	model := r.modelName(ir)
	if _, err := r.patchStatus(ctx, ir, func(ir *imagesv1alpha1.ImageRequest) {
		setFailed(ir, reason, message, now)
		ir.Status.Model = cmp.Or(ir.Status.Model, model)
	}); err != nil {
		return fmt.Errorf("recording failure %s: %w", reason, err)
	}
	r.failed(ctx, ir)
	return nil
}

// fail records a failure that attempt's call just returned.
func (r *ImageRequestReconciler) fail(ctx context.Context, ir *imagesv1alpha1.ImageRequest, attempt int32, reason, message string, upErr *upstream.Error) error {
	now := r.Clock.Now()
	return r.finishFailedOutcome(ctx, ir, attempt, reason, message, func(st *imagesv1alpha1.ImageRequestStatus) {
		st.UpstreamRequestID = upErr.RequestID
		st.UpstreamUnreachableSince = nil
		st.LastFailure = failureOf(attempt, upErr, now)
	})
}

// finishFailedOutcome records a terminal failure as attempt's outcome;
// also sets what else the outcome says.
func (r *ImageRequestReconciler) finishFailedOutcome(ctx context.Context, ir *imagesv1alpha1.ImageRequest, attempt int32, reason, message string, also func(*imagesv1alpha1.ImageRequestStatus)) error {
	now := r.Clock.Now()
	err := r.recordOutcome(ctx, ir, attempt, now.Add(outcomeHoldLimit), func(ir *imagesv1alpha1.ImageRequest) {
		setFailed(ir, reason, message, now)
		also(&ir.Status)
	})
	if err != nil {
		return err
	}
	r.failed(ctx, ir)
	return nil
}

// setFailed sets the Failed phase with its reason, message and condition.
func setFailed(ir *imagesv1alpha1.ImageRequest, reason, message string, now time.Time) {
	completed := metav1.NewTime(now)
	st := &ir.Status
	st.Phase = imagesv1alpha1.PhaseFailed
	st.Reason = reason
	st.Message = message
	st.ObservedGeneration = ir.Generation
	st.CompletionTime = &completed
	st.NextAttemptTime = nil
	setCondition(ir, imagesv1alpha1.ConditionFailed, metav1.ConditionTrue, reason, message)
}

// failed reports a failure that status now shows.
func (r *ImageRequestReconciler) failed(ctx context.Context, ir *imagesv1alpha1.ImageRequest) {
	st := ir.Status
	ctrl.LoggerFrom(ctx).Info("request failed", "reason", st.Reason, "attempts", st.Attempts)
	observeFinished(ir, r.modelName(ir), 0)
	r.event(ir, corev1.EventTypeWarning, "Failed", "Complete", "%s: %s", st.Reason, st.Message)
}
