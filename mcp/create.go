package mcp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// +kubebuilder:rbac:groups=images.imagegen.dev,resources=imagerequests,verbs=create
// +kubebuilder:rbac:groups="",resources=secrets,verbs=create

// createTimeout bounds the writes of one call. They run on a context the
// caller cannot cancel: once the ImageRequest exists its paid work goes on,
// and an edit without its input Secret would only fail later.
const createTimeout = 30 * time.Second

// Label on input Secrets naming the ImageRequest they belong to.
const labelInputFor = "images.imagegen.dev/input-for"

// createRequest is one ImageRequest to create for a caller.
type createRequest struct {
	caller    *Caller
	namespace string
	params    imageParams
	// via is recorded in the requested-via annotation, e.g. "mcp/generate_image".
	via string
	// image and mask are an edit's inputs; image nil means Generate.
	image, mask []byte
}

// create makes the ImageRequest and, for an edit, the Secret with its
// inputs, owned by the request so it is garbage-collected with it. The
// request is created first (its UID is needed for the owner reference);
// the controller waits for a missing input Secret within its grace period.
// If the Secret cannot be created the request is deleted again, so a failed
// call leaves nothing behind.
func (s *Server) create(ctx context.Context, cr createRequest) (*imagesv1alpha1.ImageRequest, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()

	p := cr.params.withDefaults()
	ir := &imagesv1alpha1.ImageRequest{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: cr.namespace,
			Annotations: map[string]string{
				imagesv1alpha1.AnnotationRequestedBy:  cr.caller.Username,
				imagesv1alpha1.AnnotationRequestedVia: cr.via,
			},
		},
		Spec: imagesv1alpha1.ImageRequestSpec{
			Operation: imagesv1alpha1.OperationGenerate,
			Prompt:    p.Prompt,
			N:         int32(p.N),
			Size:      p.Size,
			Model:     p.Model,
			User:      endUserID(cr.caller),
		},
	}
	var secretName string
	if cr.image != nil {
		ir.GenerateName = "edit-"
		ir.Spec.Operation = imagesv1alpha1.OperationEdit
		secretName = "imagegen-input-" + utilrand.String(10)
		ir.Spec.Image = &imagesv1alpha1.ImageSource{SecretKeyRef: &imagesv1alpha1.KeyReference{Name: secretName, Key: secretKeyImage}}
		if cr.mask != nil {
			ir.Spec.Mask = &imagesv1alpha1.ImageSource{SecretKeyRef: &imagesv1alpha1.KeyReference{Name: secretName, Key: secretKeyMask}}
		}
	} else {
		ir.GenerateName = "generate-"
	}
	if err := s.client.Create(ctx, ir); err != nil {
		return nil, createError(cr.namespace, err)
	}
	if cr.image == nil {
		return ir, nil
	}

	data := map[string][]byte{secretKeyImage: cr.image}
	if cr.mask != nil {
		data[secretKeyMask] = cr.mask
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      secretName,
			Namespace: cr.namespace,
			Labels:    map[string]string{labelInputFor: ir.Name},
			// No blockOwnerDeletion: it would need update on
			// imagerequests/finalizers, and nothing waits on this Secret.
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: imagesv1alpha1.GroupVersion.String(),
				Kind:       "ImageRequest",
				Name:       ir.Name,
				UID:        ir.UID,
				Controller: ptr.To(true),
			}},
		},
		Type:      corev1.SecretTypeOpaque,
		Immutable: ptr.To(true),
		Data:      data,
	}
	if err := s.client.Create(ctx, secret); err != nil {
		uid := ir.UID
		if delErr := s.client.Delete(ctx, ir, client.Preconditions{UID: &uid}); delErr != nil && !apierrors.IsNotFound(delErr) {
			s.log.Error(delErr, "deleting the ImageRequest whose input Secret could not be created", "imagerequest", client.ObjectKeyFromObject(ir))
		}
		return nil, fmt.Errorf("creating the input Secret for ImageRequest %s/%s: %w", ir.Namespace, ir.Name, err)
	}
	return ir, nil
}

// createError turns what the API server said about a create into
// something the caller can act on, where it is the caller's to fix.
func createError(namespace string, err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return &InputError{Field: "namespace", Rule: "exists", Message: fmt.Sprintf("namespace %q does not exist", namespace)}
	case apierrors.IsInvalid(err):
		// Admission disagreed with validateParams: report its words.
		return &InputError{Field: "spec", Rule: "admission", Message: err.Error()}
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
