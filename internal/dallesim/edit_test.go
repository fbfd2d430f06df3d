package dallesim_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

func pngFile(b []byte) io.Reader { return openai.File(bytes.NewReader(b), "image.png", "image/png") }

func editParams(prompt string, img []byte, mask []byte) openai.ImageEditParams {
	p := openai.ImageEditParams{
		Prompt: prompt,
		Image:  openai.ImageEditParamsImageUnion{OfFile: pngFile(img)},
		Size:   "256x256",
	}
	if mask != nil {
		p.Mask = pngFile(mask)
	}
	return p
}

// checkEdit asserts out keeps src's pixels wherever keep says and repaints
// the rest (in a large share of it).
func checkEdit(t *testing.T, src *image.NRGBA, out image.Image, keep func(x, y int) bool) {
	t.Helper()
	if out.Bounds() != src.Bounds() {
		t.Fatalf("edit is %v, want %v", out.Bounds(), src.Bounds())
	}
	changed, editable := 0, 0
	b := src.Bounds()
	for y := range b.Dy() {
		for x := range b.Dx() {
			got, want := nrgbaAt(out, x, y), src.NRGBAAt(x, y)
			if keep(x, y) {
				if got != want {
					t.Fatalf("kept pixel (%d,%d) = %v, want %v", x, y, got, want)
				}
				continue
			}
			editable++
			if got.A != 255 {
				t.Fatalf("repainted pixel (%d,%d) = %v, want opaque", x, y, got)
			}
			if got != want {
				changed++
			}
		}
	}
	if changed < editable/2 {
		t.Errorf("only %d of %d editable pixels changed", changed, editable)
	}
}

func TestEditWithMask(t *testing.T) {
	t.Parallel()
	srv, ts, client := start(t, dallesim.Config{})
	src := checkerboard(256, 256)
	// Partial alpha in the mask counts as "keep": only alpha 0 is edited.
	mask := leftHalfMask(256, 256)
	mask.SetNRGBA(200, 10, color.NRGBA{A: 1})
	res, err := client.Images.Edit(context.Background(), editParams("add a moon", encodePNG(t, src), encodePNG(t, mask)))
	if err != nil {
		t.Fatalf("Edit: %v", err)
	}
	if len(res.Data) != 1 || res.Data[0].URL == "" {
		t.Fatalf("data = %+v, want one URL", res.Data)
	}
	out := fetchPNG(t, ts.Client(), res.Data[0].URL)
	checkEdit(t, src, out, func(x, y int) bool { return x >= 128 })

	calls := srv.CallsForPrompt("add a moon")
	if len(calls) != 1 || calls[0].Endpoint != dallesim.EndpointEdits || !calls[0].Billable || calls[0].Images != 1 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestEditWithoutMaskUsesImageTransparency(t *testing.T) {
	t.Parallel()
	_, _, client := start(t, dallesim.Config{})
	src := withHole(checkerboard(256, 256))
	// A partly transparent pixel is kept, alpha included.
	src.SetNRGBA(200, 20, color.NRGBA{10, 20, 30, 128})
	p := editParams("fill the hole", encodePNG(t, src), nil)
	p.N = openai.Int(2)
	p.ResponseFormat = openai.ImageEditParamsResponseFormatB64JSON
	res, err := client.Images.Edit(context.Background(), p)
	if err != nil {
		t.Fatalf("Edit: %v", err)
	}
	if len(res.Data) != 2 {
		t.Fatalf("got %d images, want 2", len(res.Data))
	}
	var outs []image.Image
	for _, d := range res.Data {
		raw, err := base64.StdEncoding.DecodeString(d.B64JSON)
		if err != nil {
			t.Fatal(err)
		}
		out, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		checkEdit(t, src, out, func(x, y int) bool { return x >= 128 })
		outs = append(outs, out)
	}
	if pixelDifference(outs[0], outs[1]) < 0.1 {
		t.Error("the two edit results are (nearly) identical")
	}
}

func TestEditScalesInputToRequestedSize(t *testing.T) {
	t.Parallel()
	_, ts, client := start(t, dallesim.Config{})
	src := withHole(checkerboard(128, 128))
	p := editParams("upscale", encodePNG(t, src), nil)
	p.Size = "512x512"
	res, err := client.Images.Edit(context.Background(), p)
	if err != nil {
		t.Fatalf("Edit: %v", err)
	}
	out := fetchPNG(t, ts.Client(), res.Data[0].URL)
	if out.Bounds().Dx() != 512 {
		t.Fatalf("edit is %v, want 512x512", out.Bounds())
	}
	for _, pt := range []image.Point{{300, 10}, {511, 511}, {256, 100}} {
		if got, want := nrgbaAt(out, pt.X, pt.Y), src.NRGBAAt(pt.X/4, pt.Y/4); got != want {
			t.Errorf("pixel %v = %v, want the nearest source pixel %v", pt, got, want)
		}
	}
}

func TestEditValidation(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	holed := encodePNG(t, withHole(checkerboard(64, 64)))
	opaque := encodePNG(t, checkerboard(64, 64))
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, checkerboard(64, 64), nil); err != nil {
		t.Fatal(err)
	}
	nonSquare := encodePNG(t, withHole(checkerboard(64, 32)))
	grayMask := encodePNG(t, image.NewGray(image.Rect(0, 0, 64, 64)))
	wrongSizeMask := encodePNG(t, leftHalfMask(32, 32))

	// with builds a valid edit of holed, then changes it.
	with := func(change func(*openai.ImageEditParams)) openai.ImageEditParams {
		p := editParams("x", holed, nil)
		change(&p)
		return p
	}
	tests := []struct {
		name   string
		params openai.ImageEditParams
		status int
		code   string
		param  string
	}{
		{"empty prompt", editParams("", holed, nil), 400, "empty_string", "prompt"},
		{"prompt too long", editParams(strings.Repeat("a", 1001), holed, nil), 400, "string_above_max_length", "prompt"},
		{"n zero", with(func(p *openai.ImageEditParams) { p.N = openai.Int(0) }), 400, "integer_below_min_value", "n"},
		{"n eleven", with(func(p *openai.ImageEditParams) { p.N = openai.Int(11) }), 400, "integer_above_max_value", "n"},
		{"bad size", with(func(p *openai.ImageEditParams) { p.Size = openai.ImageEditParamsSize1536x1024 }), 400, "invalid_value", "size"},
		{"bad response_format", with(func(p *openai.ImageEditParams) { p.ResponseFormat = "gif" }), 400, "invalid_value", "response_format"},
		{"unknown model", with(func(p *openai.ImageEditParams) { p.Model = "gpt-image-1" }), 404, "model_not_found", "model"},
		{"gpt-image-only param", with(func(p *openai.ImageEditParams) { p.InputFidelity = openai.ImageEditParamsInputFidelityHigh }),
			400, "unsupported_parameter", "input_fidelity"},
		{"jpeg image", editParams("x", jpg.Bytes(), nil), 400, "invalid_image_format", "image"},
		{"garbage after png magic", editParams("x", append([]byte("\x89PNG\r\n\x1a\n"), 1, 2, 3), nil), 400, "invalid_image_format", "image"},
		{"non-square image", editParams("x", nonSquare, nil), 400, "invalid_image_dimensions", "image"},
		{"image without transparency", editParams("x", opaque, nil), 400, "image_missing_transparency", "image"},
		{"gray mask without alpha", editParams("x", opaque, grayMask), 400, "invalid_mask_image_format", "mask"},
		{"rgb mask without alpha", editParams("x", opaque, opaque), 400, "invalid_mask_image_format", "mask"},
		{"mask of another size", editParams("x", opaque, wrongSizeMask), 400, "invalid_mask_image_format", "mask"},
		{"jpeg mask", editParams("x", opaque, jpg.Bytes()), 400, "invalid_mask_image_format", "mask"},
		{"two images", with(func(p *openai.ImageEditParams) {
			p.Image = openai.ImageEditParamsImageUnion{OfFileArray: []io.Reader{pngFile(holed), pngFile(holed)}}
		}), 400, "invalid_value", "image"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.Images.Edit(context.Background(), tc.params)
			wantAPIError(t, err, tc.status, "invalid_request_error", tc.code, tc.param)
		})
	}
	// An opaque image is fine when a mask marks the area to edit, and the
	// array form with a single image is what some callers send.
	if _, err := client.Images.Edit(context.Background(), editParams("x", opaque, encodePNG(t, leftHalfMask(64, 64)))); err != nil {
		t.Fatalf("valid masked edit: %v", err)
	}
	single := openai.ImageEditParams{Prompt: "x", Size: "256x256", Image: openai.ImageEditParamsImageUnion{OfFileArray: []io.Reader{pngFile(holed)}}}
	if _, err := client.Images.Edit(context.Background(), single); err != nil {
		t.Fatalf("valid image[] edit: %v", err)
	}
	if st := srv.Stats(); st.BillableRequests != 2 || st.BillableImages != 2 {
		t.Errorf("billable = %+v, want 2 requests / 2 images", st)
	}
}

