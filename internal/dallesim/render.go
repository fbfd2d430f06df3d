package dallesim

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"sync"
)

// renderer paints deterministic pictures and encodes them as PNG. Speed
// matters (the simulator is a benchmark upstream), so canvases, encoder
// state and output buffers are pooled, painting works on whole spans with
// copy, and encoding uses png.BestSpeed.
type renderer struct {
	enc      png.Encoder
	canvases map[int]*sync.Pool // side in pixels → *image.RGBA; read-only after newRenderer
	buffers  sync.Pool          // *bytes.Buffer for encoded images
}

// encoderBufferPool lets concurrent encodes reuse png's zlib and row buffers.
type encoderBufferPool struct{ pool sync.Pool }

func (p *encoderBufferPool) Get() *png.EncoderBuffer {
	b, _ := p.pool.Get().(*png.EncoderBuffer)
	return b
}

func (p *encoderBufferPool) Put(b *png.EncoderBuffer) { p.pool.Put(b) }

func newRenderer() *renderer {
	r := &renderer{
		enc:      png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &encoderBufferPool{}},
		canvases: map[int]*sync.Pool{},
	}
	for _, size := range supportedSizes {
		side, _ := sizePixels(size)
		r.canvases[side] = &sync.Pool{New: func() any { return image.NewRGBA(image.Rect(0, 0, side, side)) }}
	}
	return r
}

// canvas returns a pooled side×side canvas; its content is garbage and is
// fully overwritten by paint. Give it back with release.
func (r *renderer) canvas(side int) *image.RGBA {
	pool, ok := r.canvases[side]
	if !ok {
		panic(fmt.Sprintf("dallesim: no canvas pool for %dpx", side)) // sizes are validated before rendering
	}
	return pool.Get().(*image.RGBA)
}

func (r *renderer) release(c *image.RGBA) { r.canvases[c.Rect.Dx()].Put(c) }

