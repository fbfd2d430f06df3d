package imagerequests

import (
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
}

// withDefaults fills what the caller left out with the model's defaults, as
// the CRD's defaulting would.
func (p Params) withDefaults() Params {
	if p.Model == "" {
		p.Model = models.DefaultModel
	}
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

// validateParams applies the model registry's rules, which the CRD schema
// mirrors, so a request that passes here is admitted. Each error carries
// the registry's rule.
func validateParams(p Params, edit bool) InputErrors {
	var errs InputErrors
	for _, fe := range models.Validate(models.Request{Model: p.Model, Edit: edit, Prompt: p.Prompt, N: p.N, Size: p.Size}) {
		errs = append(errs, &InputError{Field: fe.Field, Rule: fe.Rule, Message: fe.Message})
	}
	return errs
}
