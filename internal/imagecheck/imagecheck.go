// Package imagecheck holds the byte-level rules an edit's image and mask must
// meet before the upstream is paid to look at them. The controller runs them
// on the referenced ConfigMap or Secret bytes; the MCP server runs the same
// checks on uploads before it creates anything.
package imagecheck

import (
	"bytes"
	"fmt"
	"runtime"

	inputrules "github.com/imagegen/imagegen-operator/internal/rules"
)

// Field names, as they appear in requests and errors.
const (
	FieldImage = "image"
	FieldMask  = "mask"
)

// pngMagic opens every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// Violation is a rule an input breaks.
type Violation struct {
	// Field is FieldImage or FieldMask.
	Field string
	// Rule is a word of internal/rules (imported as inputrules, since a
	// Rules parameter is everywhere here): PNG, SizeBytes, DimensionsMax,
	// Square, Dimensions, Alpha or Transparency.
	Rule string
	// Message explains the rule and what was found.
	Message string
}

func (v *Violation) Error() string { return v.Field + ": " + v.Message }

// DefaultMaxSide bounds each side of an input when Rules.MaxSide is 0. It
// is DALL-E 2's limit (the upstream refuses inputs over 4096x4096), and it
// keeps a caller that sets no limit from having rows of any width read.
const DefaultMaxSide = 4096

// Rules are the limits of the model the edit is for.
type Rules struct {
	// MaxBytes: each input must be strictly smaller.
	MaxBytes int64
	// Square: inputs must be square.
	Square bool
	// MaxSide: each side must be at most this many pixels; 0 means
	// DefaultMaxSide. It also bounds the memory a check takes: two rows,
	// at most 2*(1+8*MaxSide) bytes, plus the inflater's few tens of KiB.
	MaxSide int
}

func (r Rules) maxSide() int {
	if r.MaxSide > 0 {
		return r.MaxSide
	}
	return DefaultMaxSide
}

// checkSlots bounds how many checks inflate pixel data at once. A check
// holds two rows and an inflater window (tens of KiB, see pngpixels.go),
// so this is about CPU, not memory: more at once than there are CPUs buys
// no speed and delays every other goroutine.
var checkSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// CheckEdit applies every rule to an edit's image and optional mask (nil for
// none) and returns the first violation, or nil. No input is ever decoded
// into an image: byte sizes are checked before anything is parsed, the
// chunk headers (dimensions, colour type, tRNS) before any pixel data is
// inflated, and the pixel data is then streamed a row at a time.
func CheckEdit(imageBytes, maskBytes []byte, rules Rules) error {
	if err := CheckSizes(imageBytes, maskBytes, rules); err != nil {
		return err
	}
	img, err := readHeader(FieldImage, imageBytes, rules)
	if err != nil {
		return err
	}
	checkSlots <- struct{}{}
	defer func() { <-checkSlots }()

	if maskBytes == nil {
		transparent, err := scan(FieldImage, img, true)
		if err != nil {
			return err
		}
		if !transparent {
			return &Violation{Field: FieldImage, Rule: inputrules.Transparency,
				Message: "has no transparent pixels; without a mask the image's transparent area marks what to edit, so give it an alpha channel with transparent pixels or supply a mask"}
		}
		return nil
	}
	mask, err := readHeader(FieldMask, maskBytes, rules)
	if err != nil {
		return err
	}
	if img.width != mask.width || img.height != mask.height {
		return &Violation{Field: FieldMask, Rule: inputrules.Dimensions,
			Message: fmt.Sprintf("is %dx%d but the image is %dx%d; they must be the same size", mask.width, mask.height, img.width, img.height)}
	}
	if !mask.hasAlphaChannel() {
		return &Violation{Field: FieldMask, Rule: inputrules.Alpha,
			Message: fmt.Sprintf("has no alpha channel (PNG colour type %d, %s); the mask's fully transparent pixels mark the area to edit, so save it as RGBA or grey+alpha PNG", mask.colorType, colorTypeName(mask))}
	}
	// Both are read to the end so that corrupt pixel data is refused here,
	// not by the upstream after the attempt is paid for.
	if _, err := scan(FieldImage, img, false); err != nil {
		return err
	}
	_, err = scan(FieldMask, mask, false)
	return err
}

// CheckSizes applies only the byte limit to the image and optional mask.
// It reads nothing, so callers with limits of their own on bytes can apply
// all of them before any parsing; CheckEdit starts with it.
func CheckSizes(imageBytes, maskBytes []byte, rules Rules) error {
	if err := checkSize(FieldImage, imageBytes, rules); err != nil {
		return err
	}
	if maskBytes != nil {
		return checkSize(FieldMask, maskBytes, rules)
	}
	return nil
}

// checkSize is the byte limit of one input.
func checkSize(field string, data []byte, rules Rules) error {
	if rules.MaxBytes > 0 && int64(len(data)) >= rules.MaxBytes {
		return &Violation{Field: field, Rule: inputrules.SizeBytes,
			Message: fmt.Sprintf("is %d bytes; it must be smaller than %d bytes (%d MB)", len(data), rules.MaxBytes, rules.MaxBytes>>20)}
	}
	return nil
}

// readHeader parses the chunks and applies the rules the header decides:
// a valid PNG, at most the model's side, square.
func readHeader(field string, data []byte, rules Rules) (*pngInfo, error) {
	if !bytes.HasPrefix(data, pngMagic) {
		return nil, &Violation{Field: field, Rule: inputrules.PNG, Message: "is not a PNG file (it lacks the PNG signature); only PNG is accepted"}
	}
	p, err := parsePNG(data)
	if err != nil {
		return nil, &Violation{Field: field, Rule: inputrules.PNG, Message: fmt.Sprintf("is not a valid PNG: %v", err)}
	}
	if limit := rules.maxSide(); p.width > limit || p.height > limit {
		return nil, &Violation{Field: field, Rule: inputrules.DimensionsMax,
			Message: fmt.Sprintf("is %dx%d pixels; dimensions-max: the model accepts at most %dx%d, so scale it down", p.width, p.height, limit, limit)}
	}
	if rules.Square && p.width != p.height {
		return nil, &Violation{Field: field, Rule: inputrules.Square, Message: fmt.Sprintf("is %dx%d; it must be square", p.width, p.height)}
	}
	return p, nil
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
