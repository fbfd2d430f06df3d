package mcp

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// imageResourceURI is the MCP resource of result image index of a request.
func imageResourceURI(namespace, name string, index int) string {
	return resourceURI(namespace, name) + "/images/" + strconv.Itoa(index)
}

// readImageResource answers resources/read of an image resource with its
// bytes as a blob, read from the artifact store as the caller (see
// imagerequests.Service.ReadImage). A request without readable images is
// "resource not found" (invalid params, as the protocol now codes it, the
// SDK's own not-found answer included) with a message saying why, so the
// client knows whether to wait or to use the URL.
func (s *server) readImageResource(ctx context.Context, uri string, ref resourceRef) (*sdkmcp.ReadResourceResult, error) {
	img, err := s.svc.ReadImage(ctx, imagerequests.CallerFrom(ctx), ref.namespace, ref.name, ref.image)
	var noImages *imagerequests.NoImagesError
	switch {
	case apierrors.IsNotFound(err):
		return nil, sdkmcp.ResourceNotFoundError(uri)
	case errors.Is(err, imagerequests.ErrNoArtifactStore), errors.As(err, &noImages):
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("%s cannot be read: %v", uri, err)}
	case err != nil:
		return nil, err
	}
	res := &sdkmcp.ReadResourceResult{Contents: []*sdkmcp.ResourceContents{{URI: uri, MIMEType: img.ContentType, Blob: img.Data}}}
	// Read as this caller, after its own SubjectAccessReview.
	res.CacheScope = cacheScopePrivate
	return res, nil
}

// imageLinks are the resource_links of a request's stored images, so an
// agent fetches the bytes only when it wants them (resources/read).
// Images kept only at the upstream (no store) have none: their URL is all
// there is.
func imageLinks(ir *imagesv1alpha1.ImageRequest) []sdkmcp.Content {
	var out []sdkmcp.Content
	for i, img := range ir.Status.Images {
		if img.URI == "" {
			continue
		}
		l := &sdkmcp.ResourceLink{
			URI:      imageResourceURI(ir.Namespace, ir.Name, i),
			Name:     fmt.Sprintf("%s-image-%d", ir.Name, i),
			Title:    fmt.Sprintf("Image %d of ImageRequest %s/%s", i, ir.Namespace, ir.Name),
			MIMEType: img.ContentType,
			Description: fmt.Sprintf("%dx%d %s, %d bytes: read this resource for the bytes only if you need them; the url in the structured result serves them too.",
				img.Width, img.Height, img.ContentType, img.Bytes),
		}
		if img.Bytes > 0 {
			size := img.Bytes
			l.Size = &size
		}
		out = append(out, l)
	}
	return out
}
