package controllers_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// TestAdmissionRejects: the API server refuses bad specs with a message
// that names the field and the rule.
func TestAdmissionRejects(t *testing.T) {
	edit := imagesv1alpha1.OperationEdit
	cases := map[string]struct {
		spec    imagesv1alpha1.ImageRequestSpec
		wantMsg []string
	}{
		"empty prompt":             {spec: imagesv1alpha1.ImageRequestSpec{Prompt: ""}, wantMsg: []string{"spec.prompt"}},
		"1001-char prompt":         {spec: imagesv1alpha1.ImageRequestSpec{Prompt: strings.Repeat("p", 1001), Model: "dall-e-2"}, wantMsg: []string{"prompt: dall-e-2 allows at most 1000 characters (rule maxLength)"}},
		"32001-char prompt":        {spec: imagesv1alpha1.ImageRequestSpec{Prompt: strings.Repeat("p", 32001)}, wantMsg: []string{"spec.prompt", "32000"}},
		"n=0":                      {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", N: 0}, wantMsg: nil}, // 0 means unset: defaulted to 1
		"n=11":                     {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", N: 11}, wantMsg: []string{"spec.n", "10"}},
		"size 300x300":             {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Size: "300x300", Model: "dall-e-2"}, wantMsg: []string{"size: dall-e-2 takes 256x256, 512x512 or 1024x1024 (rule enum)"}},
		"size not WxH":             {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Size: "huge"}, wantMsg: []string{"spec.size", "should match"}},
		"quality":                  {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Quality: "ultra"}, wantMsg: []string{"spec.quality", "Unsupported value", "xhigh"}},
		"background":               {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Background: "black"}, wantMsg: []string{"spec.background", "Unsupported value", "transparent"}},
		"outputFormat":             {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", OutputFormat: "gif"}, wantMsg: []string{"spec.outputFormat", "Unsupported value", "webp"}},
		"compression > 100":        {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", OutputFormat: "jpeg", OutputCompression: ptrTo(int32(101))}, wantMsg: []string{"spec.outputCompression", "100"}},
		"compression on png":       {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", OutputCompression: ptrTo(int32(50))}, wantMsg: []string{"outputCompression requires outputFormat jpeg or webp (rule requires)"}},
		"transparent jpeg":         {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Background: "transparent", OutputFormat: "jpeg"}, wantMsg: []string{"a transparent background requires outputFormat png or webp (rule requires)"}},
		"moderation":               {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Moderation: "none"}, wantMsg: []string{"spec.moderation", "Unsupported value", "low"}},
		"moderation on edit":       {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Operation: edit, Image: cmRef("m", "k"), Moderation: "low"}, wantMsg: []string{"moderation applies to Generate only"}},
		"extra images on generate": {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", AdditionalImages: []imagesv1alpha1.ImageSource{*cmRef("m", "k")}}, wantMsg: []string{"additionalImages is only allowed when operation is Edit"}},
		"16 extra images":          {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Operation: edit, Image: cmRef("m", "k"), AdditionalImages: slices.Repeat([]imagesv1alpha1.ImageSource{*cmRef("m", "k")}, 16)}, wantMsg: []string{"spec.additionalImages", "15"}},
		"webp on dall-e-2":         {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Model: "dall-e-2", OutputFormat: "webp"}, wantMsg: []string{"dall-e-2 takes no background, outputFormat"}},
		"quality on dall-e-2":      {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Model: "dall-e-2", Quality: "high"}, wantMsg: []string{"quality: dall-e-2 takes only standard (rule enum)"}},
		"extra images on dall-e-2": {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Model: "dall-e-2", Operation: edit, Image: cmRef("m", "k"), AdditionalImages: []imagesv1alpha1.ImageSource{*cmRef("m", "k")}}, wantMsg: []string{"(rule maxItems)"}},
		"gpt-image-2 fields":       {spec: imagesv1alpha1.ImageRequestSpec{Prompt: strings.Repeat("p", 2000), Model: "gpt-image-2", Size: "2048x1152", Quality: "high", Background: "opaque", OutputFormat: "webp", OutputCompression: ptrTo(int32(80)), Moderation: "low"}, wantMsg: nil},
		"unknown model":            {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Model: "dall-e-5"}, wantMsg: []string{"spec.model", "dall-e-2"}},
		"edit without image":       {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Operation: edit}, wantMsg: []string{"image is required when operation is Edit"}},
		"mask on generate":         {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Mask: cmRef("m", "k")}, wantMsg: []string{"mask is only allowed when operation is Edit"}},
		"image on generate":        {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Image: cmRef("m", "k")}, wantMsg: []string{"image is only allowed when operation is Edit"}},
		"two sources":              {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", Operation: edit, Image: &imagesv1alpha1.ImageSource{ConfigMapKeyRef: &imagesv1alpha1.KeyReference{Name: "a", Key: "k"}, SecretKeyRef: &imagesv1alpha1.KeyReference{Name: "a", Key: "k"}}}, wantMsg: []string{"exactly one of configMapKeyRef, secretKeyRef or artifactRef"}},
		"negative ttl":             {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "x", TTLSecondsAfterFinished: ptrTo(int32(-1))}, wantMsg: []string{"spec.ttlSecondsAfterFinished"}},
		"NUL in prompt":            {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "a cat\x00"}, wantMsg: []string{"spec.prompt", "rule controlCharacters"}},
		"ESC in prompt":            {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "\x1b[2Ja cat"}, wantMsg: []string{"spec.prompt", "rule controlCharacters"}},
		"DEL in prompt":            {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "a\x7fcat"}, wantMsg: []string{"spec.prompt", "rule controlCharacters"}},
		"tab, CR, LF":              {spec: imagesv1alpha1.ImageRequestSpec{Prompt: "a\tcat\r\non a mat"}, wantMsg: nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// A dry run: admission runs in full, nothing is stored or reconciled.
			ir := &imagesv1alpha1.ImageRequest{ObjectMeta: metav1.ObjectMeta{GenerateName: "admission-", Namespace: "default"}, Spec: tc.spec}
			err := k8sClient.Create(context.Background(), ir, dryRunAll{})
			if tc.wantMsg == nil {
				if err != nil {
					t.Fatalf("Create() = %v, want accepted", err)
				}
				if ir.Spec.N != 1 {
					t.Fatalf("n defaulted to %d, want 1", ir.Spec.N)
				}
				return
			}
			if err == nil {
				t.Fatal("Create() accepted an invalid spec")
			}
			for _, want := range tc.wantMsg {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

// n=0 written explicitly (not omitted) must be rejected too: a JSON client
// that sends "n": 0 gets the minimum rule, not a silent default.
func TestAdmissionRejectsExplicitZeroN(t *testing.T) {
	u := map[string]any{
		"apiVersion": "images.imagegen.dev/v1alpha1", "kind": "ImageRequest",
		"metadata": map[string]any{"generateName": "zero-n-", "namespace": "default"},
		"spec":     map[string]any{"prompt": "x", "n": 0},
	}
	err := createUnstructured(t, u)
	if err == nil || !strings.Contains(err.Error(), "spec.n") {
		t.Fatalf("Create(n: 0) = %v, want a spec.n error", err)
	}
}

func TestSpecIsImmutable(t *testing.T) {
	begin(t)
	ir := createRequest(t, "immutable", imagesv1alpha1.ImageRequestSpec{Prompt: "immutable test", Size: "256x256"})
	waitTerminal(t, ir)
	var got imagesv1alpha1.ImageRequest
	if err := k8sClient.Get(t.Context(), clientKey(ir), &got); err != nil {
		t.Fatal(err)
	}
	got.Spec.Prompt = "something else"
	err := k8sClient.Update(t.Context(), &got)
	if err == nil || !strings.Contains(err.Error(), "spec is immutable") {
		t.Fatalf("Update(spec) = %v, want 'spec is immutable'", err)
	}
	// Metadata stays editable.
	if err := k8sClient.Get(t.Context(), clientKey(ir), &got); err != nil {
		t.Fatal(err)
	}
	got.Labels = map[string]string{"team": "a"}
	if err := k8sClient.Update(t.Context(), &got); err != nil {
		t.Fatalf("Update(labels) = %v, want allowed", err)
	}
}

func jpegBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 64, 64)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestControllerRejectsBadInputs: rules that need the bytes fail the request
// before any paid call.
func TestControllerRejectsBadInputs(t *testing.T) {
	begin(t)
	opaque := pngtest.PNG(64, 64, true, false)
	withHole := pngtest.PNG(64, 64, true, true)
	cases := map[string]struct {
		image, mask   []byte
		noConfigMap   bool
		missingKey    bool
		wantReason    string
		wantInMessage string
	}{
		"jpeg image":            {image: jpegBytes(t), wantReason: imagesv1alpha1.ReasonInvalidImage, wantInMessage: "spec.image: is not a PNG"},
		"non-square png":        {image: pngtest.PNG(64, 32, true, true), wantReason: imagesv1alpha1.ReasonInvalidImage, wantInMessage: "must be square"},
		"mask of other size":    {image: opaque, mask: pngtest.PNG(32, 32, true, true), wantReason: imagesv1alpha1.ReasonInvalidMask, wantInMessage: "spec.mask: is 32x32 but the image is 64x64"},
		"mask without alpha":    {image: opaque, mask: pngtest.PNG(64, 64, false, false), wantReason: imagesv1alpha1.ReasonInvalidMask, wantInMessage: "no alpha channel"},
		"opaque image, no mask": {image: opaque, wantReason: imagesv1alpha1.ReasonInvalidImage, wantInMessage: "no transparent pixels"},
		"missing ConfigMap":     {image: withHole, noConfigMap: true, wantReason: imagesv1alpha1.ReasonInputNotFound, wantInMessage: "not found after waiting"},
		"missing key":           {image: withHole, missingKey: true, wantReason: imagesv1alpha1.ReasonInputNotFound, wantInMessage: `has no key "image.png"`},
	}
	n := 0
	for name, tc := range cases {
		n++
		t.Run(name, func(t *testing.T) {
			objName := fmt.Sprintf("bad-input-%d", n)
			data := map[string][]byte{"image.png": tc.image}
			if tc.missingKey {
				data = map[string][]byte{"other.png": tc.image}
			}
			if tc.mask != nil {
				data["mask.png"] = tc.mask
			}
			if !tc.noConfigMap {
				createConfigMap(t, objName, data)
			}
			prompt := "bad input: " + name
			spec := imagesv1alpha1.ImageRequestSpec{Operation: imagesv1alpha1.OperationEdit, Prompt: prompt, Size: "256x256", Image: cmRef(objName, "image.png")}
			if tc.mask != nil {
				spec.Mask = cmRef(objName, "mask.png")
			}
			ir := waitTerminal(t, createRequest(t, objName, spec))
			if ir.Status.Phase != imagesv1alpha1.PhaseFailed || ir.Status.Reason != tc.wantReason {
				t.Fatalf("phase=%s reason=%s (%s), want Failed %s", ir.Status.Phase, ir.Status.Reason, ir.Status.Message, tc.wantReason)
			}
			if !strings.Contains(ir.Status.Message, tc.wantInMessage) {
				t.Fatalf("message %q does not contain %q", ir.Status.Message, tc.wantInMessage)
			}
			if !meta.IsStatusConditionTrue(ir.Status.Conditions, string(imagesv1alpha1.ConditionFailed)) {
				t.Fatalf("Failed condition not True: %+v", ir.Status.Conditions)
			}
			if ir.Status.Attempts != 0 || len(sim.CallsForPrompt(prompt)) != 0 {
				t.Fatalf("attempts=%d upstream calls=%d, want no paid call", ir.Status.Attempts, len(sim.CallsForPrompt(prompt)))
			}
		})
	}
}

// TestWaitsForInput: a request created before its ConfigMap waits
// (WaitingForInput) and is woken by the ConfigMap's creation.
func TestWaitsForInput(t *testing.T) {
	begin(t)
	spec := imagesv1alpha1.ImageRequestSpec{Operation: imagesv1alpha1.OperationEdit, Prompt: "late input", Size: "256x256", Image: secretRef("late-input", "image.png")}
	created := createRequest(t, "late-input", spec)
	ir := waitFor(t, created, "WaitingForInput", func(ir *imagesv1alpha1.ImageRequest) bool {
		return ir.Status.Reason == imagesv1alpha1.ReasonWaitingForInput
	})
	if ir.Status.Phase != imagesv1alpha1.PhasePending || !strings.Contains(ir.Status.Message, `Secret "late-input" not found`) {
		t.Fatalf("phase=%s message=%q", ir.Status.Phase, ir.Status.Message)
	}
	cond := meta.FindStatusCondition(ir.Status.Conditions, string(imagesv1alpha1.ConditionAccepted))
	if cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != imagesv1alpha1.ReasonWaitingForInput {
		t.Fatalf("Accepted condition = %+v", cond)
	}
	createdAt := time.Now()
	createSecret(t, "late-input", map[string][]byte{"image.png": pngtest.PNG(64, 64, true, true)})
	ir = waitTerminal(t, created)
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded {
		t.Fatalf("phase=%s (%s)", ir.Status.Phase, ir.Status.Message)
	}
	// Woken by the watch, not by the grace-period deadline.
	if took := time.Since(createdAt); took >= inputGracePeriod {
		t.Fatalf("took %s after the input appeared; the watch should wake the request at once", took)
	}
}
