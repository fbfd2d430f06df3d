package dallesim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"io"
)

// pngMagic starts every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// pngHeaderLen covers the magic and the IHDR chunk's length, type, width and height.
const pngHeaderLen = 8 + 4 + 4 + 8

// upload is a decoded uploaded PNG.
type upload struct {
	img image.Image
	w   int
	h   int
}

// readPNGUpload decodes an uploaded PNG straight from the multipart stream,
// without buffering the file: it checks the magic bytes and the declared
// dimensions before decoding, and counts every byte so a file of
// MaxUploadBytes or more is rejected even if it decodes. The part is always
// read to its end so the rest of the form can be parsed.
func readPNGUpload(param string, part io.Reader) (*upload, *apiError) {
	counted := &countingReader{r: io.LimitReader(part, MaxUploadBytes)}
	br := bufio.NewReader(counted)
	// drain consumes the rest of the part and returns the file's total size.
	drain := func() int64 {
		rest, _ := io.Copy(io.Discard, part)
		return counted.n + rest
	}
	head, _ := br.Peek(pngHeaderLen)
	if len(head) < len(pngMagic) || !bytes.Equal(head[:len(pngMagic)], pngMagic) {
		drain()
		return nil, errImageFormat(param)
	}
	if len(head) == pngHeaderLen && string(head[12:16]) == "IHDR" {
		w, h := binary.BigEndian.Uint32(head[16:20]), binary.BigEndian.Uint32(head[20:24])
		if w > MaxUploadDimension || h > MaxUploadDimension {
			if size := drain(); size >= MaxUploadBytes {
				return nil, errImageTooLarge(param, size)
			}
			return nil, errImageTooManyPixels(param, int(w), int(h))
		}
	}
	img, decodeErr := png.Decode(br)
	if size := drain(); size >= MaxUploadBytes {
		return nil, errImageTooLarge(param, size)
	}
	if decodeErr != nil {
		return nil, errImageFormat(param)
	}
	b := img.Bounds()
	return &upload{img: img, w: b.Dx(), h: b.Dy()}, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// hasAlphaChannel reports whether the PNG carried alpha: an alpha colour type,
// or a tRNS chunk (which Go decodes to NRGBA or a palette with alpha).
func hasAlphaChannel(img image.Image) bool {
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

// transparentPlane marks the fully transparent (alpha 0) pixels of img,
// row-major, and reports whether there is any.
func transparentPlane(img image.Image) (plane []bool, any bool) {
	b := img.Bounds()
	plane = make([]bool, b.Dx()*b.Dy())
	i := 0
	if m, ok := img.(*image.NRGBA); ok {
		for y := range b.Dy() {
			row := m.Pix[y*m.Stride : y*m.Stride+4*b.Dx()]
			for x := 3; x < len(row); x += 4 {
				plane[i] = row[x] == 0
				any = any || plane[i]
				i++
			}
		}
		return plane, any
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			_, _, _, a := img.At(x, y).RGBA()
			plane[i] = a == 0
			any = any || plane[i]
			i++
		}
	}
	return plane, any
}

// toNRGBA returns img as 8-bit straight RGBA. PNG stores straight alpha, and
// NRGBA keeps it, so opaque and partly transparent pixels of 8-bit inputs are
// reproduced byte for byte (16-bit inputs are reduced to 8 bits).
func toNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	if m, ok := img.(*image.NRGBA); ok && b.Min == (image.Point{}) {
		return m
	}
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	if m, ok := img.(*image.RGBA); ok { // truecolour without alpha: opaque, so premultiplied == straight
		for y := range b.Dy() {
			copy(out.Pix[y*out.Stride:y*out.Stride+4*b.Dx()], m.Pix[y*m.Stride:])
		}
		return out
	}
	for y := range b.Dy() {
		for x := range b.Dx() {
			// Converting a color.NRGBA (palette entries with tRNS) to NRGBA is exact.
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			i := y*out.Stride + 4*x
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = c.R, c.G, c.B, c.A
		}
	}
	return out
}

// editInput is a validated edit source: its pixels and which of them the
// model may repaint.
type editInput struct {
	src      *image.NRGBA
	editable []bool // row-major over src; true where the mask (or image) has alpha 0
}

// composite overwrites the painted side×side canvas with the source pixels,
// scaled nearest-neighbour, wherever they are not editable. Only fully
// transparent pixels (alpha 0) are repainted; every pixel with alpha ≥ 1 is
// kept exactly, partial alpha included, following OpenAI's rule that "fully
// transparent areas (alpha zero) indicate where the image should be edited".
func (in *editInput) composite(pix []byte, stride, side int) {
	w, h := in.src.Rect.Dx(), in.src.Rect.Dy()
	for y := range side {
		sy := y * h / side
		srcRow := in.src.Pix[sy*in.src.Stride:]
		editRow := in.editable[sy*w : (sy+1)*w]
		dstRow := pix[y*stride:]
		for x := range side {
			sx := x * w / side
			if editRow[sx] {
				continue
			}
			copy(dstRow[4*x:4*x+4], srcRow[4*sx:4*sx+4])
		}
	}
}
