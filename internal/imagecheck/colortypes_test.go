package imagecheck

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"strconv"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// colourFixture is one PNG layout with the verdicts the rules must reach.
type colourFixture struct {
	spec pngtest.Spec
	// alpha: the file stores alpha (colour type 4 or 6, or tRNS).
	alpha bool
	// transparent: some pixel has alpha below the maximum.
	transparent bool
}

const fixtureSide = 16

// gradient returns a pixel function for colour type ct at depth whose
// samples vary but never reach special (the tRNS key); the pixel at
// (sx, sy) gets special instead, and alpha is max except there.
func gradient(ct, depth int, sx, sy int, special []uint16) func(x, y int) []uint16 {
	maxV := uint16(1<<depth - 1)
	return func(x, y int) []uint16 {
		if x == sx && y == sy && special != nil {
			return special
		}
		v := uint16(x+2*y) % (maxV) // never maxV: the tRNS keys below use it
		switch ct {
		case pngtest.Grey, pngtest.Palette:
			return []uint16{v}
		case pngtest.GreyAlpha:
			return []uint16{v, maxV}
		case pngtest.RGB:
			return []uint16{v, maxV - v, v / 2}
		}
		return []uint16{v, maxV - v, v / 2, maxV}
	}
}

// be16 is a tRNS sample value.
func be16(v ...uint16) []byte {
	var out []byte
	for _, x := range v {
		out = append(out, byte(x>>8), byte(x))
	}
	return out
}

func palette(n int) [][3]byte {
	p := make([][3]byte, n)
	for i := range p {
		p[i] = [3]byte{byte(i * 7), byte(i * 13), byte(255 - i)}
	}
	return p
}

// fixture builds a side×side spec whose last pixel is special (when given).
func fixture(ct, depth, side int, special ...uint16) pngtest.Spec {
	var pixel func(x, y int) []uint16
	if special != nil {
		pixel = gradient(ct, depth, side-1, side-1, special)
	} else {
		pixel = gradient(ct, depth, -1, -1, nil)
	}
	return pngtest.Spec{Width: side, Height: side, Depth: depth, ColorType: ct, Pixel: pixel}
}

// paletteFixture is an 8-bit palette image of index 0 but for its last
// pixel, index last.
func paletteFixture(entries int, trns []byte, last uint16) pngtest.Spec {
	const s = fixtureSide
	return pngtest.Spec{Width: s, Height: s, Depth: 8, ColorType: pngtest.Palette, Palette: palette(entries), TRNS: trns,
		Pixel: func(x, y int) []uint16 {
			if x == s-1 && y == s-1 {
				return []uint16{last}
			}
			return []uint16{0}
		}}
}

