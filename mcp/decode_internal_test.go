package mcp

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestDecodeBase64(t *testing.T) {
	want := []byte("\x89PNG\r\n\x1a\n\xff\xfe\xfd")
	for name, in := range map[string]string{
		"standard":          base64.StdEncoding.EncodeToString(want),
		"unpadded":          base64.RawStdEncoding.EncodeToString(want),
		"URL-safe":          base64.URLEncoding.EncodeToString(want),
		"URL-safe unpadded": base64.RawURLEncoding.EncodeToString(want),
		"data URL":          "data:image/png;base64," + base64.StdEncoding.EncodeToString(want),
		"line breaks":       strings.Join(strings.SplitAfter(base64.StdEncoding.EncodeToString(want), "iVBO"), "\r\n"),
	} {
		got, err := decodeBase64("image", in)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: %v %q", name, err, got)
		}
	}
	for name, in := range map[string]string{"empty": "", "spaces": "  \n", "bad": "!!!!", "truncated": "iVBORw0KGgo="[:5]} {
		if _, err := decodeBase64("mask", in); err == nil || err.Field != "mask" {
			t.Errorf("%s: error %v, want one naming mask", name, err)
		}
	}
}
