package imagecheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// fuzzDecodePixels bounds the inputs the fuzz target also decodes with
// image/png to compare verdicts (png.Decode materialises them).
const fuzzDecodePixels = 512 * 512

// FuzzCheckEdit: CheckEdit never panics, allocates a bounded amount
// whatever the input, and whenever it accepts an input image/png decodes it
// too and agrees: the image has a transparent pixel (no mask), or the mask
// has an alpha channel and the image's size. Beyond CheckEdit's verdict,
// whatever the streaming decoder accepts on its own, image/png accepts with
// the same dimensions, alpha channel and transparency. Seeds with
// repairCRCs set have their chunk CRCs fixed after mutation.
//
// Run it with: go test ./internal/imagecheck -run '^$' -fuzz FuzzCheckEdit
func FuzzCheckEdit(f *testing.F) {
	for _, tc := range hostileInputs() {
		f.Add(tc.image, tc.mask, false)
	}
	opaque := pngtest.PNG(fixtureSide, fixtureSide, true, false)
	for _, tc := range colourFixtures() {
		data := pngtest.Encode(tc.spec)
		f.Add(data, []byte(nil), true)
		if tc.spec.Width == fixtureSide {
			f.Add(opaque, data, true)
		}
	}
	f.Add(pngtest.PaletteBomb(pngtest.BombSide), []byte(nil), true)
	// The other formats DALL-E 2 refuses (FuzzCheckEditInputs takes them).
	f.Add(pngtest.JPEG(fixtureSide, fixtureSide), []byte(nil), false)
	f.Add(pngtest.WebP(fixtureSide, fixtureSide), []byte(nil), false)
	f.Add(opaque, pngtest.WebP(fixtureSide, fixtureSide), false)

	rules := Rules{MaxBytes: 4 << 20, MaxSide: 4096} // not square, so more inputs get past the header
	f.Fuzz(func(t *testing.T, image, mask []byte, repairCRCs bool) {
		if len(mask) == 0 {
			mask = nil
		}
		if repairCRCs {
			// Mutations almost always break a CRC, which stops the check
			// at the chunk walk; repairing them lets the fuzzer reach the
			// chunk rules and the pixel data.
			image, mask = fixCRCs(image), fixCRCs(mask)
		}
		var err error
		if n := allocated(func() { err = CheckEdit(image, mask, rules) }); n > allocBound {
			t.Fatalf("CheckEdit allocated %d bytes, want at most %d", n, allocBound)
		}
		if _, ok := errors.AsType[*Violation](err); err != nil && !ok {
			t.Fatalf("CheckEdit() = %v (%T), want nil or a *Violation", err, err)
		}
		agreeWithImagePNG(t, image)
		agreeWithImagePNG(t, mask)
		if err != nil {
			return
		}
		img := decodeSmall(t, image)
		if mask == nil {
			if img != nil && !goHasTransparentPixel(img) {
				t.Fatalf("accepted an image without mask that image/png finds no transparent pixel in (%T)", img)
			}
			return
		}
		m := decodeSmall(t, mask)
		if m != nil && !goHasAlpha(m) {
			t.Fatalf("accepted a mask that image/png decodes without alpha (%T)", m)
		}
		if img != nil && m != nil && img.Bounds().Size() != m.Bounds().Size() {
			t.Fatalf("accepted a %v mask for a %v image", m.Bounds().Size(), img.Bounds().Size())
		}
	})
}

// fixCRCs returns a copy of data with the CRC of every complete chunk set right.
func fixCRCs(data []byte) []byte {
	if data == nil {
		return nil
	}
	out := bytes.Clone(data)
	for off := len(pngtest.Signature); off+12 <= len(out); {
		n := binary.BigEndian.Uint32(out[off:])
		end := uint64(off) + 12 + uint64(n)
		if end > uint64(len(out)) {
			break
		}
		binary.BigEndian.PutUint32(out[end-4:], crc32.ChecksumIEEE(out[off+4:end-4]))
		off = int(end)
	}
	return out
}

// agreeWithImagePNG checks that whatever the streaming decoder accepts,
// image/png decodes with the same size, alpha channel and transparency.
func agreeWithImagePNG(t *testing.T, data []byte) {
	t.Helper()
	p, err := parsePNG(data)
	if err != nil || p.width*p.height > fuzzDecodePixels {
		return
	}
	transparent, err := p.scanPixels(true)
	if err != nil {
		return
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("streaming decoder accepts what image/png refuses: %v", err)
	}
	if b := img.Bounds(); b.Dx() != p.width || b.Dy() != p.height {
		t.Fatalf("size %dx%d, image/png %dx%d", p.width, p.height, b.Dx(), b.Dy())
	}
	if got := goHasAlpha(img); got != p.hasAlphaChannel() {
		t.Fatalf("alpha channel %v, image/png (%T) %v", p.hasAlphaChannel(), img, got)
	}
	if got := goHasTransparentPixel(img); got != transparent {
		t.Fatalf("transparent pixel %v, image/png %v", transparent, got)
	}
}

// decodeSmall decodes an accepted input with image/png, which must succeed;
// it returns nil for inputs too large to decode in a fuzz run.
func decodeSmall(t *testing.T, data []byte) image.Image {
	t.Helper()
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("accepted an input image/png cannot read the header of: %v", err)
	}
	if cfg.Width*cfg.Height > fuzzDecodePixels {
		return nil
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("accepted an input image/png cannot decode: %v", err)
	}
	return img
}
