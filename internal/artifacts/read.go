package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"gocloud.dev/blob"
)

// Info is what the store knows of an object without reading it.
type Info struct {
	Key         string
	Size        int64
	ContentType string
	ModTime     time.Time
	// SHA256 is the hex SHA-256 recorded when a result was written; empty
	// for objects written without it (inputs, objects put by others).
	SHA256 string
	// ETag is the backend's entity tag, as the backend gives it.
	ETag string
}

// Stat reads an object's attributes. A missing object's error wraps
// ErrNotFound.
func (s *Store) Stat(ctx context.Context, key string) (_ Info, err error) {
	defer s.observe(opStat, time.Now(), &err)
	attrs, err := s.bucket.Attributes(ctx, key)
	if err != nil {
		return Info{}, fmt.Errorf("reading the attributes of %s: %w", key, notFound(err))
	}
	return Info{
		Key: key, Size: attrs.Size, ContentType: attrs.ContentType, ModTime: attrs.ModTime,
		SHA256: attrs.Metadata[metaSHA256], ETag: attrs.ETag,
	}, nil
}

// ReadRange opens length bytes of an object from offset (length < 0: to the
// end). The caller closes the reader.
func (s *Store) ReadRange(ctx context.Context, key string, offset, length int64) (_ io.ReadCloser, err error) {
	defer s.observe(opRead, time.Now(), &err)
	r, err := s.bucket.NewRangeReader(ctx, key, offset, length, nil)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, notFound(err))
	}
	return r, nil
}

// ReadAll reads a whole object into memory: for small objects only (a
// manifest, a resource the caller has already bounded by Stat).
func (s *Store) ReadAll(ctx context.Context, key string) (_ []byte, err error) {
	defer s.observe(opRead, time.Now(), &err)
	data, err := s.bucket.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, notFound(err))
	}
	return data, nil
}

// Open stats an object and returns a reader over it that seeks without
// reading: each Read after a Seek opens one range request from the new
// offset to the end, so http.ServeContent answers a Range request with one
// ranged read of the backend instead of a full download.
func (s *Store) Open(ctx context.Context, key string) (*ObjectReader, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	return &ObjectReader{Info: info, ctx: ctx, store: s}, nil
}

// ObjectReader is an io.ReadSeekCloser over an object, from Store.Open.
type ObjectReader struct {
	Info  Info
	ctx   context.Context
	store *Store
	off   int64
	r     io.ReadCloser
}

// Read reads from the current offset, opening a range read if none is open.
func (o *ObjectReader) Read(p []byte) (int, error) {
	if o.off >= o.Info.Size {
		return 0, io.EOF
	}
	if o.r == nil {
		r, err := o.store.ReadRange(o.ctx, o.Info.Key, o.off, -1)
		if err != nil {
			return 0, err
		}
		o.r = r
	}
	n, err := o.r.Read(p)
	o.off += int64(n)
	return n, err
}

// Seek sets the offset for the next Read; it reads nothing itself.
func (o *ObjectReader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = o.off + offset
	case io.SeekEnd:
		abs = o.Info.Size + offset
	default:
		return 0, fmt.Errorf("seeking %s: invalid whence %d", o.Info.Key, whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("seeking %s: negative offset %d", o.Info.Key, abs)
	}
	if abs != o.off {
		o.closeReader()
		o.off = abs
	}
	return abs, nil
}

// Close closes the open range read, if any.
func (o *ObjectReader) Close() error {
	o.closeReader()
	return nil
}

func (o *ObjectReader) closeReader() {
	if o.r != nil {
		_ = o.r.Close()
		o.r = nil
	}
}

// List lists the keys under prefix (all keys for ""), in lexical order, for
// orphan sweeps and audits.
func (s *Store) List(ctx context.Context, prefix string) (_ []string, err error) {
	defer s.observe(opList, time.Now(), &err)
	var keys []string
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return keys, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing %q: %w", prefix, err)
		}
		if !obj.IsDir {
			keys = append(keys, obj.Key)
		}
	}
}

// Delete deletes every object under prefix and returns how many it deleted.
// The prefix must be non-empty and end in "/" (RequestPrefix, AttemptPrefix)
// or be a whole key, so a mistake cannot empty the bucket.
func (s *Store) Delete(ctx context.Context, prefix string) (int, error) {
	if prefix == "" || (!strings.HasSuffix(prefix, "/") && !validKey(prefix)) {
		return 0, fmt.Errorf("deleting %q: the prefix must end in / or be a key", prefix)
	}
	keys, err := s.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, key := range keys {
		if err := s.deleteIfExists(ctx, key); err != nil {
			return deleted, err
		}
		deleted++
		deletedObjects.WithLabelValues(s.backend).Inc()
	}
	return deleted, nil
}

// DeleteRequest deletes every object of a request: its results of every
// attempt and its inputs.
func (s *Store) DeleteRequest(ctx context.Context, ref Ref) (int, error) {
	if err := ref.Validate(); err != nil {
		return 0, err
	}
	total := 0
	for _, kind := range []string{ResultsPrefix, InputsPrefix} {
		n, err := s.Delete(ctx, RequestPrefix(kind, ref))
		total += n
		if err != nil {
			return total, fmt.Errorf("deleting the objects of %s: %w", ref, err)
		}
	}
	return total, nil
}
