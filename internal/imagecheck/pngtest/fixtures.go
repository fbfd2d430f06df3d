package pngtest

// PNG encodes a w×h test image: a colour gradient with a fully transparent
// square in the middle when transparentCenter is set, stored as RGBA
// (colour type 6) when withAlpha is set and as plain RGB (colour type 2, no
// alpha channel) otherwise; transparentCenter needs withAlpha. Tests in
// several packages use it to build edit inputs.
func PNG(w, h int, withAlpha, transparentCenter bool) []byte {
	s := Spec{Width: w, Height: h, Depth: 8, ColorType: RGB, Filters: []byte{FilterPaeth}}
	if withAlpha {
		s.ColorType = RGBA
	}
	s.Pixel = func(x, y int) []uint16 {
		px := []uint16{uint16(uint8(x)), uint16(uint8(y)), 128, 255}
		if transparentCenter && x >= w/4 && x < 3*w/4 && y >= h/4 && y < 3*h/4 {
			px[3] = 0
		}
		return px // the alpha sample is ignored for RGB
	}
	return Encode(s)
}
