package controllers_test

import (
	"strings"
	"testing"
	"time"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/manager"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// TestControllerRefusesWhatAdmissionCannotSee: the model a request is for
// may be the operator's default, unknown at admission, and the schema
// holds only what is true of every model. What the model's rules refuse is
// refused by the controller, naming the field and the rule, before any
// call. The suite's operator runs the reference policy (dall-e-2 by
// default) and has no artifact store.
func TestControllerRefusesWhatAdmissionCannotSee(t *testing.T) {
	begin(t)
	cases := map[string]struct {
		spec      imagesv1alpha1.ImageRequestSpec
		wantModel string
		reason    string
		want      []string
	}{
		"xhigh quality on gpt-image-2": {
			spec:      imagesv1alpha1.ImageRequestSpec{Model: models.GPTImage2, Quality: "xhigh"},
			wantModel: models.GPTImage2, reason: imagesv1alpha1.ReasonInvalidRequest, want: []string{"spec.quality", `"xhigh"`, "rule enum"},
		},
		"custom size on 2.6": {
			spec:      imagesv1alpha1.ImageRequestSpec{Model: models.GPTImage26Flare, Size: "2048x1152"},
			wantModel: models.GPTImage26Flare, reason: imagesv1alpha1.ReasonInvalidRequest, want: []string{"spec.size", "2048x1152", "rule enum"},
		},
		"size not a multiple of 16": {
			spec:      imagesv1alpha1.ImageRequestSpec{Model: models.GPTImage2, Size: "1000x1000"},
			wantModel: models.GPTImage2, reason: imagesv1alpha1.ReasonInvalidRequest, want: []string{"spec.size", "multiples of 16", "rule multipleOf"},
		},
		"quality on the default dall-e-2": {
			spec:      imagesv1alpha1.ImageRequestSpec{Quality: "high"},
			wantModel: models.DALLE2, reason: imagesv1alpha1.ReasonInvalidRequest, want: []string{"spec.quality", "dall-e-2", "rule enum"},
		},
		"output format on the default dall-e-2": {
			spec:      imagesv1alpha1.ImageRequestSpec{OutputFormat: "webp"},
			wantModel: models.DALLE2, reason: imagesv1alpha1.ReasonInvalidRequest, want: []string{"spec.outputFormat", "rule unsupported"},
		},
		"moderation on the default dall-e-2": {
			spec:      imagesv1alpha1.ImageRequestSpec{Moderation: "low"},
			wantModel: models.DALLE2, reason: imagesv1alpha1.ReasonInvalidRequest, want: []string{"spec.moderation", "rule unsupported"},
		},
		"additional images on the default dall-e-2": {
			spec: imagesv1alpha1.ImageRequestSpec{Operation: imagesv1alpha1.OperationEdit, Image: cmRef("absent", "a.png"),
				AdditionalImages: []imagesv1alpha1.ImageSource{*cmRef("absent", "b.png")}},
			wantModel: models.DALLE2, reason: imagesv1alpha1.ReasonInvalidRequest, want: []string{"spec.additionalImages", "at most 1", "rule maxItems"},
		},
		"gpt-image-2 without an artifact store": {
			spec:      imagesv1alpha1.ImageRequestSpec{Model: models.GPTImage2},
			wantModel: models.GPTImage2, reason: imagesv1alpha1.ReasonUnsupportedModel, want: []string{"spec.model", "--artifact-bucket", "rule artifactStore"},
		},
		"retired gpt-image-1": {
			spec:      imagesv1alpha1.ImageRequestSpec{Model: models.GPTImage1},
			wantModel: models.GPTImage1, reason: imagesv1alpha1.ReasonModelRetired, want: retirementWords(t, models.GPTImage1),
		},
	}
	var created []*imagesv1alpha1.ImageRequest
	for name, tc := range cases {
		tc.spec.Prompt = "refused: " + name
		created = append(created, createRequest(t, "refused-"+strings.ReplaceAll(name, " ", "-"), tc.spec))
	}
	for _, ir := range created {
		name := strings.TrimPrefix(ir.Spec.Prompt, "refused: ")
		tc := cases[name]
		t.Run(name, func(t *testing.T) {
			got := waitTerminal(t, ir)
			wantRefused(t, got, tc.reason, tc.want...)
			assertNoCall(t, got)
			if got.Status.Model != tc.wantModel {
				t.Errorf("status.model = %q, want %q", got.Status.Model, tc.wantModel)
			}
		})
	}
}

// TestRetiredModelsRefusedBeforeAnyCall: under the operator's own policy
// (--default-model=gpt-image-2, no retired model declared served, as
// against api.openai.com) a retired model is refused with its shutdown date
// and replacement, before any call: dall-e-2 too, which the reference
// policy serves.
func TestRetiredModelsRefusedBeforeAnyCall(t *testing.T) {
	begin(t)
	runManagerThrough(t, nil, nil, func(o *manager.Options) { o.DefaultModel = models.GPTImage2 })
	var created []*imagesv1alpha1.ImageRequest
	for _, model := range []string{models.GPTImage1, models.DALLE2} {
		created = append(created, createRequest(t, "retired-"+model, imagesv1alpha1.ImageRequestSpec{Prompt: "a retired model: " + model, Model: model, Size: "1024x1024"}))
	}
	for _, created := range created {
		ir := waitTerminal(t, created)
		wantRefused(t, ir, imagesv1alpha1.ReasonModelRetired, retirementWords(t, ir.Spec.Model)...)
		assertNoCall(t, ir)
		if ir.Status.Model != ir.Spec.Model {
			t.Errorf("%s: status.model = %q, want %q", ir.Name, ir.Status.Model, ir.Spec.Model)
		}
	}
}

// retirementWords are what a refusal of a retired model must say: the
// model, its shutdown date and replacement (from the registry) and the rule.
func retirementWords(t *testing.T, model string) []string {
	t.Helper()
	m, ok := models.Lookup(model)
	if !ok || m.Retirement == nil {
		t.Fatalf("%s is not a retired registry model", model)
	}
	return []string{`"` + model + `"`, m.Retirement.Shutdown.Format(time.DateOnly), m.Retirement.Replacement, "rule retired"}
}