// colourFixtures covers every colour type and bit depth, with and without
// tRNS, with the transparent pixel present and absent, and interlaced.
func colourFixtures() map[string]colourFixture {
	const s = fixtureSide
	withTRNS := func(sp pngtest.Spec, trns []byte) pngtest.Spec { sp.TRNS = trns; return sp }
	withPalette := func(sp pngtest.Spec, n int) pngtest.Spec { sp.Palette = palette(n); return sp }
	interlaced := func(sp pngtest.Spec) pngtest.Spec { sp.Interlaced = true; return sp }

	cases := map[string]colourFixture{}
	for _, d := range []int{1, 2, 4, 8, 16} {
		maxV := uint16(1<<d - 1)
		name := "grey " + strconv.Itoa(d)
		cases[name] = colourFixture{spec: fixture(pngtest.Grey, d, s)}
		cases[name+" + tRNS used"] = colourFixture{spec: withTRNS(fixture(pngtest.Grey, d, s, maxV), be16(maxV)), alpha: true, transparent: true}
		cases[name+" + tRNS unused"] = colourFixture{spec: withTRNS(fixture(pngtest.Grey, d, s), be16(maxV)), alpha: true}
	}
	for _, d := range []int{8, 16} {
		maxV := uint16(1<<d - 1)
		n := strconv.Itoa(d)
		cases["grey+alpha "+n+" opaque"] = colourFixture{spec: fixture(pngtest.GreyAlpha, d, s), alpha: true}
		cases["grey+alpha "+n+" one transparent pixel"] = colourFixture{spec: fixture(pngtest.GreyAlpha, d, s, 3, 0), alpha: true, transparent: true}
		cases["grey+alpha "+n+" alpha max-1"] = colourFixture{spec: fixture(pngtest.GreyAlpha, d, s, 3, maxV-1), alpha: true, transparent: true}
		cases["RGB "+n] = colourFixture{spec: fixture(pngtest.RGB, d, s)}
		cases["RGB "+n+" + tRNS used"] = colourFixture{spec: withTRNS(fixture(pngtest.RGB, d, s, maxV, 0, maxV), be16(maxV, 0, maxV)), alpha: true, transparent: true}
		cases["RGB "+n+" + tRNS unused"] = colourFixture{spec: withTRNS(fixture(pngtest.RGB, d, s, maxV, 0, maxV-1), be16(maxV, 0, maxV)), alpha: true}
		cases["RGB "+n+" + PLTE"] = colourFixture{spec: withPalette(fixture(pngtest.RGB, d, s), 4)}
		cases["RGBA "+n+" opaque"] = colourFixture{spec: fixture(pngtest.RGBA, d, s), alpha: true}
		cases["RGBA "+n+" one transparent pixel"] = colourFixture{spec: fixture(pngtest.RGBA, d, s, 1, 2, 3, 0), alpha: true, transparent: true}
		cases["RGBA "+n+" alpha max-1"] = colourFixture{spec: fixture(pngtest.RGBA, d, s, 1, 2, 3, maxV-1), alpha: true, transparent: true}
	}
	for _, d := range []int{1, 2, 4, 8} {
		n := strconv.Itoa(d)
		entries := 1 << d
		last := uint16(entries - 1)
		trnsLast := bytes.Repeat([]byte{0xff}, entries)
		trnsLast[last] = 0 // only the last entry is transparent, and gradient never uses it
		cases["palette "+n] = colourFixture{spec: withPalette(fixture(pngtest.Palette, d, s), entries)}
		cases["palette "+n+" + tRNS, transparent entry used"] = colourFixture{spec: withTRNS(withPalette(fixture(pngtest.Palette, d, s, last), entries), trnsLast), alpha: true, transparent: true}
		cases["palette "+n+" + tRNS, transparent entry unused"] = colourFixture{spec: withTRNS(withPalette(fixture(pngtest.Palette, d, s), entries), trnsLast), alpha: true}
		cases["palette "+n+" + tRNS, all opaque"] = colourFixture{spec: withTRNS(withPalette(fixture(pngtest.Palette, d, s), entries), bytes.Repeat([]byte{0xff}, entries))}
	}
	// A short tRNS leaves the other entries opaque; a short PLTE leaves
	// indices past its end opaque black in image/png.
	cases["palette 8 + short tRNS, semi-transparent entry used"] = colourFixture{spec: paletteFixture(16, []byte{0xff, 0x80}, 1), alpha: true, transparent: true}
	cases["palette 8 + short tRNS, entry past it used"] = colourFixture{spec: paletteFixture(16, []byte{0xff, 0x80}, 2), alpha: true}
	cases["palette 8, index past the PLTE"] = colourFixture{spec: paletteFixture(16, []byte{0xff, 0}, 200), alpha: true}

	// Interlaced: each Adam7 pass is its own sub-image; odd sides leave
	// passes short, and a 1x1 or 3x3 image leaves some empty.
	cases["interlaced RGBA 8 one transparent pixel"] = colourFixture{spec: interlaced(fixture(pngtest.RGBA, 8, 13, 1, 2, 3, 0)), alpha: true, transparent: true}
	cases["interlaced RGBA 16 opaque"] = colourFixture{spec: interlaced(fixture(pngtest.RGBA, 16, 13)), alpha: true}
	cases["interlaced grey 16"] = colourFixture{spec: interlaced(fixture(pngtest.Grey, 16, 13))}
	cases["interlaced grey 2 + tRNS used"] = colourFixture{spec: withTRNS(interlaced(fixture(pngtest.Grey, 2, 11, 3)), be16(3)), alpha: true, transparent: true}
	cases["interlaced RGB 8 + tRNS used"] = colourFixture{spec: withTRNS(interlaced(fixture(pngtest.RGB, 8, 9, 255, 0, 255)), be16(255, 0, 255)), alpha: true, transparent: true}
	cases["interlaced palette 4 + tRNS used"] = colourFixture{spec: withTRNS(interlaced(withPalette(fixture(pngtest.Palette, 4, 7, 15), 16)), append(bytes.Repeat([]byte{0xff}, 15), 0)), alpha: true, transparent: true}
	cases["interlaced palette 1 1x1 transparent"] = colourFixture{spec: withTRNS(interlaced(withPalette(fixture(pngtest.Palette, 1, 1, 1), 2)), []byte{0xff, 0}), alpha: true, transparent: true}
	cases["interlaced RGBA 8 3x3 transparent corner"] = colourFixture{spec: interlaced(fixture(pngtest.RGBA, 8, 3, 0, 0, 0, 0)), alpha: true, transparent: true}
	cases["interlaced RGBA 8 3x3 opaque"] = colourFixture{spec: interlaced(fixture(pngtest.RGBA, 8, 3)), alpha: true}
	return cases
}