// buffer returns an empty pooled buffer; give it back with releaseBuffer.
func (r *renderer) buffer() *bytes.Buffer {
	if b, ok := r.buffers.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

func (r *renderer) releaseBuffer(b *bytes.Buffer) {
	b.Reset()
	r.buffers.Put(b)
}

// encodeGenerated writes the PNG of generated image number index for prompt.
// The picture depends only on (seed, prompt, index) and scales with side.
func (r *renderer) encodeGenerated(dst io.Writer, seed int64, prompt string, index, side int) error {
	c := r.canvas(side)
	defer r.release(c)
	newScene(seed, prompt, index).paint(c.Pix, c.Stride, side, side, false)
	if err := r.enc.Encode(dst, c); err != nil {
		return fmt.Errorf("encoding generated image: %w", err)
	}
	return nil
}

// encodeEdit writes the PNG of edit result number index: the input scaled
// (nearest neighbour) to side, with its editable pixels replaced by the
// generated picture for (seed, prompt, index).
func (r *renderer) encodeEdit(dst io.Writer, seed int64, prompt string, index, side int, in *editInput) error {
	c := r.canvas(side)
	defer r.release(c)
	newScene(seed, prompt, index).paint(c.Pix, c.Stride, side, side, false)
	in.composite(c.Pix, c.Stride, side)
	// The kept pixels are straight (non-premultiplied) RGBA, and so are the
	// painted ones (alpha 255), so the canvas is encoded as NRGBA.
	out := &image.NRGBA{Pix: c.Pix, Stride: c.Stride, Rect: c.Rect}
	if err := r.enc.Encode(dst, out); err != nil {
		return fmt.Errorf("encoding edited image: %w", err)
	}
	return nil
}

// scene is the recipe of one picture: a two-colour gradient in one of four
// directions with a few solid shapes on top, all drawn from a hash of
// (seed, prompt, index) so every prompt and index looks clearly different.
type scene struct {
	from, to  [4]byte
	direction int // 0 vertical, 1 horizontal, 2 diagonal, 3 anti-diagonal
	shapes    []shape
}

type shape struct {
	kind   int     // 0 rectangle, 1 disc, 2 band, 3 diamond
	x, y   float64 // centre, as a fraction of the side
	rx, ry float64 // half extents, as a fraction of the side
	color  [4]byte
}

func newScene(seed int64, prompt string, index int) scene {
	var head [16]byte
	binary.LittleEndian.PutUint64(head[:8], uint64(seed))
	binary.LittleEndian.PutUint64(head[8:], uint64(index))
	h := sha256.New()
	h.Write(head[:])
	h.Write([]byte(prompt))
	sum := h.Sum(nil)
	rng := splitmix(binary.LittleEndian.Uint64(sum[:8]) ^ binary.LittleEndian.Uint64(sum[8:16]))

	sc := scene{from: rng.color(), to: rng.color(), direction: int(rng.next() % 4)}
	count := 3 + int(rng.next()%5)
	sc.shapes = make([]shape, count)
	for i := range sc.shapes {
		sc.shapes[i] = shape{
			kind:  int(rng.next() % 4),
			x:     rng.unit(),
			y:     rng.unit(),
			rx:    0.04 + 0.22*rng.unit(),
			ry:    0.04 + 0.22*rng.unit(),
			color: rng.color(),
		}
	}
	return sc
}

// detailSide is the vertical resolution of the drawing: larger outputs repeat
// each drawn row (1024px: every row 4 times). Identical consecutive rows cost
// png's filter heuristic almost nothing and deflate to nearly nothing, which
// makes encoding several times faster, and every size shows the same picture.
const detailSide = 256

// paint draws the scene on a w×h RGBA pixel buffer. Every pixel is opaque,
// unless transparent asks for a fully transparent background (alpha 0,
// which is the same premultiplied or straight) behind opaque shapes.
func (sc scene) paint(pix []byte, stride, w, h int, transparent bool) {
	lut := sc.gradient(w, h, transparent)
	block := max(h/detailSide, 1)
	rowBytes := 4 * w
	for y0 := 0; y0 < h; y0 += block {
		row := pix[y0*stride : y0*stride+rowBytes]
		switch sc.direction {
		case 0:
			fillSpan(row, [4]byte(lut[4*y0:4*y0+4]))
		case 1:
			copy(row, lut)
		case 2:
			copy(row, lut[4*y0:])
		default:
			copy(row, lut[4*(h-1-y0):])
		}
		for _, s := range sc.shapes {
			if x0, x1, ok := s.span(y0, w, h); ok {
				fillSpan(row[4*x0:4*x1], s.color)
			}
		}
		for y := y0 + 1; y < min(y0+block, h); y++ {
			copy(pix[y*stride:y*stride+rowBytes], row)
		}
	}
}

// gradient is the background's colour ramp: h entries for vertical, w for
// horizontal gradients, w+h-1 for diagonal ones, 4 bytes each. A
// transparent background is all zeroes.
func (sc scene) gradient(w, h int, transparent bool) []byte {
	steps := w
	switch sc.direction {
	case 0:
		steps = h
	case 2, 3:
		steps = w + h - 1
	}
	lut := make([]byte, 4*steps)
	if transparent {
		return lut
	}
	for i := range steps {
		t := i * 255 / max(steps-1, 1)
		for ch := range 3 {
			lut[4*i+ch] = byte((int(sc.from[ch])*(255-t) + int(sc.to[ch])*t) / 255)
		}
		lut[4*i+3] = 255
	}
	return lut
}

// span is the shape's horizontal extent [x0, x1) on row y of a w×h
// picture, if it covers it. Positions and extents scale with each axis.
func (s shape) span(y, w, h int) (x0, x1 int, ok bool) {
	fw, fh := float64(w), float64(h)
	cx, cy := int(s.x*fw), int(s.y*fh)
	rx, ry := max(int(s.rx*fw), 1), max(int(s.ry*fh), 1)
	if s.kind == 2 { // a full-width band
		cx, rx = w/2, w
	}
	if y < cy-ry || y >= cy+ry {
		return 0, 0, false
	}
	half := rx
	dy := float64(y-cy) / float64(ry)
	switch s.kind {
	case 1: // disc (ellipse)
		half = int(float64(rx) * math.Sqrt(max(1-dy*dy, 0)))
	case 3: // diamond
		half = int(float64(rx) * (1 - math.Abs(dy)))
	}
	x0, x1 = max(cx-half, 0), min(cx+half, w)
	return x0, x1, x0 < x1
}

// fillSpan sets every pixel of span to c, doubling the filled prefix with
// copy instead of writing pixel by pixel.
func fillSpan(span []byte, c [4]byte) {
	if len(span) < 4 {
		return
	}
	copy(span, c[:])
	for n := 4; n < len(span); n *= 2 {
		copy(span[n:], span[:n])
	}
}

// splitmix is the SplitMix64 generator: tiny, fast and fully deterministic.
type splitmixState struct{ s uint64 }

func splitmix(seed uint64) *splitmixState { return &splitmixState{s: seed} }

func (g *splitmixState) next() uint64 {
	g.s += 0x9e3779b97f4a7c15
	z := g.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// unit returns a float in [0,1).
func (g *splitmixState) unit() float64 { return float64(g.next()>>11) / (1 << 53) }

// color returns an opaque random colour.
func (g *splitmixState) color() [4]byte {
	v := g.next()
	return [4]byte{byte(v), byte(v >> 8), byte(v >> 16), 255}
}
