package imagerequests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// +kubebuilder:rbac:groups=images.imagegen.dev,resources=imagerequests,verbs=create
// +kubebuilder:rbac:groups="",resources=secrets,verbs=create;patch;delete

// createTimeout bounds the writes of one call. They run on a context the
// caller cannot cancel: once the ImageRequest exists its paid work goes on,
// and its input Secret must then be owned by it, or be deleted if the
// request could not be created.
const createTimeout = 30 * time.Second

// Labels of input Secrets. labelInputFor names the ImageRequest a Secret
// belongs to once it is owned by it; labelInputPending marks a Secret
// written before its request, until the owner reference is set. A Secret
// still pending well after createTimeout is an orphan: see create.
const (
	labelInputFor     = "images.imagegen.dev/input-for"
	labelInputPending = "images.imagegen.dev/input-pending"
)

// Create makes the ImageRequest and, for an edit, stores its inputs: in the
// artifact store when there is one (see createStoredEdit), else in a Secret,
// in the order that never shows the controller a request without
// its input (which it would report as WaitingForInput):
//
//  1. the Secret, immutable, labelled pending and owned by nothing yet (the
//     request's UID does not exist yet);
//  2. the ImageRequest referring to it; if that fails the Secret is deleted,
//     so a failed call leaves nothing behind;
//  3. the Secret's owner reference to the request (metadata stays mutable on
//     an immutable Secret), so it is garbage-collected with the request, and
//     its labels: input-for the request, pending removed.
//
// If step 3 fails after its retries the call still succeeds: the request
// exists, has its input and may already be paid for, so deleting it (or its
// Secret) would lose more than it saves. The error is logged with both
// names, and the Secret keeps the pending label, so
// `kubectl get secrets -A -l images.imagegen.dev/input-pending` finds it;
// it is then an orphan to delete by hand once its request is gone. The same
// holds if the delete of step 2 fails.
func (s *Service) Create(ctx context.Context, cr *Prepared) (*imagesv1alpha1.ImageRequest, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()

	p := cr.params
	ir := &imagesv1alpha1.ImageRequest{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: cr.namespace,
			Annotations: map[string]string{
				imagesv1alpha1.AnnotationRequestedBy:  cr.caller.Username,
				imagesv1alpha1.AnnotationRequestedVia: cr.via,
			},
		},
		Spec: imagesv1alpha1.ImageRequestSpec{
			Operation:    imagesv1alpha1.OperationGenerate,
			Prompt:       p.Prompt,
			N:            int32(p.N),
			Size:         p.Size,
			Model:        p.Model,
			Quality:      p.Quality,
			Background:   p.Background,
			OutputFormat: p.OutputFormat,
			Moderation:   p.Moderation,
			User:         endUserID(cr.caller),
		},
	}
	if c := p.OutputCompression; c != nil {
		ir.Spec.OutputCompression = ptr.To(int32(*c))
	}
	if s.artifacts != nil {
		// The finalizer deletes the request's objects in the store with
		// it; set here so the controller needs no write of its own.
		ir.Finalizers = []string{imagesv1alpha1.FinalizerArtifacts}
	}
	if cr.image == nil {
		ir.GenerateName = "generate-"
		if err := s.client.Create(ctx, ir); err != nil {
			return nil, createError(cr.namespace, err)
		}
		return ir, nil
	}

	if s.artifacts != nil {
		if err := s.createStoredEdit(ctx, cr, ir); err != nil {
			return nil, createError(cr.namespace, err)
		}
		return ir, nil
	}
	secret, err := s.createInputSecret(ctx, cr)
	if err != nil {
		return nil, err
	}
	ir.GenerateName = "edit-"
	ir.Spec.Operation = imagesv1alpha1.OperationEdit
	ir.Spec.Image = &imagesv1alpha1.ImageSource{SecretKeyRef: &imagesv1alpha1.KeyReference{Name: secret.Name, Key: secretKeyImage}}
	if cr.mask != nil {
		ir.Spec.Mask = &imagesv1alpha1.ImageSource{SecretKeyRef: &imagesv1alpha1.KeyReference{Name: secret.Name, Key: secretKeyMask}}
	}
	if err := s.client.Create(ctx, ir); err != nil {
		uid := secret.UID
		if delErr := s.client.Delete(ctx, secret, client.Preconditions{UID: &uid}); delErr != nil && !apierrors.IsNotFound(delErr) {
			s.log.Error(delErr, "deleting the input Secret of an ImageRequest that could not be created; it is left labelled "+labelInputPending,
				"secret", client.ObjectKeyFromObject(secret))
		}
		return nil, createError(cr.namespace, err)
	}
	if err := s.adoptInputSecret(ctx, secret, ir); err != nil {
		s.log.Error(err, "the input Secret is not owned by its ImageRequest and will not be garbage-collected with it; it is left labelled "+labelInputPending,
			"secret", client.ObjectKeyFromObject(secret), "imagerequest", client.ObjectKeyFromObject(ir))
	}
	return ir, nil
}

