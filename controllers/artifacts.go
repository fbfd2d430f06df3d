package controllers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// ArtifactStore is where the controller keeps results when the operator
// runs with --artifact-bucket: each image (inline, or downloaded from the
// upstream's URL) is stored under the request and attempt before Succeeded
// is written,
// and status gets the stored copy's URI and a signed URL.
type ArtifactStore struct {
	Store *artifacts.Store
	// URLs issues the signed URLs written to status (presigned or the
	// operator's own).
	URLs artifacts.URLIssuer
	// Retry bounds the store write after a paid call (zero: the
	// artifacts package's default, 2 minutes).
	Retry artifacts.RetryPolicy
	// HTTPClient downloads results from the upstream's URLs; nil uses one
	// with DefaultDownloadTimeout.
	HTTPClient *http.Client
	// MaxDownloadBytes bounds one result, downloaded or decoded; zero is
	// DefaultMaxDownloadBytes.
	MaxDownloadBytes int64
}

func (a *ArtifactStore) httpClient() *http.Client {
	if a.HTTPClient != nil {
		return a.HTTPClient
	}
	return &http.Client{Timeout: DefaultDownloadTimeout}
}

func (a *ArtifactStore) maxBytes() int64 {
	if a.MaxDownloadBytes > 0 {
		return a.MaxDownloadBytes
	}
	return DefaultMaxDownloadBytes
}

// storageError is a paid result the controller could not keep.
type storageError struct {
	backend string
	err     error
}

func (e *storageError) Error() string {
	return fmt.Sprintf("the upstream call succeeded and was paid for, but its images could not be kept in the %s artifact store: %v", e.backend, e.err)
}

func (e *storageError) Unwrap() error { return e.err }

func refOf(ir *imagesv1alpha1.ImageRequest) artifacts.Ref {
	return artifacts.Ref{Namespace: ir.Namespace, Name: ir.Name, UID: string(ir.UID)}
}

// storeResults stores attempt's images (retrying the write from memory,
// see artifacts.PutResultWithRetry), then returns their status entries
// with fresh signed URLs. An image that came inline (b64_json, which the
// controller asks for when it has a store) is decoded; one that came as a
// URL (a server that ignores response_format) is downloaded; either is
// bounded by maxBytes. Its errors are *storageError. ctx is the paid-work
// context: a drain lets the write finish.
func (r *ImageRequestReconciler) storeResults(ctx context.Context, ir *imagesv1alpha1.ImageRequest, attempt int32, res *upstream.Result) ([]imagesv1alpha1.GeneratedImage, error) {
	a := r.Artifacts
	fail := func(err error) error { return &storageError{backend: a.Store.Backend(), err: err} }
	images := make([][]byte, 0, len(res.Images))
	contentType := ""
	for i, img := range res.Images {
		data, ctype, err := a.fetch(ctx, img)
		if err != nil {
			return nil, fail(fmt.Errorf("image %d: %w", i, err))
		}
		if contentType == "" {
			contentType = ctype
		} else if ctype != contentType {
			return nil, fail(fmt.Errorf("image %d is %s, image 0 is %s", i, ctype, contentType))
		}
		images = append(images, data)
	}
	objects, err := a.Store.PutResultWithRetry(ctx, refOf(ir), attempt, images, contentType, a.Retry)
	if err != nil {
		return nil, fail(err)
	}
	out, err := r.statusImages(ctx, objects)
	if err != nil {
		return nil, fail(err)
	}
	return out, nil
}

// fetch returns one result's bytes and media type: decoded when it came
// inline (the type sniffed from the bytes: models return png, jpeg or
// webp), downloaded when it came as a URL.
func (a *ArtifactStore) fetch(ctx context.Context, img upstream.Image) ([]byte, string, error) {
	switch {
	case img.B64JSON != "":
		data, err := img.Decode(a.maxBytes())
		if err != nil {
			return nil, "", fmt.Errorf("decoding the inline result: %w", err)
		}
		return data, sniff(data), nil
	case img.URL != "":
		return download(ctx, a.httpClient(), img.URL, a.maxBytes())
	}
	return nil, "", errors.New("the upstream sent neither b64_json nor a URL")
}

// responseFormat is what the controller asks the upstream for: the images
// inline when it keeps them in a store (no download, no second round
// trip), else URLs, which go to status as they are.
func (r *ImageRequestReconciler) responseFormat() string {
	if r.Artifacts != nil {
		return upstream.FormatB64JSON
	}
	return upstream.FormatURL
}

// statusImages are the status entries of stored objects, each with a fresh
// signed URL.
func (r *ImageRequestReconciler) statusImages(ctx context.Context, objects []artifacts.Object) ([]imagesv1alpha1.GeneratedImage, error) {
	out := make([]imagesv1alpha1.GeneratedImage, 0, len(objects))
	for _, o := range objects {
		url, expires, err := r.Artifacts.URLs.IssueURL(ctx, o.Key)
		if err != nil {
			return nil, fmt.Errorf("signing a URL for %s: %w", o.Key, err)
		}
		out = append(out, imagesv1alpha1.GeneratedImage{
			URL:         url,
			ExpiresAt:   &metav1.Time{Time: expires},
			URI:         o.URI,
			ContentType: o.ContentType,
			Bytes:       o.Bytes,
			SHA256:      o.SHA256,
			Width:       int32(o.Width),
			Height:      int32(o.Height),
		})
	}
	return out, nil
}

// earliestExpiry is the soonest expiresAt of images, or limit.
func earliestExpiry(images []imagesv1alpha1.GeneratedImage, limit time.Time) time.Time {
	for _, img := range images {
		if img.ExpiresAt != nil {
			limit = earliest(limit, img.ExpiresAt.Time)
		}
	}
	return limit
}
