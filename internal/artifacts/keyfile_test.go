package artifacts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for a keyFile's reload interval.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func writeKey(t *testing.T, path string, secret []byte) {
	t.Helper()
	if err := os.WriteFile(path, []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fileSigner is SignerFromFile(path) reloading at most once a minute of
// the returned clock.
func fileSigner(t *testing.T, path string) (*Signer, *fakeClock) {
	t.Helper()
	s, err := SignerFromFile(path, WithReloadInterval(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Now()}
	s.file.now = clock.now
	return s, clock
}

func kidOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get(paramKeyID)
}

func TestSignerFromFileSingleFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k-2026")
	writeKey(t, path, randomSecret(t))
	s, err := SignerFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if q := s.Sign("k", time.Now().Add(time.Hour)); !strings.Contains(q, "kid=k-2026") {
		t.Fatalf("signed %q, want kid=k-2026 (the file's name)", q)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("too short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]string{"short key": short, "missing": filepath.Join(dir, "absent"), "empty dir": t.TempDir()} {
		if _, err := SignerFromFile(p); err == nil {
			t.Errorf("%s: SignerFromFile accepted it", name)
		}
	}
}

// TestSignerFromFileDirectoryRotates is a rotation in a key directory
// behind the handler: URL1 is signed by key "a"; after "b" is added (and
// the reload interval passed) new URLs are signed by "b" while URL1 still
// serves; after "a" is removed URL1 is refused with 403 saying the key is
// unknown, and URL2 still serves. A change that does not make a valid
// keyring keeps the previous keys.
func TestSignerFromFileDirectoryRotates(t *testing.T) {
	ctx := context.Background()
	store, _ := openFileStore(t)
	data := paddedPNG(t, 8, 8, 100)
	if _, err := store.PutResult(ctx, testRef, 1, [][]byte{data}, "image/png"); err != nil {
		t.Fatal(err)
	}
	key := ResultKey(testRef, 1, 0, "image/png")
	dir := t.TempDir()
	writeKey(t, filepath.Join(dir, "a"), randomSecret(t))
	signer, clock := fileSigner(t, dir)
	srv := httptest.NewServer(NewHandler(store, signer))
	defer srv.Close()
	expires := time.Now().Add(time.Hour)
	status := func(u string) (int, string, string) {
		resp, body := get(t, u, nil)
		return resp.StatusCode, resp.Header.Get("X-Artifact-Error"), string(body)
	}

	url1 := signer.URL(srv.URL, key, expires)
	if kid := kidOf(t, url1); kid != "a" {
		t.Fatalf("URL1 signed by %q, want a", kid)
	}
	if code, _, body := status(url1); code != http.StatusOK {
		t.Fatalf("URL1: %d %s", code, body)
	}

	writeKey(t, filepath.Join(dir, "b"), randomSecret(t))
	if kid := kidOf(t, signer.URL(srv.URL, key, expires)); kid != "a" {
		t.Fatalf("signed by %q within the reload interval, want still a", kid)
	}
	clock.advance(time.Minute)
	url2 := signer.URL(srv.URL, key, expires)
	if kid := kidOf(t, url2); kid != "b" {
		t.Fatalf("after adding b: signed by %q, want b", kid)
	}
	for name, u := range map[string]string{"URL1": url1, "URL2": url2} {
		if code, _, body := status(u); code != http.StatusOK {
			t.Fatalf("with a and b: %s: %d %s", name, code, body)
		}
	}

	if err := os.Remove(filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Minute)
	code, reason, body := status(url1)
	if code != http.StatusForbidden || reason != "bad-signature" || !strings.Contains(body, `unknown key id "a"`) {
		t.Fatalf("URL1 after a was removed: %d %s %q, want 403 bad-signature naming key a", code, reason, body)
	}
	if code, _, body := status(url2); code != http.StatusOK {
		t.Fatalf("URL2 after a was removed: %d %s", code, body)
	}

	// A key written half-way (too short) is not taken up: b keeps signing
	// and verifying, and the fixed file is taken up at the next interval.
	c := filepath.Join(dir, "c")
	if err := os.WriteFile(c, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Minute)
	if kid := kidOf(t, signer.URL(srv.URL, key, expires)); kid != "b" {
		t.Fatalf("with a broken key c: signed by %q, want still b", kid)
	}
	if code, _, body := status(url2); code != http.StatusOK {
		t.Fatalf("URL2 with a broken key c: %d %s", code, body)
	}
	writeKey(t, c, randomSecret(t))
	clock.advance(time.Minute)
	if kid := kidOf(t, signer.URL(srv.URL, key, expires)); kid != "c" {
		t.Fatalf("after c was fixed: signed by %q, want c", kid)
	}
}

// TestSignerFromFileSecretMount: a mounted Secret is updated by swapping
// its ..data link to a new timestamped directory; the key names are links
// through it. The signer sees the swap.
func TestSignerFromFileSecretMount(t *testing.T) {
	dir := t.TempDir()
	version := func(name string, keys ...string) {
		t.Helper()
		v := filepath.Join(dir, name)
		if err := os.Mkdir(v, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			writeKey(t, filepath.Join(v, k), randomSecret(t))
		}
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(name, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if err := os.Symlink(filepath.Join("..data", k), filepath.Join(dir, k)); err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
		}
	}
	version("..2026_01", "k-1")
	signer, clock := fileSigner(t, dir)
	old := signer.Sign("x", time.Now().Add(time.Hour))
	if !strings.Contains(old, "kid=k-1") {
		t.Fatalf("signed %q, want k-1", old)
	}
	version("..2026_02", "k-1", "k-2") // k-1 keeps its link, which now reaches the new version
	clock.advance(time.Minute)
	if q := signer.Sign("x", time.Now().Add(time.Hour)); !strings.Contains(q, "kid=k-2") {
		t.Fatalf("after the swap: signed %q, want k-2", q)
	}
	// k-1's secret changed with the swap (randomSecret): its old URLs no longer verify.
	if _, err := signer.Verify("x", old); err == nil {
		t.Fatal("a URL of k-1's old secret still verifies")
	}
}

func randomSecret(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, MinSecretBytes)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
