package manager

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"

	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/httpserver"
)

// TestOpenArtifactsRefusesMisconfiguration: what an operator can get wrong
// fails start-up with an error that names the flag.
func TestOpenArtifactsRefusesMisconfiguration(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k1")
	if err := os.WriteFile(key, []byte(strings.Repeat("x", 40)), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("too short"), 0o600); err != nil {
		t.Fatal(err)
	}
	mcp := httpserver.Options{BindAddress: "127.0.0.1:8443"}
	bucket := "file://" + filepath.ToSlash(dir)
	cases := map[string]struct {
		opts ArtifactOptions
		mcp  httpserver.Options
		want string
	}{
		"no scheme":          {ArtifactOptions{Bucket: "/tmp/x", SigningKeyFile: key}, mcp, "--artifact-bucket"},
		"unknown scheme":     {ArtifactOptions{Bucket: "ftp://x", SigningKeyFile: key}, mcp, "--artifact-bucket"},
		"missing directory":  {ArtifactOptions{Bucket: bucket + "/missing", SigningKeyFile: key}, mcp, "--artifact-bucket"},
		"operator no key":    {ArtifactOptions{Bucket: bucket}, mcp, "--artifact-signing-key-file"},
		"operator short key": {ArtifactOptions{Bucket: bucket, SigningKeyFile: short}, mcp, "--artifact-signing-key-file"},
		"operator no mcp":    {ArtifactOptions{Bucket: bucket, SigningKeyFile: key}, httpserver.Options{BindAddress: "0"}, "--mcp-bind-address"},
		"bad mode":           {ArtifactOptions{Bucket: bucket, URLMode: "public"}, mcp, "--artifact-url-mode"},
		"presign on file":    {ArtifactOptions{Bucket: bucket, URLMode: artifacts.URLModePresigned}, mcp, "--artifact-url-mode=operator"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := openArtifacts(tc.opts, tc.mcp, logr.Discard())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
		})
	}

	setup, err := openArtifacts(ArtifactOptions{Bucket: bucket, SigningKeyFile: key}, mcp, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := setup.controller.URLs.IssueURL(t.Context(), "results/a/b/c/attempt-1/0.png")
	if err != nil || !strings.HasPrefix(u, "http://127.0.0.1:8443/artifacts/results/") || setup.handler == nil {
		t.Fatalf("operator URL %q (%v), handler %v", u, err, setup.handler)
	}
}
