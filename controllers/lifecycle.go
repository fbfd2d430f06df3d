package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
)

// The lifecycle of a request's objects in the artifact store:
//
//   - A request's own inputs (edit uploads the MCP/REST front door stored
//     for it, see ownInputKeys) are deleted as soon as it finishes: the
//     call that needed them is over, and edit inputs are the user's images.
//   - Its results, and any own inputs still there, are deleted when the
//     request is deleted (by a user or by ttlSecondsAfterFinished), by the
//     finalizer in finalizer.go.
//   - The annotation images.imagegen.dev/keep-artifacts: "true" keeps both:
//     nothing is deleted on finish, and on deletion the finalizer writes
//     keep markers (artifacts.KeepMarkerName) instead, which the orphan
//     sweep honours.
//   - Whatever slips through (a result written by a deposed leader after
//     the finalizer ran, a cleanup that gave up, an upload whose request
//     was never created) is an orphan, removed by the sweep in sweep.go.

// keepsArtifacts reports whether the request asks to keep its objects.
func keepsArtifacts(ir *imagesv1alpha1.ImageRequest) bool {
	return ir.Annotations[imagesv1alpha1.AnnotationKeepArtifacts] == "true"
}

// artifactKey is the store key an artifactRef names, or "" when it names
// none of this store's objects (no ref, or a URI of another bucket).
func artifactKey(store *artifacts.Store, src *imagesv1alpha1.ImageSource) string {
	if src == nil || src.ArtifactRef == nil {
		return ""
	}
	if src.ArtifactRef.Key != "" {
		return src.ArtifactRef.Key
	}
	key, err := store.KeyFromURI(src.ArtifactRef.URI)
	if err != nil {
		return ""
	}
	return key
}

// referencedKeys are the store keys the request's spec reads.
func referencedKeys(store *artifacts.Store, ir *imagesv1alpha1.ImageRequest) []string {
	var keys []string
	for _, src := range ir.Spec.InputSources() {
		if key := artifactKey(store, src); key != "" {
			keys = append(keys, key)
		}
	}
	return keys
}

// ownInputKeys are the referenced keys that were uploaded for this request:
// inputs under inputs/<its namespace>/<its name>/ (the front door uploads
// an edit's inputs there, under a random upload ID, before it creates the
// request). Anything else it references, such as an earlier request's
// result it edits further, belongs to someone else and is never deleted
// on its behalf.
func ownInputKeys(store *artifacts.Store, ir *imagesv1alpha1.ImageRequest) []string {
	var own []string
	for _, key := range referencedKeys(store, ir) {
		info, err := artifacts.ParseKey(key)
		if err != nil || info.Marker || info.Kind != artifacts.InputsPrefix ||
			info.Ref.Namespace != ir.Namespace || info.Ref.Name != ir.Name {
			continue
		}
		own = append(own, key)
	}
	return own
}

// inputCleanupRetryDelay is how soon a failed deletion of a finished
// request's inputs is tried again; inputCleanupTries bounds the tries in
// this process. After that (or after a restart, which forgets the retry)
// the inputs stay until the request is deleted, when the finalizer takes
// them: a live request's referenced inputs are never swept.
const (
	inputCleanupRetryDelay = 30 * time.Second
	inputCleanupTries      = 10
)

// finished runs after a request reached a terminal phase in this
// reconcile: its own inputs go (unless kept), then the TTL is scheduled.
// A failure to delete the inputs never changes the outcome.
func (r *ImageRequestReconciler) finished(ctx context.Context, ir *imagesv1alpha1.ImageRequest) (ctrl.Result, error) {
	retry := r.deleteFinishedInputs(ctx, ir, 1)
	res, err := r.reconcileTTL(ctx, ir)
	return withRetry(res, retry), err
}

// reconcileFinished is the reconcile of a request already terminal: it
// retries an input deletion that failed at finish, then the TTL.
func (r *ImageRequestReconciler) reconcileFinished(ctx context.Context, ir *imagesv1alpha1.ImageRequest) (ctrl.Result, error) {
	var retry time.Duration
	if tries, ok := r.inputCleanupPending.Load(ir.UID); ok {
		retry = r.deleteFinishedInputs(ctx, ir, tries.(int)+1)
	}
	res, err := r.reconcileTTL(ctx, ir)
	return withRetry(res, retry), err
}

// withRetry requeues res no later than retry (when non-zero).
func withRetry(res ctrl.Result, retry time.Duration) ctrl.Result {
	if retry > 0 && (res.RequeueAfter == 0 || retry < res.RequeueAfter) {
		res.RequeueAfter = retry
	}
	return res
}

// deleteFinishedInputs deletes the request's own inputs unless it keeps
// them. It is idempotent (a missing object is no error). On failure it
// logs, records an event and a metric, and returns when to try again (0:
// not again in this process).
func (r *ImageRequestReconciler) deleteFinishedInputs(ctx context.Context, ir *imagesv1alpha1.ImageRequest, try int) time.Duration {
	if r.Artifacts == nil || keepsArtifacts(ir) {
		return 0
	}
	keys := ownInputKeys(r.Artifacts.Store, ir)
	if len(keys) == 0 {
		return 0
	}
	log := ctrl.LoggerFrom(ctx)
	if err := r.deleteKeys(ctx, keys); err != nil {
		backend := r.Artifacts.Store.Backend()
		cleanupErrors.WithLabelValues(backend, cleanupOnFinish).Inc()
		log.Error(err, "deleting the finished request's inputs from the artifact store", "backend", backend, "try", try)
		if try >= inputCleanupTries {
			r.inputCleanupPending.Delete(ir.UID)
			r.event(ir, corev1.EventTypeWarning, "ArtifactCleanupFailed", "DeleteInputs",
				"could not delete the edit inputs from the %s artifact store after %d tries (%v); they are deleted with the request", backend, try, err)
			return 0
		}
		r.inputCleanupPending.Store(ir.UID, try)
		r.event(ir, corev1.EventTypeWarning, "ArtifactCleanupFailed", "DeleteInputs",
			"could not delete the edit inputs from the %s artifact store (%v); retrying in %s", backend, err, inputCleanupRetryDelay)
		return inputCleanupRetryDelay
	}
	r.inputCleanupPending.Delete(ir.UID)
	log.V(1).Info("deleted the finished request's inputs from the artifact store", "objects", len(keys))
	return 0
}

// deleteKeys deletes each key, stopping at the first error.
func (r *ImageRequestReconciler) deleteKeys(ctx context.Context, keys []string) error {
	for _, key := range keys {
		if err := r.Artifacts.Store.DeleteObject(ctx, key); err != nil {
			return fmt.Errorf("deleting input %s: %w", key, err)
		}
	}
	return nil
}

// forgetInputCleanup drops a pending retry of a request that is going away
// (the finalizer deletes its inputs).
func (r *ImageRequestReconciler) forgetInputCleanup(uid types.UID) {
	r.inputCleanupPending.Delete(uid)
}
