package controllers_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/localenv"
)

// TestSamples applies config/samples/ as `kubectl apply -f config/samples/`
// would and expects every ImageRequest in it to end with image URLs.
func TestSamples(t *testing.T) {
	begin(t)
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
		if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(ir.Status.Images) == 0 || ir.Status.Images[0].URL == "" {
			t.Fatalf("sample %s: phase=%s images=%d (%s)", ir.Name, ir.Status.Phase, len(ir.Status.Images), ir.Status.Message)
		}
	}
}
