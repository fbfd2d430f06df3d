package artifacts

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// DefaultKeyReloadInterval is how often, at most, a signer from
// SignerFromFile looks at its files for a change. The kubelet refreshes a
// mounted Secret within about a minute; checking is a few stat calls.
const DefaultKeyReloadInterval = 10 * time.Second

// KeyFileOption changes how SignerFromFile keeps its keys current.
type KeyFileOption func(*keyFile)

// WithReloadInterval sets how often, at most, the files are looked at
// (DefaultKeyReloadInterval; negative turns reloading off).
func WithReloadInterval(d time.Duration) KeyFileOption {
	return func(f *keyFile) { f.every = d }
}

// WithReloadLog logs each reload (key IDs, never secrets) and each failed
// one.
func WithReloadLog(log logr.Logger) KeyFileOption {
	return func(f *keyFile) { f.log = log }
}

// SignerFromFile builds the operator's URL signer from a file or a
// directory. A file holds one key (surrounding whitespace dropped), its
// name the key ID. A directory, such as a mounted Secret, holds one key per
// file, as SignerFromSecretData reads a Secret's data: during a rotation it
// holds the old and the new key. Hidden entries (a Secret mount's ..data
// links) are skipped.
//
// A mounted Secret changes in place, so the signer keeps reading it: when
// a key was added, the greatest name signs from then on; when one was
// removed, the URLs it signed are refused. It looks at the files at most
// once per interval, when a URL is signed or verified, and reads them only
// when a name, size or modification time changed. A change that does not
// make a valid keyring (a half-written file, an empty directory) keeps the
// previous keys and is tried again at the next interval.
func SignerFromFile(path string, opts ...KeyFileOption) (*Signer, error) {
	f := &keyFile{path: path, every: DefaultKeyReloadInterval, now: time.Now, log: logr.Discard()}
	for _, o := range opts {
		o(f)
	}
	stamp, err := f.stamp()
	if err != nil {
		return nil, err
	}
	ring, err := readKeyring(path)
	if err != nil {
		return nil, err
	}
	f.ring, f.seen, f.checked = ring, stamp, f.now()
	return &Signer{file: f, now: time.Now}, nil
}

// keyFile is a keyring read from files, re-read when they change.
type keyFile struct {
	path  string
	every time.Duration
	now   func() time.Time
	log   logr.Logger

	mu      sync.Mutex
	ring    *keyring
	seen    string // stamp of the files ring was read from
	checked time.Time
}

// current is the keyring, re-read first if the interval has passed and
// the files changed.
func (f *keyFile) current() *keyring {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now := f.now(); f.every >= 0 && now.Sub(f.checked) >= f.every {
		f.checked = now
		f.reload()
	}
	return f.ring
}

func (f *keyFile) reload() {
	stamp, err := f.stamp()
	if err == nil && stamp == f.seen {
		return
	}
	var ring *keyring
	if err == nil {
		ring, err = readKeyring(f.path)
	}
	if err != nil {
		f.log.Error(err, "artifact signing keys changed but cannot be read; still using the previous ones", "path", f.path, "signingKey", f.ring.sign.ID)
		return
	}
	f.ring, f.seen = ring, stamp
	f.log.Info("artifact signing keys reloaded", "path", f.path, "signingKey", ring.sign.ID, "keys", ring.ids())
}

// stamp sums up the names, sizes and modification times of the key files
// (following a Secret mount's links to the files they name).
func (f *keyFile) stamp() (string, error) {
	info, err := os.Stat(f.path)
	if err != nil {
		return "", fmt.Errorf("artifact signing key: %w", err)
	}
	if !info.IsDir() {
		return fileStamp(info), nil
	}
	entries, err := os.ReadDir(f.path)
	if err != nil {
		return "", fmt.Errorf("artifact signing keys: %w", err)
	}
	var b strings.Builder
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if st, err := os.Stat(filepath.Join(f.path, e.Name())); err == nil {
			b.WriteString(e.Name() + "=" + fileStamp(st) + "\n")
		}
	}
	return b.String(), nil
}

func fileStamp(info os.FileInfo) string {
	return fmt.Sprintf("%d@%d", info.Size(), info.ModTime().UnixNano())
}

// readKeyring reads the keys of a file or a directory (see SignerFromFile).
func readKeyring(path string) (*keyring, error) {
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
	ring, err := keyringFromData(data)
	if err != nil {
		return nil, fmt.Errorf("artifact signing key %s: %w", path, err)
	}
	return ring, nil
}

// ids are the keyring's key IDs, sorted.
func (k *keyring) ids() []string {
	ids := make([]string, 0, len(k.verify))
	for id := range k.verify {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("artifact signing key: %w", err)
	}
	return bytes.TrimSpace(b), nil
}
