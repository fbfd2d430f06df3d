package imagerequests

import (
	"context"
	"io"
	"time"

	"github.com/imagegen/imagegen-operator/internal/artifacts"
)

// ArtifactStore is what the front door needs of the artifact store: fresh
// signed URLs for every read, result bytes for resources/read, and a place
// to stream edit inputs. Nil when the operator runs without a store.
type ArtifactStore interface {
	// IssueURL signs a fresh GET URL for key and says when it expires.
	IssueURL(ctx context.Context, key string) (url string, expires time.Time, err error)
	// KeyFromURI is the key a durable URI (status.images[].uri) names.
	KeyFromURI(uri string) (string, error)
	// Stat reads an object's attributes.
	Stat(ctx context.Context, key string) (artifacts.Info, error)
	// ReadAll reads a whole object; callers bound its size with Stat first.
	ReadAll(ctx context.Context, key string) ([]byte, error)
	// PutInput streams an edit input into the store, refusing more than
	// limit bytes.
	PutInput(ctx context.Context, ref artifacts.Ref, field artifacts.InputField, r io.Reader, limit int64) (artifacts.Object, error)
	// Delete removes every object under prefix (a whole key deletes one).
	Delete(ctx context.Context, prefix string) (int, error)
}
