package artifacts

import (
	"context"
	"fmt"
	"time"

	"gocloud.dev/blob"
)

// ListPage lists up to pageSize objects under prefix from token (nil: the
// first page), with their size and modification time, and returns the
// token of the next page (nil after the last). A sweep keeps the token
// between runs so each run does a bounded amount of work and a bucket of
// any size is still covered. Infos carry no content type or SHA-256: a
// listing does not return them.
func (s *Store) ListPage(ctx context.Context, prefix string, token []byte, pageSize int) (_ []Info, next []byte, err error) {
	defer s.observe(opList, time.Now(), &err)
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	objs, next, err := s.bucket.ListPage(ctx, token, pageSize, &blob.ListOptions{Prefix: prefix})
	if err != nil {
		return nil, nil, fmt.Errorf("listing %q: %w", prefix, err)
	}
	infos := make([]Info, 0, len(objs))
	for _, o := range objs {
		if o.IsDir {
			continue
		}
		infos = append(infos, Info{Key: o.Key, Size: o.Size, ModTime: o.ModTime})
	}
	return infos, next, nil
}

// DeleteObject deletes one object by key (a missing one is not an error)
// and counts it as deleted.
func (s *Store) DeleteObject(ctx context.Context, key string) error {
	if !validKey(key) {
		return fmt.Errorf("deleting %q: not a key of this store", key)
	}
	if err := s.deleteIfExists(ctx, key); err != nil {
		return err
	}
	deletedObjects.WithLabelValues(s.backend).Inc()
	return nil
}
