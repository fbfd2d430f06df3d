package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/manager"
)

// devArtifactStore gives `make dev` an artifact store unless the flags name
// one: a file:// bucket under stateDir, in operator mode with a signing key
// generated once into stateDir, so status URLs point at the operator's own
// listener (http://127.0.0.1:8443/artifacts/...).
func devArtifactStore(flags *flag.FlagSet, opts *manager.Options, stateDir string) error {
	if flagSet(flags, "artifact-bucket") {
		return nil
	}
	dir, err := filepath.Abs(filepath.Join(stateDir, "artifacts"))
	if err != nil {
		return fmt.Errorf("artifact directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	opts.Artifacts.Bucket = "file://" + filepath.ToSlash(dir)
	if opts.Artifacts.URLMode != artifacts.URLModeOperator || opts.Artifacts.SigningKeyFile != "" {
		return nil
	}
	key := filepath.Join(stateDir, "artifact-signing-key")
	if _, err := os.Stat(key); errors.Is(err, fs.ErrNotExist) {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return fmt.Errorf("generating the artifact signing key: %w", err)
		}
		if err := os.WriteFile(key, []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
			return fmt.Errorf("writing the artifact signing key: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("artifact signing key: %w", err)
	}
	opts.Artifacts.SigningKeyFile = key
	return nil
}
