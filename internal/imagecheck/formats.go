package imagecheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image/jpeg"
	"slices"
	"strings"

	"golang.org/x/image/webp"

	inputrules "github.com/imagegen/imagegen-operator/internal/rules"
)

// Input formats: the words of Rules.Formats (and of internal/models'
// InputFormats).
const (
	FormatPNG  = "png"
	FormatWebP = "webp"
	FormatJPEG = "jpeg"
)

// pngOnly is what an empty Rules.Formats means, and what a mask must be.
var pngOnly = []string{FormatPNG}

// header is what an input's header declares. Only a PNG's pixel data is
// ever read (png is nil for the other formats).
type header struct {
	format        string
	width, height int
	png           *pngInfo
}

var jpegMagic = []byte{0xff, 0xd8, 0xff}

// sniff names the format data's magic bytes announce: a Format word, the
// name of a format no model takes (so the refusal can say what was sent),
// or "" when it is none of them. A file that opens as a RIFF container but
// is too short to say which kind is taken for a truncated WebP.
func sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, pngMagic):
		return FormatPNG
	case bytes.HasPrefix(data, jpegMagic):
		return FormatJPEG
	case bytes.HasPrefix(data, []byte("RIFF")) && (len(data) < 12 || string(data[8:12]) == "WEBP"):
		return FormatWebP
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "gif"
	case bytes.HasPrefix(data, []byte("BM")):
		return "bmp"
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return "tiff"
	}
	return ""
}

// formatName is how messages name a sniffed format.
func formatName(format string) string {
	switch format {
	case FormatWebP:
		return "WebP"
	case "":
		return "unrecognised"
	}
	return strings.ToUpper(format)
}

// readFormatHeader sniffs data's format and reads its header when the
// format is among formats (empty: PNG only). A format not allowed is the
// Format rule, or the PNG rule when PNG is all the model takes (DALL-E 2's
// refusal, unchanged). A header that cannot be read is the rule of the
// format it opens as: PNG, JPEG or WebP.
func readFormatHeader(field string, data []byte, formats []string) (*header, error) {
	if len(formats) == 0 {
		formats = pngOnly
	}
	format := sniff(data)
	if !slices.Contains(formats, format) {
		return nil, formatViolation(field, format, formats)
	}
	switch format {
	case FormatJPEG:
		return readJPEGHeader(field, data)
	case FormatWebP:
		return readWebPHeader(field, data)
	}
	return readPNGHeader(field, data)
}

// formatViolation refuses a format the model does not take.
func formatViolation(field, format string, formats []string) *Violation {
	if slices.Equal(formats, pngOnly) { // DALL-E 2's refusal, word for word
		return &Violation{Field: field, Rule: inputrules.PNG, Message: "is not a PNG file (it lacks the PNG signature); only PNG is accepted"}
	}
	what := fmt.Sprintf("is a %s file", formatName(format))
	if format == "" {
		what = "is not a file of a known image format (no PNG, JPEG or WebP signature)"
	}
	return &Violation{Field: field, Rule: inputrules.Format,
		Message: fmt.Sprintf("%s; the model accepts %s", what, strings.Join(formats, ", "))}
}

// Why only the header of a JPEG or WebP is read, when a PNG's pixel data
// is streamed to the end: PNG pixel data can be checked a row at a time
// in bounded memory, and the transparency rule needs it. A JPEG's or
// WebP's cannot: their decoders (image/jpeg, golang.org/x/image/webp)
// materialise the whole image, up to 4 bytes a pixel of the model's side,
// and no rule of the models that take them needs a pixel. The header
// alone refuses what matters before anything is allocated for pixels:
// dimensions over the limit (a decompression bomb declares them there),
// and a file cut short (the walks below check that the structure reaches
// its end without decoding it). What is left, corrupt entropy-coded data
// inside a complete file, the upstream decodes and refuses, which costs
// that caller one call.

