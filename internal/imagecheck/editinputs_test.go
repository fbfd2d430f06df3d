package imagecheck

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"strings"
	"testing"

	"golang.org/x/image/bmp"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// gptImage are the GPT image models' rules as internal/models' gptImage()
// sets them: up to 50 MB images in PNG, WebP or JPEG, a mask under 4 MB,
// any aspect, the default side, no transparency needed.
var gptImage = Rules{MaxBytes: 50 << 20, MaxMaskBytes: 4 << 20, Formats: []string{FormatPNG, FormatWebP, FormatJPEG}, TransparencyOptional: true}

// headerAllocBound is what refusing an input from its header alone may
// allocate: the decoders' tables and readers, never a pixel buffer (a
// 60000x50000 JPEG would need gigabytes).
const headerAllocBound = 128 << 10

func gifBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	img := image.NewPaletted(image.Rect(0, 0, 16, 16), color.Palette{color.Black, color.White})
	if err := gif.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func bmpBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 16, 16))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSniff: the magic bytes of files the standard encoders (and the
// fixtures, checked against the standard decoders in pngtest) write name
// their format.
func TestSniff(t *testing.T) {
	cases := map[string]struct {
		data []byte
		want string
	}{
		"png":                      {pngtest.PNG(8, 8, true, true), FormatPNG},
		"jpeg":                     {pngtest.JPEG(8, 8), FormatJPEG},
		"webp":                     {pngtest.WebP(8, 8), FormatWebP},
		"gif":                      {gifBytes(t), "gif"},
		"bmp":                      {bmpBytes(t), "bmp"},
		"RIFF cut before its kind": {[]byte("RIFF\x10\x00\x00\x00WE"), FormatWebP},
		"RIFF WAVE":                {[]byte("RIFF\x10\x00\x00\x00WAVEfmt "), ""},
		"PNG signature cut short":  {[]byte(pngtest.Signature[:7]), ""},
		"empty":                    {nil, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := sniff(tc.data); got != tc.want {
				t.Fatalf("sniff = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestImageField: "image", then "additionalImages[i-1]", and back.
func TestImageField(t *testing.T) {
	for i, want := range map[int]string{0: "image", 1: "additionalImages[0]", 15: "additionalImages[14]"} {
		if got := ImageField(i); got != want {
			t.Errorf("ImageField(%d) = %q, want %q", i, got, want)
		}
		if got, ok := ImageIndex(want); !ok || got != i {
			t.Errorf("ImageIndex(%q) = %d, %v, want %d, true", want, got, ok, i)
		}
	}
	for _, field := range []string{"mask", "additionalImages[-1]", "additionalImages[01]", "additionalImages[+1]", "images[1]", "additionalImages[1", "additionalImages[]", "additionalImages"} {
		if i, ok := ImageIndex(field); ok {
			t.Errorf("ImageIndex(%q) = %d, true, want false", field, i)
		}
	}
}

// editCase is an edit's inputs and the verdict expected of them.
type editCase struct {
	images [][]byte
	mask   []byte
	rules  Rules
	// field and rule of the expected violation; "" for none.
	field, rule string
	// inMessage must appear in the violation's message.
	inMessage string
}

func (tc editCase) check(t *testing.T) {
	t.Helper()
	var err error
	if n := allocated(func() { err = CheckEditInputs(tc.images, tc.mask, tc.rules) }); n > allocBound {
		t.Errorf("CheckEditInputs allocated %d bytes, want at most %d", n, allocBound)
	}
	if tc.rule == "" {
		if err != nil {
			t.Fatalf("CheckEditInputs() = %v, want nil", err)
		}
		return
	}
	v, ok := errors.AsType[*Violation](err)
	if !ok || v.Field != tc.field || v.Rule != tc.rule {
		t.Fatalf("CheckEditInputs() = %v, want a %s/%s violation", err, tc.field, tc.rule)
	}
	if !strings.Contains(v.Message, tc.inMessage) {
		t.Errorf("message %q does not contain %q", v.Message, tc.inMessage)
	}
	if !strings.HasPrefix(err.Error(), tc.field+": ") {
		t.Errorf("error %q does not name the field", err)
	}
}

// sixteenMixed are 16 valid inputs of every format, sizes and aspects,
// the first 64x48 (the size a mask must have).
func sixteenMixed() [][]byte {
	var images [][]byte
	for i := range 16 {
		w, h := 64+8*(i%3), 48+4*(i%5)
		if i == 0 {
			w, h = 64, 48
		}
		switch i % 4 {
		case 0:
			images = append(images, pngtest.PNG(w, h, true, false))
		case 1:
			images = append(images, pngtest.JPEG(w, h))
		case 2:
			images = append(images, pngtest.WebP(w, h))
		default:
			images = append(images, pngtest.PNG(w, h, false, false)) // plain RGB
		}
	}
	return images
}

// replace returns a copy of images with images[i] = data.
func replace(images [][]byte, i int, data []byte) [][]byte {
	out := append([][]byte(nil), images...)
	out[i] = data
	return out
}

// TestCheckEditInputs: the GPT image models' rules against DALL-E 2's,
// on mixed formats, aspects, masks and transparency.
func TestCheckEditInputs(t *testing.T) {
	mixed := sixteenMixed()
	maskFor64x48 := pngtest.PNG(64, 48, true, true)
	opaqueRGB := pngtest.PNG(64, 64, false, false)
	corruptPNG := corruptPixels(pngtest.PNG(64, 48, true, false))
	big := hugePNG(t) // over 4 MB: a mask's limit, not an image's

	cases := map[string]editCase{
		"16 mixed formats, no mask":       {images: mixed, rules: gptImage},
		"16 mixed formats, mask":          {images: mixed, mask: maskFor64x48, rules: gptImage},
		"one JPEG":                        {images: [][]byte{pngtest.JPEG(100, 30)}, rules: gptImage},
		"one WebP":                        {images: [][]byte{pngtest.WebP(30, 100)}, rules: gptImage},
		"WebP VP8X + VP8L":                {images: [][]byte{pngtest.RIFF(pngtest.VP8X(24, 16, 0x10), pngtest.VP8LChunk(pngtest.WebP(24, 16)))}, rules: gptImage},
		"lossy WebP header":               {images: [][]byte{pngtest.RIFF(pngtest.VP8Header(300, 200))}, rules: gptImage},
		"JPEG with a PNG mask":            {images: [][]byte{pngtest.JPEG(64, 48)}, mask: maskFor64x48, rules: gptImage},
		"non-square, GPT":                 {images: [][]byte{pngtest.PNG(64, 32, true, true)}, rules: gptImage},
		"non-square, DALL-E 2":            {images: [][]byte{pngtest.PNG(64, 32, true, true)}, rules: dalle2, field: FieldImage, rule: "square", inMessage: "64x32"},
		"non-square second image, square": {images: [][]byte{pngtest.PNG(32, 32, true, true), pngtest.WebP(32, 31)}, rules: withSquare(gptImage), field: "additionalImages[0]", rule: "square", inMessage: "32x31"},
		"opaque RGB, no mask, GPT":        {images: [][]byte{opaqueRGB}, rules: gptImage},
		"opaque RGB, no mask, DALL-E 2":   {images: [][]byte{opaqueRGB}, rules: dalle2, field: FieldImage, rule: "transparency", inMessage: "no transparent pixels"},
		"JPEG, no mask, transparency needed": {images: [][]byte{pngtest.JPEG(64, 64)}, rules: withTransparency(gptImage),
			field: FieldImage, rule: "transparency", inMessage: "JPEG"},
		"transparency is the first image's": {images: [][]byte{opaqueRGB, pngtest.PNG(64, 64, true, true)}, rules: withTransparency(gptImage),
			field: FieldImage, rule: "transparency", inMessage: "no transparent pixels"},
		"gif among PNGs": {images: replace(mixed, 3, gifBytes(t)), rules: gptImage, field: "additionalImages[2]", rule: "format", inMessage: "is a GIF file; the model accepts png, webp, jpeg"},
		"bmp first":      {images: [][]byte{bmpBytes(t)}, rules: gptImage, field: FieldImage, rule: "format", inMessage: "is a BMP file; the model accepts png, webp, jpeg"},
		"unknown bytes":  {images: [][]byte{mixed[0], []byte("hello, world")}, rules: gptImage, field: "additionalImages[0]", rule: "format", inMessage: "not a file of a known image format"},
		"JPEG, DALL-E 2": {images: [][]byte{pngtest.JPEG(64, 64)}, rules: dalle2, field: FieldImage, rule: "png", inMessage: "is not a PNG file (it lacks the PNG signature); only PNG is accepted"},
		"WebP, DALL-E 2": {images: [][]byte{pngtest.WebP(64, 64)}, rules: dalle2, field: FieldImage, rule: "png", inMessage: "is not a PNG file"},
		"WebP, PNG and JPEG allowed": {images: [][]byte{pngtest.WebP(64, 64)}, rules: Rules{Formats: []string{FormatPNG, FormatJPEG}, TransparencyOptional: true},
			field: FieldImage, rule: "format", inMessage: "the model accepts png, jpeg"},
		"JPEG mask":             {images: [][]byte{mixed[0]}, mask: pngtest.JPEG(64, 48), rules: gptImage, field: FieldMask, rule: "png", inMessage: "is not a PNG file"},
		"mask of the 2nd image": {images: [][]byte{mixed[0], pngtest.PNG(72, 52, true, false)}, mask: pngtest.PNG(72, 52, true, true), rules: gptImage, field: FieldMask, rule: "dimensions", inMessage: "is 72x52 but the image is 64x48"},
		"mask of a JPEG's size, other size": {images: [][]byte{pngtest.JPEG(50, 40)}, mask: maskFor64x48, rules: gptImage,
			field: FieldMask, rule: "dimensions", inMessage: "is 64x48 but the image is 50x40"},
		"RGB mask":                 {images: [][]byte{pngtest.WebP(64, 48)}, mask: pngtest.PNG(64, 48, false, false), rules: gptImage, field: FieldMask, rule: "alpha", inMessage: "no alpha channel"},
		"4 MB+ image, GPT":         {images: [][]byte{big}, rules: gptImage},
		"4 MB+ image, DALL-E 2":    {images: [][]byte{big}, rules: dalle2, field: FieldImage, rule: "size-bytes", inMessage: "smaller than 4194304"},
		"4 MB+ mask, 50 MB images": {images: [][]byte{big}, mask: big, rules: gptImage, field: FieldMask, rule: "size-bytes", inMessage: "smaller than 4194304 bytes (4 MB)"},
		"sizes before any parsing": {images: [][]byte{[]byte("not an image"), mixed[1], big}, rules: withMaxBytes(gptImage, 4<<20),
			field: "additionalImages[1]", rule: "size-bytes", inMessage: "smaller than 4194304"},
		"mask size before parsing":            {images: [][]byte{[]byte("not an image")}, mask: big, rules: gptImage, field: FieldMask, rule: "size-bytes"},
		"corrupt PNG data, second image":      {images: [][]byte{mixed[1], corruptPNG}, rules: gptImage, field: "additionalImages[0]", rule: "png", inMessage: "pixel data"},
		"corrupt PNG data, first image, mask": {images: [][]byte{corruptPNG, mixed[1]}, mask: maskFor64x48, rules: gptImage, field: FieldImage, rule: "png", inMessage: "pixel data"},
		"headers before pixels":               {images: [][]byte{corruptPixels(pngtest.PNG(64, 64, true, false)), pngtest.JPEG(64, 65)}, rules: withSquare(gptImage), field: "additionalImages[0]", rule: "square"},
		"no images":                           {rules: gptImage, field: FieldImage, rule: "required", inMessage: "at least one input image"},
		"second image over the side limit": {images: [][]byte{mixed[0], pngtest.WebP(65, 10)}, rules: withMaxSide(gptImage, 64),
			field: "additionalImages[0]", rule: "dimensions-max", inMessage: "65x10 pixels"},
	}
	for name, tc := range cases {
		t.Run(name, tc.check)
	}
}

// corruptPixels flips a byte of a PNG's IDAT data near its end (its zlib
// checksum or last deflate block) and repairs the chunk's CRC, so only the
// pixel scan can tell.
func corruptPixels(png []byte) []byte {
	out := bytes.Clone(png)
	out[len(out)-12-4-2] ^= 0xff // before IEND (12 bytes) and the IDAT's CRC (4)
	return fixCRCs(out)
}

func withSquare(r Rules) Rules            { r.Square = true; return r }
func withTransparency(r Rules) Rules      { r.TransparencyOptional = false; return r }
func withMaxBytes(r Rules, n int64) Rules { r.MaxBytes = n; return r }
func withMaxSide(r Rules, side int) Rules { r.MaxSide = side; return r }

// TestCheckEditIsOneImage: CheckEdit and CheckSizes are CheckEditInputs
// and CheckInputSizes with one image, new fields included.
func TestCheckEditIsOneImage(t *testing.T) {
	big := hugePNG(t)
	if err := CheckEdit(pngtest.JPEG(64, 32), nil, gptImage); err != nil {
		t.Errorf("CheckEdit(non-square JPEG, GPT rules) = %v, want nil", err)
	}
	if v, ok := errors.AsType[*Violation](CheckSizes(big, big, gptImage)); !ok || v.Field != FieldMask || v.Rule != "size-bytes" {
		t.Errorf("CheckSizes(4 MB+ image and mask, GPT rules) = %v, want a mask/size-bytes violation", v)
	}
	if err := CheckSizes(big, nil, gptImage); err != nil {
		t.Errorf("CheckSizes(4 MB+ image, GPT rules) = %v, want nil", err)
	}
}

// TestHugeHeadersRefusedWithoutAllocation: JPEG and WebP headers that
// declare more pixels than the model takes are refused from the header,
// allocating no pixel buffer (a decode of the first would take 9 GB).
func TestHugeHeadersRefusedWithoutAllocation(t *testing.T) {
	lossless := pngtest.WebP(16, 16)
	cases := map[string]struct {
		data      []byte
		rule      string
		inMessage string
	}{
		"JPEG 60000x50000":      {pngtest.WithJPEGSize(pngtest.JPEG(16, 16), 60000, 50000), "dimensions-max", "60000x50000 pixels"},
		"JPEG 65535x1":          {pngtest.WithJPEGSize(pngtest.JPEG(16, 16), 65535, 1), "dimensions-max", "65535x1 pixels"},
		"WebP VP8L 16384x16384": {pngtest.WithVP8LSize(lossless, 16384, 16384), "dimensions-max", "16384x16384 pixels"},
		"WebP VP8 16383x16383":  {pngtest.RIFF(pngtest.VP8Header(16383, 16383)), "dimensions-max", "16383x16383 pixels"},
		"WebP VP8X 40000x40000": {pngtest.RIFF(pngtest.VP8X(40000, 40000, 0), pngtest.VP8LChunk(lossless)), "dimensions-max", "40000x40000 pixels"},
		// Over 2^31-1 pixels golang.org/x/image/webp calls the file invalid.
		"WebP VP8X 60000x60000": {pngtest.RIFF(pngtest.VP8X(60000, 60000, 0), pngtest.VP8LChunk(lossless)), "webp", "invalid format"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var err error
			images := [][]byte{pngtest.PNG(8, 8, true, false), tc.data}
			if n := allocated(func() { err = CheckEditInputs(images, nil, gptImage) }); n > headerAllocBound {
				t.Errorf("CheckEditInputs allocated %d bytes, want at most %d", n, headerAllocBound)
			}
			v, ok := errors.AsType[*Violation](err)
			if !ok || v.Field != "additionalImages[0]" || v.Rule != tc.rule || !strings.Contains(v.Message, tc.inMessage) {
				t.Fatalf("CheckEditInputs() = %v, want an additionalImages[0]/%s violation saying %q", err, tc.rule, tc.inMessage)
			}
		})
	}
}

// truncatedInputs are JPEG and WebP files cut short or garbled, each
// refused under its format's rule. They double as fuzz seeds.
func truncatedInputs() map[string]editCase {
	j := pngtest.JPEG(32, 32)
	sos := bytes.Index(j, []byte{0xff, 0xda})
	sof := bytes.Index(j, []byte{0xff, 0xc0})
	w := pngtest.WebP(32, 32)
	riffLie := bytes.Clone(w)
	riffLie[4]++ // the RIFF size one byte more than the file holds
	chunkLie := bytes.Clone(w)
	chunkLie[16] += 2 // the VP8L chunk two bytes longer than the RIFF data
	nonKey := pngtest.RIFF(pngtest.WebPChunk{ID: "VP8 ", Data: []byte{0x11, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0}})
	jpegCase := func(data []byte, inMessage string) editCase {
		return editCase{images: [][]byte{data}, rules: gptImage, field: FieldImage, rule: "jpeg", inMessage: inMessage}
	}
	webpCase := func(data []byte, inMessage string) editCase {
		return editCase{images: [][]byte{data}, rules: gptImage, field: FieldImage, rule: "webp", inMessage: inMessage}
	}
	return map[string]editCase{
		"JPEG: SOI only":                        jpegCase(j[:3], "not a valid JPEG"),
		"JPEG: cut before the SOF":              jpegCase(j[:sof], "not a valid JPEG"),
		"JPEG: cut inside the SOF":              jpegCase(j[:sof+6], "not a valid JPEG"),
		"JPEG: cut before the scan":             jpegCase(j[:sos], "before its first scan"),
		"JPEG: cut inside the scan":             jpegCase(j[:sos+(len(j)-sos)/2], "truncated"),
		"JPEG: no EOI":                          jpegCase(j[:len(j)-2], "truncated"),
		"JPEG: segment past the end":            jpegCase(append(bytes.Clone(j[:sos]), 0xff, 0xfe, 0x10, 0x00, 'x'), "declares a 4096-byte segment"),
		"JPEG: garbage after the header":        jpegCase(append(bytes.Clone(j[:sos]), 0x00, 0x01, 0x02), "where a marker belongs"),
		"JPEG: EOI before any scan":             jpegCase(append(bytes.Clone(j[:sos]), 0xff, 0xd9), "before any scan"),
		"WebP: cut in the RIFF header":          webpCase(w[:10], "12-byte RIFF header"),
		"WebP: cut in the VP8L header":          webpCase(w[:22], "truncated"),
		"WebP: cut in half":                     webpCase(w[:len(w)/2], "truncated"),
		"WebP: RIFF size past the end":          webpCase(riffLie, "truncated"),
		"WebP: chunk header past the RIFF data": webpCase([]byte("RIFF\x08\x00\x00\x00WEBPVP8L\x01\x00\x00\x00\x2f"), "runs past the RIFF data"),
		"WebP: chunk longer than the RIFF data": webpCase(chunkLie, "declares"),
		"WebP: no image chunk":                  webpCase(pngtest.RIFF(pngtest.VP8X(32, 32, 0)), "no image data"),
		"WebP: not a key frame":                 webpCase(nonKey, "0x0"),
		"WebP: bad VP8L signature":              webpCase(func() []byte { b := bytes.Clone(w); b[20] = 0x2e; return b }(), "invalid header"),
	}
}

// TestTruncatedHeaders: JPEG and WebP files cut short or garbled are
// refused under their format's rule, with what is wrong.
func TestTruncatedHeaders(t *testing.T) {
	for name, tc := range truncatedInputs() {
		t.Run(name, tc.check)
	}
}

// TestTruncatedFixtures: the cut points the truncation cases rely on are
// where they say: the JPEG has one SOF0 before one SOS, and the WebP's
// VP8L header starts at byte 20.
func TestTruncatedFixtures(t *testing.T) {
	j := pngtest.JPEG(32, 32)
	sof, sos := bytes.Index(j, []byte{0xff, 0xc0}), bytes.Index(j, []byte{0xff, 0xda})
	if sof < 0 || sos < sof || !bytes.HasSuffix(j, []byte{0xff, 0xd9}) {
		t.Errorf("JPEG fixture: SOF0 at %d, SOS at %d, ends with % x", sof, sos, j[len(j)-2:])
	}
	if w := pngtest.WebP(32, 32); string(w[12:16]) != "VP8L" || w[20] != 0x2f {
		t.Errorf("WebP fixture: chunk %q, signature %#x", w[12:16], w[20])
	}
	if err := CheckEditInputs([][]byte{j, pngtest.WebP(32, 32)}, nil, gptImage); err != nil {
		t.Errorf("the untruncated fixtures are refused: %v", err)
	}
}

// ExampleCheckEditInputs shows the field names of a multi-image edit.
func ExampleCheckEditInputs() {
	images := [][]byte{pngtest.PNG(64, 48, false, false), pngtest.JPEG(32, 32), []byte("GIF89a...")}
	err := CheckEditInputs(images, nil, gptImage)
	fmt.Println(err)
	// Output: additionalImages[1]: is a GIF file; the model accepts png, webp, jpeg
}
