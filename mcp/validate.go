package mcp

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/imagegen/imagegen-operator/internal/imagecheck"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// MaxInlineInputBytes bounds what an edit can upload: until an artifact
// store exists the image and mask travel to the controller in one Secret,
// and Kubernetes caps a Secret's data (keys plus values) at 1 MiB. This is
// the one place that limit lives.
const MaxInlineInputBytes = 1 << 20

// Keys of the input Secret.
const (
	secretKeyImage = "image.png"
	secretKeyMask  = "mask.png"
)

// InputError is a rule a call's input breaks, found before anything is
// created. Field is the input's name as the caller spelled it (the REST
// handlers rename it), Rule a short stable word.
type InputError struct {
	Field   string
	Rule    string
	Message string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("invalid %s (rule %s): %s", e.Field, e.Rule, e.Message)
}

// InputErrors are all the rules an input breaks.
type InputErrors []*InputError

func (es InputErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// asInputErrors returns the input errors in err, if any.
func asInputErrors(err error) InputErrors {
	var es InputErrors
	if errors.As(err, &es) {
		return es
	}
	var e *InputError
	if errors.As(err, &e) {
		return InputErrors{e}
	}
	return nil
}

// imageParams are the model-relevant fields of a generate or edit call.
type imageParams struct {
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
func (p imageParams) withDefaults() imageParams {
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
// mirrors, so a request that passes here is admitted.
func validateParams(p imageParams, edit bool) InputErrors {
	var errs InputErrors
	for _, fe := range models.Validate(models.Request{Model: p.Model, Edit: edit, Prompt: p.Prompt, N: p.N, Size: p.Size}) {
		errs = append(errs, &InputError{Field: fe.Field, Rule: ruleOf(fe, p), Message: fe.Message})
	}
	return errs
}

// ruleOf names the rule behind a models.FieldError in p.
func ruleOf(fe models.FieldError, p imageParams) string {
	if fe.Rule != "" {
		return fe.Rule
	}
	switch fe.Field {
	case "prompt":
		if strings.Contains(fe.Message, "empty") {
			return "required"
		}
		return "maxLength"
	case "n":
		// The words of the tools' input schema, so REST and MCP name the
		// same rule for the same n.
		if p.N < 1 {
			return "minimum"
		}
		return "maximum"
	case "model":
		if strings.Contains(fe.Message, "edits") {
			return "supportsEdit"
		}
		return "enum"
	}
	return "enum"
}

// validateNamespace checks a namespace name.
func validateNamespace(ns string) error {
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}

// decodeBase64 decodes an uploaded image. Standard and URL-safe alphabets,
// with or without padding, line breaks, and a data: URL prefix are accepted:
// agents produce all of them.
func decodeBase64(field, s string) ([]byte, *InputError) {
	if i := strings.Index(s, ";base64,"); strings.HasPrefix(s, "data:") && i >= 0 {
		s = s[i+len(";base64,"):]
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', ' ', '\t':
			return -1
		}
		return r
	}, s)
	if s == "" {
		return nil, &InputError{Field: field, Rule: "required", Message: "is empty; give the PNG file's bytes in base64"}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return nil, &InputError{Field: field, Rule: "base64", Message: fmt.Sprintf("is not valid base64 (%v); give the PNG file's bytes base64-encoded", err)}
}

// validateEditInputs applies the byte limits (the model's, then the
// Secret's) and then the controller's rules on the contents (PNG,
// dimensions, square, mask size and alpha, transparency). The byte limits
// come first so an oversized body is refused before any of it is parsed.
func validateEditInputs(modelName string, image, mask []byte) *InputError {
	m, ok := models.Lookup(modelName)
	if !ok {
		return &InputError{Field: "model", Rule: "enum", Message: fmt.Sprintf("unsupported model %q", modelName)}
	}
	asInputError := func(err error) *InputError {
		var v *imagecheck.Violation
		if errors.As(err, &v) {
			return &InputError{Field: v.Field, Rule: v.Rule, Message: v.Message}
		}
		return &InputError{Field: imagecheck.FieldImage, Rule: "png", Message: err.Error()}
	}
	rules := imagecheck.Rules{MaxBytes: m.MaxInputBytes, Square: m.SquareInput, MaxSide: m.MaxInputSide}
	if err := imagecheck.CheckSizes(image, mask, rules); err != nil {
		return asInputError(err)
	}
	if err := checkInlineSize(image, mask); err != nil {
		return err
	}
	if err := imagecheck.CheckEdit(image, mask, rules); err != nil {
		return asInputError(err)
	}
	return nil
}

// checkInlineSize refuses inputs that do not fit in the input Secret.
func checkInlineSize(image, mask []byte) *InputError {
	imageSize := len(secretKeyImage) + len(image)
	if imageSize > MaxInlineInputBytes {
		return &InputError{Field: imagecheck.FieldImage, Rule: "inlineSize", Message: fmt.Sprintf(
			"is %d bytes; until an artifact store exists, edit inputs travel in a Kubernetes Secret, which holds at most %d bytes (1 MiB) for image and mask together; send a smaller PNG (fewer colours, or a smaller square size)",
			len(image), MaxInlineInputBytes)}
	}
	if mask == nil {
		return nil
	}
	if total := imageSize + len(secretKeyMask) + len(mask); total > MaxInlineInputBytes {
		return &InputError{Field: imagecheck.FieldMask, Rule: "inlineSize", Message: fmt.Sprintf(
			"is %d bytes and the image %d bytes, %d together; until an artifact store exists, edit inputs travel in a Kubernetes Secret, which holds at most %d bytes (1 MiB) for image and mask together; send smaller PNGs",
			len(mask), len(image), len(image)+len(mask), MaxInlineInputBytes)}
	}
	return nil
}
