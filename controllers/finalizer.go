package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
)

// finalizerGiveUpAfter is how long after its deletion a request's objects
// are retried before the finalizer lets it go and leaves them to the
// orphan sweep (which deletes them once the store answers again). A store
// outage must not keep deleted requests, and their namespaces, around
// forever. Kept objects are the exception: without their keep marker the
// sweep would delete them, so that deletion waits for the store.
const finalizerGiveUpAfter = 10 * time.Minute

// ensureFinalizer puts FinalizerArtifacts on a request that lacks it (one
// created with kubectl; the front door creates requests with it), before
// its first attempt can store anything. Only with a store: a manager
// without one has nothing to clean up.
func (r *ImageRequestReconciler) ensureFinalizer(ctx context.Context, ir *imagesv1alpha1.ImageRequest) error {
	if r.Artifacts == nil || controllerutil.ContainsFinalizer(ir, imagesv1alpha1.FinalizerArtifacts) {
		return nil
	}
	base := ir.DeepCopy()
	controllerutil.AddFinalizer(ir, imagesv1alpha1.FinalizerArtifacts)
	// Locked on the version read: a merge patch replaces the whole
	// finalizers list, which must not drop someone else's.
	if err := r.Patch(ctx, ir, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("adding the %s finalizer: %w", imagesv1alpha1.FinalizerArtifacts, err)
	}
	return nil
}

// removeFinalizer lets the deletion proceed.
func (r *ImageRequestReconciler) removeFinalizer(ctx context.Context, ir *imagesv1alpha1.ImageRequest) error {
	base := ir.DeepCopy()
	controllerutil.RemoveFinalizer(ir, imagesv1alpha1.FinalizerArtifacts)
	if err := r.Patch(ctx, ir, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("removing the %s finalizer: %w", imagesv1alpha1.FinalizerArtifacts, err)
	}
	return nil
}

// finalize runs for a request being deleted (by a user or its TTL) that
// still carries our finalizer: it deletes the request's results and own
// inputs, or marks them kept, then removes the finalizer. A store error is
// logged, recorded as an event and a metric, and retried with the
// workqueue's backoff (see finalizerGiveUpAfter).
//
// A request deleted while its call is in flight in this process is
// finalized after that reconcile returns (the workqueue holds its key), so
// the result is stored, then deleted here. Only a write from another
// process (a deposed leader) can land after this cleanup: the sweep
// deletes it, or keeps it under the keep marker.
func (r *ImageRequestReconciler) finalize(ctx context.Context, ir *imagesv1alpha1.ImageRequest) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(ir, imagesv1alpha1.FinalizerArtifacts) {
		return ctrl.Result{}, nil
	}
	log := ctrl.LoggerFrom(ctx)
	r.forgetInputCleanup(ir.UID)
	if r.Artifacts == nil {
		// Set by a manager that had a store; this one cannot reach it.
		// Blocking the deletion would help nobody: the sweep of a manager
		// with the store removes the objects as orphans.
		log.Info("no artifact store configured: removing the finalizer without deleting the request's stored objects")
		r.event(ir, corev1.EventTypeWarning, "ArtifactsNotDeleted", "Finalize",
			"the operator runs without an artifact store (--artifact-bucket), so this request's stored objects were not deleted; the orphan sweep of an operator with the store removes them")
		return ctrl.Result{}, r.removeFinalizer(ctx, ir)
	}
	backend := r.Artifacts.Store.Backend()
	keep := keepsArtifacts(ir)
	if err := r.cleanUpDeleted(ctx, ir, keep); err != nil {
		cleanupErrors.WithLabelValues(backend, cleanupOnDelete).Inc()
		deleting := r.Clock.Since(ir.DeletionTimestamp.Time)
		if !keep && deleting >= finalizerGiveUpAfter {
			log.Error(err, "giving up deleting the request's stored objects; the orphan sweep will", "backend", backend, "deletingFor", deleting.Round(time.Second))
			r.event(ir, corev1.EventTypeWarning, "ArtifactsLeftForSweep", "Finalize",
				"could not delete this request's objects from the %s artifact store for %s (%v); the orphan sweep deletes them once the store answers", backend, deleting.Round(time.Second), err)
			return ctrl.Result{}, r.removeFinalizer(ctx, ir)
		}
		log.Error(err, "cleaning up the deleted request's stored objects; retrying", "backend", backend, "keep", keep)
		r.event(ir, corev1.EventTypeWarning, "ArtifactCleanupFailed", "Finalize",
			"could not clean up this request's objects in the %s artifact store (%v); retrying with backoff", backend, err)
		// The workqueue's backoff spaces the retries.
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, r.removeFinalizer(ctx, ir)
}

// cleanUpDeleted deletes a deleted request's results and own inputs, or,
// when it keeps them, writes the keep markers that protect them from the
// sweep.
func (r *ImageRequestReconciler) cleanUpDeleted(ctx context.Context, ir *imagesv1alpha1.ImageRequest, keep bool) error {
	store := r.Artifacts.Store
	ref := refOf(ir)
	own := ownInputKeys(store, ir)
	log := ctrl.LoggerFrom(ctx)
	if keep {
		prefixes := []string{artifacts.RequestPrefix(artifacts.ResultsPrefix, ref)}
		for _, key := range own {
			if info, err := artifacts.ParseKey(key); err == nil {
				prefixes = append(prefixes, info.Prefix())
			}
		}
		marker := artifacts.KeepMarker{
			Namespace: ir.Namespace, Name: ir.Name, UID: string(ir.UID), KeptAt: r.Clock.Now().UTC(),
			Reason: "deleted with the annotation " + imagesv1alpha1.AnnotationKeepArtifacts + "=true",
		}
		for _, p := range prefixes {
			if err := store.PutKeepMarker(ctx, p, marker); err != nil {
				return fmt.Errorf("keeping the objects under %s: %w", p, err)
			}
		}
		log.Info("deleted request keeps its stored objects", "prefixes", len(prefixes))
		r.event(ir, corev1.EventTypeNormal, "ArtifactsKept", "Finalize",
			"kept this request's objects in the %s artifact store (annotation %s)", store.Backend(), imagesv1alpha1.AnnotationKeepArtifacts)
		return nil
	}
	n, err := store.DeleteRequest(ctx, ref)
	if err != nil {
		return err
	}
	if err := r.deleteKeys(ctx, own); err != nil {
		return err
	}
	log.Info("deleted the request's stored objects", "objects", n, "inputs", len(own))
	return nil
}
