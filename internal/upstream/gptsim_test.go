package upstream

import (
	"bytes"
	"context"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

// TestSixteenImageEdit: an edit with the most inputs a GPT image model
// takes, mixed PNG, JPEG and WebP with a mask on the first, goes through
// the simulator as gpt-image-2 and comes back as base64 images with the
// usage block the simulator billed (input image tokens included).
func TestSixteenImageEdit(t *testing.T) {
	c, sim := newSimClient(t, dallesim.Config{})
	makers := []func(*testing.T, int, int) []byte{pngFixture, jpegFixture, webpFixture}
	images := make([][]byte, dallesim.MaxInputImages)
	for i := range images {
		images[i] = makers[i%len(makers)](t, 32+8*i, 32+4*i)
	}
	mask := pngFixture(t, 32, 32) // the first input's size
	res, err := c.Do(context.Background(), Request{Model: "gpt-image-2", Prompt: "a collage of sixteen", N: 2,
		Size: "1024x1024", OmitResponseFormat: true, Images: images, Mask: mask})
	if err != nil {
		t.Fatal(err)
	}
	calls := sim.Calls()
	if len(calls) != 1 || calls[0].Endpoint != dallesim.EndpointEdits || calls[0].InputImages != len(images) || calls[0].Usage == nil {
		t.Fatalf("simulator calls = %+v, want one billed edit of %d inputs", calls, len(images))
	}
	if len(res.Images) != 2 {
		t.Fatalf("%d images, want 2", len(res.Images))
	}
	for i, img := range res.Images {
		if img.URL != "" {
			t.Fatalf("image %d has a url %q, want base64 only", i, img.URL)
		}
		data, err := img.Decode(16 << 20)
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width != 1024 || cfg.Height != 1024 {
			t.Fatalf("image %d: %dx%d, %v; want a 1024x1024 PNG", i, cfg.Width, cfg.Height, err)
		}
	}
	billed := calls[0].Usage
	if res.Usage == nil || res.Usage.InputImageTokens != billed.InputTokensDetails.ImageTokens ||
		res.Usage.TotalTokens != billed.TotalTokens || res.Usage.InputImageTokens == 0 {
		t.Fatalf("Usage = %+v, want the billed %+v with input image tokens", res.Usage, billed)
	}
}

// TestOutputFormatJPEG: output_format jpeg (with the other output
// parameters) is honoured by the simulator, for a generation and an
// edit: the images are JPEG bytes, and the simulator saw each parameter.
func TestOutputFormatJPEG(t *testing.T) {
	compression := 40
	for name, input := range map[string][][]byte{"generate": nil, "edit": {jpegFixture(t, 64, 64)}} {
		t.Run(name, func(t *testing.T) {
			c, sim := newSimClient(t, dallesim.Config{})
			req := Request{Model: "gpt-image-2", Prompt: "a jpeg of a harbour", N: 1, Size: "1024x1536", OmitResponseFormat: true,
				Images: input, OutputFormat: "jpeg", OutputCompression: &compression, Quality: "low", Background: "opaque",
				SafetyIdentifier: "sid-9"}
			if input == nil {
				req.Moderation = "low"
			}
			res, err := c.Do(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Images) != 1 {
				t.Fatalf("%d images, want 1", len(res.Images))
			}
			data, err := res.Images[0].Decode(16 << 20)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}) {
				t.Fatalf("image starts % x, want the JPEG magic ff d8 ff", data[:min(len(data), 8)])
			}
			if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width != 1024 || cfg.Height != 1536 {
				t.Fatalf("image: %dx%d, %v; want a 1024x1536 JPEG", cfg.Width, cfg.Height, err)
			}
			calls := sim.Calls()
			if len(calls) != 1 {
				t.Fatalf("simulator received %d calls, want 1", len(calls))
			}
			if call := calls[0]; call.OutputFormat != "jpeg" || call.Quality != "low" || call.Background != "opaque" || call.User != "sid-9" {
				t.Fatalf("simulator saw format %q quality %q background %q identifier %q; want jpeg low opaque sid-9",
					call.OutputFormat, call.Quality, call.Background, call.User)
			}
		})
	}
}
