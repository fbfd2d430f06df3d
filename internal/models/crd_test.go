package models

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// TestCRDMatchesRegistry keeps the admission rules in the generated CRD in
// step with this registry, the one place the model rules are defined: when
// a model is added here, the markers in api/v1alpha1 must follow.
//
// It checks the models the interfaces offer (Names), still dall-e-2 only.
// The API change of issue 11 must, together with setting offered to
// AllNames(): make spec.model an enum of AllNames() (retired ones too, so
// stored objects stay valid and the controller refuses them by date with
// rule "retired"); move its default to the --default-model flag (the CRD
// can no longer default it, so drop the default check below and check
// that the field has none); check size as the union of the standard sizes
// plus a CEL rule or pattern for custom WxH instead of an enum; take the
// prompt maxLength and n maximum over AllNames() (32000 and 10); and add
// checks that quality, background, outputFormat and moderation are enums
// of the union of the models' values and outputCompression is 0–100.
func TestCRDMatchesRegistry(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", "images.imagegen.dev_imagerequests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties

	var sizes, maxN, maxPrompt = map[string]bool{}, 0, 0
	for _, name := range Names() {
		m, _ := Lookup(name)
		for _, s := range m.Sizes {
			sizes[s] = true
		}
		maxN = max(maxN, m.MaxN)
		maxPrompt = max(maxPrompt, m.MaxPromptChars)
	}
	if got, want := enumStrings(t, spec["size"]), sortedKeys(sizes); !slices.Equal(got, want) {
		t.Errorf("CRD size enum = %v, registry sizes = %v", got, want)
	}
	if got := enumStrings(t, spec["model"]); !slices.Equal(got, Names()) {
		t.Errorf("CRD model enum = %v, registry models = %v", got, Names())
	}
	if got := spec["model"].Default; got == nil || string(got.Raw) != fmt.Sprintf("%q", DefaultModel) {
		t.Errorf("CRD model default = %v, want %q", got, DefaultModel)
	}
	if n := spec["n"]; n.Maximum == nil || int(*n.Maximum) != maxN || n.Minimum == nil || *n.Minimum != 1 {
		t.Errorf("CRD n range = [%v, %v], want [1, %d]", n.Minimum, n.Maximum, maxN)
	}
	if p := spec["prompt"]; p.MaxLength == nil || int(*p.MaxLength) != maxPrompt {
		t.Errorf("CRD prompt maxLength = %v, want %d", p.MaxLength, maxPrompt)
	}
}

func enumStrings(t *testing.T, s apiextensionsv1.JSONSchemaProps) []string {
	t.Helper()
	var out []string
	for _, v := range s.Enum {
		var str string
		if err := yaml.Unmarshal(v.Raw, &str); err != nil {
			t.Fatal(err)
		}
		out = append(out, str)
	}
	slices.Sort(out)
	return out
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
