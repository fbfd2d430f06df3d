package controllers_test

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// TestSamples applies config/samples/ as `kubectl apply -f config/samples/`
// would under `make dev`, whose operator runs with an artifact store (the
// GPT image models return base64 only) and the dev model policy (default
// gpt-image-2, dall-e-2 declared still served), and expects every
// ImageRequest in it to end with images of the model and format it asked
// for, served at their URLs.
func TestSamples(t *testing.T) {
	begin(t)
	runManagerWithStore(t, fileBucket(t), artifacts.URLModeOperator, localenv.UseSimulatorModels)
	files, err := filepath.Glob(filepath.Join(localenv.RepoRoot(), "config", "samples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples found: %v", err)
	}
	var requests []*imagesv1alpha1.ImageRequest
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
		for {
			var obj unstructured.Unstructured
			if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if obj.Object == nil {
				continue
			}
			obj.SetNamespace("default")
			obj.SetName("sample-" + obj.GetName())
			if ref, found, _ := unstructured.NestedString(obj.Object, "spec", "image", "configMapKeyRef", "name"); found {
				_ = unstructured.SetNestedField(obj.Object, "sample-"+ref, "spec", "image", "configMapKeyRef", "name")
			}
			if err := k8sClient.Create(t.Context(), &obj); err != nil {
				t.Fatalf("%s: creating %s %s: %v", filepath.Base(file), obj.GetKind(), obj.GetName(), err)
			}
			deleteAtCleanup(t, obj.DeepCopy())
			if obj.GetKind() == "ImageRequest" {
				requests = append(requests, &imagesv1alpha1.ImageRequest{ObjectMeta: *objectMeta(&obj)})
			}
		}
	}
	if len(requests) < 2 {
		t.Fatalf("found %d ImageRequest samples, want generate and edit", len(requests))
	}
	for _, created := range requests {
		ir := waitTerminal(t, created)
		if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(ir.Status.Images) == 0 {
			t.Fatalf("sample %s: phase=%s images=%d (%s)", ir.Name, ir.Status.Phase, len(ir.Status.Images), ir.Status.Message)
		}
		checkSampleResult(t, ir)
	}
}

// checkSampleResult: the request ran on the model it names (or the dev
// default), was priced, and each image's URL serves bytes of the format
// the spec asked for (png when it names none).
func checkSampleResult(t *testing.T, ir *imagesv1alpha1.ImageRequest) {
	t.Helper()
	wantModel := cmp.Or(ir.Spec.Model, models.ConfiguredDefaultModel)
	if ir.Status.Model != wantModel {
		t.Errorf("sample %s: status.model %q, want %q", ir.Name, ir.Status.Model, wantModel)
	}
	if ir.Status.EstimatedCostUSD == "" {
		t.Errorf("sample %s: no status.estimatedCostUSD", ir.Name)
	}
	if m, _ := models.Lookup(wantModel); m.PriceModel == models.PricePerToken && ir.Status.Usage == nil {
		t.Errorf("sample %s: %s is priced per token but status.usage is empty", ir.Name, wantModel)
	}
	wantType := "image/" + cmp.Or(ir.Spec.OutputFormat, "png")
	for i, img := range ir.Status.Images {
		if img.ContentType != wantType {
			t.Errorf("sample %s image %d: contentType %q, want %q", ir.Name, i, img.ContentType, wantType)
		}
		status, _, body := get(t, img.URL)
		if got := http.DetectContentType(body); status != http.StatusOK || got != wantType {
			t.Errorf("sample %s image %d: GET %s: %d, bytes sniffed as %q; want 200 and %q", ir.Name, i, img.URL, status, got, wantType)
		}
	}
}
