package imagerequests

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// HasArtifactStore reports whether the operator keeps results in an
// artifact store: only then are result images readable through the
// service (ReadImage) and their URLs re-signed on every read.
func (s *Service) HasArtifactStore() bool { return s.artifacts != nil }

// withFreshURLs returns ir with a URL signed now (and its expiry) for each
// image kept in the artifact store, so every read hands out a URL good for
// a whole TTL instead of whatever was left of the one the controller wrote
// to status. It works on a deep copy: ir may share its images with the
// informer's cache (a reader that copies shallowly shares the slice), and
// a URL signed for one caller must never leak into what others read.
// Without a store, or without stored images, ir is returned as it is.
func (s *Service) withFreshURLs(ctx context.Context, ir *imagesv1alpha1.ImageRequest) (*imagesv1alpha1.ImageRequest, error) {
	if s.artifacts == nil || ir == nil || !hasStoredImages(ir) {
		return ir, nil
	}
	out := ir.DeepCopy()
	for i := range out.Status.Images {
		img := &out.Status.Images[i]
		if img.URI == "" {
			continue // written before the store was configured: the upstream's URL
		}
		key, err := s.artifacts.KeyFromURI(img.URI)
		if err != nil {
			return nil, fmt.Errorf("image %d of ImageRequest %s/%s: %w", i, ir.Namespace, ir.Name, err)
		}
		url, expires, err := s.artifacts.IssueURL(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("signing a URL for image %d of ImageRequest %s/%s: %w", i, ir.Namespace, ir.Name, err)
		}
		img.URL = url
		img.ExpiresAt = &metav1.Time{Time: expires}
	}
	return out, nil
}

// withFreshURLsAll is withFreshURLs for each item of a list, in place of
// the item (the list is the caller's own; its items' images may not be).
func (s *Service) withFreshURLsAll(ctx context.Context, items []imagesv1alpha1.ImageRequest) error {
	if s.artifacts == nil {
		return nil
	}
	for i := range items {
		fresh, err := s.withFreshURLs(ctx, &items[i])
		if err != nil {
			return err
		}
		items[i] = *fresh
	}
	return nil
}

func hasStoredImages(ir *imagesv1alpha1.ImageRequest) bool {
	for _, img := range ir.Status.Images {
		if img.URI != "" {
			return true
		}
	}
	return false
}
