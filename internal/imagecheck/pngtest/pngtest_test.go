package pngtest

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"slices"
	"testing"
)

// TestPNGColourTypes: PNG builds what its callers are told, read from the
// file's IHDR: RGBA (colour type 6) with alpha, true-colour RGB (colour
// type 2, no alpha channel) without, never greyscale.
func TestPNGColourTypes(t *testing.T) {
	cases := map[string]struct {
		withAlpha, transparentCenter bool
		colorType                    int
		goType                       string
		transparent                  bool
	}{
		"RGBA with a hole": {withAlpha: true, transparentCenter: true, colorType: RGBA, goType: "*image.NRGBA", transparent: true},
		"opaque RGBA":      {withAlpha: true, colorType: RGBA, goType: "*image.NRGBA"},
		"plain RGB":        {colorType: RGB, goType: "*image.RGBA"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			data := PNG(64, 32, tc.withAlpha, tc.transparentCenter)
			h, err := ReadHeader(data)
			if err != nil {
				t.Fatal(err)
			}
			want := Header{Width: 64, Height: 32, Depth: 8, ColorType: tc.colorType}
			if h != want {
				t.Fatalf("IHDR = %+v, want %+v", h, want)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", img); got != tc.goType {
				t.Errorf("image/png decodes it to %s, want %s", got, tc.goType)
			}
			_, _, _, a := img.At(32, 16).RGBA()
			if (a == 0) != tc.transparent {
				t.Errorf("centre alpha = %#x, want transparent %v", a, tc.transparent)
			}
			if _, _, _, a := img.At(0, 0).RGBA(); a != 0xffff {
				t.Errorf("corner alpha = %#x, want opaque", a)
			}
		})
	}
}

// TestEncodeMatchesImagePNG: the encoder writes what the standard decoder
// reads back sample for sample, at every depth and colour type, with every
// filter type, interlaced or not, so fixtures are what they claim to be.
func TestEncodeMatchesImagePNG(t *testing.T) {
	type layout struct{ ct, depth int }
	layouts := []layout{{Grey, 1}, {Grey, 2}, {Grey, 4}, {Grey, 8}, {Grey, 16}, {GreyAlpha, 8}, {GreyAlpha, 16},
		{RGB, 8}, {RGB, 16}, {RGBA, 8}, {RGBA, 16}, {Palette, 1}, {Palette, 2}, {Palette, 4}, {Palette, 8}}
	for _, l := range layouts {
		for _, interlaced := range []bool{false, true} {
			s := Spec{Width: 13, Height: 11, Depth: l.depth, ColorType: l.ct, Interlaced: interlaced,
				Pixel: func(x, y int) []uint16 {
					out := make([]uint16, Channels(l.ct))
					for c := range out {
						out[c] = uint16((x*7+y*13+c*5)*2654435761>>7) & (1<<l.depth - 1)
					}
					return out
				}}
			if l.ct == Palette {
				for i := range 1 << l.depth {
					s.Palette = append(s.Palette, [3]byte{byte(i), byte(i * 3), byte(i * 5)})
				}
			}
			img, err := png.Decode(bytes.NewReader(Encode(s)))
			if err != nil {
				t.Fatalf("colour type %d depth %d interlaced %v: %v", l.ct, l.depth, interlaced, err)
			}
			for y := range s.Height {
				for x := range s.Width {
					if got, want := samples(img, x, y, l.ct, l.depth), s.Pixel(x, y); !slices.Equal(got, want) {
						t.Fatalf("colour type %d depth %d interlaced %v: pixel (%d,%d) = %v, want %v", l.ct, l.depth, interlaced, x, y, got, want)
					}
				}
			}
		}
	}
}

// samples reads pixel (x, y) of a decoded image back as the file's samples.
func samples(img image.Image, x, y, ct, depth int) []uint16 {
	if p, ok := img.(*image.Paletted); ok {
		return []uint16{uint16(p.ColorIndexAt(x, y))}
	}
	r, g, b, a := img.At(x, y).RGBA()
	if n, ok := img.(*image.NRGBA); ok { // straight alpha: read it unpremultiplied
		c := n.NRGBAAt(x, y)
		r, g, b, a = uint32(c.R)*0x101, uint32(c.G)*0x101, uint32(c.B)*0x101, uint32(c.A)*0x101
	}
	if n, ok := img.(*image.NRGBA64); ok {
		c := n.NRGBA64At(x, y)
		r, g, b, a = uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A)
	}
	scale := func(v uint32) uint16 { return uint16(v >> (16 - depth)) }
	switch ct {
	case Grey:
		return []uint16{scale(r)}
	case GreyAlpha:
		return []uint16{scale(r), scale(a)}
	case RGB:
		return []uint16{scale(r), scale(g), scale(b)}
	}
	return []uint16{scale(r), scale(g), scale(b), scale(a)}
}
