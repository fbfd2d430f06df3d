package artifacts

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"gocloud.dev/blob"
	// Backends a bucket URL may name. Credentials come the usual way for
	// each: the AWS, Google Cloud and Azure SDKs' default chains.
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
)

// Options tunes a Store. The zero value is ready to use.
type Options struct {
	// CheckAccess makes Open fail unless the bucket answers (it exists and
	// the credentials reach it), so a misconfigured manager fails at start
	// rather than after its first paid call.
	CheckAccess bool
	// WriteBufferSize is the size of each part of a streamed upload (and so
	// the memory one PutInput holds per concurrent part); 0 is the backend's
	// default (5 MiB for S3).
	WriteBufferSize int
}

// Store is the artifact store over one opened bucket. It is safe for
// concurrent use.
type Store struct {
	bucket *blob.Bucket
	// backend is the URL scheme ("s3", "gs", "azblob", "file"), the
	// metrics' backend label.
	backend string
	// uriBase is the bucket URL without its query, plus any prefix= the URL
	// set, ending in "/": a key appended to it is the object's durable URI.
	uriBase string
	opts    Options
	// beforeManifest, when set (by tests), runs between an attempt's images
	// and its manifest; an error stands for a crash there.
	beforeManifest func() error
}

// Open opens the bucket at bucketURL: s3://bucket?region=…&endpoint=…&use_path_style=true,
// gs://bucket, azblob://container, file:///dir (see gocloud.dev's URL
// openers for every parameter).
func Open(ctx context.Context, bucketURL string, opts Options) (*Store, error) {
	u, err := url.Parse(bucketURL)
	if err != nil {
		return nil, fmt.Errorf("artifact bucket URL: %w", err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("artifact bucket URL %q has no scheme (s3://, gs://, azblob://, file://)", bucketURL)
	}
	bucket, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		return nil, fmt.Errorf("opening artifact bucket %s: %w", redact(u), err)
	}
	s := &Store{bucket: bucket, backend: u.Scheme, uriBase: uriBase(u), opts: opts}
	if opts.CheckAccess {
		ok, err := bucket.IsAccessible(ctx)
		if err == nil && !ok {
			err = errors.New("the bucket does not exist")
		}
		if err != nil {
			_ = bucket.Close()
			return nil, fmt.Errorf("artifact bucket %s is not accessible: %w", redact(u), err)
		}
	}
	return s, nil
}

// Close releases the bucket.
func (s *Store) Close() error {
	if err := s.bucket.Close(); err != nil {
		return fmt.Errorf("closing artifact bucket: %w", err)
	}
	return nil
}

// Backend is the bucket URL's scheme: "s3", "gs", "azblob", "file".
func (s *Store) Backend() string { return s.backend }

// URI is the durable URI of a key: the bucket URL's scheme, host and path
// (query dropped, prefix= kept) followed by the key, e.g. s3://bucket/results/….
func (s *Store) URI(key string) string { return s.uriBase + key }

// KeyFromURI is the key a URI from URI names, or an error if the URI is not
// in this store's bucket. A bare key (no scheme) is returned as is, so a
// user may reference an object either way.
func (s *Store) KeyFromURI(uri string) (string, error) {
	if !strings.Contains(uri, "://") {
		return uri, nil
	}
	key, ok := strings.CutPrefix(uri, s.uriBase)
	if !ok || key == "" {
		return "", fmt.Errorf("%q is not an object of the artifact bucket %s", uri, s.uriBase)
	}
	return key, nil
}

func uriBase(u *url.URL) string {
	base := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	s := strings.TrimSuffix(base.String(), "/") + "/"
	if p := u.Query().Get("prefix"); p != "" {
		s += strings.TrimPrefix(p, "/")
	}
	return s
}

// redact drops the query, which may carry endpoints and key paths, from a
// bucket URL shown in an error.
func redact(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return r.String()
}