// TestColourTypes: the transparency rule (image without mask) and the alpha
// rule (mask) for every colour type and depth, decided from the file's
// header and pixels, and in agreement with image/png.
func TestColourTypes(t *testing.T) {
	rules := Rules{MaxBytes: 4 << 20, Square: true}
	for name, tc := range colourFixtures() {
		t.Run(name, func(t *testing.T) {
			data := pngtest.Encode(tc.spec)
			h, err := pngtest.ReadHeader(data)
			if err != nil {
				t.Fatal(err)
			}
			if h.ColorType != tc.spec.ColorType || h.Depth != tc.spec.Depth || (h.Interlace == 1) != tc.spec.Interlaced {
				t.Fatalf("fixture IHDR = %+v, want colour type %d depth %d interlaced %v", h, tc.spec.ColorType, tc.spec.Depth, tc.spec.Interlaced)
			}

			wantRule := func(ok bool, rule string) string {
				if ok {
					return ""
				}
				return rule
			}
			assertRule(t, "as the image", CheckEdit(data, nil, rules), FieldImage, wantRule(tc.transparent, "transparency"))
			opaque := pngtest.PNG(int(h.Width), int(h.Height), true, false)
			assertRule(t, "as the mask", CheckEdit(opaque, data, rules), FieldMask, wantRule(tc.alpha, "alpha"))

			// The standard library, which materialises the image, must agree.
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("png.Decode: %v", err)
			}
			if got := goHasAlpha(img); got != tc.alpha {
				t.Errorf("image/png decodes to %T: alpha %v, fixture says %v", img, got, tc.alpha)
			}
			if got := goHasTransparentPixel(img); got != tc.transparent {
				t.Errorf("image/png finds a transparent pixel: %v, fixture says %v", got, tc.transparent)
			}
		})
	}
}

// assertRule checks err is nil (wantRule "") or a violation of field/wantRule.
func assertRule(t *testing.T, what string, err error, field, wantRule string) {
	t.Helper()
	if wantRule == "" {
		if err != nil {
			t.Errorf("%s: CheckEdit() = %v, want nil", what, err)
		}
		return
	}
	var v *Violation
	if !errors.As(err, &v) || v.Field != field || v.Rule != wantRule {
		t.Errorf("%s: CheckEdit() = %v, want a %s/%s violation", what, err, field, wantRule)
	}
}

// goHasAlpha is how image/png reports alpha: the colour types and tRNS
// with alpha decode to the N* models or a palette with a non-opaque entry.
// (Plain RGB decodes to *image.RGBA, which is why the type alone misleads.)
func goHasAlpha(img image.Image) bool {
	switch m := img.(type) {
	case *image.NRGBA, *image.NRGBA64:
		return true
	case *image.Paletted:
		for _, c := range m.Palette {
			if _, _, _, a := c.RGBA(); a != 0xffff {
				return true
			}
		}
	}
	return false
}

// goHasTransparentPixel reports whether any decoded pixel is not fully opaque.
func goHasTransparentPixel(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return true
			}
		}
	}
	return false
}
