package artifacts

import (
	"context"
	"fmt"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// MaxPresignTTL is the longest lifetime of a presigned URL: the limit of S3
// and GCS V4 signatures.
const MaxPresignTTL = 7 * 24 * time.Hour

// PresignedURL is a GET URL for key signed by the backend itself (S3 or GCS
// V4 signature), valid for ttl, and the time it expires. A backend that
// cannot sign gives an error wrapping ErrPresignUnsupported. The object need
// not exist yet.
func (s *Store) PresignedURL(ctx context.Context, key string, ttl time.Duration) (_ string, _ time.Time, err error) {
	defer s.observe(opPresign, time.Now(), &err)
	if ttl <= 0 || ttl > MaxPresignTTL {
		return "", time.Time{}, fmt.Errorf("presigning %s: lifetime %s is not in (0, %s]", key, ttl, MaxPresignTTL)
	}
	expires := time.Now().Add(ttl)
	u, err := s.bucket.SignedURL(ctx, key, &blob.SignedURLOptions{Expiry: ttl})
	if err != nil {
		if gcerrors.Code(err) == gcerrors.Unimplemented {
			return "", time.Time{}, fmt.Errorf("presigning %s on a %s bucket: %w (%w)", key, s.backend, ErrPresignUnsupported, err)
		}
		return "", time.Time{}, fmt.Errorf("presigning %s: %w", key, err)
	}
	return u, expires, nil
}
