package artifacts

import (
	"errors"
	"fmt"

	"gocloud.dev/gcerrors"
)

// ErrNotFound is wrapped by errors for a key that has no object.
var ErrNotFound = errors.New("artifact not found")

// ErrIncomplete is wrapped by ReadManifest when an attempt has no manifest:
// its objects, if any, are not known to be complete.
var ErrIncomplete = errors.New("attempt has no manifest: its artifacts are incomplete")

// ErrPresignUnsupported is wrapped by PresignedURL for a backend that cannot
// sign URLs (fileblob without a signing key, for one): use the operator's
// own signed URLs (Signer, Handler) for such a bucket.
var ErrPresignUnsupported = errors.New("the bucket's backend cannot presign URLs")

// TooLargeError is PutInput's refusal of an input longer than its limit.
// Nothing is stored when it is returned.
type TooLargeError struct {
	Field InputField
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("input %s is larger than the limit of %d bytes", e.Field, e.Limit)
}

// notFound wraps ErrNotFound into err when the backend says the object does
// not exist, so callers test with errors.Is whatever the backend.
func notFound(err error) error {
	if err != nil && gcerrors.Code(err) == gcerrors.NotFound && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || gcerrors.Code(err) == gcerrors.NotFound
}