// bigPNG is a noisy, uncompressed PNG of at least MaxUploadBytes.
func bigPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 1024, 1024))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	for i := 3; i < 4*1024*10; i += 4 {
		img.Pix[i] = 0 // some transparency, so only the size is wrong
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if b.Len() < dallesim.MaxUploadBytes {
		t.Fatalf("test image is only %d bytes", b.Len())
	}
	return b.Bytes()
}

func TestEditRejectsLargeUploads(t *testing.T) {
	t.Parallel()
	_, _, client := start(t, dallesim.Config{})
	big := bigPNG(t)
	_, err := client.Images.Edit(context.Background(), editParams("x", big, nil))
	wantAPIError(t, err, 400, "invalid_request_error", "image_too_large", "image")

	small := encodePNG(t, checkerboard(1024, 1024))
	_, err = client.Images.Edit(context.Background(), editParams("x", small, big))
	wantAPIError(t, err, 400, "invalid_request_error", "image_too_large", "mask")

	// A body far beyond two uploads is refused without reading it all.
	huge := make([]byte, 40<<20)
	copy(huge, big)
	_, err = client.Images.Edit(context.Background(), editParams("x", huge, nil))
	// The server may close the connection before the client finishes
	// sending, so either a 413 or a transport error is right.
	var apiErr *openai.Error
	if err == nil {
		t.Fatal("40 MB upload accepted")
	}
	if errors.As(err, &apiErr) && apiErr.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("40 MB upload: status %d, want 413", apiErr.StatusCode)
	}
}

func TestEditWrongContentType(t *testing.T) {
	t.Parallel()
	_, _, client := start(t, dallesim.Config{})
	// The SDK only sends multipart; force a JSON body.
	_, err := client.Images.Edit(context.Background(), editParams("x", encodePNG(t, withHole(checkerboard(8, 8))), nil),
		option.WithRequestBody("application/json", []byte(`{"prompt":"x"}`)))
	wantAPIError(t, err, 400, "invalid_request_error", "", "")
}
