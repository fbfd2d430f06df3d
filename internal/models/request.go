package models

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

// Request is the model-relevant part of an image request, free of any API
// type so both the controller and the MCP server can describe theirs.
type Request struct {
	Model  string
	Edit   bool
	Prompt string
	N      int
	Size   string
}

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
// and Size mean the defaults.
func Validate(r Request) []FieldError {
	name := r.Model
	if name == "" {
		name = DefaultModel
	}
	m, ok := Lookup(name)
	if !ok {
		return []FieldError{{Field: "model", Rule: rules.Enum, Message: fmt.Sprintf("unsupported model %q; supported: %s", name, strings.Join(Names(), ", "))}}
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
	if r.Size != "" && !m.SupportsSize(r.Size) {
		errs = append(errs, FieldError{Field: "size", Rule: rules.Enum, Message: fmt.Sprintf("%q is not supported by %s; use one of %s", r.Size, name, strings.Join(m.Sizes, ", "))})
	}
	return errs
}
