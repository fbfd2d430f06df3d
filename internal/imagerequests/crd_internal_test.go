package imagerequests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/imagegen/imagegen-operator/internal/models"
)

// TestFormIsTheCRDs: the front door refuses a size's form with the pattern
// admission uses and a parameter's value with the enum admission uses, so
// REST, MCP (whose schema takes SizePattern and Enums) and kubectl name the
// same rule for them.
func TestFormIsTheCRDs(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", "images.imagegen.dev_imagerequests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties
	size := spec["size"]
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

	for field, crdField := range map[string]string{"quality": "quality", "background": "background", FieldOutputFormat: "outputFormat", "moderation": "moderation"} {
		var crdEnum []string
		for _, v := range spec[crdField].Enum {
			var s string
			if err := json.Unmarshal(v.Raw, &s); err != nil {
				t.Fatal(err)
			}
			crdEnum = append(crdEnum, s)
		}
		slices.Sort(crdEnum) // the same values; the CRD's order is its markers'
		if got := Enums()[field]; !slices.Equal(got, crdEnum) || len(got) == 0 {
			t.Errorf("Enums()[%s] = %v, the CRD's spec.%s enum %v", field, got, crdField, crdEnum)
		}
	}
}
