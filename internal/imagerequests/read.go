package imagerequests

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// +kubebuilder:rbac:groups=images.imagegen.dev,resources=imagerequests,verbs=get;list;watch

// Get checks the namespace and name, authorises caller to get the
// ImageRequest and reads it, with freshly signed URLs for its stored images
// (see withFreshURLs). A request that does not exist is an error
// apierrors.IsNotFound answers.
func (s *Service) Get(ctx context.Context, caller *Caller, namespace, name string) (*imagesv1alpha1.ImageRequest, error) {
	ir, err := s.getAuthorized(ctx, caller, namespace, name)
	if err != nil {
		return nil, err
	}
	return s.withFreshURLs(ctx, ir)
}

// getAuthorized is Get without the fresh URLs: for reads that hand out
// no URL (ReadImage).
func (s *Service) getAuthorized(ctx context.Context, caller *Caller, namespace, name string) (*imagesv1alpha1.ImageRequest, error) {
	if ierr := CheckRequestKey(namespace, name); ierr != nil {
		return nil, ierr
	}
	if err := s.Authorize(ctx, caller, "get", namespace, name); err != nil {
		return nil, err
	}
	ir, err := s.read(ctx, namespace, name)
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("reading ImageRequest %s/%s: %w", namespace, name, err)
	}
	return ir, err
}

// read reads an ImageRequest from the shared cache. A miss is asked of
// the API server before it becomes a 404: a client polling right after its
// create (a 202's poll URL) may be faster than the watch, and must not be
// told its request does not exist.
func (s *Service) read(ctx context.Context, namespace, name string) (*imagesv1alpha1.ImageRequest, error) {
	var ir imagesv1alpha1.ImageRequest
	key := client.ObjectKey{Namespace: namespace, Name: name}
	err := s.reader.Get(ctx, key, &ir)
	if apierrors.IsNotFound(err) && s.apiReader != nil {
		err = s.apiReader.Get(ctx, key, &ir)
	}
	if err != nil {
		return nil, err
	}
	return &ir, nil
}

// List authorises caller to list the ImageRequests of namespace and
// returns them newest first (see SortNewestFirst), with freshly signed
// URLs as Get has.
func (s *Service) List(ctx context.Context, caller *Caller, namespace string) ([]imagesv1alpha1.ImageRequest, error) {
	if err := s.Authorize(ctx, caller, "list", namespace, ""); err != nil {
		return nil, err
	}
	var list imagesv1alpha1.ImageRequestList
	if err := s.reader.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing ImageRequests in %q: %w", namespace, err)
	}
	SortNewestFirst(list.Items)
	if err := s.withFreshURLsAll(ctx, list.Items); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// SortNewestFirst orders requests by creation time, newest first, and by
// name (descending) within one second, so the order is total and a cursor
// can point into it.
func SortNewestFirst(items []imagesv1alpha1.ImageRequest) {
	slices.SortFunc(items, func(a, b imagesv1alpha1.ImageRequest) int {
		if c := b.CreationTimestamp.Compare(a.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(b.Name, a.Name)
	})
}
