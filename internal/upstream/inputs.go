package upstream

import (
	"bytes"
	"fmt"
	"io"

	"github.com/openai/openai-go/v3"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

// imageFormat is an input image encoding the API accepts.
type imageFormat struct {
	ext         string // the part's filename extension
	contentType string
}

// The input formats: "each image should be a png, webp, or jpg file".
var (
	formatPNG  = imageFormat{ext: "png", contentType: "image/png"}
	formatJPEG = imageFormat{ext: "jpg", contentType: "image/jpeg"}
	formatWebP = imageFormat{ext: "webp", contentType: "image/webp"}
)

// sniffFormat reads an image's format from its magic bytes; ok is false
// for anything but PNG, JPEG and WebP. The upstream judges a part by its
// declared type, so it must be the real one: a JPEG sent as image/png (or
// a bare reader, sent as application/octet-stream) is refused.
func sniffFormat(data []byte) (f imageFormat, ok bool) {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG, true
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return formatJPEG, true
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return formatWebP, true
	}
	return imageFormat{}, false
}

// editImages is the image field of an edit: one file, sent as `image`
// exactly as before multi-image edits existed, or several, which openai-go
// sends as repeated `image[]` parts in order.
func editImages(req Request) (openai.ImageEditParamsImageUnion, *Error) {
	var union openai.ImageEditParamsImageUnion
	images, field := req.Images, "images"
	switch {
	case req.Image != nil && len(req.Images) > 0:
		return union, configError("images", rules.Unsupported,
			"set Image (one input) or Images (all inputs), not both")
	case req.Image != nil:
		images, field = [][]byte{req.Image}, "image"
	}
	files := make([]io.Reader, len(images))
	for i, data := range images {
		f, ok := sniffFormat(data)
		if !ok {
			name := field
			if field == "images" {
				name = fmt.Sprintf("images[%d]", i)
			}
			return union, configError(name, rules.Enum, "the bytes are not a png, jpeg or webp image")
		}
		files[i] = openai.File(bytes.NewReader(data), partName(i, f), f.contentType)
	}
	if len(files) == 1 {
		union.OfFile = files[0]
	} else {
		union.OfFileArray = files
	}
	return union, nil
}

// partName is the filename of the i-th input image: "image.png" for the
// first (what a DALL-E 2 edit has always sent), "image-1.jpg" and so on
// after it, so the parts can be told apart in the upstream's logs.
func partName(i int, f imageFormat) string {
	if i == 0 {
		return "image." + f.ext
	}
	return fmt.Sprintf("image-%d.%s", i, f.ext)
}

// configError is a request this client refuses to send because the caller
// should never have made it: field and rule say what it broke.
func configError(field, rule, message string) *Error {
	return &Error{Kind: KindConfig, Param: field, Message: fmt.Sprintf("%s: %s: %s", field, rule, message)}
}
