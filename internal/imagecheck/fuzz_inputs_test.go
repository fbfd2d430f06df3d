package imagecheck

import (
	"bytes"
	"errors"
	"image"
	_ "image/jpeg" // image.DecodeConfig's decoders, to compare verdicts
	"testing"

	_ "golang.org/x/image/webp"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// FuzzCheckEditInputs: under the GPT image models' rules, CheckEditInputs
// never panics, allocates a bounded amount whatever the inputs, returns
// nil or a *Violation naming one of the inputs, and whenever it accepts,
// the standard decoders read every image's header as the format and size
// it judged, and the mask as a PNG of the first image's size with alpha.
// Pixel data of JPEG and WebP is not judged (see formats.go), so it is not
// compared.
//
// Run it with: go test ./internal/imagecheck -run '^$' -fuzz FuzzCheckEditInputs
func FuzzCheckEditInputs(f *testing.F) {
	lossless := pngtest.WebP(fixtureSide, fixtureSide)
	seeds := [][]byte{
		pngtest.PNG(fixtureSide, fixtureSide, false, false),
		pngtest.JPEG(fixtureSide, fixtureSide),
		pngtest.JPEG(24, 8),
		lossless,
		pngtest.RIFF(pngtest.VP8X(fixtureSide, fixtureSide, 0x10), pngtest.VP8LChunk(lossless)),
		pngtest.RIFF(pngtest.VP8Header(300, 200)),
		pngtest.WithJPEGSize(pngtest.JPEG(16, 16), 60000, 50000),
		pngtest.WithVP8LSize(lossless, 16384, 16384),
	}
	for _, tc := range truncatedInputs() {
		seeds = append(seeds, tc.images...)
	}
	mask := pngtest.PNG(fixtureSide, fixtureSide, true, true)
	for _, s := range seeds {
		f.Add(s, []byte(nil), []byte(nil))
		f.Add(seeds[0], s, mask)
	}
	for _, tc := range hostileInputs() {
		f.Add(seeds[1], tc.image, tc.mask)
	}

	f.Fuzz(func(t *testing.T, first, second, mask []byte) {
		images := [][]byte{first}
		if len(second) > 0 {
			images = append(images, second)
		}
		if len(mask) == 0 {
			mask = nil
		}
		var err error
		if n := allocated(func() { err = CheckEditInputs(images, mask, gptImage) }); n > allocBound {
			t.Fatalf("CheckEditInputs allocated %d bytes, want at most %d", n, allocBound)
		}
		if err != nil {
			v, ok := errors.AsType[*Violation](err)
			if !ok {
				t.Fatalf("CheckEditInputs() = %v (%T), want nil or a *Violation", err, err)
			}
			if _, isImage := ImageIndex(v.Field); !isImage && v.Field != FieldMask {
				t.Fatalf("violation names field %q", v.Field)
			}
			return
		}
		var firstSize image.Point
		for i, data := range images {
			cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("accepted %s, whose header the standard decoders cannot read: %v", ImageField(i), err)
			}
			if format != sniff(data) {
				t.Fatalf("accepted %s as %s; image.DecodeConfig reads it as %s", ImageField(i), sniff(data), format)
			}
			if i == 0 {
				firstSize = image.Pt(cfg.Width, cfg.Height)
			}
			if format == FormatPNG {
				decodeSmall(t, data)
			}
		}
		if mask != nil {
			if m := decodeSmall(t, mask); m != nil && (m.Bounds().Size() != firstSize || !goHasAlpha(m)) {
				t.Fatalf("accepted a %v mask (%T) for a %v first image", m.Bounds().Size(), m, firstSize)
			}
		}
	})
}
