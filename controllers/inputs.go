package controllers

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// InputRefIndex indexes ImageRequests by the ConfigMaps and Secrets they
// read (image, additionalImages and mask), as "ConfigMap/<name>" or "Secret/<name>", so an input that appears
// wakes exactly the requests waiting for it.
const InputRefIndex = "spec.inputRefs"

const (
	kindConfigMap = "ConfigMap"
	kindSecret    = "Secret"
)

func inputRefKey(kind, name string) string { return kind + "/" + name }

func indexInputRefs(obj client.Object) []string {
	ir := obj.(*imagesv1alpha1.ImageRequest)
	var keys []string
	for _, src := range ir.Spec.InputSources() {
		if kind, ref := sourceRef(src); ref != nil {
			key := inputRefKey(kind, ref.Name)
			// Several inputs may share a ConfigMap: one key wakes the
			// request once.
			if !slices.Contains(keys, key) {
				keys = append(keys, key)
			}
		}
	}
	return keys
}

func sourceRef(src *imagesv1alpha1.ImageSource) (string, *imagesv1alpha1.KeyReference) {
	switch {
	case src == nil:
		return "", nil
	case src.ConfigMapKeyRef != nil:
		return kindConfigMap, src.ConfigMapKeyRef
	case src.SecretKeyRef != nil:
		return kindSecret, src.SecretKeyRef
	}
	return "", nil
}

// requestsWaitingFor maps a ConfigMap or Secret event to the unfinished
// requests that reference it.
func (r *ImageRequestReconciler) requestsWaitingFor(kind string) func(context.Context, client.Object) []reconcile.Request {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		var list imagesv1alpha1.ImageRequestList
		if err := r.List(ctx, &list, client.InNamespace(obj.GetNamespace()),
			client.MatchingFields{InputRefIndex: inputRefKey(kind, obj.GetName())}); err != nil {
			// Listing the cache only fails when it is broken; the request's
			// own deadline requeue still wakes it.
			ctrl.LoggerFrom(ctx).Error(err, "listing ImageRequests waiting for an input", "kind", kind, "input", klog.KObj(obj))
			return nil
		}
		var reqs []reconcile.Request
		for i := range list.Items {
			if ir := &list.Items[i]; ir.Status.Phase == "" || ir.Status.Phase == imagesv1alpha1.PhasePending {
				reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(ir)})
			}
		}
		return reqs
	}
}

// missingInputError says which input is not there (yet).
type missingInputError struct {
	field, kind, name, key string
	keyMissing             bool
	// poll: nothing watches where the input is awaited (the artifact
	// store), so the wait must look again by itself.
	poll bool
}

func (e *missingInputError) Error() string {
	if e.keyMissing {
		return fmt.Sprintf("spec.%s: %s %q has no key %q", e.field, e.kind, e.name, e.key)
	}
	return fmt.Sprintf("spec.%s: %s %q not found", e.field, e.kind, e.name)
}

// readSource returns the bytes src points at; a *missingInputError when the
// object or key does not exist, a *refusedInputError for an artifactRef the
// request may not read. maxBytes is the model's input limit, which an
// artifact-store object is held to before it is read.
func (r *ImageRequestReconciler) readSource(ctx context.Context, namespace, field string, src *imagesv1alpha1.ImageSource, maxBytes int64) ([]byte, error) {
	if src != nil && src.ArtifactRef != nil {
		return r.readArtifact(ctx, namespace, field, src.ArtifactRef, maxBytes)
	}
	kind, ref := sourceRef(src)
	if ref == nil {
		return nil, nil
	}
	key := types.NamespacedName{Namespace: namespace, Name: ref.Name}
	missing := &missingInputError{field: field, kind: kind, name: ref.Name, key: ref.Key}
	var (
		data  []byte
		found bool
	)
	switch kind {
	case kindConfigMap:
		var cm corev1.ConfigMap
		if err := r.APIReader.Get(ctx, key, &cm); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, missing
			}
			return nil, fmt.Errorf("reading ConfigMap %s: %w", key, err)
		}
		data, found = cm.BinaryData[ref.Key]
		if !found {
			if s, ok := cm.Data[ref.Key]; ok {
				data, found = []byte(s), true
			}
		}
	case kindSecret:
		var s corev1.Secret
		if err := r.APIReader.Get(ctx, key, &s); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, missing
			}
			return nil, fmt.Errorf("reading Secret %s: %w", key, err)
		}
		data, found = s.Data[ref.Key]
	}
	if !found {
		missing.keyMissing = true
		return nil, missing
	}
	return data, nil
}
