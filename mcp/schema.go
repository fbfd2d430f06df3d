package mcp

import (
	"encoding/json"
	"fmt"

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

// tweakImageParams sets the bounds, enums and per-model descriptions of
// the parameters both creating tools share. Enums hold every value any
// registry model takes (as the CRD's do); which model takes which is the
// description's, and the service's check.
func tweakImageParams(d modelDocs, storesResults bool, p map[string]*jsonschema.Schema) {
	p["prompt"].MinLength = jsonschema.Ptr(1)
	p["prompt"].MaxLength = jsonschema.Ptr(maxOver(func(m models.Model) int { return m.MaxPromptChars }))
	p["prompt"].Description = d.promptDescription(p["prompt"].Description)
	p["n"].Minimum = jsonschema.Ptr(1.0)
	p["n"].Maximum = jsonschema.Ptr(float64(maxOver(func(m models.Model) int { return m.MaxN })))
	p["n"].Default = rawJSON(1)
	def := d.defaultModel()
	// Custom sizes (gpt-image-2 and 2.5) make size a pattern, not an enum.
	p["size"].Pattern = imagerequests.SizePattern
	p["size"].Default = rawJSON(def.DefaultSize)
	p["size"].Description = d.sizeDescription()
	p["model"].Enum = anySlice(models.Names())
	p["model"].Default = rawJSON(def.Name)
	p["model"].Description = d.modelDescription(storesResults)
	for name, description := range map[string]string{
		"quality": d.qualityDescription(), "background": d.backgroundDescription(),
		"output_format": d.outputFormatDescription(), "moderation": d.moderationDescription(false),
	} {
		p[name].Enum = anySlice(imagerequests.Enums()[name])
		p[name].Description = description
	}
	c := p["output_compression"]
	c.Types, c.Type = nil, "integer" // a pointer (0 is a value), not nullable
	c.Minimum, c.Maximum = jsonschema.Ptr(0.0), jsonschema.Ptr(100.0)
	c.Description = d.compressionDescription()
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

// tweakUpload makes s a base64 upload of mediaType.
func tweakUpload(s *jsonschema.Schema, mediaType string) {
	s.ContentEncoding = "base64"
	s.ContentMediaType = mediaType
	s.MinLength = jsonschema.Ptr(1)
}

// anyImage is the media type of an input image: PNG for DALL-E 2, also
// WebP and JPEG for the GPT image models (the description says which).
const anyImage = "image/*"

func generateInputSchema(d modelDocs, storesResults bool) *jsonschema.Schema {
	return schemaFor[GenerateInput](func(p map[string]*jsonschema.Schema) {
		tweakImageParams(d, storesResults, p)
		tweakNamespace(p)
		tweakWait(p)
	})
}

func editInputSchema(d modelDocs, storesResults bool) *jsonschema.Schema {
	return schemaFor[EditInput](func(p map[string]*jsonschema.Schema) {
		tweakImageParams(d, storesResults, p)
		tweakNamespace(p)
		tweakWait(p)
		tweakUpload(p["image"], anyImage)
		tweakUpload(p["mask"], "image/png")
		extra := p["additional_images"]
		extra.Types, extra.Type = nil, "array"
		extra.MaxItems = jsonschema.Ptr(maxAdditionalImages())
		tweakUpload(extra.Items, anyImage)
		p["moderation"].Enum = nil
		p["moderation"].Description = d.moderationDescription(true)
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
