package imagerequests

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// Wait limits of the calls that create and wait, shared by the tools'
// schema and the REST endpoints.
const (
	DefaultWaitSeconds = 120
	MaxWaitSeconds     = 900
)

// SizePattern is the form every size must have, the CRD's pattern on
// spec.size (a test keeps the two equal): "auto" or WIDTHxHEIGHT with up to
// five digits a side. Which sizes a model renders is the registry's rule,
// checked after this one.
const SizePattern = `^(auto|[1-9][0-9]{0,4}x[1-9][0-9]{0,4})$`

var sizePattern = regexp.MustCompile(SizePattern)

// Input names, as the MCP tools spell them (internal/rest renames some for
// its own endpoints). The registry's field names (internal/models) are
// the CRD's; these are what a caller of the tools sent.
const (
	FieldOutputFormat      = "output_format"
	FieldOutputCompression = "output_compression"
	// FieldAdditionalImages are an edit's input images after the first
	// (spec.additionalImages); the registry's count of input images is
	// reported on it, since that is the list a caller shortens.
	FieldAdditionalImages = "additional_images"
)

// AdditionalImageField names additional image i (from 0), as a caller
// indexes the list it sent: "additional_images[0]" is the edit's second
// input image.
func AdditionalImageField(i int) string {
	return FieldAdditionalImages + "[" + strconv.Itoa(i) + "]"
}

// inputFieldOf is the input name of a registry field.
func inputFieldOf(field string) string {
	switch field {
	case models.FieldOutputFormat:
		return FieldOutputFormat
	case models.FieldOutputCompression:
		return FieldOutputCompression
	case models.FieldInputImages:
		return FieldAdditionalImages
	}
	return field
}

// Params are the model-relevant fields of a generate or edit call.
type Params struct {
	Prompt string
	// N is how many images; 0 means left out (the default, 1) unless NSet
	// says the caller wrote 0, which is then refused, not charged as 1.
	N     int
	NSet  bool
	Size  string
	Model string
	// Quality, Background, OutputFormat and Moderation as the upstream
	// spells them (the CRD's enums); "" means left out.
	Quality      string
	Background   string
	OutputFormat string
	Moderation   string
	// OutputCompression is 0–100 for jpeg and webp; nil means left out.
	OutputCompression *int
}

// withDefaults fills what the caller left out as the controller would:
// the operator's default model (written into spec.model, so the request
// records what it was checked against), n 1 and the model's default size.
func (p Params) withDefaults(policy models.Policy) Params {
	p.Model = policy.Resolve(p.Model)
	if p.N == 0 && !p.NSet {
		p.N = 1
	}
	if p.Size == "" {
		if m, ok := models.Lookup(p.Model); ok {
			p.Size = m.DefaultSize
		}
	}
	return p
}

// Enums are the values each enumerated parameter may take at all, by input
// name: every value any registry model takes, as the tools' schema and the
// CRD's enums hold them (sorted). Which model takes which is the
// registry's rule, checked after this one.
func Enums() map[string][]string {
	return map[string][]string{
		models.FieldQuality:    union(func(m models.Model) []string { return m.Qualities }),
		models.FieldBackground: union(func(m models.Model) []string { return m.Backgrounds }),
		FieldOutputFormat:      union(func(m models.Model) []string { return m.OutputFormats }),
		models.FieldModeration: union(func(m models.Model) []string { return m.Moderations }),
	}
}

func union(values func(models.Model) []string) []string {
	var out []string
	for _, m := range models.All() {
		for _, v := range values(m) {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out
}

// validateParams applies the model policy and the registry's rules, as
// the controller does before any paid call, so a request that passes here
// is admitted and called. Each error carries the registry's rule, on the
// input name the caller used. inputImages counts an edit's input images
// (the image plus its additional images; 0 for a generation).
//
// The form every interface checks before the registry (the tools' schema
// and admission alike) comes first and replaces the registry's verdict on
// the same field, so REST, MCP and kubectl name the same rule: a size not
// of the CRD's pattern (rule pattern), a value outside every model's
// values (enum; on an edit, moderation is the registry's "unsupported"
// whatever its value) and a compression outside 0-100 (minimum, maximum).
func validateParams(policy models.Policy, now time.Time, p Params, edit bool, inputImages int) InputErrors {
	form := formErrors(p, edit)
	var errs InputErrors
	for _, fe := range policy.Validate(models.Request{
		Model: p.Model, Edit: edit, Prompt: p.Prompt, N: p.N, Size: p.Size,
		Quality: p.Quality, Background: p.Background, OutputFormat: p.OutputFormat,
		OutputCompression: p.OutputCompression, Moderation: p.Moderation, InputImages: inputImages,
	}, now) {
		field := inputFieldOf(fe.Field)
		ie := &InputError{Field: field, Rule: fe.Rule, Message: fe.Message}
		if f, ok := form[field]; ok {
			ie = f
		}
		errs = append(errs, ie)
	}
	return errs
}

// formErrors are the form rules p breaks, by input name.
func formErrors(p Params, edit bool) map[string]*InputError {
	out := map[string]*InputError{}
	if p.Size != "" && !sizePattern.MatchString(p.Size) {
		out[models.FieldSize] = &InputError{Field: models.FieldSize, Rule: rules.Pattern, Message: fmt.Sprintf("%q is not auto or WIDTHxHEIGHT (e.g. 1024x1024)", p.Size)}
	}
	enums := Enums()
	for field, value := range map[string]string{models.FieldQuality: p.Quality, models.FieldBackground: p.Background, FieldOutputFormat: p.OutputFormat, models.FieldModeration: p.Moderation} {
		if value == "" || slices.Contains(enums[field], value) || (edit && field == models.FieldModeration) {
			continue
		}
		out[field] = &InputError{Field: field, Rule: rules.Enum, Message: fmt.Sprintf("%q is not one of %s", value, strings.Join(enums[field], ", "))}
	}
	if c := p.OutputCompression; c != nil && (*c < 0 || *c > 100) {
		rule := rules.Maximum
		if *c < 0 {
			rule = rules.Minimum
		}
		out[FieldOutputCompression] = &InputError{Field: FieldOutputCompression, Rule: rule, Message: fmt.Sprintf("must be between 0 and 100, got %d", *c)}
	}
	return out
}
