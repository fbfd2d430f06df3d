package imagerequests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// MaxImageReadBytes bounds what ReadImage returns. resources/read answers
// with the whole image base64-encoded in one JSON-RPC message (a third
// larger again), held in memory on both ends; anything bigger is for the
// URL, which streams.
const MaxImageReadBytes = 20 << 20

// ErrNoArtifactStore says the operator keeps no copy of the results: it
// runs without an artifact store.
var ErrNoArtifactStore = errors.New("the operator runs without an artifact store, so it keeps no copy of result images: " +
	"status.images[].url is the upstream's own URL, which expires; download the image from there")

// NoImagesError says a request has no stored image to read (yet).
type NoImagesError struct {
	Namespace, Name string
	Phase           imagesv1alpha1.Phase
	// Unstored is set when the request succeeded but its images were not
	// kept in the store (it finished before the store was configured).
	Unstored bool
}

func (e *NoImagesError) Error() string {
	key := e.Namespace + "/" + e.Name
	switch {
	case e.Unstored:
		return fmt.Sprintf("ImageRequest %s finished before the operator kept results in its artifact store: its images are only at the upstream's URLs in status", key)
	case e.Phase == imagesv1alpha1.PhaseFailed:
		return fmt.Sprintf("ImageRequest %s failed: it has no images", key)
	}
	return fmt.Sprintf("ImageRequest %s is %s: it has no images yet; follow it with get_image_request (or by reading imagerequest://%s) and read the image once it is Succeeded", key, e.Phase, key)
}

// StoredImage is one result image read from the artifact store.
type StoredImage struct {
	Index       int
	ContentType string
	Data        []byte
}

// ReadImage reads the bytes of result image index of an ImageRequest from
// the artifact store, for a client that wants them inline (MCP
// resources/read). It is authorised exactly as Get is; the image is
// stat'ed first and refused above MaxImageReadBytes, and its bytes are
// checked against the SHA-256 status records.
func (s *Service) ReadImage(ctx context.Context, caller *Caller, namespace, name string, index int) (*StoredImage, error) {
	ir, err := s.getAuthorized(ctx, caller, namespace, name)
	if err != nil {
		return nil, err
	}
	if s.artifacts == nil {
		return nil, ErrNoArtifactStore
	}
	images := ir.Status.Images
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(images) == 0 {
		return nil, &NoImagesError{Namespace: namespace, Name: name, Phase: PhaseOf(ir)}
	}
	if index < 0 || index >= len(images) {
		rule := rules.Maximum
		if index < 0 {
			rule = rules.Minimum
		}
		return nil, &InputError{Field: "index", Rule: rule,
			Message: fmt.Sprintf("image %d does not exist: ImageRequest %s/%s has %d image(s), indexes 0 to %d", index, namespace, name, len(images), len(images)-1)}
	}
	img := images[index]
	if img.URI == "" {
		return nil, &NoImagesError{Namespace: namespace, Name: name, Phase: ir.Status.Phase, Unstored: true}
	}
	key, err := s.artifacts.KeyFromURI(img.URI)
	if err != nil {
		return nil, fmt.Errorf("image %d of ImageRequest %s/%s: %w", index, namespace, name, err)
	}
	info, err := s.artifacts.Stat(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("image %d of ImageRequest %s/%s: %w", index, namespace, name, err)
	}
	if info.Size > MaxImageReadBytes {
		return nil, fmt.Errorf("image %d of ImageRequest %s/%s is %d bytes, more than the %d (%d MiB) read inline; download it from its URL (get_image_request hands out a fresh one)",
			index, namespace, name, info.Size, MaxImageReadBytes, MaxImageReadBytes>>20)
	}
	data, err := s.artifacts.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("image %d of ImageRequest %s/%s: %w", index, namespace, name, err)
	}
	// The object could have been replaced between Stat and the read.
	if len(data) > MaxImageReadBytes {
		return nil, fmt.Errorf("image %d of ImageRequest %s/%s grew past %d bytes while it was read", index, namespace, name, MaxImageReadBytes)
	}
	if img.SHA256 != "" {
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != img.SHA256 {
			return nil, fmt.Errorf("image %d of ImageRequest %s/%s: the stored bytes do not match the sha256 in status; the object %s was changed after it was written", index, namespace, name, img.URI)
		}
	}
	ctype := img.ContentType
	if ctype == "" {
		ctype = info.ContentType
	}
	return &StoredImage{Index: index, ContentType: ctype, Data: data}, nil
}
