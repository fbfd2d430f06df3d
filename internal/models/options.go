package models

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

// checkOptions checks the parameters the GPT image models added: quality,
// background, output format and compression, moderation and the number of
// edit input images. Each value the model does not take at all breaks
// rule "unsupported", a value outside its list rule "enum", and a value
// that needs another field's value rule "requires".
func checkOptions(m Model, r Request) []FieldError {
	var errs []FieldError
	add := func(fe *FieldError) {
		if fe != nil {
			errs = append(errs, *fe)
		}
	}
	add(oneOf(m, FieldQuality, r.Quality, m.Qualities))
	add(oneOf(m, FieldBackground, r.Background, m.Backgrounds))
	add(oneOf(m, FieldOutputFormat, r.OutputFormat, m.OutputFormats))
	if r.Edit && r.Moderation != "" {
		add(&FieldError{Field: FieldModeration, Rule: rules.Unsupported, Message: "the edits endpoint takes no moderation parameter; it applies to generations only"})
	} else {
		add(oneOf(m, FieldModeration, r.Moderation, m.Moderations))
	}
	format := cmp.Or(r.OutputFormat, m.DefaultOutputFormat)
	if r.Background == "transparent" && slices.Contains(m.Backgrounds, "transparent") && !slices.Contains(m.TransparentFormats, format) {
		add(&FieldError{Field: FieldBackground, Rule: rules.Requires, Message: fmt.Sprintf(
			"a transparent background needs output format %s, got %q", strings.Join(m.TransparentFormats, " or "), format)})
	}
	if c := r.OutputCompression; c != nil {
		switch {
		case len(m.CompressionFormats) == 0:
			add(&FieldError{Field: FieldOutputCompression, Rule: rules.Unsupported, Message: fmt.Sprintf("%s takes no output compression", m.Name)})
		case *c < 0:
			add(&FieldError{Field: FieldOutputCompression, Rule: rules.Minimum, Message: fmt.Sprintf("must be between 0 and 100, got %d", *c)})
		case *c > 100:
			add(&FieldError{Field: FieldOutputCompression, Rule: rules.Maximum, Message: fmt.Sprintf("must be between 0 and 100, got %d", *c)})
		case !slices.Contains(m.CompressionFormats, format):
			add(&FieldError{Field: FieldOutputCompression, Rule: rules.Requires, Message: fmt.Sprintf(
				"applies to output format %s only, got %q", strings.Join(m.CompressionFormats, " or "), format)})
		}
	}
	switch n := r.InputImages; {
	case n > 0 && !r.Edit:
		add(&FieldError{Field: FieldInputImages, Rule: rules.Unsupported, Message: "input images belong to edits; a generation takes none"})
	case n < 0:
		add(&FieldError{Field: FieldInputImages, Rule: rules.Minimum, Message: fmt.Sprintf("must not be negative, got %d", n)})
	case r.Edit && m.SupportsEdit && n > m.MaxInputImages:
		add(&FieldError{Field: FieldInputImages, Rule: rules.MaxItems, Message: fmt.Sprintf(
			"%d input images; %s takes at most %d", n, m.Name, m.MaxInputImages)})
	}
	return errs
}

// oneOf checks an optional enumerated parameter.
func oneOf(m Model, field, value string, allowed []string) *FieldError {
	switch {
	case value == "" || slices.Contains(allowed, value):
		return nil
	case len(allowed) == 0:
		return &FieldError{Field: field, Rule: rules.Unsupported, Message: fmt.Sprintf("%s takes no %s parameter", m.Name, field)}
	default:
		return &FieldError{Field: field, Rule: rules.Enum, Message: fmt.Sprintf("%q is not supported by %s; use one of %s", value, m.Name, strings.Join(allowed, ", "))}
	}
}