// readJPEGHeader checks that the file's segments reach a scan and an end
// marker (jpegComplete), then reads its dimensions with
// image/jpeg.DecodeConfig, which stops at the frame header (SOF) or the
// first scan and skips the tables: it allocates its decoder (about 20 KiB)
// and no pixels.
func readJPEGHeader(field string, data []byte) (*header, error) {
	invalid := func(err error) error {
		return &Violation{Field: field, Rule: inputrules.JPEG, Message: fmt.Sprintf("is not a valid JPEG: %v", err)}
	}
	if err := jpegComplete(data); err != nil {
		return nil, invalid(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, invalid(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, invalid(fmt.Errorf("its frame header declares %dx%d", cfg.Width, cfg.Height))
	}
	return &header{format: FormatJPEG, width: cfg.Width, height: cfg.Height}, nil
}

// jpegComplete walks a JPEG's marker segments, each of which declares its
// length, to the first scan (SOS), and then looks for the end-of-image
// marker after it. In the entropy-coded data a 0xFF byte is always
// followed by 0x00 or a marker, so 0xFF 0xD9 there is the end marker; one
// inside a later segment (a table between progressive scans) could be
// mistaken for it, which only lets a rare truncated file through to the
// upstream. It allocates nothing.
func jpegComplete(data []byte) error {
	i := 2 // after SOI
	for {
		if i >= len(data) {
			return errors.New("it ends before its first scan (SOS marker)")
		}
		if data[i] != 0xff {
			return fmt.Errorf("byte %d is %#02x where a marker belongs", i, data[i])
		}
		for i < len(data) && data[i] == 0xff { // fill bytes may precede a marker
			i++
		}
		if i >= len(data) {
			return errors.New("it ends before its first scan (SOS marker)")
		}
		marker := data[i]
		i++
		switch {
		case marker == 0xd9:
			return errors.New("its end marker (EOI) comes before any scan")
		case marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7): // TEM and RSTn stand alone
			continue
		}
		if len(data)-i < 2 {
			return fmt.Errorf("it ends inside the length of marker %#02x", marker)
		}
		n := int(binary.BigEndian.Uint16(data[i:]))
		if n < 2 || n > len(data)-i {
			return fmt.Errorf("marker %#02x declares a %d-byte segment but %d bytes remain", marker, n, len(data)-i)
		}
		i += n
		if marker == 0xda {
			if !bytes.Contains(data[i:], []byte{0xff, 0xd9}) {
				return errors.New("it ends before its end marker (EOI): the file is truncated")
			}
			return nil
		}
	}
}

// readWebPHeader checks the RIFF structure (webpComplete), then reads the
// dimensions with golang.org/x/image/webp.DecodeConfig, which stops at the
// first VP8X, VP8 or VP8L chunk's header. A VP8X canvas of more than
// 2^31-1 pixels it refuses as invalid (the WebP rule) rather than
// reporting its size.
func readWebPHeader(field string, data []byte) (*header, error) {
	invalid := func(err error) error {
		return &Violation{Field: field, Rule: inputrules.WebP, Message: fmt.Sprintf("is not a valid WebP: %v", err)}
	}
	if err := webpComplete(data); err != nil {
		return nil, invalid(err)
	}
	cfg, err := webp.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, invalid(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, invalid(fmt.Errorf("its header declares %dx%d", cfg.Width, cfg.Height))
	}
	return &header{format: FormatWebP, width: cfg.Width, height: cfg.Height}, nil
}

// webpComplete walks the chunks of a WebP's RIFF container, each of which
// declares its length: the container must fit in the file (bytes after it
// are ignored, as libwebp does), every chunk in the container, and one of
// them must hold image data (VP8, VP8L, or ANMF frames). It allocates
// nothing.
func webpComplete(data []byte) error {
	if len(data) < 12 {
		return fmt.Errorf("it ends inside its 12-byte RIFF header (%d bytes)", len(data))
	}
	size := uint64(binary.LittleEndian.Uint32(data[4:8]))
	end := 8 + size
	if end > uint64(len(data)) {
		return fmt.Errorf("its RIFF header declares %d bytes but the file holds %d: it is truncated", end, len(data))
	}
	// The WebP container format requires the first chunk to be VP8, VP8L
	// or VP8X; decoders that sniff the format (Go's image package, and
	// the upstream's, presumably) do not recognise a file that starts
	// with any other chunk.
	if first := string(data[12:min(16, len(data))]); end >= 20 && first != "VP8 " && first != "VP8L" && first != "VP8X" {
		return fmt.Errorf("its first chunk is %q; a WebP starts with a VP8, VP8L or VP8X chunk", first)
	}
	off, image := uint64(12), false
	for off < end {
		if end-off < 8 {
			return fmt.Errorf("a chunk header at byte %d runs past the RIFF data", off)
		}
		id := string(data[off : off+4])
		n := uint64(binary.LittleEndian.Uint32(data[off+4:]))
		if n > end-off-8 {
			return fmt.Errorf("%q chunk declares %d bytes but %d remain", id, n, end-off-8)
		}
		switch id {
		case "VP8 ", "VP8L", "ANMF":
			image = true
		}
		off += 8 + n + n&1 // chunks are padded to an even length
	}
	if !image {
		return errors.New("it holds no image data (no VP8, VP8L or ANMF chunk)")
	}
	return nil
}
