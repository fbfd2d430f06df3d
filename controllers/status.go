package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// patchStatus is the controller's one way to change status: mutate edits
// ir, and the difference is written optimistically locked on the version
// ir was read at, so a decision made on a stale read loses with a conflict
// instead of overwriting newer state (or paying twice). Nothing is written
// when mutate changed nothing; wrote says whether anything was. On success
// ir holds the written object.
func (r *ImageRequestReconciler) patchStatus(ctx context.Context, ir *imagesv1alpha1.ImageRequest, mutate func(*imagesv1alpha1.ImageRequest)) (wrote bool, err error) {
	base := ir.DeepCopy()
	mutate(ir)
	if equality.Semantic.DeepEqual(base.Status, ir.Status) {
		return false, nil
	}
	return true, r.writeStatus(ctx, ir, base)
}

// writeStatus writes ir's status as a patch against base, locked on base's
// resourceVersion.
func (r *ImageRequestReconciler) writeStatus(ctx context.Context, ir, base *imagesv1alpha1.ImageRequest) error {
	return r.Status().Patch(ctx, ir, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
}

func setCondition(ir *imagesv1alpha1.ImageRequest, condType imagesv1alpha1.ConditionType, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&ir.Status.Conditions, metav1.Condition{
		Type:               string(condType),
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: ir.Generation,
	})
}
