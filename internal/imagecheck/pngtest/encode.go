// Package pngtest builds PNG files for tests: every colour type and bit
// depth, interlaced or not, and the hostile files (decompression bombs,
// broken chunks) the input checks must refuse. The standard library's
// encoder picks the colour type itself and cannot write most of these.
// It also builds the JPEG and WebP inputs the GPT image models take, and
// headers of those that lie about their size (formats.go). Only tests
// import this package.
package pngtest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Colour types, as the PNG specification numbers them.
const (
	Grey      = 0
	RGB       = 2
	Palette   = 3
	GreyAlpha = 4
	RGBA      = 6
)

// Filter types, as the PNG specification numbers them.
const (
	FilterNone    = 0
	FilterSub     = 1
	FilterUp      = 2
	FilterAverage = 3
	FilterPaeth   = 4
)

// Signature opens every PNG file.
const Signature = "\x89PNG\r\n\x1a\n"

// Spec describes a PNG to encode.
type Spec struct {
	Width, Height int
	// Depth is the bit depth: bits per sample (per palette index for Palette).
	Depth     int
	ColorType int
	// Interlaced selects Adam7 interlacing.
	Interlaced bool
	// Palette is the PLTE chunk's entries; required for Palette, optional for RGB and RGBA.
	Palette [][3]byte
	// TRNS is the tRNS chunk's data, written as given; nil writes no tRNS chunk.
	TRNS []byte
	// Pixel returns the samples of pixel (x, y), one per channel of the
	// colour type (grey; grey, alpha; r, g, b; r, g, b, a; or the palette
	// index), each below 1<<Depth. Nil gives every sample 0.
	Pixel func(x, y int) []uint16
	// Filters are the filter types given to successive rows, in turn; nil
	// cycles through all five so decoders meet every one of them.
	Filters []byte
}

// Channels is the number of samples per pixel of colour type ct.
func Channels(ct int) int {
	switch ct {
	case RGB:
		return 3
	case GreyAlpha:
		return 2
	case RGBA:
		return 4
	}
	return 1
}

// Encode writes s as a PNG file: IHDR, PLTE, tRNS, one IDAT and IEND.
func Encode(s Spec) []byte {
	chunks := [][]byte{Chunk("IHDR", IHDR(uint32(s.Width), uint32(s.Height), byte(s.Depth), byte(s.ColorType), interlace(s.Interlaced)))}
	if len(s.Palette) > 0 {
		plte := make([]byte, 0, 3*len(s.Palette))
		for _, e := range s.Palette {
			plte = append(plte, e[:]...)
		}
		chunks = append(chunks, Chunk("PLTE", plte))
	}
	if s.TRNS != nil {
		chunks = append(chunks, Chunk("tRNS", s.TRNS))
	}
	chunks = append(chunks, Chunk("IDAT", Zlib(Scanlines(s))), Chunk("IEND", nil))
	return File(chunks...)
}

func interlace(on bool) byte {
	if on {
		return 1
	}
	return 0
}

// File is the signature followed by the given chunks, as they are.
func File(chunks ...[]byte) []byte {
	out := []byte(Signature)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out
}

// Chunk encodes one chunk: length, type, data and the CRC of type and data.
func Chunk(typ string, data []byte) []byte {
	if len(typ) != 4 {
		panic(fmt.Sprintf("pngtest: chunk type %q is not 4 bytes", typ))
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[4:]))
}

// IHDR is the 13 bytes of an IHDR chunk's data; compression and filter
// method are 0, the only ones defined.
func IHDR(w, h uint32, depth, colorType, interlace byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, w)
	out = binary.BigEndian.AppendUint32(out, h)
	return append(out, depth, colorType, 0, 0, interlace)
}

// Zlib compresses data as a zlib stream, the format of IDAT data.
func Zlib(data []byte) []byte {
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		panic(err) // only for an invalid level
	}
	if _, err := w.Write(data); err != nil {
		panic(err) // writes to a bytes.Buffer do not fail
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// adam7 are the seven passes of Adam7 interlacing: x and y step, x and y offset.
var adam7 = [7][4]int{{8, 8, 0, 0}, {8, 8, 4, 0}, {4, 8, 0, 4}, {4, 4, 2, 0}, {2, 4, 0, 2}, {2, 2, 1, 0}, {1, 2, 0, 1}}

// Scanlines is the uncompressed IDAT data of s: each row of each pass
// packed and filtered, with its filter-type byte in front.
func Scanlines(s Spec) []byte {
	passes := [][4]int{{1, 1, 0, 0}}
	if s.Interlaced {
		passes = adam7[:]
	}
	bitsPP := Channels(s.ColorType) * s.Depth
	bpp := max(1, bitsPP/8)
	var out []byte
	row := 0
	for _, p := range passes {
		pw := (s.Width - p[2] + p[0] - 1) / p[0]
		ph := (s.Height - p[3] + p[1] - 1) / p[1]
		if pw <= 0 || ph <= 0 {
			continue // an empty pass has no rows, not even filter bytes
		}
		prev := make([]byte, (bitsPP*pw+7)/8)
		for y := range ph {
			raw := packRow(s, pw, func(x int) (int, int) { return p[2] + x*p[0], p[3] + y*p[1] })
			ft := filterFor(s.Filters, row)
			out = append(out, ft)
			out = append(out, filter(ft, raw, prev, bpp)...)
			prev = raw
			row++
		}
	}
	return out
}

func filterFor(filters []byte, row int) byte {
	if len(filters) == 0 {
		return byte(row % 5)
	}
	return filters[row%len(filters)]
}

// packRow packs the samples of a row of w pixels, big-endian and, below 8
// bits, most significant bits first.
func packRow(s Spec, w int, at func(x int) (int, int)) []byte {
	channels := Channels(s.ColorType)
	out := make([]byte, (channels*s.Depth*w+7)/8)
	bit := 0
	for x := range w {
		var samples []uint16
		if s.Pixel != nil {
			samples = s.Pixel(at(x))
		}
		for c := range channels {
			var v uint16
			if c < len(samples) {
				v = samples[c]
			}
			switch s.Depth {
			case 16:
				binary.BigEndian.PutUint16(out[bit/8:], v)
			case 8:
				out[bit/8] = byte(v)
			default:
				out[bit/8] |= byte(v&(1<<s.Depth-1)) << (8 - s.Depth - bit%8)
			}
			bit += s.Depth
		}
	}
	return out
}

// filter applies filter type ft to raw given the previous row's raw bytes.
func filter(ft byte, raw, prev []byte, bpp int) []byte {
	out := make([]byte, len(raw))
	for i := range raw {
		var a, b, c byte
		if i >= bpp {
			a, c = raw[i-bpp], prev[i-bpp]
		}
		b = prev[i]
		switch ft {
		case FilterNone:
			out[i] = raw[i]
		case FilterSub:
			out[i] = raw[i] - a
		case FilterUp:
			out[i] = raw[i] - b
		case FilterAverage:
			out[i] = raw[i] - byte((int(a)+int(b))/2)
		case FilterPaeth:
			out[i] = raw[i] - paeth(a, b, c)
		default:
			out[i] = raw[i] // an invalid type, written on purpose by a test
		}
	}
	return out
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
