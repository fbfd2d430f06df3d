package imagerequests

import (
	"time"

	"github.com/imagegen/imagegen-operator/internal/models"
)

// Wait limits of the calls that create and wait, shared by the tools'
// schema and the REST endpoints.
const (
	DefaultWaitSeconds = 120
	MaxWaitSeconds     = 900
)

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

// validateParams applies the model policy and the registry's rules, as
// the controller does before any paid call, so a request that passes here
// is admitted and called. Each error carries the registry's rule.
// inputImages counts an edit's input images (0 for a generation).
func validateParams(policy models.Policy, now time.Time, p Params, edit bool, inputImages int) InputErrors {
	var errs InputErrors
	for _, fe := range policy.Validate(models.Request{
		Model: p.Model, Edit: edit, Prompt: p.Prompt, N: p.N, Size: p.Size,
		Quality: p.Quality, Background: p.Background, OutputFormat: p.OutputFormat,
		OutputCompression: p.OutputCompression, Moderation: p.Moderation, InputImages: inputImages,
	}, now) {
		errs = append(errs, &InputError{Field: fe.Field, Rule: fe.Rule, Message: fe.Message})
	}
	return errs
}
