package manager

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestSweepFlags: the sweep runs hourly with an hour's grace unless told
// otherwise, and 0 turns it off.
func TestSweepFlags(t *testing.T) {
	var o Options
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	o.BindFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if o.Artifacts.SweepInterval != time.Hour || o.Artifacts.SweepMinAge != time.Hour {
		t.Errorf("defaults: interval %s min age %s, want 1h and 1h", o.Artifacts.SweepInterval, o.Artifacts.SweepMinAge)
	}
	if err := fs.Parse([]string{"--artifact-sweep-interval=0", "--artifact-sweep-min-age=10m"}); err != nil {
		t.Fatal(err)
	}
	if o.Artifacts.SweepInterval != 0 || o.Artifacts.SweepMinAge != 10*time.Minute {
		t.Errorf("parsed: interval %s min age %s, want 0 and 10m", o.Artifacts.SweepInterval, o.Artifacts.SweepMinAge)
	}
	if err := addSweeper(nil, ArtifactOptions{SweepInterval: time.Hour, SweepMinAge: -time.Second}, nil); err == nil || !strings.Contains(err.Error(), "--artifact-sweep-min-age") {
		t.Errorf("negative min age: %v, want an error naming the flag", err)
	}
}
