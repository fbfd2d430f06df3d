package controllers_test

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/manager"
)

// keyReload is how often the manager of the rotation test looks at its
// key directory.
const keyReload = 200 * time.Millisecond

// TestArtifactsSigningKeyRotation rotates the keys in the directory a
// running manager signs with (a mounted Secret): URL1, signed by key a,
// serves; after key b is added a new request gets a URL signed by b and
// URL1 still serves; after a is removed URL1 is refused with 403 naming
// the unknown key, and the URL signed by b still serves. No restart.
func TestArtifactsSigningKeyRotation(t *testing.T) {
	begin(t)
	keys := t.TempDir()
	addKey := func(name string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(keys, name), []byte(hex.EncodeToString(randomBytes(t, 32))+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addKey("k-a")
	bucket := fileBucket(t)
	base := runManagerWithStore(t, bucket, artifacts.URLModeOperator, func(o *manager.Options) {
		o.Artifacts.SigningKeyFile = keys
		o.Artifacts.SigningKeyReload = keyReload
	})
	kid := func(rawURL string) string {
		u, err := url.Parse(rawURL)
		if err != nil {
			t.Fatal(err)
		}
		return u.Query().Get("kid")
	}
	generate := func(name string) string {
		t.Helper()
		ir := waitTerminal(t, createRequest(t, name, imagesv1alpha1.ImageRequestSpec{Prompt: "rotation " + name, Size: "256x256"}))
		assertStoredImages(t, ir, 1, 256, bucket+"/", base+artifacts.HandlerPrefix)
		return ir.Status.Images[0].URL
	}

	url1 := generate("rotation-1")
	if k := kid(url1); k != "k-a" {
		t.Fatalf("URL1 signed by %q, want k-a", k)
	}

	addKey("k-b")
	time.Sleep(2 * keyReload)
	url2 := generate("rotation-2")
	if k := kid(url2); k != "k-b" {
		t.Fatalf("after adding k-b: signed by %q, want k-b", k)
	}
	if code, _, body := get(t, url1); code != http.StatusOK {
		t.Fatalf("URL1 during the rotation: %d %.200s, want 200", code, body)
	}

	if err := os.Remove(filepath.Join(keys, "k-a")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * keyReload)
	resp, err := http.Get(url1)
	if err != nil {
		t.Fatal(err)
	}
	refusal, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Artifact-Error") != "bad-signature" || !strings.Contains(string(refusal), `unknown key id "k-a"`) {
		t.Fatalf("URL1 after k-a was removed: %d %s %q, want 403 bad-signature naming k-a", resp.StatusCode, resp.Header.Get("X-Artifact-Error"), refusal)
	}
	if code, _, body := get(t, url2); code != http.StatusOK {
		t.Fatalf("URL2 after k-a was removed: %d %.200s, want 200", code, body)
	}
}
