package artifacts

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"net/http"
	"time"

	"gocloud.dev/blob"
)

// headerPeek is how much of an input PutInput looks at before streaming it:
// enough for http.DetectContentType (512 bytes) and for the PNG header
// (33 bytes) and a JPEG's frame header behind most metadata.
const headerPeek = 64 << 10

// PutInput streams an edit input from r into the store under InputKeyFor
// its sniffed content type (a PNG is still <field>.png), refusing it with
// a *TooLargeError as soon as it passes limit bytes. A
// refused or failed upload is aborted: nothing is stored under the key (an
// earlier object there is left as it was). The bytes pass through once and
// are never held whole in memory: only a small header and the backend's
// upload buffer (Options.WriteBufferSize per part).
//
// The returned Object has the size, SHA-256, sniffed content type and the
// dimensions read from the header; a caller that refuses the input on those
// deletes it.
func (s *Store) PutInput(ctx context.Context, ref Ref, field InputField, r io.Reader, limit int64) (_ Object, err error) {
	defer s.observe(opPutInput, time.Now(), &err)
	if err := ref.Validate(); err != nil {
		return Object{}, err
	}
	if err := field.validate(); err != nil {
		return Object{}, err
	}
	if limit <= 0 {
		return Object{}, fmt.Errorf("input %s: limit %d must be positive", field, limit)
	}
	br := bufio.NewReaderSize(r, headerPeek)
	header, err := br.Peek(headerPeek)
	if err != nil && !errors.Is(err, io.EOF) {
		return Object{}, fmt.Errorf("reading input %s: %w", field, err)
	}
	contentType := http.DetectContentType(header)
	key := InputKeyFor(ref, field, contentType)
	obj := Object{Key: key, URI: s.URI(key), ContentType: contentType}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(header)); err == nil {
		obj.Width, obj.Height = cfg.Width, cfg.Height
	}

	// Cancelling the writer's context before Close aborts the upload.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(wctx, key, &blob.WriterOptions{
		ContentType: obj.ContentType,
		BufferSize:  s.opts.WriteBufferSize,
	})
	if err != nil {
		return Object{}, fmt.Errorf("opening %s for writing: %w", key, err)
	}
	hash := sha256.New()
	// One byte past the limit tells a too-large input from one of exactly
	// the limit.
	n, copyErr := io.Copy(io.MultiWriter(w, hash), io.LimitReader(br, limit+1))
	if copyErr == nil && n > limit {
		copyErr = &TooLargeError{Field: field, Limit: limit}
	}
	if copyErr != nil {
		cancel()
		_ = w.Close() // aborts: the context is cancelled
		var tooLarge *TooLargeError
		if errors.As(copyErr, &tooLarge) {
			return Object{}, copyErr
		}
		return Object{}, fmt.Errorf("streaming input %s to %s: %w", field, key, copyErr)
	}
	if err := w.Close(); err != nil {
		return Object{}, fmt.Errorf("finishing %s: %w", key, err)
	}
	obj.Bytes = n
	obj.SHA256 = hex.EncodeToString(hash.Sum(nil))
	s.stored(kindInput, n)
	return obj, nil
}
