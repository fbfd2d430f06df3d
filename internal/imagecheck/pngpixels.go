package imagecheck

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Why a streaming scan instead of image/png.Decode: Decode materialises
// the whole image (up to 8 bytes a pixel, 128 MiB for a 16-bit RGBA
// 4096x4096 input, 900 MB for a 109 KB bomb), and the checks only need one
// answer from the pixels: is any of them less than opaque. Reading the
// inflated data a row at a time with the previous row for unfiltering
// holds two rows and the inflater's 32 KiB window, whatever the input:
// at most 2*(1+8*maxSide) bytes plus a few tens of KiB.

// adam7 are the seven Adam7 passes: x step, y step, x offset, y offset.
// Each pass is a sub-image with its own row width, filtered on its own.
var adam7 = [7][4]int{{8, 8, 0, 0}, {8, 8, 4, 0}, {4, 8, 0, 4}, {4, 4, 2, 0}, {2, 4, 0, 2}, {2, 2, 1, 0}, {1, 2, 0, 1}}

// noInterlace is the single pass of a non-interlaced image.
var noInterlace = [][4]int{{1, 1, 0, 0}}

// channels is the number of samples a pixel of the colour type has.
func (p *pngInfo) channels() int {
	switch p.colorType {
	case ctRGB:
		return 3
	case ctGreyAlpha:
		return 2
	case ctRGBA:
		return 4
	}
	return 1
}

// scanPixels streams the pixel data (see readRows) and, with
// findTransparent, reports whether any pixel has alpha below the maximum,
// judging alpha as image/png does.
func (p *pngInfo) scanPixels(findTransparent bool) (transparent bool, err error) {
	var visit rowVisitor
	if findTransparent && p.hasAlphaChannel() {
		var alpha *[256]byte
		if p.colorType == ctPalette {
			alpha = p.paletteAlpha()
		}
		visit = func(row []byte, _, _, width int) bool {
			transparent = p.transparentIn(row, width, alpha)
			return !transparent
		}
	}
	err = p.readRows(visit)
	return transparent, err
}

// rowVisitor receives each unfiltered row (without its filter-type byte):
// its Adam7 pass (0 when not interlaced), its y in the pass and its width
// in pixels. It returns whether it wants more rows; row is reused.
type rowVisitor func(row []byte, pass, y, width int) bool

// readRows inflates and unfilters the pixel data row by row, handing rows
// to visit (nil for none) until it has seen enough, and checks that the
// data is exactly as long as the header implies (a stream that inflates to
// more is refused as soon as it goes one byte past: the decompression bomb
// defence) and that it ends cleanly: zlib checksum, no trailing data.
//
// Call it only once the dimension rule has bounded p.width: the two row
// buffers are sized from it.
func (p *pngInfo) readRows(visit rowVisitor) error {
	src := &idatReader{chunks: p.idat}
	zr, err := zlib.NewReader(src)
	if err != nil {
		return fmt.Errorf("pixel data: %w", err)
	}
	defer zr.Close()

	bitsPP := p.channels() * p.depth
	bytesPP := max(1, bitsPP/8) // the filters' pixel distance
	rowCap := 1 + (bitsPP*p.width+7)/8
	cur, prev := make([]byte, rowCap), make([]byte, rowCap)

	passes := noInterlace
	if p.interlaced {
		passes = adam7[:]
	}
	passSize := func(pass [4]int) (w, h int) {
		return (p.width - pass[2] + pass[0] - 1) / pass[0], (p.height - pass[3] + pass[1] - 1) / pass[1]
	}
	var want, got int64
	for _, pass := range passes {
		if pw, ph := passSize(pass); pw > 0 && ph > 0 { // an empty pass has no rows, not even filter bytes
			want += int64(ph) * int64(1+(bitsPP*pw+7)/8)
		}
	}
	for i, pass := range passes {
		pw, ph := passSize(pass)
		if pw <= 0 || ph <= 0 {
			continue
		}
		rowLen := 1 + (bitsPP*pw+7)/8
		cr, pr := cur[:rowLen], prev[:rowLen]
		clear(pr) // the first row of each pass is filtered against zeros
		for y := range ph {
			n, err := io.ReadFull(zr, cr)
			got += int64(n)
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("pixel data ends after %d of the %d bytes its %dx%d header implies", got, want, p.width, p.height)
			}
			if err != nil {
				return fmt.Errorf("pixel data: %w", err)
			}
			if cr[0] > 4 {
				return fmt.Errorf("unknown row filter type %d", cr[0])
			}
			// Once visit has what it needs the rest is only checked for
			// structure, so unfiltering stops (prev is not needed again).
			if visit != nil {
				unfilter(cr[0], cr[1:], pr[1:], bytesPP)
				if !visit(cr[1:], i, y, pw) {
					visit = nil
				}
			}
			cr, pr = pr, cr
		}
	}

	// The stream must end exactly here. One more byte means it inflates to
	// more than the header says; nothing is inflated beyond that byte.
	var one [1]byte
	n := 0
	for i := 0; n == 0 && err == nil; i++ {
		if i == 100 {
			return fmt.Errorf("pixel data: %w", io.ErrNoProgress)
		}
		n, err = zr.Read(one[:])
	}
	if n > 0 {
		return fmt.Errorf("pixel data inflates to more than the %d bytes its %dx%d header implies", want, p.width, p.height)
	}
	if !errors.Is(err, io.EOF) {
		return fmt.Errorf("pixel data: %w", err) // a bad zlib checksum, for one
	}
	if rest := src.remaining(); rest > 0 {
		return fmt.Errorf("IDAT holds %d bytes after the end of the compressed pixel data", rest)
	}
	return nil
}

