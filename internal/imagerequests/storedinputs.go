package imagerequests

import (
	"bytes"
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
//  1. the image and mask are uploaded under a fresh upload ID;
//  2. the ImageRequest is created with that name, spec.image and spec.mask
//     referring to those keys, and the artifacts finalizer, so the
//     controller never sees it without its inputs and the inputs are
//     deleted with it;
//  3. if the create fails the uploads are deleted, so a failed call leaves
//     nothing in the bucket.
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
	image, err := s.putInput(ctx, cr, ref, artifacts.FieldImage, cr.image)
	if err == nil && cr.mask != nil {
		var mask string
		if mask, err = s.putInput(ctx, cr, ref, artifacts.FieldMask, cr.mask); err == nil {
			ir.Spec.Mask = &imagesv1alpha1.ImageSource{ArtifactRef: &imagesv1alpha1.ArtifactReference{Key: mask}}
		}
	}
	if err != nil {
		s.deleteInputs(ctx, prefix)
		return err
	}
	ir.Name = name
	ir.GenerateName = ""
	ir.Finalizers = []string{imagesv1alpha1.FinalizerArtifacts}
	ir.Spec.Operation = imagesv1alpha1.OperationEdit
	ir.Spec.Image = &imagesv1alpha1.ImageSource{ArtifactRef: &imagesv1alpha1.ArtifactReference{Key: image}}
	if err := s.client.Create(ctx, ir); err != nil {
		s.deleteInputs(ctx, prefix)
		return err
	}
	return nil
}

// putInput uploads one input, already checked by Prepare, and returns its
// key. The limit is the model's again: Prepare refused anything larger, so
// this only guards the store against a caller that skipped it.
func (s *Service) putInput(ctx context.Context, cr *Prepared, ref artifacts.Ref, field artifacts.InputField, data []byte) (string, error) {
	limit := int64(len(data)) + 1
	if m, ok := models.Lookup(cr.params.Model); ok {
		limit = m.MaxInputBytes
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
