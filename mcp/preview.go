package mcp

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // previews of JPEG results too
	"image/png"
	"io"
	"net/http"
	"net/url"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// Preview limits.
const (
	// PreviewMaxSide is the longest side of a thumbnail, in pixels.
	PreviewMaxSide = 256
	// previewMaxDownload bounds what is read of one image URL.
	previewMaxDownload = 16 << 20
	// previewMaxPixels refuses to decode anything larger than a 4096² image.
	previewMaxPixels = 4096 * 4096
)

// previews downloads each result image (a plain GET of the URL the
// controller recorded; the upstream's API itself is never called from
// here) and returns thumbnails. A preview that cannot be made becomes a
// note, never a failure of the call.
func (s *server) previews(ctx context.Context, ir *imagesv1alpha1.ImageRequest) []sdkmcp.Content {
	var out []sdkmcp.Content
	for i, img := range ir.Status.Images {
		thumb, err := s.thumbnail(ctx, img.URL)
		if err != nil {
			out = append(out, &sdkmcp.TextContent{Text: fmt.Sprintf("No preview of image %d: %v", i+1, err)})
			continue
		}
		out = append(out, &sdkmcp.ImageContent{Data: thumb, MIMEType: "image/png"})
	}
	return out
}

// thumbnail fetches rawURL and scales it so its longest side is at most
// PreviewMaxSide, as PNG.
func (s *server) thumbnail(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("not an http(s) URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	resp, err := s.preview.Do(req)
	if err != nil {
		return nil, fmt.Errorf("downloading: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("downloading: HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, previewMaxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("downloading: %w", err)
	}
	if len(body) > previewMaxDownload {
		return nil, fmt.Errorf("the image is larger than %d bytes", previewMaxDownload)
	}
	return makeThumbnail(body, PreviewMaxSide)
}

// makeThumbnail decodes an image and scales it down to fit maxSide.
func makeThumbnail(data []byte, maxSide int) ([]byte, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	if cfg.Width*cfg.Height > previewMaxPixels || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%dx%d is too large to preview", cfg.Width, cfg.Height)
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, downscale(src, maxSide)); err != nil {
		return nil, fmt.Errorf("encoding the thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}

// downscale shrinks src so its longest side is at most maxSide, averaging
// the source pixels under each destination pixel (a box filter: good for
// reduction, which is all a thumbnail does). Smaller images are copied.
func downscale(src image.Image, maxSide int) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw, dh := sw, sh
	if sw > maxSide || sh > maxSide {
		if sw >= sh {
			dw, dh = maxSide, max(1, sh*maxSide/sw)
		} else {
			dw, dh = max(1, sw*maxSide/sh), maxSide
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for dy := 0; dy < dh; dy++ {
		y0, y1 := b.Min.Y+dy*sh/dh, b.Min.Y+(dy+1)*sh/dh
		y1 = max(y1, y0+1)
		for dx := 0; dx < dw; dx++ {
			x0, x1 := b.Min.X+dx*sw/dw, b.Min.X+(dx+1)*sw/dw
			x1 = max(x1, x0+1)
			var r, g, bl, a, n uint64
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					c := color.NRGBA64Model.Convert(src.At(x, y)).(color.NRGBA64)
					// Weight colour by alpha so transparent pixels do not darken edges.
					r += uint64(c.R) * uint64(c.A)
					g += uint64(c.G) * uint64(c.A)
					bl += uint64(c.B) * uint64(c.A)
					a += uint64(c.A)
					n++
				}
			}
			var out color.NRGBA
			if a > 0 {
				out = color.NRGBA{R: uint8(r / a >> 8), G: uint8(g / a >> 8), B: uint8(bl / a >> 8), A: uint8(a / n >> 8)}
			}
			dst.SetNRGBA(dx, dy, out)
		}
	}
	return dst
}
