package controllers

import (
	corev1 "k8s.io/api/core/v1"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// event records a Kubernetes event about ir. Callers emit only after the
// status write it describes succeeded, so events never claim what status
// does not show.
func (r *ImageRequestReconciler) event(ir *imagesv1alpha1.ImageRequest, eventType, reason, action, note string, args ...any) {
	if r.Recorder == nil || (eventType == corev1.EventTypeNormal && r.Options.WarningEventsOnly) {
		return
	}
	r.Recorder.Eventf(ir, nil, eventType, reason, action, note, args...)
}
