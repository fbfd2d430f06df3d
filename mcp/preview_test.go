package mcp

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

func TestDownscale(t *testing.T) {
	for _, tc := range []struct{ w, h, wantW, wantH int }{
		{1024, 1024, 256, 256},
		{512, 256, 256, 128},
		{100, 400, 64, 256},
		{200, 200, 200, 200}, // smaller: kept
		{3000, 1, 256, 1},
	} {
		got := downscale(image.NewNRGBA(image.Rect(0, 0, tc.w, tc.h)), 256).Bounds()
		if got.Dx() != tc.wantW || got.Dy() != tc.wantH {
			t.Errorf("%dx%d -> %dx%d, want %dx%d", tc.w, tc.h, got.Dx(), got.Dy(), tc.wantW, tc.wantH)
		}
	}
}

func TestDownscaleAveragesAndKeepsTransparency(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for y := range 4 {
		for x := range 4 {
			switch {
			case x < 2: // left half: opaque red and blue, alternating
				c := color.NRGBA{R: 255, A: 255}
				if (x+y)%2 == 1 {
					c = color.NRGBA{B: 255, A: 255}
				}
				src.SetNRGBA(x, y, c)
			default: // right half: transparent black next to opaque white
				if y < 2 {
					src.SetNRGBA(x, y, color.NRGBA{})
				} else {
					src.SetNRGBA(x, y, color.NRGBA{R: 255, G: 255, B: 255, A: 255})
				}
			}
		}
	}
	dst := downscale(src, 2)
	if c := dst.NRGBAAt(0, 0); c.R < 120 || c.R > 135 || c.B < 120 || c.B > 135 || c.A != 255 {
		t.Errorf("averaged red and blue = %+v", c)
	}
	if c := dst.NRGBAAt(1, 0); c.A != 0 {
		t.Errorf("a transparent block = %+v", c)
	}
	if c := dst.NRGBAAt(1, 1); c != (color.NRGBA{R: 255, G: 255, B: 255, A: 255}) {
		t.Errorf("a white block = %+v", c)
	}
}

func TestMakeThumbnail(t *testing.T) {
	out, err := makeThumbnail(pngtest.PNG(1024, 1024, true, true), PreviewMaxSide)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(out))
	if err != nil || cfg.Width != 256 || cfg.Height != 256 {
		t.Errorf("thumbnail %+v %v", cfg, err)
	}
	if _, err := makeThumbnail([]byte("not an image"), 256); err == nil {
		t.Error("garbage was thumbnailed")
	}
	// A header claiming 100000x100000 is refused before decoding.
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
	huge := buf.Bytes()
	huge[16], huge[17], huge[18], huge[19] = 0, 1, 0x86, 0xa0
	huge[20], huge[21], huge[22], huge[23] = 0, 1, 0x86, 0xa0
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29]))
	if _, err := makeThumbnail(huge, 256); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("a huge image: %v", err)
	}
}
