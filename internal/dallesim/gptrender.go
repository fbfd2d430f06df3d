package dallesim

import (
	"fmt"
	"image"
	"image/jpeg"
	"io"

	"github.com/HugoSmits86/nativewebp"
)

// gptCanvas returns a canvas for a w×h output: pooled for the square sizes
// DALL-E 2 uses, freshly allocated otherwise (custom sizes are too varied
// to pool). Give it back with releaseGPTCanvas.
func (r *renderer) gptCanvas(w, h int) *image.RGBA {
	if _, pooled := r.canvases[w]; pooled && w == h {
		return r.canvas(w)
	}
	return image.NewRGBA(image.Rect(0, 0, w, h))
}

func (r *renderer) releaseGPTCanvas(c *image.RGBA) {
	if _, pooled := r.canvases[c.Rect.Dx()]; pooled && c.Rect.Dx() == c.Rect.Dy() {
		r.release(c)
	}
}

// encodeGPT writes GPT image output number index for req: the scene for
// (seed, scenePrompt, index) at req's size, in req's format. Edits pass a
// scenePrompt that folds in their inputs, so a different input gives a
// different picture; the GPT image models repaint the whole image (a mask
// only guides them), so no input pixel is kept.
func (r *renderer) encodeGPT(dst io.Writer, seed int64, scenePrompt string, index int, req gptRequest) error {
	c := r.gptCanvas(req.Width, req.Height)
	defer r.releaseGPTCanvas(c)
	transparent := req.Background == "transparent"
	newScene(seed, scenePrompt, index).paint(c.Pix, c.Stride, req.Width, req.Height, transparent)
	// Painted pixels are opaque or fully transparent, so premultiplied and
	// straight alpha agree and the canvas can be encoded as NRGBA.
	img := &image.NRGBA{Pix: c.Pix, Stride: c.Stride, Rect: c.Rect}
	var err error
	switch req.OutputFormat {
	case imageJPEG:
		// output_compression is the JPEG quality (100 = least compression).
		err = jpeg.Encode(dst, img, &jpeg.Options{Quality: max(req.Compression, 1)})
	case imageWebP:
		// nativewebp (MIT, pure Go) writes lossless WebP only, so
		// output_compression is accepted but does not change the file.
		err = nativewebp.Encode(dst, img, nil)
	default:
		err = r.enc.Encode(dst, img)
	}
	if err != nil {
		return fmt.Errorf("encoding %s: %w", req.OutputFormat, err)
	}
	return nil
}
