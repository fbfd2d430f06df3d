package controllers_test

import (
	"bytes"
	"image"
	_ "image/jpeg" // image.DecodeConfig reads JPEG headers,
	_ "image/png"  // PNG headers
	"testing"

	_ "golang.org/x/image/webp" // and WebP headers

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// currentModels are the models a request may name today and be served
// (under a policy that serves dall-e-2, the reference contract, too).
var currentModels = []string{
	models.DALLE2,
	models.GPTImage2, models.GPTImage2Snapshot,
	models.GPTImage25Sunburst, models.GPTImage25Flare,
	models.GPTImage26Sunburst, models.GPTImage26Flare,
}

// magicFormat names the image format data's first bytes announce: "png",
// "jpeg", "webp" or "".
func magicFormat(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return "jpeg"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

// contentTypes are the media types of the output formats.
var contentTypes = map[string]string{"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}

// extensions are the stored objects' file extensions by format.
var extensions = map[string]string{"png": ".png", "jpeg": ".jpg", "webp": ".webp"}

// assertImage checks that data is a w×h image in format, by its magic bytes
// and by its header as the image decoders read it.
func assertImage(t *testing.T, what string, data []byte, format string, w, h int) {
	t.Helper()
	if got := magicFormat(data); got != format {
		t.Fatalf("%s: magic bytes say %q (% x), want %s", what, got, data[:min(len(data), 16)], format)
	}
	cfg, decoded, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: reading the %s header: %v", what, format, err)
	}
	if decoded != format || cfg.Width != w || cfg.Height != h {
		t.Fatalf("%s: header says %s %dx%d, want %s %dx%d", what, decoded, cfg.Width, cfg.Height, format, w, h)
	}
}

// webpOf is a w×h lossless WebP, checked to be one.
func webpOf(t *testing.T, w, h int) []byte {
	t.Helper()
	data := pngtest.WebP(w, h)
	assertImage(t, "webp fixture", data, "webp", w, h)
	return data
}

// jpegOf is a w×h JPEG, checked to be one.
func jpegOf(t *testing.T, w, h int) []byte {
	t.Helper()
	data := pngtest.JPEG(w, h)
	assertImage(t, "jpeg fixture", data, "jpeg", w, h)
	return data
}

// costFromUsage is what the registry's prices make of usage, as
// status.estimatedCostUSD holds it.
func costFromUsage(t *testing.T, model string, usage models.Usage) string {
	t.Helper()
	m, ok := models.Lookup(model)
	if !ok {
		t.Fatalf("model %q is not in the registry", model)
	}
	usd, err := m.UsageCostUSD(usage)
	if err != nil {
		t.Fatalf("pricing %s: %v", model, err)
	}
	if usd <= 0 {
		t.Fatalf("%s: the registry prices %+v at %v", model, usage, usd)
	}
	return models.FormatUSD(usd)
}

// editOf is an Edit spec of prompt from image.
func editOf(prompt, model, size string, image *imagesv1alpha1.ImageSource) imagesv1alpha1.ImageRequestSpec {
	return imagesv1alpha1.ImageRequestSpec{Operation: imagesv1alpha1.OperationEdit, Prompt: prompt, Model: model, Size: size, Image: image}
}
