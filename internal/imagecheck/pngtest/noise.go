package pngtest

// Noise encodes a side×side RGBA PNG whose first noisyRows rows are random
// (colour and alpha, alpha never 0), so they do not compress: the file is
// about 4×side×noisyRows bytes, which lets a test build an input of a chosen
// size (1024 and 860 give about 3.5 MB). The remaining rows are a flat
// opaque grey but for a fully transparent block at the bottom right (below
// the noise), the area an edit without a mask repaints. The same seed gives the
// same file.
func Noise(side, noisyRows int, seed uint64) []byte {
	hole := side / 4
	s := Spec{Width: side, Height: side, Depth: 8, ColorType: RGBA, Filters: []byte{FilterNone}}
	s.Pixel = func(x, y int) []uint16 {
		if y < noisyRows {
			v := splitmix64(seed ^ uint64(y*side+x))
			a := uint16(uint8(v >> 24))
			if a == 0 {
				a = 1
			}
			return []uint16{uint16(uint8(v)), uint16(uint8(v >> 8)), uint16(uint8(v >> 16)), a}
		}
		if x >= side-hole && y >= side-hole {
			return []uint16{0, 0, 0, 0}
		}
		return []uint16{128, 128, 128, 255}
	}
	return Encode(s)
}

// splitmix64 is a fast, well-mixed hash of one 64-bit value.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
