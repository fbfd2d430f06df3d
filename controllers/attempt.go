package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagecheck"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// reconcileAttempt validates the request, records an attempt, makes the call
// and records its outcome.
func (r *ImageRequestReconciler) reconcileAttempt(ctx context.Context, ir *imagesv1alpha1.ImageRequest) (ctrl.Result, error) {
	spec := ir.Spec
	modelName := spec.Model
	if modelName == "" {
		modelName = models.DefaultModel
	}
	edit := spec.Operation == imagesv1alpha1.OperationEdit
	// The CRD schema already holds these rules; checking again here keeps a
	// request admitted under an older schema from reaching a paid call.
	if errs := models.Validate(models.Request{Model: modelName, Edit: edit, Prompt: spec.Prompt, N: int(spec.N), Size: spec.Size}); len(errs) > 0 {
		reason := imagesv1alpha1.ReasonInvalidRequest
		if errs[0].Field == "model" {
			reason = imagesv1alpha1.ReasonUnsupportedModel
		}
		return ctrl.Result{}, r.reject(ctx, ir, reason, "spec."+errs[0].Error())
	}
	model, _ := models.Lookup(modelName)
	// The schema defaults size; an object stored without one still gets the
	// model's default, named explicitly so the call and the cost agree.
	size := cmp.Or(spec.Size, model.DefaultSize)

	if int(ir.Status.Attempts) >= r.Options.MaxAttempts {
		return ctrl.Result{}, r.reject(ctx, ir, imagesv1alpha1.ReasonAttemptsExhausted,
			fmt.Sprintf("all %d attempts are spent; last: %s", ir.Status.Attempts, ir.Status.Message))
	}

	var imageBytes, maskBytes []byte
	if edit {
		var err error
		if imageBytes, err = r.readSource(ctx, ir.Namespace, imagecheck.FieldImage, spec.Image); err != nil {
			return r.waitForInput(ctx, ir, err)
		}
		if maskBytes, err = r.readSource(ctx, ir.Namespace, imagecheck.FieldMask, spec.Mask); err != nil {
			return r.waitForInput(ctx, ir, err)
		}
		if err := imagecheck.CheckEdit(imageBytes, maskBytes, imagecheck.Rules{MaxBytes: model.MaxInputBytes, Square: model.SquareInput, MaxSide: model.MaxInputSide}); err != nil {
			reason := imagesv1alpha1.ReasonInvalidImage
			var v *imagecheck.Violation
			if errors.As(err, &v) && v.Field == imagecheck.FieldMask {
				reason = imagesv1alpha1.ReasonInvalidMask
			}
			return ctrl.Result{}, r.reject(ctx, ir, reason, "spec."+err.Error())
		}
	}

	if err := r.recordAttempt(ctx, ir); err != nil {
		return ctrl.Result{}, err
	}
	attempt := ir.Status.Attempts
	log := ctrl.LoggerFrom(ctx).WithValues("attempt", attempt, "operation", spec.Operation, "model", modelName, "size", size, "n", spec.N)
	// One event per attempt keeps the API server's event load at a third
	// of an event per status write: the first attempt's says it was accepted.
	if attempt == 1 {
		r.event(ir, corev1.EventTypeNormal, "Accepted", "Call", "inputs are valid; attempt 1 of %d started: %s of %d image(s) at %s with %s",
			r.Options.MaxAttempts, spec.Operation, spec.N, size, modelName)
	} else {
		r.event(ir, corev1.EventTypeNormal, "AttemptStarted", "Call", "attempt %d of %d started", attempt, r.Options.MaxAttempts)
	}
	log.Info("calling upstream", "promptChars", len(spec.Prompt))

	// From here on the work is paid for: it must outlive a shutdown (see
	// paidwork.go).
	paidCtx, cancelPaid := paidWorkContext(ctx, r.Options.DrainTimeout)
	defer cancelPaid()
	start := r.Clock.Now()
	res, callErr := r.Upstream.Do(paidCtx, upstream.Request{
		Model:           modelName,
		Prompt:          spec.Prompt,
		N:               int(spec.N),
		Size:            size,
		User:            spec.User,
		ClientRequestID: fmt.Sprintf("%s/%d", ir.UID, attempt),
		Image:           imageBytes,
		Mask:            maskBytes,
	})
	latency := r.Clock.Since(start)
	observeCall(spec, modelName, latency, callErr)

	if callErr == nil {
		log.Info("upstream call succeeded", "upstreamRequestID", res.RequestID, "latency", latency, "images", len(res.Images))
		return ctrl.Result{}, r.succeed(paidCtx, ir, attempt, model, size, res)
	}
	var upErr *upstream.Error
	if !errors.As(callErr, &upErr) {
		upErr = &upstream.Error{Kind: upstream.KindNetwork, Message: callErr.Error(), Err: callErr}
	}
	log.Info("upstream call failed", "upstreamRequestID", upErr.RequestID, "latency", latency, "neverSent", upErr.NeverSent,
		"kind", upErr.Kind, "status", upErr.StatusCode, "code", upErr.Code, "type", upErr.Type, "param", upErr.Param, "message", upErr.Message)
	switch {
	case upErr.NeverSent:
		return r.retryUnsent(paidCtx, ir, attempt, upErr)
	case !upErr.Transient():
		return ctrl.Result{}, r.fail(paidCtx, ir, attempt, reasonFor(upErr), "upstream rejected the request: "+upErr.Error(), upErr.RequestID)
	case int(attempt) >= r.Options.MaxAttempts:
		return ctrl.Result{}, r.fail(paidCtx, ir, attempt, imagesv1alpha1.ReasonAttemptsExhausted,
			fmt.Sprintf("%d of %d attempts failed; last: %s", attempt, r.Options.MaxAttempts, upErr.Error()), upErr.RequestID)
	}
	return r.scheduleRetry(paidCtx, ir, attempt, upErr)
}

