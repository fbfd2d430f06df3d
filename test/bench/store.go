package main

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
)

// storeArgs are the manager flags of a file:// artifact store under the
// run's work directory, with URLs signed by the operator: results are kept
// as in production, and edit inputs travel through the store instead of a
// Secret (so not through etcd).
func storeArgs(e *env) ([]string, error) {
	dir := filepath.Join(e.workDir, "artifacts")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	keyFile := filepath.Join(e.workDir, "artifact-signing-key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key)), 0o600); err != nil {
		return nil, err
	}
	return []string{
		"--artifact-bucket", "file://" + dir,
		"--artifact-signing-key-file", keyFile,
		"--artifact-base-url", "https://" + e.mcpAddr,
	}, nil
}
