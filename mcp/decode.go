package mcp

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// decodeBase64 decodes an uploaded image. Standard and URL-safe alphabets,
// with or without padding, line breaks, and a data: URL prefix are accepted:
// agents produce all of them.
func decodeBase64(field, s string) ([]byte, *imagerequests.InputError) {
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
		return nil, &imagerequests.InputError{Field: field, Rule: rules.Required, Message: "is empty; give the image file's bytes in base64"}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return nil, &imagerequests.InputError{Field: field, Rule: rules.Base64, Message: fmt.Sprintf("is not valid base64 (%v); give the image file's bytes base64-encoded", err)}
}
