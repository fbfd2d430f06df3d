package pngtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"github.com/HugoSmits86/nativewebp"
)

// The edit inputs of the GPT image models may also be JPEG or WebP; these
// build such files, and headers that lie about their size, for the checks
// of those formats.

// gradientImage is an opaque w×h colour gradient.
func gradientImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: 128, A: 255})
		}
	}
	return img
}

// JPEG encodes a w×h gradient with image/jpeg (baseline: SOI, DQT, SOF0,
// DHT, SOS, the scan, EOI).
func JPEG(w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, gradientImage(w, h), nil); err != nil {
		panic(err) // only for a bad size or a failing writer
	}
	return buf.Bytes()
}

// WebP encodes a w×h gradient as lossless WebP (a VP8L chunk) with
// nativewebp, the encoder the simulator uses.
func WebP(w, h int) []byte {
	var buf bytes.Buffer
	if err := nativewebp.Encode(&buf, gradientImage(w, h), nil); err != nil {
		panic(err) // only for an empty image or a failing writer
	}
	return buf.Bytes()
}

// WithJPEGSize returns a copy of a JPEG whose frame header (the first SOFn
// segment) declares w×h, whatever the pixel data holds: a decompression
// bomb's header.
func WithJPEGSize(data []byte, w, h uint16) []byte {
	out := bytes.Clone(data)
	for i := 2; i+4 <= len(out); {
		if out[i] != 0xff {
			panic(fmt.Sprintf("pngtest: no marker at byte %d", i))
		}
		marker := out[i+1]
		n := int(binary.BigEndian.Uint16(out[i+2:]))
		if marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc {
			// SOFn: length, precision, height, width.
			binary.BigEndian.PutUint16(out[i+5:], h)
			binary.BigEndian.PutUint16(out[i+7:], w)
			return out
		}
		i += 2 + n
	}
	panic("pngtest: no frame header (SOFn) in the JPEG")
}

// WithVP8LSize returns a copy of a lossless WebP (as WebP writes it: the
// VP8L chunk first) whose VP8L header declares w×h, each 1 to 16384.
func WithVP8LSize(data []byte, w, h int) []byte {
	out := bytes.Clone(data)
	if string(out[12:16]) != "VP8L" || out[20] != 0x2f {
		panic("pngtest: not a simple lossless WebP")
	}
	// 14 bits of width-1, then 14 of height-1, least significant first,
	// then the alpha hint and version bits, kept as they were.
	bits := binary.LittleEndian.Uint32(out[21:25])
	bits = bits&^(1<<28-1) | uint32(w-1)&0x3fff | (uint32(h-1)&0x3fff)<<14
	binary.LittleEndian.PutUint32(out[21:25], bits)
	return out
}

// WebPChunk is one chunk of a WebP's RIFF container, data unpadded.
type WebPChunk struct {
	ID   string
	Data []byte
}

// RIFF assembles a WebP from chunks, padding each to an even length and
// declaring the container's true size.
func RIFF(chunks ...WebPChunk) []byte {
	body := []byte("WEBP")
	for _, c := range chunks {
		if len(c.ID) != 4 {
			panic(fmt.Sprintf("pngtest: chunk id %q is not 4 bytes", c.ID))
		}
		body = append(body, c.ID...)
		body = binary.LittleEndian.AppendUint32(body, uint32(len(c.Data)))
		body = append(body, c.Data...)
		if len(c.Data)%2 == 1 {
			body = append(body, 0)
		}
	}
	out := binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body)))
	return append(out, body...)
}

// VP8X is an extended-format header chunk declaring a w×h canvas (each 1
// to 2^24); flags are its first byte (0x10: alpha).
func VP8X(w, h int, flags byte) WebPChunk {
	d := []byte{flags, 0, 0, 0}
	d = append(d, byte(w-1), byte((w-1)>>8), byte((w-1)>>16))
	d = append(d, byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	return WebPChunk{ID: "VP8X", Data: d}
}

// VP8Header is a lossy "VP8 " chunk holding only a key frame's 10-byte
// header, declaring w×h (each below 2^14), and padding: enough for a
// header read, not for a decode.
func VP8Header(w, h int) WebPChunk {
	d := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, byte(w), byte(w>>8) & 0x3f, byte(h), byte(h>>8) & 0x3f}
	return WebPChunk{ID: "VP8 ", Data: append(d, make([]byte, 16)...)}
}

// VP8LChunk is the VP8L chunk of a lossless WebP built by WebP.
func VP8LChunk(webp []byte) WebPChunk {
	if string(webp[12:16]) != "VP8L" {
		panic("pngtest: not a simple lossless WebP")
	}
	n := binary.LittleEndian.Uint32(webp[16:20])
	return WebPChunk{ID: "VP8L", Data: webp[20 : 20+n]}
}
