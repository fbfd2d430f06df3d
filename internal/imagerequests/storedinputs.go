package imagerequests

import (
	"bytes"
	"cmp"
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/uuid"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// nameAttempts is how many fresh names createStoredEdit tries: a clash of
// ten random characters is all but impossible, but an already existing name
// must not fail the call.
const nameAttempts = 3

// createStoredEdit creates an edit whose inputs go to the artifact store
// instead of a Secret. The name is picked here rather than by generateName,
// because the inputs' keys carry it (inputs/<ns>/<name>/<upload id>/…): the
// cleanup of a deleted request finds its inputs by name. In order:
//
//  1. the image, the mask and each additional image are uploaded under a
//     fresh upload ID, each keyed by its field and sniffed format
//     (image.png, mask.png, image-1.webp, …; see artifacts.InputKeyFor);
//  2. the ImageRequest is created with that name, spec.image, spec.mask and
//     spec.additionalImages referring to those keys, and the artifacts
//     finalizer, so the controller never sees it without its inputs and the
//     inputs are deleted with it;
//  3. if an upload or the create fails the uploads are deleted, so a failed
//     call leaves nothing in the bucket.
func (s *Service) createStoredEdit(ctx context.Context, cr *Prepared, ir *imagesv1alpha1.ImageRequest) error {
	for i := 0; ; i++ {
		err := s.tryStoredEdit(ctx, cr, ir, "edit-"+utilrand.String(10))
		if err == nil || !apierrors.IsAlreadyExists(err) || i+1 == nameAttempts {
			return err
		}
	}
}

func (s *Service) tryStoredEdit(ctx context.Context, cr *Prepared, ir *imagesv1alpha1.ImageRequest, name string) error {
	ref := artifacts.Ref{Namespace: cr.namespace, Name: name, UID: string(uuid.NewUUID())}
	prefix := artifacts.RequestPrefix(artifacts.InputsPrefix, ref)
	image, mask, additional, err := s.putInputs(ctx, cr, ref)
	if err != nil {
		s.deleteInputs(ctx, prefix)
		return err
	}
	ir.Name = name
	ir.GenerateName = ""
	ir.Finalizers = []string{imagesv1alpha1.FinalizerArtifacts}
	ir.Spec.Operation = imagesv1alpha1.OperationEdit
	ir.Spec.Image = artifactSource(image)
	ir.Spec.Mask, ir.Spec.AdditionalImages = nil, nil
	if mask != "" {
		ir.Spec.Mask = artifactSource(mask)
	}
	for _, key := range additional {
		ir.Spec.AdditionalImages = append(ir.Spec.AdditionalImages, *artifactSource(key))
	}
	if err := s.client.Create(ctx, ir); err != nil {
		s.deleteInputs(ctx, prefix)
		return err
	}
	return nil
}

// putInputs uploads an edit's inputs and returns their keys: the image's,
// the mask's ("" without one) and the additional images', in order.
func (s *Service) putInputs(ctx context.Context, cr *Prepared, ref artifacts.Ref) (image, mask string, additional []string, err error) {
	m, _ := models.Lookup(cr.params.Model)
	if image, err = s.putInput(ctx, ref, artifacts.FieldImage, cr.image, m.MaxInputBytes); err != nil {
		return "", "", nil, err
	}
	if cr.mask != nil {
		if mask, err = s.putInput(ctx, ref, artifacts.FieldMask, cr.mask, cmp.Or(m.MaxMaskBytes, m.MaxInputBytes)); err != nil {
			return "", "", nil, err
		}
	}
	for i, data := range cr.additional {
		key, err := s.putInput(ctx, ref, artifacts.AdditionalImage(i+1), data, m.MaxInputBytes)
		if err != nil {
			return "", "", nil, err
		}
		additional = append(additional, key)
	}
	return image, mask, additional, nil
}

func artifactSource(key string) *imagesv1alpha1.ImageSource {
	return &imagesv1alpha1.ImageSource{ArtifactRef: &imagesv1alpha1.ArtifactReference{Key: key}}
}

// putInput uploads one input, already checked by Prepare, and returns its
// key. The limit is the model's again (the inputs are smaller than it):
// Prepare refused anything larger, so this only guards the store against
// a caller that skipped it; 0 (no model) means the input's own size.
func (s *Service) putInput(ctx context.Context, ref artifacts.Ref, field artifacts.InputField, data []byte, limit int64) (string, error) {
	if limit <= 0 {
		limit = int64(len(data)) + 1
	}
	obj, err := s.artifacts.PutInput(ctx, ref, field, bytes.NewReader(data), limit)
	if err != nil {
		return "", fmt.Errorf("storing the edit's %s in the artifact store: %w", field, err)
	}
	return obj.Key, nil
}

// deleteInputs removes the inputs of a request that was not created. A
// failure is only logged, with the prefix to delete by hand: the call has
// failed already, and the objects belong to no request.
func (s *Service) deleteInputs(ctx context.Context, prefix string) {
	if _, err := s.artifacts.Delete(ctx, prefix); err != nil {
		s.log.Error(err, "deleting the uploaded inputs of an ImageRequest that was not created", "prefix", prefix)
	}
}
