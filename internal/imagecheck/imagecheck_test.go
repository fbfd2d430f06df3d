package imagecheck

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

func jpegBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 64, 64)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hugePNG is a valid square PNG of at least 4 MB: random pixels don't compress.
func hugePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 1100, 1100))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < 4<<20 {
		t.Fatalf("test image is only %d bytes", buf.Len())
	}
	return buf.Bytes()
}

func TestCheckEdit(t *testing.T) {
	withHole := pngtest.PNG(64, 64, true, true)
	opaqueRGBA := pngtest.PNG(64, 64, true, false)
	cases := map[string]struct {
		image, mask []byte
		rules       Rules
		wantField   string
		wantRule    string
	}{
		"image with transparency, no mask":  {image: withHole, rules: dalle2},
		"opaque image with mask":            {image: opaqueRGBA, mask: withHole, rules: dalle2},
		"jpeg image":                        {image: jpegBytes(t), rules: dalle2, wantField: FieldImage, wantRule: "png"},
		"png signature, broken body":        {image: append([]byte("\x89PNG\r\n\x1a\n"), 1, 2, 3), rules: dalle2, wantField: FieldImage, wantRule: "png"},
		"non-square image":                  {image: pngtest.PNG(64, 32, true, true), rules: dalle2, wantField: FieldImage, wantRule: "square"},
		"non-square allowed by model":       {image: pngtest.PNG(64, 32, true, true), rules: Rules{MaxBytes: 4 << 20}},
		"4 MB+ image":                       {image: hugePNG(t), rules: dalle2, wantField: FieldImage, wantRule: "size-bytes"},
		"image at the byte limit":           {image: withHole, rules: Rules{MaxBytes: int64(len(withHole)), Square: true}, wantField: FieldImage, wantRule: "size-bytes"},
		"image without transparency":        {image: opaqueRGBA, rules: dalle2, wantField: FieldImage, wantRule: "transparency"},
		"image without alpha channel":       {image: pngtest.PNG(64, 64, false, false), rules: dalle2, wantField: FieldImage, wantRule: "transparency"},
		"mask of other size":                {image: opaqueRGBA, mask: pngtest.PNG(32, 32, true, true), rules: dalle2, wantField: FieldMask, wantRule: "dimensions"},
		"RGB mask (no alpha channel)":       {image: opaqueRGBA, mask: pngtest.PNG(64, 64, false, false), rules: dalle2, wantField: FieldMask, wantRule: "alpha"},
		"image over the side limit":         {image: pngtest.PNG(65, 65, true, true), rules: Rules{MaxBytes: 4 << 20, Square: true, MaxSide: 64}, wantField: FieldImage, wantRule: "dimensions-max"},
		"image at the side limit":           {image: withHole, rules: Rules{MaxBytes: 4 << 20, Square: true, MaxSide: 64}},
		"mask over the side limit":          {image: opaqueRGBA, mask: pngtest.PNG(65, 65, true, true), rules: Rules{MaxBytes: 4 << 20, MaxSide: 64}, wantField: FieldMask, wantRule: "dimensions-max"},
		"oversized mask before a bad image": {image: jpegBytes(t), mask: hugePNG(t), rules: dalle2, wantField: FieldMask, wantRule: "size-bytes"},
		"mask not png":                      {image: opaqueRGBA, mask: jpegBytes(t), rules: dalle2, wantField: FieldMask, wantRule: "png"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := CheckEdit(tc.image, tc.mask, tc.rules)
			if tc.wantRule == "" {
				if err != nil {
					t.Fatalf("CheckEdit() = %v, want nil", err)
				}
				return
			}
			var v *Violation
			if !errors.As(err, &v) {
				t.Fatalf("CheckEdit() = %v, want a *Violation", err)
			}
			if v.Field != tc.wantField || v.Rule != tc.wantRule {
				t.Fatalf("violation = %s/%s (%q), want %s/%s", v.Field, v.Rule, v.Message, tc.wantField, tc.wantRule)
			}
			if !strings.HasPrefix(err.Error(), tc.wantField+": ") {
				t.Fatalf("error %q does not name the field", err)
			}
		})
	}
}

// BenchmarkCheckEdit1024 measures the cost of the full rule set on a
// 1024x1024 image and mask, the largest DALL-E 2 input.
func BenchmarkCheckEdit1024(b *testing.B) {
	img, mask := pngtest.PNG(1024, 1024, true, false), pngtest.PNG(1024, 1024, true, true)
	rules := Rules{MaxBytes: 4 << 20, Square: true}
	b.ReportAllocs()
	b.SetBytes(int64(len(img) + len(mask)))
	for b.Loop() {
		if err := CheckEdit(img, mask, rules); err != nil {
			b.Fatal(err)
		}
	}
}
