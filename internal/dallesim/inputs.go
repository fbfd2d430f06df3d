package dallesim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"image/jpeg"
	"image/png"
	"io"
)

// Limits of the GPT image models' edit inputs.
const (
	// MaxInputImages is how many images a GPT image edit takes.
	MaxInputImages = 16
	// MaxInputImageBytes is the exclusive upper bound of one GPT edit input ("less than 50MB").
	MaxInputImageBytes = 50 << 20
)

// Input image formats.
const (
	imagePNG  = "png"
	imageJPEG = "jpeg"
	imageWebP = "webp"
)

// inputImage is what the simulator learnt of one uploaded image part. Only
// headers are read, except for the first part when it is a PNG small enough
// to decode (DALL-E 2 composites its pixels); every part is read to its end,
// counting bytes, so its size is known and the form can go on.
type inputImage struct {
	format   string // imagePNG, imageJPEG, imageWebP, or "" when unrecognised
	w, h     int
	headerOK bool  // w and h were read from the header
	size     int64 // bytes in the part
	decoded  *upload
}

// readInputImage reads one image part; decodePNG asks for the pixels of a PNG.
func readInputImage(part io.Reader, decodePNG bool) *inputImage {
	counted := &countingReader{r: io.LimitReader(part, MaxInputImageBytes)}
	br := bufio.NewReader(counted)
	in := &inputImage{}
	head, _ := br.Peek(webpHeaderLen)
	switch {
	case bytes.HasPrefix(head, pngMagic):
		in.format = imagePNG
		if len(head) >= pngHeaderLen && string(head[12:16]) == "IHDR" {
			in.w, in.h = int(binary.BigEndian.Uint32(head[16:20])), int(binary.BigEndian.Uint32(head[20:24]))
			in.headerOK = in.w > 0 && in.h > 0
		}
		// A PNG declaring more than MaxUploadDimension per side is never
		// decoded, so a small hostile file cannot allocate gigabytes.
		if decodePNG && (!in.headerOK || (in.w <= MaxUploadDimension && in.h <= MaxUploadDimension)) {
			if img, err := png.Decode(br); err == nil {
				b := img.Bounds()
				in.decoded = &upload{img: img, w: b.Dx(), h: b.Dy()}
			}
		}
	case bytes.HasPrefix(head, []byte{0xff, 0xd8, 0xff}):
		in.format = imageJPEG
		// DecodeConfig reads up to the frame header only.
		if cfg, err := jpeg.DecodeConfig(br); err == nil {
			in.w, in.h, in.headerOK = cfg.Width, cfg.Height, cfg.Width > 0 && cfg.Height > 0
		}
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		in.format = imageWebP
		in.w, in.h, in.headerOK = webpSize(head)
	}
	rest, _ := io.Copy(io.Discard, part)
	in.size = counted.n + rest
	return in
}

// webpHeaderLen covers the RIFF header and the first chunk's size fields.
const webpHeaderLen = 30

// webpSize reads the canvas size from a WebP file's first chunk (RFC 9649):
// VP8X (extended) holds it as 24-bit minus-one values, VP8L (lossless) as
// 14-bit minus-one values after a 0x2f signature, VP8 (lossy) as 14-bit
// values after the key frame start code 9d 01 2a.
func webpSize(head []byte) (w, h int, ok bool) {
	if len(head) < webpHeaderLen {
		return 0, 0, false
	}
	le24 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
	switch string(head[12:16]) {
	case "VP8X":
		return le24(head[24:27]) + 1, le24(head[27:30]) + 1, true
	case "VP8L":
		if head[20] != 0x2f {
			return 0, 0, false
		}
		bits := binary.LittleEndian.Uint32(head[21:25])
		return int(bits&0x3fff) + 1, int(bits>>14&0x3fff) + 1, true
	case "VP8 ":
		if !bytes.Equal(head[23:26], []byte{0x9d, 0x01, 0x2a}) {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint16(head[26:28]) & 0x3fff), int(binary.LittleEndian.Uint16(head[28:30]) & 0x3fff), true
	}
	return 0, 0, false
}

// dallE2Upload is DALL-E 2's view of the first image: a PNG under 4 MB
// whose declared sides are within MaxUploadDimension, decoded. The checks
// and their order are those DALL-E 2 always had.
func (in *inputImage) dallE2Upload() (*upload, *apiError) {
	switch {
	case in.format != imagePNG:
		return nil, errImageFormat("image")
	case in.headerOK && (in.w > MaxUploadDimension || in.h > MaxUploadDimension):
		if in.size >= MaxUploadBytes {
			return nil, errImageTooLarge("image", in.size)
		}
		return nil, errImageTooManyPixels("image", in.w, in.h)
	case in.size >= MaxUploadBytes:
		return nil, errImageTooLarge("image", in.size)
	case in.decoded == nil:
		return nil, errImageFormat("image")
	}
	return in.decoded, nil
}

// gptCheck is the GPT image models' view of input image number index (1-based).
func (in *inputImage) gptCheck(index int) *apiError {
	switch {
	case in.format == "":
		return errInputImageFormat(index)
	case in.size >= MaxInputImageBytes:
		return errInputImageTooLarge(index, in.size)
	case !in.headerOK:
		return errInputImageFormat(index)
	}
	return nil
}
