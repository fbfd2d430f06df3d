package imagerequests

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

// CheckRequestKey checks the namespace and name of an ImageRequest to read
// before they reach a SubjectAccessReview or an API server URL: a name such
// as "a/b" or ".." would otherwise come back as a client-go error about the
// request path, not as the caller's mistake.
func CheckRequestKey(namespace, name string) *InputError {
	if err := checkName("namespace", namespace, validation.DNS1123LabelMaxLength, validation.IsDNS1123Label,
		"a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)"); err != nil {
		return err
	}
	return checkName("name", name, validation.DNS1123SubdomainMaxLength, validation.IsDNS1123Subdomain,
		"an ImageRequest name, a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)")
}

// checkName names its rule in the words of the tools' JSON schema
// (minLength, maxLength, pattern), so the same bad name gets the same rule
// from the schema, a tool, resources/read and REST.
func checkName(field, value string, maxLen int, check func(string) []string, what string) *InputError {
	switch {
	case value == "":
		return &InputError{Field: field, Rule: rules.MinLength, Message: "is empty; it must be " + what}
	case len(value) > maxLen:
		return &InputError{Field: field, Rule: rules.MaxLength, Message: fmt.Sprintf("is %d characters; at most %d are allowed", len(value), maxLen)}
	}
	if msgs := check(value); len(msgs) > 0 {
		return &InputError{Field: field, Rule: rules.Pattern, Message: fmt.Sprintf("%q is not %s: %s", shorten(value), what, strings.Join(msgs, "; "))}
	}
	return nil
}

// shorten keeps an echoed value readable.
func shorten(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