// recordAttempt counts the attempt in status, with optimistic locking, before
// any call is made: if two reconciles race (a stale cache), one loses with a
// conflict instead of both paying.
func (r *ImageRequestReconciler) recordAttempt(ctx context.Context, ir *imagesv1alpha1.ImageRequest) error {
	base := ir.DeepCopy()
	now := metav1.NewTime(r.Clock.Now())
	st := &ir.Status
	st.Attempts++
	st.Phase = imagesv1alpha1.PhaseRunning
	st.ObservedGeneration = ir.Generation
	if st.StartTime == nil {
		st.StartTime = &now
	}
	st.LastAttemptTime = &now
	st.NextAttemptTime = nil
	setCondition(ir, imagesv1alpha1.ConditionAccepted, metav1.ConditionTrue, imagesv1alpha1.ReasonAccepted,
		fmt.Sprintf("inputs are valid; attempt %d of %d started", st.Attempts, r.Options.MaxAttempts))
	if err := r.Status().Patch(ctx, ir, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("recording attempt %d: %w", st.Attempts, err)
	}
	return nil
}

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
		st.Reason = imagesv1alpha1.ReasonUpstreamUnreachable
		st.Message = message
	})
	if err != nil {
		return ctrl.Result{}, err
	}
	r.event(ir, corev1.EventTypeWarning, imagesv1alpha1.ReasonUpstreamUnreachable, "Call", "%s", message)
	return ctrl.Result{RequeueAfter: delay}, nil
}