// paletteAlpha is the alpha of each palette index: the tRNS entry, or
// opaque for entries tRNS does not cover (and for indices past the
// palette's end, which image/png decodes as opaque black).
func (p *pngInfo) paletteAlpha() *[256]byte {
	var a [256]byte
	for i := range a {
		a[i] = 0xff
	}
	copy(a[:], p.trns)
	return &a
}

// transparentIn reports whether any of the w pixels of the unfiltered row
// has alpha below the maximum. Grey and RGB pixels are transparent only
// when they equal the tRNS colour; callers skip images without alpha.
func (p *pngInfo) transparentIn(row []byte, w int, alpha *[256]byte) bool {
	switch p.colorType {
	case ctRGBA, ctGreyAlpha:
		step := p.channels() * p.depth / 8
		for i := step - p.depth/8; i < len(row); i += step {
			if row[i] != 0xff || (p.depth == 16 && row[i+1] != 0xff) {
				return true
			}
		}
	case ctGrey:
		key := int(binary.BigEndian.Uint16(p.trns))
		for x := range w {
			if sample(row, x, p.depth) == key {
				return true
			}
		}
	case ctRGB:
		if p.depth == 16 {
			for i := 0; i+6 <= len(row); i += 6 {
				if bytes.Equal(row[i:i+6], p.trns) {
					return true
				}
			}
			return false
		}
		r, g, b := p.trns[1], p.trns[3], p.trns[5]
		for i := 0; i+3 <= len(row); i += 3 {
			if row[i] == r && row[i+1] == g && row[i+2] == b {
				return true
			}
		}
	case ctPalette:
		for x := range w {
			if alpha[sample(row, x, p.depth)] != 0xff {
				return true
			}
		}
	}
	return false
}

// sample is the x-th sample of a row of one-sample pixels: big-endian at
// 16 bits, and packed most significant bits first below 8.
func sample(row []byte, x, depth int) int {
	switch depth {
	case 16:
		return int(binary.BigEndian.Uint16(row[2*x:]))
	case 8:
		return int(row[x])
	}
	bit := x * depth
	return int(row[bit/8]>>(8-depth-bit%8)) & (1<<depth - 1)
}

// unfilter reverses the row filter ft in place; prev is the previous row
// of the same pass, already unfiltered (zeros for the first).
func unfilter(ft byte, cur, prev []byte, bpp int) {
	switch ft {
	case 1: // Sub
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2: // Up
		for i, b := range prev {
			cur[i] += b
		}
	case 3: // Average
		for i := 0; i < bpp && i < len(cur); i++ {
			cur[i] += prev[i] / 2
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += byte((int(cur[i-bpp]) + int(prev[i])) / 2)
		}
	case 4: // Paeth
		for i := range cur {
			var a, c byte
			if i >= bpp {
				a, c = cur[i-bpp], prev[i-bpp]
			}
			cur[i] += paeth(a, prev[i], c)
		}
	}
}

func paeth(a, b, c byte) byte {
	pa := absInt(int(b) - int(c)) // |p-a| where p = a+b-c
	pb := absInt(int(a) - int(c))
	pc := absInt(int(a) + int(b) - 2*int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// idatReader presents the IDAT chunks' data as one stream. It is an
// io.ByteReader so the inflater reads exactly the bytes it needs (it
// buffers readers that are not), and whatever it leaves is trailing data.
type idatReader struct {
	chunks [][]byte
	i, off int // current chunk and offset in it
}

func (r *idatReader) advance() bool {
	for r.i < len(r.chunks) && r.off == len(r.chunks[r.i]) {
		r.i, r.off = r.i+1, 0
	}
	return r.i < len(r.chunks)
}

func (r *idatReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !r.advance() {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[r.i][r.off:])
	r.off += n
	return n, nil
}

func (r *idatReader) ReadByte() (byte, error) {
	if !r.advance() {
		return 0, io.EOF
	}
	b := r.chunks[r.i][r.off]
	r.off++
	return b, nil
}

// remaining counts the bytes not read yet.
func (r *idatReader) remaining() int {
	n := 0
	for i := r.i; i < len(r.chunks); i++ {
		n += len(r.chunks[i])
	}
	return n - r.off
}
