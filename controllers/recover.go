package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// recoverFromStore looks, for a request found Running, for the manifest of
// its current attempt in the artifact store: the manifest is written after
// the attempt's images, so its presence means the call was paid for and its
// result kept, and only the status write was lost (a crash between the
// two). Then the request succeeds from the stored objects, with fresh
// signed URLs, and nothing is paid again. recovered is false when there is
// no store or no manifest; an error reading the store is returned (the
// reconcile is retried) rather than spending an attempt that may have been
// kept.
func (r *ImageRequestReconciler) recoverFromStore(ctx context.Context, ir *imagesv1alpha1.ImageRequest) (recovered bool, err error) {
	if r.Artifacts == nil || ir.Status.Attempts <= 0 {
		return false, nil
	}
	attempt := ir.Status.Attempts
	log := ctrl.LoggerFrom(ctx).WithValues("attempt", attempt)
	m, err := r.Artifacts.Store.ReadManifest(ctx, refOf(ir), attempt)
	if errors.Is(err, artifacts.ErrIncomplete) {
		log.V(1).Info("no stored result for the interrupted attempt")
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("looking for the stored result of attempt %d in the %s artifact store: %w", attempt, r.Artifacts.Store.Backend(), err)
	}
	images, err := r.statusImages(ctx, m.Images)
	if err != nil {
		return false, fmt.Errorf("recovering attempt %d from the artifact store: %w", attempt, err)
	}
	// The attempt was paid for: its result is recovered whatever the
	// model policy says now, so the model is looked up, not re-validated.
	model, ok := models.Lookup(r.modelName(ir))
	if !ok {
		return false, fmt.Errorf("recovering attempt %d: unknown model %q", attempt, r.modelName(ir))
	}
	// The response's usage block was lost with the crash, so a per-token
	// model's cost cannot be computed; it is left unset rather than guessed.
	cost := paidCost{known: model.PriceModel == models.PricePerImage}
	if cost.known {
		cost.usd = model.EstimatedCostUSD(cmp.Or(ir.Spec.Size, model.DefaultSize), len(images))
	}
	log.Info("the interrupted attempt's images are in the artifact store; recovering its result instead of paying again", "images", len(images))
	err = r.recordPaidSuccess(ctx, ir, attempt, images, model.Name, cost, ir.Status.UpstreamRequestID)
	if err != nil {
		// Superseded included: the reconcile runs again on fresh state.
		return false, err
	}
	return true, nil
}
