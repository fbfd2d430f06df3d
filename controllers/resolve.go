package controllers

import (
	"cmp"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// resolvedSpec is a request's spec with every default filled in, resolved
// once per reconcile: the call, the cost, the metrics and the logs all use
// these values, so they cannot disagree about what was asked for.
type resolvedSpec struct {
	model models.Model
	edit  bool
	// size and n as called and priced: the schema defaults them, but an
	// object stored under an older schema may lack them.
	size string
	n    int
}

// resolveSpec fills in the defaults and checks the spec against its
// model's rules (the CRD schema holds them too; checking again keeps a
// request admitted under an older schema from reaching a paid call). It
// returns every rule broken.
func resolveSpec(spec imagesv1alpha1.ImageRequestSpec) (resolvedSpec, []models.FieldError) {
	name := modelNameOf(spec)
	edit := spec.Operation == imagesv1alpha1.OperationEdit
	n := int(spec.N)
	if n == 0 {
		n = 1
	}
	if errs := models.Validate(models.Request{Model: name, Edit: edit, Prompt: spec.Prompt, N: n, Size: spec.Size}); len(errs) > 0 {
		return resolvedSpec{}, errs
	}
	model, _ := models.Lookup(name)
	return resolvedSpec{model: model, edit: edit, size: cmp.Or(spec.Size, model.DefaultSize), n: n}, nil
}

// modelNameOf is the model a spec names, or the default.
func modelNameOf(spec imagesv1alpha1.ImageRequestSpec) string {
	return cmp.Or(spec.Model, models.DefaultModel)
}
