package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagecheck"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/rules"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// reconcileAttempt validates the request, records an attempt, makes the call
// and records its outcome.
func (r *ImageRequestReconciler) reconcileAttempt(ctx context.Context, ir *imagesv1alpha1.ImageRequest) (ctrl.Result, error) {
	spec := ir.Spec
	req, errs := r.resolveSpec(ir)
	if len(errs) > 0 {
		return ctrl.Result{}, r.reject(ctx, ir, specRejection(errs[0]), specMessage(errs[0]))
	}
	if req.model.Output == models.OutputBase64 && r.Artifacts == nil {
		// The images would come back inline with nowhere to keep them:
		// status holds URLs, not megabytes of base64. Refused before the
		// call, which would be paid for and lost.
		return ctrl.Result{}, r.reject(ctx, ir, imagesv1alpha1.ReasonUnsupportedModel, fmt.Sprintf(
			"spec.model: %s returns images only inline (base64) and this operator runs without an artifact store to keep them (rule %s); ask the operator's administrators to configure one (--artifact-bucket), or name a model that returns URLs",
			req.model.Name, rules.ArtifactStore))
	}
	if int(ir.Status.Attempts) >= r.Options.MaxAttempts {
		return ctrl.Result{}, r.reject(ctx, ir, imagesv1alpha1.ReasonAttemptsExhausted,
			fmt.Sprintf("all %d attempts are spent; last: %s", ir.Status.Attempts, ir.Status.Message))
	}

	var inputs editInputs
	if req.edit {
		var err error
		if inputs, err = r.readEditInputs(ctx, ir, req.model); err != nil {
			return r.waitForInput(ctx, ir, err)
		}
		if reason, message := checkEditInputs(inputs, req.model); reason != "" {
			return ctrl.Result{}, r.reject(ctx, ir, reason, message)
		}
	}

	if err := r.recordAttempt(ctx, ir, req.model.Name); err != nil {
		return ctrl.Result{}, err
	}
	attempt := ir.Status.Attempts
	log := ctrl.LoggerFrom(ctx).WithValues("attempt", attempt, "operation", spec.Operation, "model", req.model.Name, "size", req.size, "n", req.n,
		"inputImages", req.inputImages)
	// One event per attempt keeps the API server's event load at a third
	// of an event per status write: the first attempt's says it was accepted.
	if attempt == 1 {
		r.event(ir, corev1.EventTypeNormal, "Accepted", "Call", "inputs are valid; attempt 1 of %d started: %s of %d image(s) at %s with %s",
			r.Options.MaxAttempts, spec.Operation, req.n, req.size, req.model.Name)
	} else {
		r.event(ir, corev1.EventTypeNormal, "AttemptStarted", "Call", "attempt %d of %d started", attempt, r.Options.MaxAttempts)
	}
	log.Info("calling upstream", "promptChars", len(spec.Prompt))

	// From here on the work is paid for: it must outlive a shutdown (see
	// paidwork.go).
	paidCtx, cancelPaid := paidWorkContext(ctx, r.Options.DrainTimeout)
	defer cancelPaid()
	start := r.Clock.Now()
	res, callErr := r.Upstream.Do(paidCtx, r.upstreamRequest(ir, req, attempt, inputs))
	latency := r.Clock.Since(start)
	observeCall(spec.Operation, req.model.Name, latency, callErr)

	if callErr == nil {
		log.Info("upstream call succeeded", "upstreamRequestID", res.RequestID, "latency", latency, "images", len(res.Images))
		return ctrl.Result{}, r.succeed(paidCtx, ir, attempt, req, res)
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
		return ctrl.Result{}, r.fail(paidCtx, ir, attempt, reasonFor(upErr), rejectionMessage(req.model.Name, r.Options.Models.Offered(r.Clock.Now()), upErr), upErr)
	case int(attempt) >= r.Options.MaxAttempts:
		return ctrl.Result{}, r.fail(paidCtx, ir, attempt, imagesv1alpha1.ReasonAttemptsExhausted,
			fmt.Sprintf("%d of %d attempts failed; last: %s", attempt, r.Options.MaxAttempts, upErr.Error()), upErr)
	}
	return r.scheduleRetry(paidCtx, ir, attempt, upErr)
}

