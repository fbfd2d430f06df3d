package imagerequests

import (
	"os"
	"path/filepath"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/imagegen/imagegen-operator/internal/models"
)

// TestSizePatternIsTheCRDs: the front door refuses a size's form with the
// pattern admission uses, so a size the API server would refuse by form
// never reaches it, and the tools' schema (which takes SizePattern) says
// the same.
func TestSizePatternIsTheCRDs(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", "images.imagegen.dev_imagerequests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	size := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["size"]
	if size.Pattern != SizePattern {
		t.Errorf("the CRD's spec.size pattern is %q, SizePattern %q", size.Pattern, SizePattern)
	}
	// Every size a model lists has the form.
	for _, m := range models.All() {
		for _, s := range m.Sizes {
			if !sizePattern.MatchString(s) {
				t.Errorf("%s lists size %q, which SizePattern refuses", m.Name, s)
			}
		}
	}
}
