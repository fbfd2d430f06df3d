package imagecheck

import (
	"fmt"
	"strconv"
	"strings"

	inputrules "github.com/imagegen/imagegen-operator/internal/rules"
)

// FieldAdditionalImages is the field of an edit's images after the first,
// as the ImageRequest spec calls them (spec.additionalImages).
const FieldAdditionalImages = "additionalImages"

// ImageField names the input image at index i of an edit's images as the
// spec does, so every interface names the same input the same way:
// FieldImage ("image") for the first, the one a mask applies to, and
// "additionalImages[i-1]" for the others.
func ImageField(i int) string {
	if i == 0 {
		return FieldImage
	}
	return FieldAdditionalImages + "[" + strconv.Itoa(i-1) + "]"
}

// ImageIndex is the inverse of ImageField: the index of the input image a
// violation's Field names, and whether it names one (false for FieldMask).
func ImageIndex(field string) (int, bool) {
	if field == FieldImage {
		return 0, true
	}
	digits, ok := strings.CutPrefix(field, FieldAdditionalImages+"[")
	if !ok {
		return 0, false
	}
	if digits, ok = strings.CutSuffix(digits, "]"); !ok {
		return 0, false
	}
	j, err := strconv.Atoi(digits)
	if err != nil || j < 0 || ImageField(j+1) != field { // no "additionalImages[-1]", "[+1]" or "[01]"
		return 0, false
	}
	return j + 1, true
}

// CheckInputSizes applies only the byte limits: MaxBytes to every image,
// in order, then MaxMaskBytes to the mask (nil for none). It reads
// nothing, so callers with byte limits of their own can apply all of them
// before any parsing; CheckEditInputs starts with it.
func CheckInputSizes(images [][]byte, mask []byte, rules Rules) error {
	for i, data := range images {
		if err := checkSize(ImageField(i), data, rules.MaxBytes); err != nil {
			return err
		}
	}
	if mask != nil {
		return checkSize(FieldMask, mask, rules.maxMaskBytes())
	}
	return nil
}

// CheckEditInputs applies every rule to an edit's input images (at least
// one; images[0] is the image a mask applies to) and optional mask (nil
// for none), and returns the first violation, or nil. The checks run in
// stages, each over every input before the next begins, so the cheapest
// refusal comes first:
//
//  1. byte limits (CheckInputSizes), before any byte is parsed;
//  2. headers: each image's format (sniffed from its magic bytes, and
//     among rules.Formats) and dimensions, then the mask's (a PNG the size
//     of images[0], with an alpha channel);
//  3. the pixel data of every PNG, streamed a row at a time: structure
//     and, without a mask unless rules.TransparencyOptional, a transparent
//     pixel in images[0].
//
// How many images a model takes is internal/models' rule (MaxInputImages),
// not this package's: every image given is checked.
func CheckEditInputs(images [][]byte, mask []byte, rules Rules) error {
	if len(images) == 0 {
		return &Violation{Field: FieldImage, Rule: inputrules.Required, Message: "is required: an edit needs at least one input image"}
	}
	if err := CheckInputSizes(images, mask, rules); err != nil {
		return err
	}
	headers := make([]*header, len(images))
	for i, data := range images {
		h, err := readHeader(ImageField(i), data, rules.Formats, rules)
		if err != nil {
			return err
		}
		headers[i] = h
	}
	var maskHeader *header
	if mask != nil {
		var err error
		if maskHeader, err = checkMaskHeader(mask, headers[0], rules); err != nil {
			return err
		}
	}

	checkSlots <- struct{}{}
	defer func() { <-checkSlots }()

	scanned := 0 // images[:scanned] have had their pixels scanned
	if mask == nil && !rules.TransparencyOptional {
		if err := checkTransparent(headers[0]); err != nil {
			return err
		}
		scanned = 1
	}
	// The rest are read to the end so that corrupt pixel data is refused
	// here, not by the upstream after the attempt is paid for.
	for i := scanned; i < len(headers); i++ {
		if headers[i].png == nil {
			continue // see formats.go: only the header of JPEG and WebP is read
		}
		if _, err := scan(ImageField(i), headers[i].png, false); err != nil {
			return err
		}
	}
	if maskHeader != nil {
		_, err := scan(FieldMask, maskHeader.png, false)
		return err
	}
	return nil
}

// checkMaskHeader reads the mask's header and applies the rules it
// decides: a PNG within the model's side (and square), the size of the
// first image, with an alpha channel.
func checkMaskHeader(mask []byte, first *header, rules Rules) (*header, error) {
	m, err := readHeader(FieldMask, mask, nil, rules)
	if err != nil {
		return nil, err
	}
	if first.width != m.width || first.height != m.height {
		return nil, &Violation{Field: FieldMask, Rule: inputrules.Dimensions,
			Message: fmt.Sprintf("is %dx%d but the image is %dx%d; they must be the same size", m.width, m.height, first.width, first.height)}
	}
	if !m.png.hasAlphaChannel() {
		return nil, &Violation{Field: FieldMask, Rule: inputrules.Alpha,
			Message: fmt.Sprintf("has no alpha channel (PNG colour type %d, %s); the mask's fully transparent pixels mark the area to edit, so save it as RGBA or grey+alpha PNG", m.png.colorType, colorTypeName(m.png))}
	}
	return m, nil
}

// checkTransparent is the rule of an edit without a mask on a model that
// repaints only the transparent area: the first image must have a
// transparent pixel. Only a PNG's pixels are read, so a JPEG (which has no
// alpha) or a WebP (whose pixels are not decoded here) cannot meet it.
func checkTransparent(h *header) error {
	const why = "without a mask the image's transparent area marks what to edit"
	if h.png == nil {
		return &Violation{Field: FieldImage, Rule: inputrules.Transparency,
			Message: fmt.Sprintf("is a %s file; %s and only a PNG's transparency is checked, so send a PNG with transparent pixels or supply a mask", formatName(h.format), why)}
	}
	transparent, err := scan(FieldImage, h.png, true)
	if err != nil {
		return err
	}
	if !transparent {
		return &Violation{Field: FieldImage, Rule: inputrules.Transparency,
			Message: "has no transparent pixels; " + why + ", so give it an alpha channel with transparent pixels or supply a mask"}
	}
	return nil
}
