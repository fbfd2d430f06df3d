package imagerequests

import (
	"errors"
	"fmt"

	"github.com/imagegen/imagegen-operator/internal/imagecheck"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// MaxInlineInputBytes bounds what an edit can upload when the operator runs
// without an artifact store: the image and mask then travel to the
// controller in one Secret, and Kubernetes caps a Secret's data (keys plus
// values) at 1 MiB. This is the one place that limit lives. With a store
// the inputs are uploaded there and only the model's limits apply.
const MaxInlineInputBytes = 1 << 20

// Keys of the input Secret.
const (
	secretKeyImage = "image.png"
	secretKeyMask  = "mask.png"
)

// validateEditInputs applies the byte limits (the model's, then, when the
// inputs travel inline, the Secret's) and then the controller's rules on
// the contents: images[0] is the image (the one a mask applies to), the
// rest the additional images. The byte limits come first so an oversized
// body is refused before any of it is parsed. Errors name the input as the
// caller sent it (image, additional_images[i], mask).
func validateEditInputs(modelName string, images [][]byte, mask []byte, inline bool) *InputError {
	m, ok := models.Lookup(modelName)
	if !ok {
		return &InputError{Field: "model", Rule: rules.Enum, Message: fmt.Sprintf("unsupported model %q", modelName)}
	}
	limits := imagecheck.RulesFor(m)
	if err := imagecheck.CheckInputSizes(images, mask, limits); err != nil {
		return asInputError(err)
	}
	if inline {
		if err := checkInlineSize(images[0], mask); err != nil {
			return err
		}
	}
	if err := imagecheck.CheckEditInputs(images, mask, limits); err != nil {
		return asInputError(err)
	}
	return nil
}

// asInputError turns imagecheck's verdict into an input error on the
// caller's name of the input.
func asInputError(err error) *InputError {
	var v *imagecheck.Violation
	if errors.As(err, &v) {
		return &InputError{Field: inputNameOfImage(v.Field), Rule: v.Rule, Message: v.Message}
	}
	return &InputError{Field: imagecheck.FieldImage, Rule: rules.PNG, Message: err.Error()}
}

// inputNameOfImage maps imagecheck's (the spec's) name of an input image,
// additionalImages[i], to the tools' additional_images[i]; image and mask
// are the same in both.
func inputNameOfImage(field string) string {
	if i, ok := imagecheck.ImageIndex(field); ok && i > 0 {
		return AdditionalImageField(i - 1)
	}
	return field
}

// checkInlineSize refuses inputs that do not fit in the input Secret.
func checkInlineSize(image, mask []byte) *InputError {
	imageSize := len(secretKeyImage) + len(image)
	if imageSize > MaxInlineInputBytes {
		return &InputError{Field: imagecheck.FieldImage, Rule: rules.InlineSize, Message: fmt.Sprintf(
			"is %d bytes; until an artifact store exists, edit inputs travel in a Kubernetes Secret, which holds at most %d bytes (1 MiB) for image and mask together; send a smaller PNG (fewer colours, or a smaller square size)",
			len(image), MaxInlineInputBytes)}
	}
	if mask == nil {
		return nil
	}
	if total := imageSize + len(secretKeyMask) + len(mask); total > MaxInlineInputBytes {
		return &InputError{Field: imagecheck.FieldMask, Rule: rules.InlineSize, Message: fmt.Sprintf(
			"is %d bytes and the image %d bytes, %d together; until an artifact store exists, edit inputs travel in a Kubernetes Secret, which holds at most %d bytes (1 MiB) for image and mask together; send smaller PNGs",
			len(mask), len(image), len(image)+len(mask), MaxInlineInputBytes)}
	}
	return nil
}
