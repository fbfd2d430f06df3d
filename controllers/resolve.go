package controllers

import (
	"cmp"
	"fmt"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagecheck"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// resolvedSpec is a request's spec with every default filled in, resolved
// once per reconcile: the call, the cost, the metrics and the logs all use
// these values, so they cannot disagree about what was asked for.
type resolvedSpec struct {
	model models.Model
	edit  bool
	// size and n as called and priced: the model's defaults when the spec
	// leaves them out ("auto" is sent as such: the upstream picks).
	size string
	n    int
	// inputImages counts an edit's input images: image plus
	// additionalImages (the mask is not one).
	inputImages int
}

// modelName is the model a request is for: the one status records once an
// attempt was made (so a changed --default-model never switches a request
// half-way), else spec.model, else the operator's default.
func (r *ImageRequestReconciler) modelName(ir *imagesv1alpha1.ImageRequest) string {
	return cmp.Or(ir.Status.Model, r.Options.Models.Resolve(ir.Spec.Model))
}

// resolveSpec fills in the defaults and checks the spec against its
// model's rules before any paid call: first that the model may be called
// now (a retired one is refused with its shutdown date and replacement),
// then everything the registry knows that the CRD schema cannot say
// (sizes per model, prompt length, which parameters it takes). It returns
// every rule broken.
func (r *ImageRequestReconciler) resolveSpec(ir *imagesv1alpha1.ImageRequest) (resolvedSpec, []models.FieldError) {
	spec := ir.Spec
	name := r.modelName(ir)
	edit := spec.Operation == imagesv1alpha1.OperationEdit
	n := int(cmp.Or(spec.N, 1))
	inputs := 0
	if edit {
		inputs = 1 + len(spec.AdditionalImages)
	}
	var compression *int
	if c := spec.OutputCompression; c != nil {
		v := int(*c)
		compression = &v
	}
	errs := r.Options.Models.Validate(models.Request{
		Model: name, Edit: edit, Prompt: spec.Prompt, N: n, Size: spec.Size,
		Quality: spec.Quality, Background: spec.Background, OutputFormat: spec.OutputFormat,
		OutputCompression: compression, Moderation: spec.Moderation, InputImages: inputs,
	}, r.Clock.Now())
	if len(errs) > 0 {
		return resolvedSpec{}, errs
	}
	model, _ := models.Lookup(name)
	return resolvedSpec{model: model, edit: edit, size: cmp.Or(spec.Size, model.DefaultSize), n: n, inputImages: inputs}, nil
}

// specMessage is status.message for a spec the registry refuses: the
// field, what is wrong and the rule word, as every interface names it.
// The registry's count of input images is spec.image plus
// spec.additionalImages; only the latter can be changed to fix it.
func specMessage(fe models.FieldError) string {
	field := fe.Field
	if field == models.FieldInputImages {
		field = imagecheck.FieldAdditionalImages
	}
	return fmt.Sprintf("spec.%s: %s (rule %s)", field, fe.Message, fe.Rule)
}

// specRejection is the reason for a spec the registry refuses.
func specRejection(fe models.FieldError) string {
	switch {
	case fe.Rule == rules.Retired:
		return imagesv1alpha1.ReasonModelRetired
	case fe.Field == models.FieldModel:
		return imagesv1alpha1.ReasonUnsupportedModel
	}
	return imagesv1alpha1.ReasonInvalidRequest
}
