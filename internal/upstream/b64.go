package upstream

import (
	"encoding/base64"
	"errors"
	"fmt"
)

// ErrImageTooLarge is an inline image over the caller's bound.
var ErrImageTooLarge = errors.New("image is over the size limit")

// Decode returns the bytes of an inline (b64_json) image, refusing one
// that would decode to more than maxBytes before decoding any of it. It
// is an error to call it on an image without B64JSON.
func (img Image) Decode(maxBytes int64) ([]byte, error) {
	if img.B64JSON == "" {
		return nil, errors.New("the image has no b64_json")
	}
	// DecodedLen is exact for unpadded lengths and at most 2 bytes over
	// for padded ones: close enough to refuse before allocating.
	if n := int64(base64.StdEncoding.DecodedLen(len(img.B64JSON))); n > maxBytes+2 {
		return nil, fmt.Errorf("b64_json of ~%d bytes: %w of %d", n, ErrImageTooLarge, maxBytes)
	}
	data, err := base64.StdEncoding.DecodeString(img.B64JSON)
	if err != nil {
		return nil, fmt.Errorf("b64_json is not valid base64: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("b64_json of %d bytes: %w of %d", len(data), ErrImageTooLarge, maxBytes)
	}
	return data, nil
}
