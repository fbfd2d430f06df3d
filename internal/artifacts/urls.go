package artifacts

import (
	"context"
	"fmt"
	"time"
)

// URL modes: who signs the URLs clients get.
const (
	// URLModePresigned hands out the backend's own presigned URLs (S3 and GCS
	// V4 signatures, at most MaxPresignTTL): clients fetch from the bucket.
	URLModePresigned = "presigned"
	// URLModeOperator hands out URLs the operator signs and serves itself
	// (Handler): for file:// buckets and buckets clients cannot reach.
	URLModeOperator = "operator"
)

// URLIssuer hands out a fresh signed GET URL for a key and when it expires.
type URLIssuer interface {
	IssueURL(ctx context.Context, key string) (string, time.Time, error)
}

// PresignedURLs issues the backend's presigned URLs, valid for TTL.
type PresignedURLs struct {
	Store *Store
	TTL   time.Duration
}

// IssueURL presigns key.
func (p PresignedURLs) IssueURL(ctx context.Context, key string) (string, time.Time, error) {
	return p.Store.PresignedURL(ctx, key, p.TTL)
}

// OperatorURLs issues URLs that the operator's Handler serves: BaseURL (the
// external prefix clients reach the listener at, e.g.
// https://imagegen.example.com) + HandlerPrefix + key, signed by Signer and
// valid for TTL.
type OperatorURLs struct {
	Signer  *Signer
	BaseURL string
	TTL     time.Duration
}

// IssueURL signs key.
func (o OperatorURLs) IssueURL(_ context.Context, key string) (string, time.Time, error) {
	if o.TTL <= 0 {
		return "", time.Time{}, fmt.Errorf("signing a URL for %s: lifetime %s is not positive", key, o.TTL)
	}
	// Whole seconds: the signed expiry is in Unix seconds.
	expires := time.Now().Add(o.TTL).Truncate(time.Second)
	return o.Signer.URL(o.BaseURL, key, expires), expires, nil
}

// Access is a Store together with the issuer of its URLs: what the front
// door (internal/imagerequests) reads and writes the store through.
type Access struct {
	*Store
	URLs URLIssuer
}

// IssueURL hands out a fresh signed URL for key.
func (a Access) IssueURL(ctx context.Context, key string) (string, time.Time, error) {
	return a.URLs.IssueURL(ctx, key)
}
