package controllers_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/httpserver"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/manager"
)

// runManagerWithStore replaces the suite's manager with one that keeps
// results in the given bucket, with an MCP listener on 127.0.0.1:0 (no
// auth, as on a developer's machine) that serves operator-signed URLs. It
// returns the listener's base URL. tune, if given, changes the options further.
func runManagerWithStore(t *testing.T, bucket, urlMode string, tune ...func(*manager.Options)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "k1")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(randomBytes(t, 32))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runManagerThrough(t, nil, nil, func(o *manager.Options) {
		o.MCP = httpserver.Options{Listener: ln, Auth: httpserver.AuthNone}
		o.Artifacts = manager.ArtifactOptions{Bucket: bucket, URLMode: urlMode, SigningKeyFile: keyFile}
		for _, f := range tune {
			f(o)
		}
	})
	return "http://" + ln.Addr().String()
}

// fileBucket is a file:// bucket in a fresh directory.
func fileBucket(t *testing.T) string {
	t.Helper()
	return "file://" + filepath.ToSlash(t.TempDir())
}

// useS3 starts a SeaweedFS S3 server for the test and points the AWS SDK
// of this process (the manager's s3blob) at its identity.
func useS3(t *testing.T) *localenv.S3Server {
	t.Helper()
	srv := localenv.StartS3(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return srv
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// get fetches url and returns the status, Content-Type and body.
func get(t *testing.T, url string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("fetching %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// assertStoredImages checks that ir succeeded with n stored side×side PNGs
// whose URIs start with uriPrefix and whose URLs (starting with urlPrefix)
// serve exactly the bytes status describes.
func assertStoredImages(t *testing.T, ir *imagesv1alpha1.ImageRequest, n, side int, uriPrefix, urlPrefix string) {
	t.Helper()
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(ir.Status.Images) != n {
		t.Fatalf("phase=%s images=%d (%s: %s), want Succeeded with %d", ir.Status.Phase, len(ir.Status.Images), ir.Status.Reason, ir.Status.Message, n)
	}
	for i, img := range ir.Status.Images {
		if !strings.HasPrefix(img.URI, uriPrefix+artifacts.ResultsPrefix) || !strings.HasPrefix(img.URL, urlPrefix) {
			t.Errorf("image %d: uri %q url %q, want them under %s and %s", i, img.URI, img.URL, uriPrefix, urlPrefix)
		}
		if img.ContentType != "image/png" || img.Width != int32(side) || img.Height != int32(side) || img.Bytes <= 0 || len(img.SHA256) != 64 || img.ExpiresAt == nil {
			t.Errorf("image %d: %+v, want a %dx%d image/png with size, sha256 and expiry", i, img, side, side)
		}
		code, ctype, body := get(t, img.URL)
		if code != http.StatusOK || ctype != "image/png" {
			t.Fatalf("image %d: GET %s: %d %s: %.200s", i, img.URL, code, ctype, body)
		}
		if sha256Hex(body) != img.SHA256 || int64(len(body)) != img.Bytes {
			t.Errorf("image %d: served %d bytes with sha256 %s, status says %d and %s", i, len(body), sha256Hex(body), img.Bytes, img.SHA256)
		}
	}
}
