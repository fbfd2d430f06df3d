package dallesim

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"testing"
	"time"
)

func TestRenderIsDeterministicAndSized(t *testing.T) {
	r := newRenderer()
	for _, size := range supportedSizes {
		side, _ := sizePixels(size)
		var a, b bytes.Buffer
		if err := r.encodeGenerated(&a, 1, "prompt", 0, side); err != nil {
			t.Fatal(err)
		}
		if err := r.encodeGenerated(&b, 1, "prompt", 0, side); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two renders differ", size)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(a.Bytes()))
		if err != nil || cfg.Width != side || cfg.Height != side {
			t.Errorf("%s: decoded %+v, %v", size, cfg, err)
		}
	}
	// Canvases come back dirty from the pool; rendering must repaint every pixel.
	var clean, reused bytes.Buffer
	_ = newRenderer().encodeGenerated(&clean, 5, "after reuse", 3, 256)
	_ = r.encodeGenerated(&reused, 5, "after reuse", 3, 256)
	if !bytes.Equal(clean.Bytes(), reused.Bytes()) {
		t.Error("a reused canvas leaked pixels into the next image")
	}
}

func TestHasAlphaChannel(t *testing.T) {
	pal := image.NewPaletted(image.Rect(0, 0, 1, 1), []color.Color{color.NRGBA{1, 2, 3, 0}})
	opaquePal := image.NewPaletted(image.Rect(0, 0, 1, 1), []color.Color{color.RGBA{1, 2, 3, 255}})
	for _, tc := range []struct {
		img  image.Image
		want bool
	}{
		{image.NewNRGBA(image.Rect(0, 0, 1, 1)), true},
		{image.NewNRGBA64(image.Rect(0, 0, 1, 1)), true},
		{pal, true},
		{opaquePal, false},
		{image.NewRGBA(image.Rect(0, 0, 1, 1)), false},
		{image.NewGray(image.Rect(0, 0, 1, 1)), false},
	} {
		if got := hasAlphaChannel(tc.img); got != tc.want {
			t.Errorf("hasAlphaChannel(%T) = %v, want %v", tc.img, got, tc.want)
		}
	}
}

func TestImageLimiter(t *testing.T) {
	var l imageLimiter
	t0 := time.Unix(1000, 0)
	if ok, _, _ := l.admit(t0, 10, 0); !ok {
		t.Fatal("limit 0 must be unlimited")
	}
	if ok, used, _ := l.admit(t0, 4, 5); !ok || used != 4 {
		t.Fatalf("first grant: ok=%v used=%d", ok, used)
	}
	if ok, used, retry := l.admit(t0.Add(59*time.Second), 2, 5); ok || used != 4 || retry != time.Second {
		t.Fatalf("over the limit: ok=%v used=%d retry=%v", ok, used, retry)
	}
	if ok, _, _ := l.admit(t0.Add(time.Minute), 5, 5); !ok {
		t.Fatal("the window did not slide")
	}
}

func TestMessagesHelpers(t *testing.T) {
	if got := quoteList([]string{"a", "b", "c"}); got != "'a', 'b', and 'c'" {
		t.Errorf("quoteList = %q", got)
	}
	if got := quoteList([]string{"a", "b"}); got != "'a' and 'b'" {
		t.Errorf("quoteList = %q", got)
	}
	if got := maskKey("sk-abcdefghijklmnop"); got != "sk-*****mnop" {
		t.Errorf("maskKey = %q", got)
	}
	if got := ceilSeconds(1500 * time.Millisecond); got != 2 {
		t.Errorf("ceilSeconds = %d", got)
	}
}

func BenchmarkRender1024(b *testing.B) {
	r := newRenderer()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := r.encodeGenerated(io.Discard, 0, "benchmark prompt", i, 1024); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender1024Parallel(b *testing.B) {
	r := newRenderer()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if err := r.encodeGenerated(io.Discard, 0, "benchmark prompt", i, 1024); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestToNRGBAKeepsPalettedPixelsExactly(t *testing.T) {
	palette := color.Palette{color.NRGBA{10, 20, 30, 255}, color.NRGBA{200, 100, 50, 77}, color.NRGBA{}}
	src := image.NewPaletted(image.Rect(0, 0, 3, 1), palette)
	src.Pix = []uint8{0, 1, 2}
	var b bytes.Buffer
	if err := png.Encode(&b, src); err != nil {
		t.Fatal(err)
	}
	decoded, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	out := toNRGBA(decoded)
	for x, want := range palette {
		if got := out.NRGBAAt(x, 0); got != want {
			t.Errorf("pixel %d = %v, want %v", x, got, want)
		}
	}
	plane, any := transparentPlane(decoded)
	if !any || plane[0] || plane[1] || !plane[2] {
		t.Errorf("transparentPlane = %v, %v", plane, any)
	}
}
