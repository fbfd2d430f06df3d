package dallesim_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

const testKey = "sk-test-0123456789abcdef"

// newClient returns an openai-go client for ts that never retries.
func newClient(ts *httptest.Server, opts ...option.RequestOption) openai.Client {
	base := []option.RequestOption{
		option.WithBaseURL(ts.URL + "/v1/"),
		option.WithAPIKey(testKey),
		option.WithMaxRetries(0),
		option.WithHTTPClient(ts.Client()),
	}
	return openai.NewClient(append(base, opts...)...)
}

// start runs a simulator for the test and returns it with a client.
func start(t *testing.T, cfg dallesim.Config) (*dallesim.Server, *httptest.Server, openai.Client) {
	t.Helper()
	srv, ts := dallesim.NewTestServer(t, cfg)
	return srv, ts, newClient(ts)
}

// fakeClock is an injectable clock that only moves when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// wantAPIError asserts err is an *openai.Error with the given fields
// ("" stands for a JSON null param or code).
func wantAPIError(t *testing.T, err error, status int, typ, code, param string) {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v (%T), want *openai.Error", err, err)
	}
	if apiErr.StatusCode != status || apiErr.Type != typ || apiErr.Code != code || apiErr.Param != param {
		t.Fatalf("error = status %d type %q code %q param %q (%s), want status %d type %q code %q param %q",
			apiErr.StatusCode, apiErr.Type, apiErr.Code, apiErr.Param, apiErr.Message, status, typ, code, param)
	}
	if apiErr.Message == "" {
		t.Fatalf("error has no message")
	}
	if id := apiErr.Response.Header.Get("x-request-id"); len(id) != 36 {
		t.Fatalf("x-request-id = %q", id)
	}
}

// asAPIError is wantAPIError for callers that go on to check the error's
// message or headers: it returns the *openai.Error.
func asAPIError(t *testing.T, err error, status int, typ, code, param string) *openai.Error {
	t.Helper()
	wantAPIError(t, err, status, typ, code, param)
	var apiErr *openai.Error
	errors.As(err, &apiErr)
	return apiErr
}

// fetchPNG downloads and decodes an image URL.
func fetchPNG(t *testing.T, client *http.Client, url string) image.Image {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET image: status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
		t.Fatalf("image Content-Type = %q", ct)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("decoding image: %v", err)
	}
	return img
}

// encodePNG encodes img, failing the test on error.
func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatalf("encoding png: %v", err)
	}
	return b.Bytes()
}

// checkerboard is an opaque w×h NRGBA picture with varied pixels.
func checkerboard(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 7), uint8(y * 5), uint8((x/8 + y/8) % 2 * 200), 255})
		}
	}
	return img
}

// withHole returns a copy of img whose left half is fully transparent.
func withHole(img *image.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(img.Rect)
	copy(out.Pix, img.Pix)
	b := img.Rect
	for y := range b.Dy() {
		for x := range b.Dx() / 2 {
			out.SetNRGBA(x, y, color.NRGBA{})
		}
	}
	return out
}

// leftHalfMask is an all-opaque mask whose left half is fully transparent.
func leftHalfMask(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			if x < w/2 {
				a = 0
			}
			m.SetNRGBA(x, y, color.NRGBA{0, 0, 0, a})
		}
	}
	return m
}

// nrgbaAt reads a pixel as straight 8-bit RGBA.
func nrgbaAt(img image.Image, x, y int) color.NRGBA {
	return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
}

// imagesDiffer reports whether two images differ in a meaningful share of pixels.
func pixelDifference(a, b image.Image) float64 {
	bounds := a.Bounds()
	diff := 0
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			if nrgbaAt(a, x, y) != nrgbaAt(b, x, y) {
				diff++
			}
		}
	}
	return float64(diff) / float64(bounds.Dx()*bounds.Dy())
}
