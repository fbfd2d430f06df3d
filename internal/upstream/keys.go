package upstream

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// KeySource supplies the API key for a call.
type KeySource interface {
	Key() (string, error)
}

// StaticKey is a key fixed at start-up, e.g. from OPENAI_API_KEY.
type StaticKey string

// Key returns the key, or an error when it is empty.
func (k StaticKey) Key() (string, error) {
	if k == "" {
		return "", errors.New("no OpenAI API key configured: set OPENAI_API_KEY or --openai-api-key-file")
	}
	return string(k), nil
}

// FileKey reads the key from a file, typically a mounted Secret, and reads it
// again whenever the file's modification time or size changes, so rotating
// the Secret takes effect without restarting the operator. Kubernetes swaps
// Secret volumes through a symlink; os.Stat follows it and sees the new file.
type FileKey struct {
	Path string

	mu      sync.Mutex
	key     string
	modTime time.Time
	size    int64
}

// Key returns the file's current key.
func (f *FileKey) Key() (string, error) {
	st, err := os.Stat(f.Path)
	if err != nil {
		return "", fmt.Errorf("reading OpenAI API key file: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.key != "" && st.ModTime().Equal(f.modTime) && st.Size() == f.size {
		return f.key, nil
	}
	raw, err := os.ReadFile(f.Path)
	if err != nil {
		return "", fmt.Errorf("reading OpenAI API key file: %w", err)
	}
	key := strings.TrimSpace(string(raw))
	if key == "" {
		return "", fmt.Errorf("OpenAI API key file %s is empty", f.Path)
	}
	f.key, f.modTime, f.size = key, st.ModTime(), st.Size()
	return key, nil
}
