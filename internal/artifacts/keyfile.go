package artifacts

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SignerFromFile builds the operator's URL signer from a file or a
// directory. A file holds one key (surrounding whitespace dropped), its
// name the key ID. A directory, such as a mounted Secret, holds one key per
// file, as SignerFromSecretData reads a Secret's data: during a rotation it
// holds the old and the new key. Hidden entries (a Secret mount's ..data
// links) are skipped.
func SignerFromFile(path string) (*Signer, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("artifact signing key: %w", err)
	}
	data := map[string][]byte{}
	if !info.IsDir() {
		secret, err := readKey(path)
		if err != nil {
			return nil, err
		}
		data[filepath.Base(path)] = secret
	} else {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("artifact signing keys: %w", err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			full := filepath.Join(path, e.Name())
			if st, err := os.Stat(full); err != nil || st.IsDir() {
				continue
			}
			secret, err := readKey(full)
			if err != nil {
				return nil, err
			}
			data[e.Name()] = secret
		}
		if len(data) == 0 {
			return nil, fmt.Errorf("artifact signing keys: no key file in %s", path)
		}
	}
	s, err := SignerFromSecretData(data)
	if err != nil {
		return nil, fmt.Errorf("artifact signing key %s: %w", path, err)
	}
	return s, nil
}

func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("artifact signing key: %w", err)
	}
	return bytes.TrimSpace(b), nil
}
