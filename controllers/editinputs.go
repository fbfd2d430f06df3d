package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagecheck"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// editInputs are an edit's input bytes: images[0] is spec.image (the one
// the mask applies to), then spec.additionalImages in order.
type editInputs struct {
	images [][]byte
	mask   []byte
}

// additionalImageField names spec.additionalImages[i] in messages, as
// imagecheck names it.
func additionalImageField(i int) string { return imagecheck.ImageField(i + 1) }

// readEditInputs reads every input of an edit: the image, the additional
// images and the mask, each held to the model's byte limit as it is read.
// Errors are readSource's (*missingInputError, *refusedInputError), naming
// the input's spec field.
func (r *ImageRequestReconciler) readEditInputs(ctx context.Context, ir *imagesv1alpha1.ImageRequest, model models.Model) (editInputs, error) {
	spec := ir.Spec
	var in editInputs
	image, err := r.readSource(ctx, ir.Namespace, imagecheck.FieldImage, spec.Image, model.MaxInputBytes)
	if err != nil {
		return in, err
	}
	in.images = append(make([][]byte, 0, 1+len(spec.AdditionalImages)), image)
	for i := range spec.AdditionalImages {
		data, err := r.readSource(ctx, ir.Namespace, additionalImageField(i), &spec.AdditionalImages[i], model.MaxInputBytes)
		if err != nil {
			return in, err
		}
		in.images = append(in.images, data)
	}
	if in.mask, err = r.readSource(ctx, ir.Namespace, imagecheck.FieldMask, spec.Mask, maskLimit(model)); err != nil {
		return in, err
	}
	return in, nil
}

// checkEditInputs applies the model's input rules to the bytes; the
// returned reason and message name the spec field and the rule broken, or
// the reason is "" when the inputs pass.
func checkEditInputs(in editInputs, model models.Model) (reason, message string) {
	err := imagecheck.CheckEditInputs(in.images, in.mask, imagecheck.RulesFor(model))
	if err == nil {
		return "", ""
	}
	var v *imagecheck.Violation
	if !errors.As(err, &v) {
		return imagesv1alpha1.ReasonInvalidImage, "spec." + err.Error()
	}
	reason = imagesv1alpha1.ReasonInvalidImage
	if v.Field == imagecheck.FieldMask {
		reason = imagesv1alpha1.ReasonInvalidMask
	}
	return reason, fmt.Sprintf("spec.%s: %s (rule %s)", v.Field, v.Message, v.Rule)
}

// maskLimit is the byte limit of the mask: the model's own, else the
// images' (dall-e-2 holds both to 4 MB).
func maskLimit(m models.Model) int64 { return cmp.Or(m.MaxMaskBytes, m.MaxInputBytes) }
