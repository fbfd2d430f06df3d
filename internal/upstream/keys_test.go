package upstream

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFileKeyRotation: a rotated Secret (a new file swapped in behind a
// symlink, as the kubelet does) takes effect on the next call.
func TestFileKeyRotation(t *testing.T) {
	dir := t.TempDir()
	write := func(name, key string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "api-key")
	write("v1", "sk-first")
	if err := os.Symlink(filepath.Join(dir, "v1"), link); err != nil {
		t.Fatal(err)
	}
	keys := &FileKey{Path: link}
	if got, err := keys.Key(); err != nil || got != "sk-first" {
		t.Fatalf("Key() = %q, %v; want sk-first", got, err)
	}

	write("v2", "sk-second-longer")
	future := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(dir, "v2"), future, future); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "api-key.tmp")
	if err := os.Symlink(filepath.Join(dir, "v2"), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
	if got, err := keys.Key(); err != nil || got != "sk-second-longer" {
		t.Fatalf("after rotation Key() = %q, %v; want sk-second-longer", got, err)
	}

	write("v3", "   ")
	if err := os.Rename(filepath.Join(dir, "v3"), filepath.Join(dir, "v2")); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Key(); err == nil {
		t.Fatal("an empty key file was accepted")
	}
}

func TestStaticKey(t *testing.T) {
	if _, err := StaticKey("").Key(); err == nil {
		t.Fatal("an empty static key was accepted")
	}
	if got, err := StaticKey("sk-x").Key(); err != nil || got != "sk-x" {
		t.Fatalf("Key() = %q, %v", got, err)
	}
}
