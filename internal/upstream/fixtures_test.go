package upstream

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/HugoSmits86/nativewebp"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// Input image fixtures, each checked to be what its name says with a
// reader other than the client's sniffing, so a test of the sniffing
// cannot pass on a mislabelled fixture.

// pngFixture is a w×h RGBA PNG with a transparent centre.
func pngFixture(t *testing.T, w, h int) []byte {
	t.Helper()
	data := pngtest.PNG(w, h, true, true)
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != w || cfg.Height != h {
		t.Fatalf("png fixture: %dx%d, %v; want a %dx%d PNG", cfg.Width, cfg.Height, err, w, h)
	}
	return data
}

// gradient is a w×h opaque test picture.
func gradient(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x * 4), G: uint8(y * 4), B: 90, A: 255})
		}
	}
	return img
}

// jpegFixture is a w×h JPEG.
func jpegFixture(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, gradient(w, h), nil); err != nil {
		t.Fatalf("encoding jpeg fixture: %v", err)
	}
	data := b.Bytes()
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != w || cfg.Height != h || !bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}) {
		t.Fatalf("jpeg fixture: %dx%d, %v, starts % x; want a %dx%d JPEG", cfg.Width, cfg.Height, err, data[:3], w, h)
	}
	return data
}

// webpFixture is a w×h lossless WebP. The standard library has no WebP
// reader, so its RIFF container is checked by hand: "RIFF", the length of
// the rest, "WEBP", then a VP8L chunk whose header holds w and h.
func webpFixture(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := nativewebp.Encode(&b, gradient(w, h), nil); err != nil {
		t.Fatalf("encoding webp fixture: %v", err)
	}
	data := b.Bytes()
	if len(data) < 25 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WEBP" ||
		int(binary.LittleEndian.Uint32(data[4:8])) != len(data)-8 || string(data[12:16]) != "VP8L" || data[20] != 0x2f {
		t.Fatalf("webp fixture: %d bytes starting %q; want a RIFF WEBP VP8L file", len(data), data[:min(len(data), 21)])
	}
	bits := binary.LittleEndian.Uint32(data[21:25])
	if gotW, gotH := int(bits&0x3fff)+1, int(bits>>14&0x3fff)+1; gotW != w || gotH != h {
		t.Fatalf("webp fixture is %dx%d, want %dx%d", gotW, gotH, w, h)
	}
	return data
}
