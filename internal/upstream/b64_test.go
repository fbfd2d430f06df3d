package upstream

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image/png"
	"strings"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// TestDoB64JSON: asked for b64_json, the simulator sends the images inline
// (no URL, nothing to download) and they decode to PNGs of the asked size,
// for a generation and an edit; the simulator saw the format on the wire.
func TestDoB64JSON(t *testing.T) {
	c, sim := newTestClient(t)
	ctx := context.Background()
	img := pngtest.PNG(64, 64, true, true) // transparent centre: no mask needed
	for name, req := range map[string]Request{
		"generate": {Model: "dall-e-2", Prompt: "inline generate", N: 2, Size: "256x256", ResponseFormat: FormatB64JSON},
		"edit":     {Model: "dall-e-2", Prompt: "inline edit", N: 1, Size: "256x256", ResponseFormat: FormatB64JSON, Image: img},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := c.Do(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Images) != req.N {
				t.Fatalf("%d images, want %d", len(res.Images), req.N)
			}
			for i, im := range res.Images {
				if im.URL != "" || im.B64JSON == "" || !im.ExpiresAt.IsZero() {
					t.Fatalf("image %d: url %q, %d base64 chars, expires %s; want inline only", i, im.URL, len(im.B64JSON), im.ExpiresAt)
				}
				data, err := im.Decode(1 << 20)
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := png.DecodeConfig(bytes.NewReader(data))
				if err != nil || cfg.Width != 256 || cfg.Height != 256 {
					t.Fatalf("image %d: %dx%d, %v; want a 256x256 PNG", i, cfg.Width, cfg.Height, err)
				}
			}
			calls := sim.CallsForPrompt(req.Prompt)
			if len(calls) != 1 || calls[0].ResponseFormat != FormatB64JSON {
				t.Fatalf("simulator saw %+v, want one b64_json call", calls)
			}
		})
	}
	if got := sim.Stats().ImageDownloads; got != 0 {
		t.Errorf("%d image downloads, want none", got)
	}
}

// TestDoURLFormatByDefault: without a format (and with "url") the call
// asks for URLs, as before there was a choice.
func TestDoURLFormatByDefault(t *testing.T) {
	c, sim := newTestClient(t)
	for _, format := range []string{"", FormatURL} {
		prompt := "format " + format
		res, err := c.Do(context.Background(), Request{Model: "dall-e-2", Prompt: prompt, N: 1, Size: "256x256", ResponseFormat: format})
		if err != nil {
			t.Fatal(err)
		}
		if res.Images[0].URL == "" || res.Images[0].B64JSON != "" {
			t.Fatalf("format %q: %+v, want a URL only", format, res.Images[0])
		}
		if calls := sim.CallsForPrompt(prompt); len(calls) != 1 || calls[0].ResponseFormat != FormatURL {
			t.Fatalf("format %q: simulator saw %+v, want url", format, calls)
		}
	}
	_, err := c.Do(context.Background(), Request{Model: "dall-e-2", Prompt: "png please", N: 1, Size: "256x256", ResponseFormat: "png"})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindConfig || !strings.Contains(e.Message, `"png"`) {
		t.Fatalf("unknown format: %v, want a config error naming it", err)
	}
	if calls := sim.CallsForPrompt("png please"); len(calls) != 0 {
		t.Fatalf("an unknown format reached the upstream: %+v", calls)
	}
}

func TestImageDecode(t *testing.T) {
	data := bytes.Repeat([]byte{7}, 1000)
	enc := base64.StdEncoding.EncodeToString(data)
	cases := map[string]struct {
		img     Image
		max     int64
		wantErr string
		tooBig  bool
	}{
		"exactly at the limit": {img: Image{B64JSON: enc}, max: 1000},
		"one byte over":        {img: Image{B64JSON: enc}, max: 999, wantErr: "over the size limit of 999", tooBig: true},
		"far over, refused before decoding": {img: Image{B64JSON: strings.Repeat("A", 4<<20)}, max: 1000,
			wantErr: "over the size limit of 1000", tooBig: true},
		"not base64":  {img: Image{B64JSON: "!!!!"}, max: 1000, wantErr: "not valid base64"},
		"no b64_json": {img: Image{URL: "http://x/1.png"}, max: 1000, wantErr: "no b64_json"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tc.img.Decode(tc.max)
			if tc.wantErr == "" {
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("Decode = %d bytes, %v; want the 1000 bytes", len(got), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || errors.Is(err, ErrImageTooLarge) != tc.tooBig {
				t.Fatalf("Decode error = %v, want %q (too large: %v)", err, tc.wantErr, tc.tooBig)
			}
		})
	}
}
