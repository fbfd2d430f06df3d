package dallesim_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"testing"

	"github.com/openai/openai-go/v3"
)

// servedGPTModels are the GPT image models OpenAI serves as of 2026-12-01.
var servedGPTModels = []string{
	"gpt-image-2", "gpt-image-2-2026-04-21",
	"gpt-image-2.5-sunburst", "gpt-image-2.5-sunburst-2026-09-08",
	"gpt-image-2.5-flare", "gpt-image-2.5-flare-2026-09-08",
	"gpt-image-2.6-sunburst", "gpt-image-2.6-flare",
}

// decodeB64 decodes one b64_json item, failing when the item has a URL.
func decodeB64(t *testing.T, img openai.Image) []byte {
	t.Helper()
	if img.URL != "" || img.B64JSON == "" {
		t.Fatalf("image = url %q, b64 %d chars; want b64_json only", img.URL, len(img.B64JSON))
	}
	raw, err := base64.StdEncoding.DecodeString(img.B64JSON)
	if err != nil {
		t.Fatalf("decoding base64: %v", err)
	}
	return raw
}

// imageConfig reads the format and size of an encoded image: PNG and JPEG
// through the standard library, WebP from its RIFF header.
func imageConfig(t *testing.T, raw []byte) (format string, w, h int) {
	t.Helper()
	if len(raw) >= 25 && string(raw[0:4]) == "RIFF" && string(raw[8:16]) == "WEBPVP8L" {
		if raw[20] != 0x2f {
			t.Fatalf("webp VP8L signature = %#x", raw[20])
		}
		bits := binary.LittleEndian.Uint32(raw[21:25])
		return "webp", int(bits&0x3fff) + 1, int(bits>>14&0x3fff) + 1
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("decoding image header: %v", err)
	}
	return format, cfg.Width, cfg.Height
}

// wantImage asserts raw is an image of the format and size.
func wantImage(t *testing.T, raw []byte, format string, w, h int) {
	t.Helper()
	gotFormat, gotW, gotH := imageConfig(t, raw)
	if gotFormat != format || gotW != w || gotH != h {
		t.Fatalf("image is %s %dx%d, want %s %dx%d", gotFormat, gotW, gotH, format, w, h)
	}
}

// encodeJPEG encodes img as a JPEG.
func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatalf("encoding jpeg: %v", err)
	}
	return b.Bytes()
}

// namedFile wraps b as an upload with a name and content type.
func namedFile(b []byte, name, contentType string) io.Reader {
	return openai.File(bytes.NewReader(b), name, contentType)
}

// wantUsage asserts the response's usage block adds up and has the given
// image input and output tokens, and text tokens for prompt.
func wantUsage(t *testing.T, u openai.ImagesResponseUsage, prompt string, imageIn, out int64) {
	t.Helper()
	text := int64((len([]rune(prompt)) + 3) / 4)
	d := u.InputTokensDetails
	if d.TextTokens != text || d.ImageTokens != imageIn || u.InputTokens != text+imageIn ||
		u.OutputTokens != out || u.OutputTokensDetails.ImageTokens != out || u.TotalTokens != u.InputTokens+u.OutputTokens {
		t.Fatalf("usage = %s; want text %d, image in %d, output %d", u.RawJSON(), text, imageIn, out)
	}
	for _, f := range []bool{u.JSON.InputTokens.Valid(), u.JSON.OutputTokens.Valid(), u.JSON.TotalTokens.Valid(),
		d.JSON.TextTokens.Valid(), d.JSON.ImageTokens.Valid()} {
		if !f {
			t.Fatalf("usage lacks a required field: %s", u.RawJSON())
		}
	}
}

// pngOf is an opaque w×h PNG.
func pngOf(t *testing.T, w, h int) []byte { return encodePNG(t, checkerboard(w, h)) }

// hasTransparentPixel reports whether a PNG has a pixel with alpha 0.
func hasTransparentPixel(t *testing.T, raw []byte) bool {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("decoding png: %v", err)
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			if _, _, _, a := img.At(x, y).RGBA(); a == 0 {
				return true
			}
		}
	}
	return false
}
