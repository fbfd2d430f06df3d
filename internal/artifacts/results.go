package artifacts

import (
	"bytes"
	"context"
	"crypto/md5" // Content-MD5 is the backends' transfer check, not a security measure.
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig reads JPEG headers
	_ "image/png"  // and PNG headers
	"time"

	"gocloud.dev/blob"
	// WebP headers too: the GPT image models return webp. (imagecheck
	// registers the decoder as well, but this package must not depend on
	// who else is linked in.)
	_ "golang.org/x/image/webp"
)

// Object describes one stored image: what the status reports for it.
type Object struct {
	// Index is the image's position in the upstream answer (results only).
	Index int `json:"index"`
	// Key is the object's key in the bucket.
	Key string `json:"key"`
	// URI is the durable URI (Store.URI of Key).
	URI         string `json:"uri"`
	Bytes       int64  `json:"bytes"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType"`
	// Width and Height come from the image header (0 when the header could
	// not be read: the bytes are stored anyway).
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
}

// ManifestVersion is the version of the manifest format this package writes.
const ManifestVersion = 1

// Manifest lists an attempt's result objects. It is written after them, so
// its presence means the attempt's objects are complete.
type Manifest struct {
	Version   int      `json:"version"`
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	UID       string   `json:"uid"`
	Attempt   int32    `json:"attempt"`
	Images    []Object `json:"images"`
}

// metaSHA256 is the metadata key holding an object's SHA-256 (hex), which
// the handler serves as its ETag.
const metaSHA256 = "sha256"

// PutResult stores the images of an attempt under ResultKey, then the
// attempt's manifest, and returns each image's metadata. An earlier
// manifest of the same attempt is deleted first, so a manifest is never
// present next to images it does not describe. Calling it again for the same
// attempt overwrites the same keys. It makes one try; PutResultWithRetry
// retries from memory.
func (s *Store) PutResult(ctx context.Context, ref Ref, attempt int32, images [][]byte, contentType string) (_ []Object, err error) {
	if err := validateResultArgs(ref, attempt); err != nil {
		return nil, err
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("storing results of %s attempt %d: no images", ref, attempt)
	}
	manifestKey := ManifestKey(ref, attempt)
	if err := s.deleteIfExists(ctx, manifestKey); err != nil {
		return nil, fmt.Errorf("removing the earlier manifest of %s attempt %d: %w", ref, attempt, err)
	}
	objects := make([]Object, len(images))
	for i, data := range images {
		obj, err := s.putImage(ctx, ResultKey(ref, attempt, i, contentType), data, contentType)
		if err != nil {
			return nil, fmt.Errorf("storing result %d of %s attempt %d: %w", i, ref, attempt, err)
		}
		obj.Index = i
		objects[i] = obj
	}
	if s.beforeManifest != nil {
		if err := s.beforeManifest(); err != nil {
			return nil, fmt.Errorf("storing results of %s attempt %d: %w", ref, attempt, err)
		}
	}
	m := Manifest{Version: ManifestVersion, Namespace: ref.Namespace, Name: ref.Name, UID: ref.UID, Attempt: attempt, Images: objects}
	if err := s.putManifest(ctx, manifestKey, &m); err != nil {
		return nil, fmt.Errorf("storing the manifest of %s attempt %d: %w", ref, attempt, err)
	}
	return objects, nil
}

func (s *Store) putImage(ctx context.Context, key string, data []byte, contentType string) (_ Object, err error) {
	defer s.observe(opPutResult, time.Now(), &err)
	sum := sha256.Sum256(data)
	md := md5.Sum(data)
	obj := Object{
		Key: key, URI: s.URI(key), Bytes: int64(len(data)),
		SHA256: hex.EncodeToString(sum[:]), ContentType: contentType,
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		obj.Width, obj.Height = cfg.Width, cfg.Height
	}
	err = s.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{
		ContentType: contentType,
		ContentMD5:  md[:],
		Metadata:    map[string]string{metaSHA256: obj.SHA256},
	})
	if err != nil {
		return Object{}, fmt.Errorf("writing %s: %w", key, err)
	}
	s.stored(kindResult, obj.Bytes)
	return obj, nil
}

func (s *Store) putManifest(ctx context.Context, key string, m *Manifest) (err error) {
	defer s.observe(opPutManifest, time.Now(), &err)
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding manifest: %w", err)
	}
	if err := s.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("writing %s: %w", key, err)
	}
	s.stored(kindManifest, int64(len(data)))
	return nil
}

// ReadManifest reads an attempt's manifest. Without one the error wraps
// ErrIncomplete (and ErrNotFound): the attempt's objects, if any, must not
// be trusted.
func (s *Store) ReadManifest(ctx context.Context, ref Ref, attempt int32) (_ *Manifest, err error) {
	defer s.observe(opReadManifest, time.Now(), &err)
	if err := validateResultArgs(ref, attempt); err != nil {
		return nil, err
	}
	key := ManifestKey(ref, attempt)
	data, err := s.bucket.ReadAll(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("%s attempt %d: %w: %w", ref, attempt, ErrIncomplete, notFound(err))
		}
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", key, err)
	}
	if m.Version != ManifestVersion || m.Namespace != ref.Namespace || m.Name != ref.Name || m.UID != ref.UID || m.Attempt != attempt {
		return nil, fmt.Errorf("manifest %s (version %d) describes %s/%s uid %s attempt %d, not %s attempt %d",
			key, m.Version, m.Namespace, m.Name, m.UID, m.Attempt, ref, attempt)
	}
	return &m, nil
}

func (s *Store) deleteIfExists(ctx context.Context, key string) (err error) {
	defer s.observe(opDelete, time.Now(), &err)
	if err := s.bucket.Delete(ctx, key); err != nil && !isNotFound(err) {
		return fmt.Errorf("deleting %s: %w", key, err)
	}
	return nil
}
