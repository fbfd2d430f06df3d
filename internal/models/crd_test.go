package models

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// TestCRDMatchesRegistry keeps the admission rules in the generated CRD in
// step with this registry, the one place the model rules are defined: when
// a model is added here, the markers in api/v1alpha1 must follow.
//
// The schema holds what is true of every model: spec.model is an enum of
// every registry entry (retired ones too, refused by date with rule
// "retired"), with no default (the operator's --default-model decides);
// size is a pattern every model's sizes match; the prompt and n bounds are
// the widest; each GPT parameter is an enum of the union of the models'
// values. The one model admission knows by name is dall-e-2, the reference
// contract: its CEL rules must carry its registry sizes and prompt limit.
func TestCRDMatchesRegistry(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", "images.imagegen.dev_imagerequests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	specSchema := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	spec := specSchema.Properties

	var (
		maxN, maxPrompt, maxInputs                   int
		qualities, backgrounds, formats, moderations = map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
		sizes                                        []string
	)
	for _, m := range All() {
		sizes = append(sizes, m.Sizes...)
		maxN = max(maxN, m.MaxN)
		maxPrompt = max(maxPrompt, m.MaxPromptChars)
		maxInputs = max(maxInputs, m.MaxInputImages)
		for set, values := range map[*map[string]bool][]string{&qualities: m.Qualities, &backgrounds: m.Backgrounds, &formats: m.OutputFormats, &moderations: m.Moderations} {
			for _, v := range values {
				(*set)[v] = true
			}
		}
		if m.CustomSizes != nil {
			r := m.CustomSizes
			sizes = append(sizes, fmt.Sprintf("%dx%d", r.MaxEdge, r.MaxPixels/r.MaxEdge), fmt.Sprintf("%dx%d", r.Multiple, r.Multiple))
		}
	}

	if got := enumStrings(t, spec["model"]); !slices.Equal(got, AllNames()) {
		t.Errorf("CRD model enum = %v, registry models = %v", got, AllNames())
	}
	if got := spec["model"].Default; got != nil {
		t.Errorf("CRD model default = %s; the operator's --default-model decides, so the schema must have none", got.Raw)
	}
	size := spec["size"]
	if len(size.Enum) != 0 || size.Default != nil {
		t.Errorf("CRD size has enum %v / default %v; custom sizes need a pattern and each model its own default", size.Enum, size.Default)
	}
	pattern := regexp.MustCompile(size.Pattern)
	for _, s := range sizes {
		if !pattern.MatchString(s) || size.MaxLength == nil || len(s) > int(*size.MaxLength) {
			t.Errorf("registry size %q is refused by the CRD's pattern %q / maxLength %v", s, size.Pattern, size.MaxLength)
		}
	}
	for _, bad := range []string{"", "1024", "x1024", "1024x", "0x16", "1024X1024", "1024x1024 ", "big"} {
		if pattern.MatchString(bad) {
			t.Errorf("CRD size pattern accepts %q", bad)
		}
	}
	if n := spec["n"]; n.Maximum == nil || int(*n.Maximum) != maxN || n.Minimum == nil || *n.Minimum != 1 {
		t.Errorf("CRD n range = [%v, %v], want [1, %d]", n.Minimum, n.Maximum, maxN)
	}
	if p := spec["prompt"]; p.MaxLength == nil || int(*p.MaxLength) != maxPrompt {
		t.Errorf("CRD prompt maxLength = %v, want %d", p.MaxLength, maxPrompt)
	}
	for field, want := range map[string]map[string]bool{"quality": qualities, "background": backgrounds, "outputFormat": formats, "moderation": moderations} {
		if got := enumStrings(t, spec[field]); !slices.Equal(got, sortedKeys(want)) {
			t.Errorf("CRD %s enum = %v, registry values = %v", field, got, sortedKeys(want))
		}
	}
	if c := spec["outputCompression"]; c.Minimum == nil || *c.Minimum != 0 || c.Maximum == nil || *c.Maximum != 100 {
		t.Errorf("CRD outputCompression range = [%v, %v], want [0, 100]", c.Minimum, c.Maximum)
	}
	if a := spec["additionalImages"]; a.MaxItems == nil || int(*a.MaxItems) != maxInputs-1 {
		t.Errorf("CRD additionalImages maxItems = %v, want %d (the most input images any model takes, less spec.image)", a.MaxItems, maxInputs-1)
	}

	// dall-e-2, named explicitly, is held to its own rules at admission.
	dalle2, _ := Lookup(DALLE2)
	var quoted []string
	for _, s := range dalle2.Sizes {
		quoted = append(quoted, "'"+s+"'")
	}
	wantRules := []string{
		fmt.Sprintf("size(self.prompt) <= %d", dalle2.MaxPromptChars),
		"self.size in [" + strings.Join(quoted, ", ") + "]",
	}
	for _, want := range wantRules {
		found := false
		for _, v := range specSchema.XValidations {
			found = found || (strings.Contains(v.Rule, "'"+DALLE2+"'") && strings.Contains(v.Rule, want))
		}
		if !found {
			t.Errorf("no CEL rule on spec holds dall-e-2's %q", want)
		}
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