// createInputSecret writes an edit's inputs to a new immutable Secret,
// labelled pending until adoptInputSecret gives it its owner.
func (s *Service) createInputSecret(ctx context.Context, cr *Prepared) (*corev1.Secret, error) {
	data := map[string][]byte{secretKeyImage: cr.image}
	if cr.mask != nil {
		data[secretKeyMask] = cr.mask
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      "imagegen-input-" + utilrand.String(10),
			Namespace: cr.namespace,
			Labels:    map[string]string{labelInputPending: "true"},
		},
		Type:      corev1.SecretTypeOpaque,
		Immutable: ptr.To(true),
		Data:      data,
	}
	if err := s.client.Create(ctx, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, createError(cr.namespace, err)
		}
		return nil, fmt.Errorf("creating the input Secret in namespace %q: %w", cr.namespace, err)
	}
	return secret, nil
}

// adoptInputSecret makes ir the owner of its input Secret and swaps the
// pending label for input-for, retrying what may pass on a second try.
func (s *Service) adoptInputSecret(ctx context.Context, secret *corev1.Secret, ir *imagesv1alpha1.ImageRequest) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		// No blockOwnerDeletion: it would need update on
		// imagerequests/finalizers, and nothing waits on this Secret.
		"ownerReferences": []metav1.OwnerReference{{
			APIVersion: imagesv1alpha1.GroupVersion.String(),
			Kind:       "ImageRequest",
			Name:       ir.Name,
			UID:        ir.UID,
			Controller: ptr.To(true),
		}},
		"labels": map[string]any{labelInputFor: ir.Name, labelInputPending: nil},
	}})
	if err != nil {
		return err
	}
	err = retry.OnError(retry.DefaultBackoff, retriable, func() error {
		return s.client.Patch(ctx, secret, client.RawPatch(types.MergePatchType, patch))
	})
	if err != nil {
		return fmt.Errorf("setting the owner of Secret %s/%s to ImageRequest %s: %w", secret.Namespace, secret.Name, ir.Name, err)
	}
	return nil
}

// retriable says whether an API error may pass on a second try.
func retriable(err error) bool {
	return apierrors.IsConflict(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
		apierrors.IsTooManyRequests(err) || apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) ||
		apierrors.IsUnexpectedServerError(err)
}

// createError turns what the API server said about a create into
// something the caller can act on, where it is the caller's to fix.
func createError(namespace string, err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return &InputError{Field: "namespace", Rule: rules.Exists, Message: fmt.Sprintf("namespace %q does not exist", namespace)}
	case apierrors.IsInvalid(err):
		// Admission disagreed with validateParams: report its words.
		return &InputError{Field: "spec", Rule: rules.Admission, Message: err.Error()}
	}
	return fmt.Errorf("creating the ImageRequest in namespace %q: %w", namespace, err)
}

// endUserID is what spec.user (OpenAI's end-user id for abuse monitoring)
// gets: a stable hash of the caller, never the Kubernetes username itself.
func endUserID(c *Caller) string {
	if c == nil || c.Anonymous {
		return ""
	}
	sum := sha256.Sum256([]byte(c.Username))
	return "k8s-" + hex.EncodeToString(sum[:16])
}