// recordAttempt counts the attempt in status, with optimistic locking, before
// any call is made: if two reconciles race (a stale cache), one loses with a
// conflict instead of both paying.
func (r *ImageRequestReconciler) recordAttempt(ctx context.Context, ir *imagesv1alpha1.ImageRequest, model string) error {
	now := metav1.NewTime(r.Clock.Now())
	attempt := ir.Status.Attempts + 1
	_, err := r.patchStatus(ctx, ir, func(ir *imagesv1alpha1.ImageRequest) {
		st := &ir.Status
		st.Attempts = attempt
		st.Model = model
		st.Phase = imagesv1alpha1.PhaseRunning
		st.ObservedGeneration = ir.Generation
		if st.StartTime == nil {
			st.StartTime = &now
		}
		st.LastAttemptTime = &now
		st.NextAttemptTime = nil
		setCondition(ir, imagesv1alpha1.ConditionAccepted, metav1.ConditionTrue, imagesv1alpha1.ReasonAccepted,
			fmt.Sprintf("inputs are valid; attempt %d of %d started", attempt, r.Options.MaxAttempts))
	})
	if err != nil {
		return fmt.Errorf("recording attempt %d: %w", attempt, err)
	}
	return nil
}

// recordInterrupted records that the attempt a request shows Running was
// cut short (a crash, a lost lease, a drain that ran out) before its
// outcome was written: the attempt counts as spent. Written before the
// event that says so, and before the next attempt is decided, so a deposed
// leader still holding that attempt's outcome finds the request moved on
// and drops it (see recordOutcome).
func (r *ImageRequestReconciler) recordInterrupted(ctx context.Context, ir *imagesv1alpha1.ImageRequest) error {
	now := metav1.NewTime(r.Clock.Now())
	attempt := ir.Status.Attempts
	message := fmt.Sprintf("attempt %d of %d was interrupted before its result was recorded; it counts as spent", attempt, r.Options.MaxAttempts)
	if _, err := r.patchStatus(ctx, ir, func(ir *imagesv1alpha1.ImageRequest) {
		st := &ir.Status
		st.Phase = imagesv1alpha1.PhasePending
		st.Reason = imagesv1alpha1.ReasonAttemptInterrupted
		st.Message = message
		st.LastFailure = &imagesv1alpha1.AttemptFailure{Attempt: attempt, Reason: imagesv1alpha1.ReasonAttemptInterrupted, Time: now}
	}); err != nil {
		return fmt.Errorf("recording that attempt %d was interrupted: %w", attempt, err)
	}
	ctrl.LoggerFrom(ctx).Info("previous attempt was interrupted; counting it as spent", "attempt", attempt)
	r.event(ir, corev1.EventTypeWarning, "AttemptInterrupted", "Attempt", "%s", message)
	return nil
}

// waitForInput keeps a request Pending while a referenced ConfigMap, Secret
// or artifact-store object is missing (it may be created just after the
// request), until the grace period after creation runs out. An input the
// request may never read fails it at once.
func (r *ImageRequestReconciler) waitForInput(ctx context.Context, ir *imagesv1alpha1.ImageRequest, err error) (ctrl.Result, error) {
	var refused *refusedInputError
	if errors.As(err, &refused) {
		reason := imagesv1alpha1.ReasonInvalidImage
		if refused.field == imagecheck.FieldMask {
			reason = imagesv1alpha1.ReasonInvalidMask
		}
		return ctrl.Result{}, r.reject(ctx, ir, reason, refused.Error())
	}
	var missing *missingInputError
	if !errors.As(err, &missing) {
		return ctrl.Result{}, err
	}
	waited := r.Clock.Since(ir.CreationTimestamp.Time)
	if waited >= r.Options.InputGracePeriod {
		return ctrl.Result{}, r.reject(ctx, ir, imagesv1alpha1.ReasonInputNotFound,
			fmt.Sprintf("%s after waiting %s", missing.Error(), r.Options.InputGracePeriod))
	}
	message := "waiting for " + missing.Error()
	model := r.modelName(ir)
	wrote, err := r.patchStatus(ctx, ir, func(ir *imagesv1alpha1.ImageRequest) {
		st := &ir.Status
		st.Model = cmp.Or(st.Model, model)
		st.Phase = imagesv1alpha1.PhasePending
		st.ObservedGeneration = ir.Generation
		st.Reason = imagesv1alpha1.ReasonWaitingForInput
		st.Message = message
		setCondition(ir, imagesv1alpha1.ConditionAccepted, metav1.ConditionFalse, imagesv1alpha1.ReasonWaitingForInput, message)
	})
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("recording wait for input: %w", err)
	}
	if wrote {
		r.event(ir, corev1.EventTypeNormal, imagesv1alpha1.ReasonWaitingForInput, "Validate", "%s", message)
	}
	// The watch on ConfigMaps and Secrets wakes us when the input appears;
	// this requeue only enforces the deadline. Nothing watches the artifact
	// store: such an input is looked for again every artifactInputPoll.
	next := r.Options.InputGracePeriod - waited
	if missing.poll {
		next = min(next, artifactInputPoll)
	}
	return ctrl.Result{RequeueAfter: next}, nil
}
