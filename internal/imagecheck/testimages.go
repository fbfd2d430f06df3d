package imagecheck

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
)

// PNG encodes a w×h test image: an opaque colour field with a fully
// transparent square in the middle when transparentCenter is set, stored as
// RGBA when withAlpha is set and as plain RGB otherwise. Tests in several
// packages use it to build edit inputs.
func PNG(w, h int, withAlpha, transparentCenter bool) []byte {
	var img image.Image
	if withAlpha {
		m := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBA{R: uint8(x), G: uint8(y), B: 128, A: 255}
				if transparentCenter && x >= w/4 && x < 3*w/4 && y >= h/4 && y < 3*h/4 {
					c.A = 0
				}
				m.SetNRGBA(x, y, c)
			}
		}
		img = m
	} else {
		m := image.NewGray(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				m.SetGray(x, y, color.Gray{Y: uint8(x + y)})
			}
		}
		img = m
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory image cannot fail
	}
	return buf.Bytes()
}
