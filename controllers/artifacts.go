package controllers

import (
	"context"
	"fmt"
	"net/http"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// ArtifactStore is where the controller keeps results when the operator
// runs with --artifact-bucket: each image is downloaded from the upstream
// and stored under the request and attempt before Succeeded is written,
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
	// MaxDownloadBytes bounds one result; zero is DefaultMaxDownloadBytes.
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

// storeResults downloads attempt's images from the upstream's URLs and
// stores them (retrying the write from memory, see
// artifacts.PutResultWithRetry), then returns their status entries with
// fresh signed URLs. Its errors are *storageError. ctx is the paid-work
// context: a drain lets the write finish.
func (r *ImageRequestReconciler) storeResults(ctx context.Context, ir *imagesv1alpha1.ImageRequest, attempt int32, res *upstream.Result) ([]imagesv1alpha1.GeneratedImage, error) {
	a := r.Artifacts
	fail := func(err error) error { return &storageError{backend: a.Store.Backend(), err: err} }
	images := make([][]byte, 0, len(res.Images))
	contentType := ""
	for i, img := range res.Images {
		if img.URL == "" {
			return nil, fail(fmt.Errorf("image %d has no URL", i))
		}
		data, ctype, err := download(ctx, a.httpClient(), img.URL, a.maxBytes())
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
