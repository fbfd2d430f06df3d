package controllers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// storeReconciler is a reconciler with a file:// store in operator mode,
// enough for storeResults.
func storeReconciler(t *testing.T, maxBytes int64) *ImageRequestReconciler {
	t.Helper()
	store, err := artifacts.Open(context.Background(), "file://"+t.TempDir(), artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	signer, err := artifacts.NewSigner(artifacts.SigningKey{ID: "k1", Secret: bytes.Repeat([]byte("s"), artifacts.MinSecretBytes)})
	if err != nil {
		t.Fatal(err)
	}
	return &ImageRequestReconciler{Artifacts: &ArtifactStore{
		Store:            store,
		URLs:             artifacts.OperatorURLs{Signer: signer, BaseURL: "http://manager", TTL: time.Hour},
		Retry:            artifacts.RetryPolicy{For: time.Second},
		MaxDownloadBytes: maxBytes,
	}}
}

func jpegBytes(t *testing.T, side int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, side, side)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestStoreResultsSources: storeResults keeps an inline (b64_json) image
// without any download, with its type sniffed from the bytes; downloads
// an image that came as a URL only (a server that ignored
// response_format=b64_json); and fails with the storage error when an
// image has neither, or is over the limit.
func TestStoreResultsSources(t *testing.T) {
	png := pngtest.PNG(32, 32, false, false)
	jpg := jpegBytes(t, 24)
	var downloads atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		downloads.Add(1)
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(png)
	}))
	defer srv.Close()
	b64 := base64.StdEncoding.EncodeToString

	cases := map[string]struct {
		images        []upstream.Image
		maxBytes      int64
		wantType      string
		wantData      []byte
		wantDownloads int32
		wantErr       string
	}{
		"inline png":          {images: []upstream.Image{{B64JSON: b64(png)}}, wantType: "image/png", wantData: png},
		"inline jpeg sniffed": {images: []upstream.Image{{B64JSON: b64(jpg)}}, wantType: "image/jpeg", wantData: jpg},
		"URL only downloaded": {images: []upstream.Image{{URL: srv.URL + "/1.png"}}, wantType: "image/png", wantData: png, wantDownloads: 1},
		"neither":             {images: []upstream.Image{{}}, wantErr: "neither b64_json nor a URL"},
		"inline over limit":   {images: []upstream.Image{{B64JSON: b64(png)}}, maxBytes: int64(len(png) - 1), wantErr: "over the size limit"},
		"inline not base64":   {images: []upstream.Image{{B64JSON: "%%%%"}}, wantErr: "not valid base64"},
		"mixed types":         {images: []upstream.Image{{B64JSON: b64(png)}, {B64JSON: b64(jpg)}}, wantErr: "image 1 is image/jpeg, image 0 is image/png"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			downloads.Store(0)
			r := storeReconciler(t, tc.maxBytes)
			ir := &imagesv1alpha1.ImageRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "n", UID: "uid-1"}}
			out, err := r.storeResults(context.Background(), ir, 1, &upstream.Result{Images: tc.images})
			if got := downloads.Load(); got != tc.wantDownloads {
				t.Errorf("%d downloads, want %d", got, tc.wantDownloads)
			}
			if tc.wantErr != "" {
				var se *storageError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "paid") {
					t.Fatalf("storeResults error = %v, want a storage error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 1 || out[0].ContentType != tc.wantType || out[0].SHA256 != sha256Of(tc.wantData) || out[0].Bytes != int64(len(tc.wantData)) {
				t.Fatalf("status images %+v, want one %s of %d bytes", out, tc.wantType, len(tc.wantData))
			}
			obj, err := r.Artifacts.Store.Open(context.Background(), artifacts.ResultKey(refOf(ir), 1, 0, tc.wantType))
			if err != nil {
				t.Fatal(err)
			}
			defer obj.Close()
			var stored bytes.Buffer
			if _, err := stored.ReadFrom(obj); err != nil || !bytes.Equal(stored.Bytes(), tc.wantData) {
				t.Fatalf("stored %d bytes (%v), want exactly the result's %d", stored.Len(), err, len(tc.wantData))
			}
		})
	}
}

func sha256Of(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
