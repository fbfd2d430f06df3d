package imagecheck

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// TestRowsMatchEncodedPixels: the streaming decoder's unfiltered rows hold
// exactly the samples that were encoded, for noise images (which hit every
// branch of every filter, Paeth's ties included) in every layout, with each
// filter type alone and mixed, interlaced or not. pngtest's encoder is
// checked against image/png in its own tests.
func TestRowsMatchEncodedPixels(t *testing.T) {
	type layout struct{ ct, depth int }
	layouts := []layout{{pngtest.Grey, 1}, {pngtest.Grey, 2}, {pngtest.Grey, 4}, {pngtest.Grey, 8}, {pngtest.Grey, 16},
		{pngtest.GreyAlpha, 8}, {pngtest.GreyAlpha, 16}, {pngtest.RGB, 8}, {pngtest.RGB, 16},
		{pngtest.RGBA, 8}, {pngtest.RGBA, 16}, {pngtest.Palette, 1}, {pngtest.Palette, 4}, {pngtest.Palette, 8}}
	filters := map[string][]byte{"none": {0}, "sub": {1}, "up": {2}, "average": {3}, "paeth": {4}, "mixed": nil}
	for _, l := range layouts {
		for fname, f := range filters {
			for _, interlaced := range []bool{false, true} {
				name := fmt.Sprintf("type %d depth %d %s interlaced=%v", l.ct, l.depth, fname, interlaced)
				t.Run(name, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(l.ct), uint64(l.depth)))
					const w, h = 29, 23
					pixels := make([][]uint16, w*h)
					for i := range pixels {
						pixels[i] = make([]uint16, pngtest.Channels(l.ct))
						for c := range pixels[i] {
							// Few distinct values make equal neighbours, and so Paeth ties.
							pixels[i][c] = uint16(rng.IntN(4)*rng.IntN(1<<l.depth)) & (1<<l.depth - 1)
						}
					}
					s := pngtest.Spec{Width: w, Height: h, Depth: l.depth, ColorType: l.ct, Interlaced: interlaced, Filters: f,
						Pixel: func(x, y int) []uint16 { return pixels[y*w+x] }}
					if l.ct == pngtest.Palette {
						s.Palette = make([][3]byte, 1<<l.depth)
					}
					p, err := parsePNG(pngtest.Encode(s))
					if err != nil {
						t.Fatal(err)
					}
					passes := noInterlace
					if interlaced {
						passes = adam7[:]
					}
					seen := 0
					err = p.readRows(func(row []byte, pass, y, width int) bool {
						step := passes[pass]
						for x := range width {
							fx, fy := step[2]+x*step[0], step[3]+y*step[1]
							if got, want := rowSamples(row, x, l.ct, l.depth), pixels[fy*w+fx]; !slices.Equal(got, want) {
								t.Fatalf("pass %d row %d pixel %d (%d,%d) = %v, want %v", pass, y, x, fx, fy, got, want)
							}
							seen++
						}
						return true
					})
					if err != nil {
						t.Fatal(err)
					}
					if seen != w*h {
						t.Fatalf("saw %d pixels, want %d", seen, w*h)
					}
				})
			}
		}
	}
}

// rowSamples are the samples of pixel x of an unfiltered row.
func rowSamples(row []byte, x, ct, depth int) []uint16 {
	n := pngtest.Channels(ct)
	out := make([]uint16, n)
	for c := range n {
		out[c] = uint16(sample(row, x*n+c, depth))
	}
	return out
}
