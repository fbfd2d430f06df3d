package artifacts

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// openFileStore opens a fileblob store in a new directory; temporary files
// go next to their objects (no_tmp_dir), so the directory shows anything an
// aborted write leaves behind.
func openFileStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(context.Background(), "file://"+dir+"?no_tmp_dir=1", Options{CheckAccess: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, dir
}

// paddedPNG is a valid PNG of w×h followed by n random bytes: the header
// decodes, and the size is whatever a test needs.
func paddedPNG(t testing.TB, w, h, n int) []byte {
	t.Helper()
	pad := make([]byte, n)
	if _, err := rand.Read(pad); err != nil {
		t.Fatal(err)
	}
	return append(pngtest.PNG(w, h, false, false), pad...)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestOpenRefusesBadURLs(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"", "no-scheme", "nosuch://bucket", "file://" + filepath.Join(t.TempDir(), "missing")} {
		if s, err := Open(ctx, u, Options{CheckAccess: true}); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded", u)
		}
	}
}

func TestPutResultAndManifest(t *testing.T) {
	ctx := context.Background()
	s, dir := openFileStore(t)
	images := [][]byte{paddedPNG(t, 64, 32, 1000), paddedPNG(t, 17, 5, 10)}
	before := testutil.ToFloat64(storedObjects.WithLabelValues("file", kindResult))

	objs, err := s.PutResult(ctx, testRef, 1, images, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	wantDims := [][2]int{{64, 32}, {17, 5}}
	for i, o := range objs {
		key := ResultKey(testRef, 1, i, "image/png")
		want := Object{
			Index: i, Key: key, URI: "file://" + dir + "/" + key, Bytes: int64(len(images[i])),
			SHA256: sha(images[i]), ContentType: "image/png", Width: wantDims[i][0], Height: wantDims[i][1],
		}
		if o != want {
			t.Errorf("object %d:\n got %+v\nwant %+v", i, o, want)
		}
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
		if err != nil || !bytes.Equal(got, images[i]) {
			t.Errorf("file of object %d: %v, equal %v", i, err, bytes.Equal(got, images[i]))
		}
		if back, err := s.KeyFromURI(o.URI); err != nil || back != key {
			t.Errorf("KeyFromURI(%q) = %q, %v", o.URI, back, err)
		}
	}
	m, err := s.ReadManifest(ctx, testRef, 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Attempt != 1 || m.UID != testRef.UID || !slices.Equal(m.Images, objs) {
		t.Errorf("manifest %+v does not list %+v", m, objs)
	}
	if got := testutil.ToFloat64(storedObjects.WithLabelValues("file", kindResult)) - before; got != 2 {
		t.Errorf("stored objects metric grew by %v, want 2", got)
	}

	// A retry of the same attempt overwrites the same keys.
	if _, err := s.PutResult(ctx, testRef, 1, images, "image/png"); err != nil {
		t.Fatal(err)
	}
	keys, err := s.List(ctx, AttemptPrefix(testRef, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ResultKey(testRef, 1, 0, "image/png"), ResultKey(testRef, 1, 1, "image/png"), ManifestKey(testRef, 1)}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("after a retry the attempt holds %q, want %q", keys, want)
	}

	// Another attempt is absent until written.
	if _, err := s.ReadManifest(ctx, testRef, 2); !errors.Is(err, ErrIncomplete) || !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadManifest of an unwritten attempt: %v, want ErrIncomplete and ErrNotFound", err)
	}
}

func TestCrashBeforeManifestLeavesAttemptIncomplete(t *testing.T) {
	ctx := context.Background()
	s, _ := openFileStore(t)
	images := [][]byte{paddedPNG(t, 8, 8, 100), paddedPNG(t, 8, 8, 200)}
	crash := errors.New("killed")
	s.beforeManifest = func() error { return crash }

	if _, err := s.PutResult(ctx, testRef, 1, images, "image/png"); !errors.Is(err, crash) {
		t.Fatalf("PutResult: %v, want the crash", err)
	}
	keys, _ := s.List(ctx, AttemptPrefix(testRef, 1))
	if len(keys) != 2 {
		t.Fatalf("the images should be there without a manifest, got %q", keys)
	}
	if _, err := s.ReadManifest(ctx, testRef, 1); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("ReadManifest after a crash before the manifest: %v, want ErrIncomplete", err)
	}

	// Completed, then rewritten and crashing again: the old manifest is gone
	// before the first image is rewritten, so the attempt is incomplete.
	s.beforeManifest = nil
	if _, err := s.PutResult(ctx, testRef, 1, images, "image/png"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadManifest(ctx, testRef, 1); err != nil {
		t.Fatal(err)
	}
	s.beforeManifest = func() error { return crash }
	if _, err := s.PutResult(ctx, testRef, 1, images, "image/png"); !errors.Is(err, crash) {
		t.Fatalf("PutResult: %v, want the crash", err)
	}
	if _, err := s.ReadManifest(ctx, testRef, 1); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("a rewrite that crashed left a manifest: %v", err)
	}
}

