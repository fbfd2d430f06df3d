// Package imagecheck holds the byte-level rules an edit's image and mask must
// meet before the upstream is paid to look at them. The controller runs them
// on the referenced ConfigMap or Secret bytes; the MCP server runs the same
// checks on uploads before it creates anything.
package imagecheck

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"runtime"
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
	// Rule is a short stable name: "png", "size-bytes", "square", "dimensions",
	// "alpha" or "transparency".
	Rule string
	// Message explains the rule and what was found.
	Message string
}

func (v *Violation) Error() string { return v.Field + ": " + v.Message }

// Rules are the limits of the model the edit is for.
type Rules struct {
	// MaxBytes: each input must be strictly smaller.
	MaxBytes int64
	// Square: inputs must be square.
	Square bool
}

// decodeSlots bounds how many checks decode at once. Decoding is CPU-bound,
// so more at once than there are CPUs buys no speed, only memory: a decoded
// 1024x1024 image is 4 MiB, and a hundred concurrent edits (image and mask,
// on both the MCP and the controller side) would otherwise hold gigabytes.
var decodeSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// CheckEdit applies every rule to an edit's image and optional mask (nil for
// none) and returns the first violation, or nil.
func CheckEdit(imageBytes, maskBytes []byte, rules Rules) error {
	decodeSlots <- struct{}{}
	defer func() { <-decodeSlots }()

	img, err := decode(FieldImage, imageBytes, rules)
	if err != nil {
		return err
	}
	if maskBytes == nil {
		if !hasTransparentPixel(img) {
			return &Violation{Field: FieldImage, Rule: "transparency",
				Message: "has no transparent pixels; without a mask the image's transparent area marks what to edit, so give it an alpha channel with transparent pixels or supply a mask"}
		}
		return nil
	}
	ib := img.Bounds() // img is dead from here on, so the GC may reclaim it while the mask decodes
	mask, err := decode(FieldMask, maskBytes, rules)
	if err != nil {
		return err
	}
	mb := mask.Bounds()
	if ib.Dx() != mb.Dx() || ib.Dy() != mb.Dy() {
		return &Violation{Field: FieldMask, Rule: "dimensions",
			Message: fmt.Sprintf("is %dx%d but the image is %dx%d; they must be the same size", mb.Dx(), mb.Dy(), ib.Dx(), ib.Dy())}
	}
	if !hasAlphaChannel(mask) {
		return &Violation{Field: FieldMask, Rule: "alpha",
			Message: "has no alpha channel; the mask's fully transparent pixels mark the area to edit, so save it as RGBA or grey+alpha PNG"}
	}
	return nil
}

// decode checks the container-level rules and decodes the PNG.
func decode(field string, data []byte, rules Rules) (image.Image, error) {
	if rules.MaxBytes > 0 && int64(len(data)) >= rules.MaxBytes {
		return nil, &Violation{Field: field, Rule: "size-bytes",
			Message: fmt.Sprintf("is %d bytes; it must be smaller than %d bytes (%d MB)", len(data), rules.MaxBytes, rules.MaxBytes>>20)}
	}
	if !bytes.HasPrefix(data, pngMagic) {
		return nil, &Violation{Field: field, Rule: "png", Message: "is not a PNG file (it lacks the PNG signature); only PNG is accepted"}
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, &Violation{Field: field, Rule: "png", Message: fmt.Sprintf("is not a valid PNG: %v", err)}
	}
	b := img.Bounds()
	if rules.Square && b.Dx() != b.Dy() {
		return nil, &Violation{Field: field, Rule: "square", Message: fmt.Sprintf("is %dx%d; it must be square", b.Dx(), b.Dy())}
	}
	return img, nil
}

// hasAlphaChannel reports whether the PNG was stored with alpha: colour
// types RGBA and grey+alpha decode to the N* models, and a palette carries
// alpha when any entry is not opaque (a tRNS chunk).
func hasAlphaChannel(img image.Image) bool {
	switch m := img.(type) {
	case *image.NRGBA, *image.NRGBA64, *image.RGBA, *image.RGBA64:
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

// hasTransparentPixel reports whether any pixel is not fully opaque.
func hasTransparentPixel(img image.Image) bool {
	if !hasAlphaChannel(img) {
		return false
	}
	if nrgba, ok := img.(*image.NRGBA); ok {
		// The common case, read directly: one byte per pixel instead of an
		// interface call, which matters for 1024x1024 inputs.
		for i := 3; i < len(nrgba.Pix); i += 4 {
			if nrgba.Pix[i] != 0xff {
				return true
			}
		}
		return false
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return true
			}
		}
	}
	return false
}