// succeed records the images and their cost.
func (r *ImageRequestReconciler) succeed(ctx context.Context, ir *imagesv1alpha1.ImageRequest, attempt int32, model models.Model, size string, res *upstream.Result) error {
	now := r.Clock.Now()
	// A URL result is worth holding (see recordOutcome) until its first
	// link expires.
	validUntil := now.Add(outcomeHoldLimit)
	images := make([]imagesv1alpha1.GeneratedImage, 0, len(res.Images))
	for _, img := range res.Images {
		out := imagesv1alpha1.GeneratedImage{URL: img.URL}
		// What the upstream signed into the URL, else the model's
		// documented lifetime.
		expires := img.ExpiresAt
		if expires.IsZero() && model.URLValidity > 0 {
			expires = res.Created.Add(model.URLValidity)
		}
		if !expires.IsZero() {
			out.ExpiresAt = &metav1.Time{Time: expires}
			validUntil = earliest(validUntil, expires)
		}
		images = append(images, out)
	}
	cost := model.EstimatedCostUSD(size, len(res.Images))
	completed := metav1.NewTime(now)
	message := fmt.Sprintf("%d image(s) ready after %d attempt(s)", len(images), attempt)
	err := r.recordOutcome(ctx, ir, attempt, validUntil, func(ir *imagesv1alpha1.ImageRequest) {
		st := &ir.Status
		st.Images = images
		st.EstimatedCostUSD = models.FormatUSD(cost)
		st.UpstreamRequestID = res.RequestID
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
	observeFinished(ir, cost)
	r.event(ir, corev1.EventTypeNormal, "Succeeded", "Complete", "%s (estimated cost $%s)", message, ir.Status.EstimatedCostUSD)
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
	base := ir.DeepCopy()
	setFailed(ir, reason, message, r.Clock.Now())
	if err := r.Status().Patch(ctx, ir, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("recording failure %s: %w", reason, err)
	}
	r.failed(ctx, ir)
	return nil
}

// fail records a failure that attempt's call just returned.
func (r *ImageRequestReconciler) fail(ctx context.Context, ir *imagesv1alpha1.ImageRequest, attempt int32, reason, message, upstreamRequestID string) error {
	return r.finishFailedOutcome(ctx, ir, attempt, reason, message, func(st *imagesv1alpha1.ImageRequestStatus) {
		st.UpstreamRequestID = upstreamRequestID
		st.UpstreamUnreachableSince = nil
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
	observeFinished(ir, 0)
	r.event(ir, corev1.EventTypeWarning, "Failed", "Complete", "%s: %s", st.Reason, st.Message)
}

// waitForInput keeps a request Pending while a referenced ConfigMap or Secret
// is missing (an MCP server may create it just after the request), until the
// grace period after creation runs out.
func (r *ImageRequestReconciler) waitForInput(ctx context.Context, ir *imagesv1alpha1.ImageRequest, err error) (ctrl.Result, error) {
	var missing *missingInputError
	if !errors.As(err, &missing) {
		return ctrl.Result{}, err
	}
	waited := r.Clock.Since(ir.CreationTimestamp.Time)
	if waited >= r.Options.InputGracePeriod {
		return ctrl.Result{}, r.reject(ctx, ir, imagesv1alpha1.ReasonInputNotFound,
			fmt.Sprintf("%s after waiting %s", missing.Error(), r.Options.InputGracePeriod))
	}
	base := ir.DeepCopy()
	st := &ir.Status
	st.Phase = imagesv1alpha1.PhasePending
	st.ObservedGeneration = ir.Generation
	st.Reason = imagesv1alpha1.ReasonWaitingForInput
	st.Message = "waiting for " + missing.Error()
	setCondition(ir, imagesv1alpha1.ConditionAccepted, metav1.ConditionFalse, imagesv1alpha1.ReasonWaitingForInput, st.Message)
	if !equality.Semantic.DeepEqual(base.Status, ir.Status) {
		if err := r.Status().Patch(ctx, ir, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			return ctrl.Result{}, fmt.Errorf("recording wait for input: %w", err)
		}
		r.event(ir, corev1.EventTypeNormal, imagesv1alpha1.ReasonWaitingForInput, "Validate", "%s", st.Message)
	}
	// The watch on ConfigMaps and Secrets wakes us when the input appears;
	// this requeue only enforces the deadline.
	return ctrl.Result{RequeueAfter: r.Options.InputGracePeriod - waited}, nil
}

// reasonFor maps an upstream failure to status.reason.
func reasonFor(e *upstream.Error) string {
	switch e.Kind {
	case upstream.KindRateLimited:
		return imagesv1alpha1.ReasonRateLimited
	case upstream.KindQuota:
		return imagesv1alpha1.ReasonQuotaExceeded
	case upstream.KindContentPolicy:
		return imagesv1alpha1.ReasonContentPolicy
	case upstream.KindAuth:
		return imagesv1alpha1.ReasonUnauthorized
	case upstream.KindInvalidRequest:
		switch {
		case e.Param == imagecheck.FieldImage:
			return imagesv1alpha1.ReasonInvalidImage
		case e.Param == imagecheck.FieldMask:
			return imagesv1alpha1.ReasonInvalidMask
		case e.Code == "model_not_found":
			return imagesv1alpha1.ReasonUnsupportedModel
		}
		return imagesv1alpha1.ReasonInvalidRequest
	}
	return imagesv1alpha1.ReasonUpstreamError
}

// backoff is base·2^(attempt-1), capped.
func backoff(attempt int32, base, maxDelay time.Duration) time.Duration {
	d := base
	for i := int32(1); i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	return min(d, maxDelay)
}

// ceilSecond rounds t up to a whole second.
func ceilSecond(t time.Time) time.Time {
	if tr := t.Truncate(time.Second); !tr.Equal(t) {
		return tr.Add(time.Second)
	}
	return t
}
