package mcp

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// Limits of the tools' own parameters.
const (
	defaultWaitSeconds = imagerequests.DefaultWaitSeconds
	maxWaitSeconds     = imagerequests.MaxWaitSeconds
	defaultListLimit   = 20
	maxListLimit       = 200
)

// namespacePattern is a DNS-1123 label, what a namespace name must be.
const namespacePattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

// modelLimits are the bounds over every registered model, for the schema;
// the per-model rules are checked by the imagerequests service.
type modelLimits struct {
	names          []string
	sizes          []string
	maxN           int
	maxPromptChars int
	maxInputBytes  int64
}

func registryLimits() modelLimits {
	var l modelLimits
	l.names = models.Names()
	for _, name := range l.names {
		m, _ := models.Lookup(name)
		for _, s := range m.Sizes {
			if !slices.Contains(l.sizes, s) {
				l.sizes = append(l.sizes, s)
			}
		}
		l.maxN = max(l.maxN, m.MaxN)
		l.maxPromptChars = max(l.maxPromptChars, m.MaxPromptChars)
		l.maxInputBytes = max(l.maxInputBytes, m.MaxInputBytes)
	}
	slices.SortFunc(l.sizes, func(a, b string) int { return sizeArea(a) - sizeArea(b) })
	return l
}

func sizeArea(s string) int {
	w, h, _ := strings.Cut(s, "x")
	wi, _ := strconv.Atoi(w)
	hi, _ := strconv.Atoi(h)
	return wi * hi
}

func anySlice[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// schemaFor infers T's schema and lets tweak adjust its properties.
func schemaFor[T any](tweak func(props map[string]*jsonschema.Schema)) *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("inferring the schema of %T: %v", *new(T), err))
	}
	if tweak != nil {
		tweak(s.Properties)
	}
	return s
}

// tweakImageParams sets the bounds of prompt, n, size and model.
func tweakImageParams(p map[string]*jsonschema.Schema) {
	l := registryLimits()
	p["prompt"].MinLength = jsonschema.Ptr(1)
	p["prompt"].MaxLength = jsonschema.Ptr(l.maxPromptChars)
	p["n"].Minimum = jsonschema.Ptr(1.0)
	p["n"].Maximum = jsonschema.Ptr(float64(l.maxN))
	p["n"].Default = rawJSON(1)
	p["size"].Enum = anySlice(l.sizes)
	p["model"].Enum = anySlice(l.names)
	p["model"].Default = rawJSON(models.DefaultModel)
	if m, ok := models.Lookup(models.DefaultModel); ok {
		p["size"].Default = rawJSON(m.DefaultSize)
	}
}

func tweakNamespace(p map[string]*jsonschema.Schema) {
	p["namespace"].Pattern = namespacePattern
	p["namespace"].MaxLength = jsonschema.Ptr(63)
}

func tweakWait(p map[string]*jsonschema.Schema) {
	p["wait_seconds"].Minimum = jsonschema.Ptr(0.0)
	p["wait_seconds"].Maximum = jsonschema.Ptr(float64(maxWaitSeconds))
	p["wait_seconds"].Default = rawJSON(defaultWaitSeconds)
	p["include_preview"].Default = rawJSON(false)
}

func tweakPNG(s *jsonschema.Schema) {
	s.ContentEncoding = "base64"
	s.ContentMediaType = "image/png"
	s.MinLength = jsonschema.Ptr(1)
}

func generateInputSchema() *jsonschema.Schema {
	return schemaFor[GenerateInput](func(p map[string]*jsonschema.Schema) {
		tweakImageParams(p)
		tweakNamespace(p)
		tweakWait(p)
	})
}

func editInputSchema() *jsonschema.Schema {
	return schemaFor[EditInput](func(p map[string]*jsonschema.Schema) {
		tweakImageParams(p)
		tweakNamespace(p)
		tweakWait(p)
		tweakPNG(p["image"])
		tweakPNG(p["mask"])
	})
}

func getInputSchema() *jsonschema.Schema {
	return schemaFor[GetInput](func(p map[string]*jsonschema.Schema) {
		tweakNamespace(p)
		p["name"].MinLength = jsonschema.Ptr(1)
		p["name"].MaxLength = jsonschema.Ptr(253)
	})
}

func listInputSchema() *jsonschema.Schema {
	return schemaFor[ListInput](func(p map[string]*jsonschema.Schema) {
		tweakNamespace(p)
		p["limit"].Minimum = jsonschema.Ptr(1.0)
		p["limit"].Maximum = jsonschema.Ptr(float64(maxListLimit))
		p["limit"].Default = rawJSON(defaultListLimit)
	})
}

// phases in the order a request goes through them.
var phases = []any{
	string(imagesv1alpha1.PhasePending), string(imagesv1alpha1.PhaseRunning),
	string(imagesv1alpha1.PhaseSucceeded), string(imagesv1alpha1.PhaseFailed),
}

// tweakOutput makes images a plain array and enumerates phase.
func tweakOutput(p map[string]*jsonschema.Schema) {
	if img, ok := p["images"]; ok {
		img.Types = nil
		img.Type = "array"
	}
	if ph, ok := p["phase"]; ok {
		ph.Enum = phases
	}
}

func outputSchema() *jsonschema.Schema { return schemaFor[ImageRequestOutput](tweakOutput) }

func detailsSchema() *jsonschema.Schema { return schemaFor[ImageRequestDetails](tweakOutput) }

func listOutputSchema() *jsonschema.Schema {
	return schemaFor[ListOutput](func(p map[string]*jsonschema.Schema) {
		items := p["items"]
		items.Types = nil
		items.Type = "array"
		items.Items.Properties["phase"].Enum = phases
	})
}
