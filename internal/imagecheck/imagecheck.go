// Package imagecheck holds the byte-level rules an edit's input images and
// mask must meet before the upstream is paid to look at them. The controller
// runs them on the referenced ConfigMap or Secret bytes; the MCP server runs
// the same checks on uploads before it creates anything.
//
// CheckEdit is DALL-E 2's contract (one PNG image); CheckEditInputs takes
// the several images, in PNG, WebP or JPEG, of today's GPT image models.
// The zero value of every Rules field added for them keeps DALL-E 2's
// behaviour.
package imagecheck

import (
	"fmt"
	"runtime"

	inputrules "github.com/imagegen/imagegen-operator/internal/rules"
)

// Field names, as they appear in requests and errors. The first input
// image is FieldImage; the others are named by ImageField.
const (
	FieldImage = "image"
	FieldMask  = "mask"
)

// pngMagic opens every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// Violation is a rule an input breaks.
type Violation struct {
	// Field is FieldImage, FieldMask or, for an input image after the
	// first, ImageField(i).
	Field string
	// Rule is a word of internal/rules (imported as inputrules, since a
	// Rules parameter is everywhere here): PNG, JPEG, WebP, Format,
	// SizeBytes, DimensionsMax, Square, Dimensions, Alpha, Transparency or
	// Required.
	Rule string
	// Message explains the rule and what was found.
	Message string
}

func (v *Violation) Error() string { return v.Field + ": " + v.Message }

// DefaultMaxSide bounds each side of an input when Rules.MaxSide is 0. It
// is DALL-E 2's limit (the upstream refuses inputs over 4096x4096), and it
// keeps a caller that sets no limit from having rows of any width read.
const DefaultMaxSide = 4096

// Rules are the limits of the model the edit is for. The zero value of
// Formats, MaxMaskBytes and TransparencyOptional is DALL-E 2's contract,
// so callers that predate them keep its behaviour.
type Rules struct {
	// MaxBytes: each input image (and the mask, unless MaxMaskBytes is
	// set) must be strictly smaller; 0 means no limit.
	MaxBytes int64
	// MaxMaskBytes: the mask must be strictly smaller; 0 means MaxBytes.
	MaxMaskBytes int64
	// Square: inputs must be square.
	Square bool
	// MaxSide: each side must be at most this many pixels; 0 means
	// DefaultMaxSide. It also bounds the memory a check takes: two rows,
	// at most 2*(1+8*MaxSide) bytes, plus the inflater's few tens of KiB.
	MaxSide int
	// Formats are the formats the input images may have, as FormatPNG,
	// FormatWebP and FormatJPEG (internal/models' InputFormats words);
	// empty means PNG only. Other words match no input. The mask is
	// always a PNG.
	Formats []string
	// TransparencyOptional: without a mask the first image need not have
	// a transparent pixel. The GPT image models edit the whole image from
	// the prompt; DALL-E 2 (false) repaints only the image's transparent
	// area, so an opaque image without a mask is refused.
	TransparencyOptional bool
}

func (r Rules) maxSide() int {
	if r.MaxSide > 0 {
		return r.MaxSide
	}
	return DefaultMaxSide
}

func (r Rules) maxMaskBytes() int64 {
	if r.MaxMaskBytes > 0 {
		return r.MaxMaskBytes
	}
	return r.MaxBytes
}

// checkSlots bounds how many checks inflate pixel data at once. A check
// holds two rows and an inflater window (tens of KiB, see pngpixels.go),
// so this is about CPU, not memory: more at once than there are CPUs buys
// no speed and delays every other goroutine.
var checkSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// CheckEdit applies every rule to an edit's one image and optional mask
// (nil for none) and returns the first violation, or nil: CheckEditInputs
// with a single image. No input is ever decoded into an image: byte sizes
// are checked before anything is parsed, the headers (dimensions, colour
// type, tRNS) before any pixel data is inflated, and PNG pixel data is
// then streamed a row at a time.
func CheckEdit(imageBytes, maskBytes []byte, rules Rules) error {
	return CheckEditInputs([][]byte{imageBytes}, maskBytes, rules)
}

// CheckSizes applies only the byte limits to the image and optional mask:
// CheckInputSizes with a single image.
func CheckSizes(imageBytes, maskBytes []byte, rules Rules) error {
	return CheckInputSizes([][]byte{imageBytes}, maskBytes, rules)
}

// checkSize is the byte limit of one input.
func checkSize(field string, data []byte, limit int64) error {
	if limit > 0 && int64(len(data)) >= limit {
		return &Violation{Field: field, Rule: inputrules.SizeBytes,
			Message: fmt.Sprintf("is %d bytes; it must be smaller than %d bytes (%d MB)", len(data), limit, limit>>20)}
	}
	return nil
}

// readHeader reads the header of an input in one of the formats allowed
// (see readFormatHeader) and applies the rules the header decides: at most
// the model's side, square.
func readHeader(field string, data []byte, formats []string, rules Rules) (*header, error) {
	h, err := readFormatHeader(field, data, formats)
	if err != nil {
		return nil, err
	}
	if limit := rules.maxSide(); h.width > limit || h.height > limit {
		return nil, &Violation{Field: field, Rule: inputrules.DimensionsMax,
			Message: fmt.Sprintf("is %dx%d pixels; dimensions-max: the model accepts at most %dx%d, so scale it down", h.width, h.height, limit, limit)}
	}
	if rules.Square && h.width != h.height {
		return nil, &Violation{Field: field, Rule: inputrules.Square, Message: fmt.Sprintf("is %dx%d; it must be square", h.width, h.height)}
	}
	return h, nil
}

// readPNGHeader parses a PNG's chunks (see parsePNG).
func readPNGHeader(field string, data []byte) (*header, error) {
	p, err := parsePNG(data)
	if err != nil {
		return nil, &Violation{Field: field, Rule: inputrules.PNG, Message: fmt.Sprintf("is not a valid PNG: %v", err)}
	}
	return &header{format: FormatPNG, width: p.width, height: p.height, png: p}, nil
}

// scan streams the pixel data (see scanPixels) and turns a structural
// failure into the "png" violation.
func scan(field string, p *pngInfo, findTransparent bool) (bool, error) {
	transparent, err := p.scanPixels(findTransparent)
	if err != nil {
		return false, &Violation{Field: field, Rule: inputrules.PNG, Message: fmt.Sprintf("is not a valid PNG: %v", err)}
	}
	return transparent, nil
}

// colorTypeName describes the colour type for messages.
func colorTypeName(p *pngInfo) string {
	switch p.colorType {
	case ctGrey:
		return "greyscale"
	case ctRGB:
		return "RGB"
	case ctPalette:
		if p.trns != nil {
			return "palette whose tRNS entries are all opaque"
		}
		return "palette"
	case ctGreyAlpha:
		return "greyscale with alpha"
	}
	return "RGBA"
}
