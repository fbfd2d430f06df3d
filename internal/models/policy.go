package models

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

// ConfiguredDefaultModel is the default of the operator's --default-model
// flag: the model a request that names none gets.
const ConfiguredDefaultModel = GPTImage2

// ReferencePolicy is the reference contract's policy: dall-e-2 by default,
// and served although OpenAI retired it, as the simulator serves it. The
// zero Policy means this one, so tests and tools that configure nothing get
// the contract the project was built against; the operator's flags build
// their own with NewPolicy (default gpt-image-2, no retired model served).
var ReferencePolicy = Policy{Default: DALLE2, ServeRetired: []string{DALLE2}}

// orReference is p, or ReferencePolicy for the zero Policy.
func (p Policy) orReference() Policy {
	if p.Default == "" && len(p.ServeRetired) == 0 {
		return ReferencePolicy
	}
	return p
}

// Retirement is an announced upstream shutdown.
type Retirement struct {
	// Shutdown is the first day (00:00 UTC) the upstream refuses the model.
	Shutdown time.Time
	// Replacement is the model to use instead.
	Replacement string
	// Source is where the date was announced.
	Source string
}

// RetiredAt reports whether m is past its shutdown at now, whatever the
// operator declares (see Policy for that).
func (m Model) RetiredAt(now time.Time) bool {
	return m.Retirement != nil && !now.Before(m.Retirement.Shutdown)
}

// Policy is the operator's configuration the registry's rules depend on.
//
// Retirement is a property checked against a clock, not a registry
// deletion: dall-e-2 is retired at OpenAI but stays the reference contract
// that the simulator and OpenAI-compatible servers still speak. So a
// retired model is refused (rule "retired", naming the shutdown date and
// the replacement) only when now is past its shutdown and the operator has
// not declared it still served with --serve-retired-models (ServeRetired).
// An operator pointed at the simulator or a compatible server lists the
// models that server serves; one pointed at api.openai.com lists none.
//
// The zero Policy is ReferencePolicy. Build one from flags with NewPolicy.
type Policy struct {
	// Default is the model a request that names none gets (--default-model).
	Default string
	// ServeRetired are retired models the operator declares its upstream
	// still serves (--serve-retired-models).
	ServeRetired []string
}

// NewPolicy checks the flags' values: the default must be a registry model
// and each served retired model a registry model with a retirement date.
// A retired default is allowed only if it is also declared served, so
// "--default-model=dall-e-2 --serve-retired-models=dall-e-2" is the
// simulator's configuration and "--default-model=dall-e-2" alone, which
// would refuse every request naming no model, is an error at start-up.
func NewPolicy(defaultModel string, serveRetired []string) (Policy, error) {
	p := Policy{Default: defaultModel, ServeRetired: slices.Clone(serveRetired)}
	for _, name := range p.ServeRetired {
		m, ok := Lookup(name)
		switch {
		case !ok:
			return Policy{}, fmt.Errorf("--serve-retired-models: unknown model %q; known: %s", name, strings.Join(AllNames(), ", "))
		case m.Retirement == nil:
			return Policy{}, fmt.Errorf("--serve-retired-models: %q is not retired", name)
		}
	}
	if defaultModel != "" {
		m, ok := Lookup(defaultModel)
		if !ok {
			return Policy{}, fmt.Errorf("--default-model: unknown model %q; known: %s", defaultModel, strings.Join(AllNames(), ", "))
		}
		if m.Retirement != nil && !slices.Contains(p.ServeRetired, defaultModel) {
			return Policy{}, fmt.Errorf("--default-model: %q was shut down upstream on %s; use %s, or also pass --serve-retired-models=%s if your server still serves it",
				defaultModel, m.Retirement.Shutdown.Format(time.DateOnly), m.Retirement.Replacement, defaultModel)
		}
	}
	return p, nil
}

// ParseModelList splits a comma-separated flag value, dropping blanks.
func ParseModelList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// Resolve returns name, or the policy's default when name is empty (or
// DefaultModel when the policy has none).
func (p Policy) Resolve(name string) string {
	p = p.orReference()
	switch {
	case name != "":
		return name
	case p.Default != "":
		return p.Default
	default:
		return DefaultModel
	}
}

// Available returns nil if the model called name may be called at now, or
// the reason it may not: unknown (rule enum) or retired and not declared
// served (rule retired). Empty name means the policy's default.
func (p Policy) Available(name string, now time.Time) *FieldError {
	p = p.orReference()
	name = p.Resolve(name)
	m, ok := Lookup(name)
	if !ok {
		return &FieldError{Field: FieldModel, Rule: rules.Enum, Message: fmt.Sprintf("unsupported model %q; supported: %s", name, strings.Join(AllNames(), ", "))}
	}
	if !m.RetiredAt(now) || slices.Contains(p.ServeRetired, name) {
		return nil
	}
	return &FieldError{Field: FieldModel, Rule: rules.Retired, Message: fmt.Sprintf(
		"model %q was shut down upstream on %s; use %s instead (an operator whose server still serves it can allow it with --serve-retired-models=%s)",
		name, m.Retirement.Shutdown.Format(time.DateOnly), m.Retirement.Replacement, name)}
}

// Offered lists the registry models that may be called at now under p,
// sorted: for schemas and list_models.
func (p Policy) Offered(now time.Time) []string {
	var out []string
	for _, name := range AllNames() {
		if p.Available(name, now) == nil {
			out = append(out, name)
		}
	}
	return out
}

// Validate is the check before a paid call: the model must be available at
// now (a retired model is refused first, alone, since its other rules do
// not matter), then r must keep its rules (Validate). An empty r.Model
// means the policy's default.
func (p Policy) Validate(r Request, now time.Time) []FieldError {
	r.Model = p.Resolve(r.Model)
	if fe := p.Available(r.Model, now); fe != nil {
		return []FieldError{*fe}
	}
	return Validate(r)
}
