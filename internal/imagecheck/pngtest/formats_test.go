package pngtest

import (
	"bytes"
	"image"
	_ "image/jpeg" // the decoders image.DecodeConfig and image.Decode consult
	"testing"

	_ "golang.org/x/image/webp"
)

// TestFormatFixtures: each JPEG and WebP fixture is what its name says,
// by the standard decoders: the format image.DecodeConfig recognises, the
// size its header declares, and, for those meant to be whole files, a
// full decode of that size. The ones whose header lies are read only to
// the header.
func TestFormatFixtures(t *testing.T) {
	lossless := WebP(24, 16)
	cases := map[string]struct {
		data          []byte
		format        string
		width, height int
		decodes       bool
	}{
		"JPEG":                      {data: JPEG(24, 16), format: "jpeg", width: 24, height: 16, decodes: true},
		"JPEG claiming 60000x50000": {data: WithJPEGSize(JPEG(24, 16), 60000, 50000), format: "jpeg", width: 60000, height: 50000},
		"WebP":                      {data: lossless, format: "webp", width: 24, height: 16, decodes: true},
		"WebP claiming 16384x9000":  {data: WithVP8LSize(lossless, 16384, 9000), format: "webp", width: 16384, height: 9000},
		"VP8X + VP8L":               {data: RIFF(VP8X(24, 16, 0), VP8LChunk(lossless)), format: "webp", width: 24, height: 16, decodes: true},
		"VP8X claiming 40000x40000": {data: RIFF(VP8X(40000, 40000, 0), VP8LChunk(lossless)), format: "webp", width: 40000, height: 40000},
		"lossy VP8 header":          {data: RIFF(VP8Header(300, 200)), format: "webp", width: 300, height: 200},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, format, err := image.DecodeConfig(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if format != tc.format || cfg.Width != tc.width || cfg.Height != tc.height {
				t.Fatalf("DecodeConfig = %s %dx%d, want %s %dx%d", format, cfg.Width, cfg.Height, tc.format, tc.width, tc.height)
			}
			if !tc.decodes {
				return
			}
			img, _, err := image.Decode(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds().Size(); got != image.Pt(tc.width, tc.height) {
				t.Fatalf("decodes to %v, want %dx%d", got, tc.width, tc.height)
			}
		})
	}
}
