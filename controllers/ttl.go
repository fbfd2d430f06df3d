package controllers

import (
	"context"
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// reconcileTTL deletes a finished request once ttlSecondsAfterFinished has
// passed since it completed, like the Job TTL controller.
func (r *ImageRequestReconciler) reconcileTTL(ctx context.Context, ir *imagesv1alpha1.ImageRequest) (ctrl.Result, error) {
	ttl := ir.Spec.TTLSecondsAfterFinished
	if ttl == nil || ir.Status.CompletionTime == nil || !ir.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	expiry := ir.Status.CompletionTime.Add(time.Duration(*ttl) * time.Second)
	if left := expiry.Sub(r.Clock.Now()); left > 0 {
		return ctrl.Result{RequeueAfter: left}, nil
	}
	// The UID precondition makes sure we delete this request, not a new one
	// that took its name meanwhile.
	uid := ir.UID
	err := r.Delete(ctx, ir, client.Preconditions{UID: &uid}, client.PropagationPolicy("Background"))
	if err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(fmt.Errorf("deleting after TTL: %w", err))
	}
	ctrl.LoggerFrom(ctx).Info("deleted after ttlSecondsAfterFinished", "ttlSeconds", *ttl)
	return ctrl.Result{}, nil
}