func TestPutResultRefusesBadArguments(t *testing.T) {
	s, _ := openFileStore(t)
	ctx := context.Background()
	img := [][]byte{paddedPNG(t, 1, 1, 0)}
	for name, call := range map[string]func() error{
		"attempt 0": func() error { _, err := s.PutResult(ctx, testRef, 0, img, "image/png"); return err },
		"no images": func() error { _, err := s.PutResult(ctx, testRef, 1, nil, "image/png"); return err },
		"bad ref":   func() error { _, err := s.PutResult(ctx, Ref{"ns", "../x", "u"}, 1, img, "image/png"); return err },
	} {
		if call() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPutResultNotAnImageIsStillStored(t *testing.T) {
	s, _ := openFileStore(t)
	objs, err := s.PutResult(context.Background(), testRef, 1, [][]byte{[]byte("not a png")}, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	if objs[0].Width != 0 || objs[0].Height != 0 || objs[0].Bytes != 9 {
		t.Fatalf("got %+v, want 9 bytes and no dimensions", objs[0])
	}
}

func TestPutResultWithRetryRidesOutAnOutage(t *testing.T) {
	ctx := context.Background()
	s, dir := openFileStore(t)
	// A file where the request's directory must go fails every write until
	// it is removed.
	block := filepath.Join(dir, "results", testRef.Namespace)
	if err := os.MkdirAll(filepath.Dir(block), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(block, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	images := [][]byte{paddedPNG(t, 4, 4, 10)}

	_, err := s.PutResultWithRetry(ctx, testRef, 1, images, "image/png", RetryPolicy{For: 200 * time.Millisecond, Initial: 20 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "gave up after") {
		t.Fatalf("with the outage lasting: %v, want gave up", err)
	}

	go func() {
		time.Sleep(150 * time.Millisecond)
		_ = os.Remove(block)
	}()
	objs, err := s.PutResultWithRetry(ctx, testRef, 1, images, "image/png", RetryPolicy{For: 30 * time.Second, Initial: 20 * time.Millisecond, Max: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("after the outage ended: %v", err)
	}
	if objs[0].SHA256 != sha(images[0]) {
		t.Fatalf("stored %+v", objs[0])
	}
	if _, err := s.ReadManifest(ctx, testRef, 1); err != nil {
		t.Fatal(err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.PutResultWithRetry(cctx, testRef, 2, images, "image/png", RetryPolicy{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("with a cancelled context: %v", err)
	}
}

func TestPutInput(t *testing.T) {
	ctx := context.Background()
	s, dir := openFileStore(t)
	img := paddedPNG(t, 1024, 768, 3_500_000)

	obj, err := s.PutInput(ctx, testRef, FieldImage, bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	key := InputKey(testRef, FieldImage)
	want := Object{Key: key, URI: s.URI(key), Bytes: int64(len(img)), SHA256: sha(img), ContentType: "image/png", Width: 1024, Height: 768}
	if obj != want {
		t.Fatalf("\n got %+v\nwant %+v", obj, want)
	}
	got, err := s.ReadAll(ctx, key)
	if err != nil || !bytes.Equal(got, img) {
		t.Fatalf("read back: %v, equal %v", err, bytes.Equal(got, img))
	}

	// One byte over: refused with the typed error naming the limit, and the
	// earlier object stays as it was.
	_, err = s.PutInput(ctx, testRef, FieldImage, bytes.NewReader(append(img, 0)), int64(len(img)))
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Limit != int64(len(img)) || tooLarge.Field != FieldImage {
		t.Fatalf("over the limit: %v, want a TooLargeError with the limit", err)
	}
	if !strings.Contains(err.Error(), strconv.Itoa(len(img))) {
		t.Errorf("the error %q does not name the limit", err)
	}
	if got, _ := s.ReadAll(ctx, key); !bytes.Equal(got, img) {
		t.Fatal("a refused input changed the stored one")
	}

	// A refused mask leaves nothing: no object, no temporary file.
	_, err = s.PutInput(ctx, testRef, FieldMask, bytes.NewReader(paddedPNG(t, 8, 8, 5000)), 1000)
	if !errors.As(err, &tooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := s.Stat(ctx, InputKey(testRef, FieldMask)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat of the refused mask: %v, want ErrNotFound", err)
	}
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".attrs") {
			files = append(files, strings.TrimPrefix(p, dir+"/"))
		}
		return nil
	})
	if !slices.Equal(files, []string{key}) {
		t.Fatalf("files in the bucket: %q, want only %s", files, key)
	}

	// A reader that fails mid-stream stores nothing either.
	_, err = s.PutInput(ctx, testRef, FieldMask, io.MultiReader(bytes.NewReader(make([]byte, 100_000)), failingReader{}), 1<<20)
	if err == nil {
		t.Fatal("a failing reader was stored")
	}
	if _, err := s.Stat(ctx, InputKey(testRef, FieldMask)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat after a failed stream: %v, want ErrNotFound", err)
	}

	if _, err := s.PutInput(ctx, testRef, "thumbnail", bytes.NewReader(img), 1<<30); err == nil {
		t.Fatal("an unknown field was accepted")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestListAndDelete(t *testing.T) {
	ctx := context.Background()
	s, _ := openFileStore(t)
	other := Ref{Namespace: testRef.Namespace, Name: testRef.Name + "-2", UID: "another"}
	img := [][]byte{paddedPNG(t, 2, 2, 1)}
	for _, ref := range []Ref{testRef, other} {
		for attempt := int32(1); attempt <= 2; attempt++ {
			if _, err := s.PutResult(ctx, ref, attempt, img, "image/png"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.PutInput(ctx, ref, FieldImage, bytes.NewReader(img[0]), 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.List(ctx, "")
	if err != nil || len(all) != 10 {
		t.Fatalf("List: %d keys (%v), want 10: %q", len(all), err, all)
	}
	for _, k := range all {
		if _, err := ParseKey(k); err != nil {
			t.Errorf("listed key: %v", err)
		}
	}

	if _, err := s.Delete(ctx, ""); err == nil {
		t.Fatal("Delete of the whole bucket accepted")
	}
	if _, err := s.Delete(ctx, "results/team-a/cat"); err == nil {
		t.Fatal("Delete of a partial segment accepted")
	}
	n, err := s.Delete(ctx, AttemptPrefix(testRef, 1))
	if err != nil || n != 2 {
		t.Fatalf("Delete of an attempt: %d, %v; want 2", n, err)
	}
	n, err = s.DeleteRequest(ctx, testRef)
	if err != nil || n != 3 {
		t.Fatalf("DeleteRequest: %d, %v; want 3", n, err)
	}
	left, _ := s.List(ctx, "")
	for _, k := range left {
		if info, _ := ParseKey(k); info.Ref != other {
			t.Errorf("%s survived its request's deletion", k)
		}
	}
	if len(left) != 5 {
		t.Errorf("the other request has %d objects, want 5", len(left))
	}
}

func TestOpenSeeksWithRanges(t *testing.T) {
	ctx := context.Background()
	s, _ := openFileStore(t)
	data := paddedPNG(t, 3, 3, 5000)
	if _, err := s.PutResult(ctx, testRef, 1, [][]byte{data}, "image/png"); err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(ctx, ResultKey(testRef, 1, 0, "image/png"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Info.Size != int64(len(data)) || r.Info.SHA256 != sha(data) || r.Info.ContentType != "image/png" {
		t.Fatalf("info %+v", r.Info)
	}
	if _, err := r.Seek(-100, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	tail, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(tail, data[len(data)-100:]) {
		t.Fatalf("tail: %v, equal %v", err, bytes.Equal(tail, data[len(data)-100:]))
	}
	if _, err := r.Seek(10, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 20)
	if _, err := io.ReadFull(r, buf); err != nil || !bytes.Equal(buf, data[10:30]) {
		t.Fatalf("middle: %v", err)
	}
	if _, err := s.Open(ctx, ResultKey(testRef, 9, 0, "image/png")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open of a missing key: %v, want ErrNotFound", err)
	}
}

func TestPresignUnsupportedOnFileblob(t *testing.T) {
	s, _ := openFileStore(t)
	_, _, err := s.PresignedURL(context.Background(), ResultKey(testRef, 1, 0, "image/png"), time.Hour)
	if !errors.Is(err, ErrPresignUnsupported) {
		t.Fatalf("PresignedURL on fileblob: %v, want ErrPresignUnsupported", err)
	}
	for _, ttl := range []time.Duration{0, -time.Second, MaxPresignTTL + time.Second} {
		if _, _, err := s.PresignedURL(context.Background(), "k", ttl); err == nil || errors.Is(err, ErrPresignUnsupported) {
			t.Errorf("ttl %s: %v, want a lifetime error", ttl, err)
		}
	}
}

func TestKeyFromURI(t *testing.T) {
	s, dir := openFileStore(t)
	key := InputKey(testRef, FieldImage)
	for in, want := range map[string]string{
		key:                         key,
		"file://" + dir + "/" + key: key,
	} {
		if got, err := s.KeyFromURI(in); err != nil || got != want {
			t.Errorf("KeyFromURI(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := s.KeyFromURI("s3://elsewhere/" + key); err == nil {
		t.Error("a URI of another bucket was accepted")
	}
}

// The GPT image models return jpeg and webp too: each is stored under its
// own extension and type, with the dimensions its header gives.
func TestPutResultJPEGAndWebP(t *testing.T) {
	s, _ := openFileStore(t)
	for i, tc := range []struct {
		contentType, ext string
		data             []byte
	}{
		{"image/jpeg", ".jpg", pngtest.JPEG(48, 32)},
		{"image/webp", ".webp", pngtest.WebP(48, 32)},
	} {
		objs, err := s.PutResult(context.Background(), testRef, int32(i+1), [][]byte{tc.data}, tc.contentType)
		if err != nil {
			t.Fatal(err)
		}
		if o := objs[0]; o.ContentType != tc.contentType || !strings.HasSuffix(o.Key, tc.ext) || o.Width != 48 || o.Height != 32 {
			t.Errorf("%s: stored %+v, want %s under *%s, 48x32", tc.contentType, o, tc.contentType, tc.ext)
		}
	}
}

// TestPutInputKeysBySniffedFormat: an input's key has the extension of the
// format its bytes are in, whatever the caller thinks they are, and an
// additional image gets a key of its own next to the image.
func TestPutInputKeysBySniffedFormat(t *testing.T) {
	ctx := context.Background()
	s, _ := openFileStore(t)
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 8, 4)), nil); err != nil {
		t.Fatal(err)
	}
	png := paddedPNG(t, 8, 8, 100)
	for _, tc := range []struct {
		field    InputField
		data     []byte
		wantName string
		wantType string
	}{
		{FieldImage, jpg.Bytes(), "image.jpg", "image/jpeg"},
		{AdditionalImage(1), png, "image-1.png", "image/png"},
		{AdditionalImage(2), jpg.Bytes(), "image-2.jpg", "image/jpeg"},
	} {
		obj, err := s.PutInput(ctx, testRef, tc.field, bytes.NewReader(tc.data), 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", tc.field, err)
		}
		if want := RequestPrefix(InputsPrefix, testRef) + tc.wantName; obj.Key != want || obj.ContentType != tc.wantType {
			t.Errorf("%s: key %q type %q, want %q %q", tc.field, obj.Key, obj.ContentType, want, tc.wantType)
		}
		if info, err := ParseKey(obj.Key); err != nil || info.Name != tc.wantName {
			t.Errorf("ParseKey(%q) = %+v, %v", obj.Key, info, err)
		}
		if got, err := s.ReadAll(ctx, obj.Key); err != nil || !bytes.Equal(got, tc.data) {
			t.Errorf("%s read back: %v", obj.Key, err)
		}
	}
	if _, err := s.PutInput(ctx, testRef, AdditionalImage(0), bytes.NewReader(png), 1<<20); err == nil {
		t.Error("additional image 0 was accepted; they count from 1")
	}
}
