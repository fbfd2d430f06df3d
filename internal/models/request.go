package models

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

// Request is the model-relevant part of an image request, free of any API
// type so both the controller and the MCP server can describe theirs.
//
// The zero value of each field added for the GPT image models means "not
// given" (the upstream's default applies), so a dall-e-2 request that
// names none of them validates exactly as before they existed.
type Request struct {
	Model  string
	Edit   bool
	Prompt string
	N      int
	Size   string
	// Quality, Background, OutputFormat and Moderation as the upstream
	// spells their values; "" means not given.
	Quality      string
	Background   string
	OutputFormat string
	// OutputCompression is 0–100, for jpeg and webp only; nil means not
	// given.
	OutputCompression *int
	Moderation        string
	// InputImages is how many input images an edit sends (the image plus
	// any extra ones, not the mask); 0 means the caller did not count them
	// and only the edit's own input checks apply.
	InputImages int
}

// Field names a FieldError uses, as the CRD's spec fields are (or will be)
// called; adapters map them to their own spelling (e.g. REST's
// params.output_format).
const (
	FieldModel             = "model"
	FieldPrompt            = "prompt"
	FieldN                 = "n"
	FieldSize              = "size"
	FieldQuality           = "quality"
	FieldBackground        = "background"
	FieldOutputFormat      = "outputFormat"
	FieldOutputCompression = "outputCompression"
	FieldModeration        = "moderation"
	FieldInputImages       = "images"
)

// FieldError is a rule a request breaks, named so a user or an agent can fix it.
type FieldError struct {
	// Field is the request field at fault, e.g. "size".
	Field string
	// Rule is the rule's word in internal/rules, the one the tools' input
	// schema, the CRD's messages and every interface use.
	Rule string
	// Message says which rule it broke and what is allowed.
	Message string
}

// RuleControlCharacters refuses C0 control characters (except tab, line
// feed and carriage return) and DEL in a prompt. The CRD's CEL rule on
// spec.prompt says the same.
const RuleControlCharacters = rules.ControlCharacters

// firstControlCharacter returns the index of the first refused control
// character in s, or -1.
func firstControlCharacter(s string) int {
	return strings.IndexFunc(s, func(r rune) bool {
		switch r {
		case '\t', '\n', '\r':
			return false
		}
		return r < 0x20 || r == 0x7f
	})
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// Validate checks r against the rules of the model it names and returns
// every rule it breaks; nil means the upstream should accept it. Empty Model
// means DefaultModel and empty Size the model's default. It does not read
// the clock, so it accepts a retired model: a caller about to make a paid
// call uses Policy.Validate, which refuses one past its shutdown first.
func Validate(r Request) []FieldError {
	name := cmp.Or(r.Model, DefaultModel)
	m, ok := Lookup(name)
	if !ok {
		return []FieldError{{Field: "model", Rule: rules.Enum, Message: fmt.Sprintf("unsupported model %q; supported: %s", name, strings.Join(AllNames(), ", "))}}
	}
	var errs []FieldError
	if r.Edit && !m.SupportsEdit {
		errs = append(errs, FieldError{Field: "model", Rule: rules.SupportsEdit, Message: fmt.Sprintf("model %q does not support edits", name)})
	}
	switch chars := utf8.RuneCountInString(r.Prompt); {
	case chars == 0:
		errs = append(errs, FieldError{Field: "prompt", Rule: rules.MinLength, Message: "must not be empty"})
	case chars > m.MaxPromptChars:
		errs = append(errs, FieldError{Field: "prompt", Rule: rules.MaxLength, Message: fmt.Sprintf("is %d characters; %s allows at most %d", chars, name, m.MaxPromptChars)})
	}
	if i := firstControlCharacter(r.Prompt); i >= 0 {
		errs = append(errs, FieldError{Field: "prompt", Rule: RuleControlCharacters, Message: fmt.Sprintf(
			"contains the control character %U at byte %d; only tab, line feed and carriage return are allowed", r.Prompt[i], i)})
	}
	if r.N < 1 || r.N > m.MaxN {
		rule := rules.Maximum
		if r.N < 1 {
			rule = rules.Minimum
		}
		errs = append(errs, FieldError{Field: "n", Rule: rule, Message: fmt.Sprintf("must be between 1 and %d for %s, got %d", m.MaxN, name, r.N)})
	}
	if fe := checkSize(m, r.Size); fe != nil {
		errs = append(errs, *fe)
	}
	return append(errs, checkOptions(m, r)...)
}

// checkSize checks a size against the model's sizes and custom size rule.
func checkSize(m Model, size string) *FieldError {
	if size == "" || slices.Contains(m.Sizes, size) {
		return nil
	}
	if m.CustomSizes == nil {
		return &FieldError{Field: FieldSize, Rule: rules.Enum, Message: fmt.Sprintf("%q is not supported by %s; use one of %s", size, m.Name, strings.Join(m.Sizes, ", "))}
	}
	if v := m.CustomSizes.Check(size); v != nil {
		return &FieldError{Field: FieldSize, Rule: v.rule, Message: fmt.Sprintf("%s; %s takes %s or a custom WIDTHxHEIGHT", v.message, m.Name, strings.Join(m.Sizes, ", "))}
	}
	return nil
}
