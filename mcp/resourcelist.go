package mcp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// resourcePageSize is how many ImageRequests one resources/list page holds.
const resourcePageSize = 50

// cacheScopePrivate marks a result as the caller's own: every resource
// read or listed here is authorised for one caller, so no shared cache
// (or another user's client) may serve it.
const cacheScopePrivate = "private"

// resourcesListMiddleware answers resources/list with the caller's recent
// ImageRequests. The SDK lists only resources added with AddResource, and
// ours are per-caller objects behind a template, so it would always answer
// an empty list and resource pickers would show nothing.
func (s *server) resourcesListMiddleware(next sdkmcp.MethodHandler) sdkmcp.MethodHandler {
	return func(ctx context.Context, method string, req sdkmcp.Request) (sdkmcp.Result, error) {
		if r, ok := req.(*sdkmcp.ListResourcesRequest); ok && method == "resources/list" {
			return s.listResources(ctx, r)
		}
		return next(ctx, method, req)
	}
}

// listResources lists the ImageRequests of the caller's default namespace
// (its ServiceAccount's, else the server's), newest first, a page at a
// time. It needs list rights there, as list_image_requests does.
func (s *server) listResources(ctx context.Context, req *sdkmcp.ListResourcesRequest) (*sdkmcp.ListResourcesResult, error) {
	caller := imagerequests.CallerFrom(ctx)
	ns, err := s.svc.ResolveNamespace(caller, "")
	if err != nil {
		return nil, err
	}
	var after *pageCursor
	if req.Params != nil && req.Params.Cursor != "" {
		if after, err = decodeCursor(req.Params.Cursor, ns); err != nil {
			return nil, err
		}
	}
	items, err := s.svc.List(ctx, caller, ns)
	if err != nil {
		return nil, err
	}
	start := 0
	if after != nil {
		start = len(items)
		for i := range items {
			if after.before(&items[i]) {
				start = i
				break
			}
		}
	}
	page := items[start:min(start+resourcePageSize, len(items))]
	res := &sdkmcp.ListResourcesResult{Resources: make([]*sdkmcp.Resource, 0, len(page))}
	res.CacheScope = cacheScopePrivate
	for i := range page {
		res.Resources = append(res.Resources, resourceOf(&page[i]))
	}
	if start+len(page) < len(items) {
		res.NextCursor = encodeCursor(ns, &page[len(page)-1])
	}
	return res, nil
}

// resourceOf is how a request appears in resources/list.
func resourceOf(ir *imagesv1alpha1.ImageRequest) *sdkmcp.Resource {
	phase := imagerequests.PhaseOf(ir)
	modified := ir.CreationTimestamp.Time
	if ct := ir.Status.CompletionTime; ct != nil {
		modified = ct.Time
	}
	prompt := []rune(ir.Spec.Prompt)
	if len(prompt) > 80 {
		prompt = append(prompt[:80], '…')
	}
	return &sdkmcp.Resource{
		URI:   resourceURI(ir.Namespace, ir.Name),
		Name:  ir.Name,
		Title: fmt.Sprintf("ImageRequest %s/%s", ir.Namespace, ir.Name),
		Description: fmt.Sprintf("%s %s (%d × %s), created %s: %q", phase, ir.Spec.Operation, ir.Spec.N, ir.Spec.Size,
			ir.CreationTimestamp.UTC().Format(time.RFC3339), string(prompt)),
		MIMEType:    "application/json",
		Annotations: &sdkmcp.Annotations{LastModified: modified.UTC().Format(time.RFC3339)},
	}
}

// pageCursor is where a resources/list page ended: the last request it
// held. Pages continue after it in imagerequests.SortNewestFirst's order, so requests
// created meanwhile neither shift nor repeat the later pages.
type pageCursor struct {
	Namespace string `json:"ns"`
	Created   int64  `json:"t"`
	Name      string `json:"n"`
}

// before says whether ir comes after the cursor's request in the listing.
func (c *pageCursor) before(ir *imagesv1alpha1.ImageRequest) bool {
	t := ir.CreationTimestamp.Unix()
	return t < c.Created || (t == c.Created && ir.Name < c.Name)
}

// encodeCursor is opaque to clients: base64 of a small JSON object.
func encodeCursor(ns string, last *imagesv1alpha1.ImageRequest) string {
	b, _ := json.Marshal(pageCursor{Namespace: ns, Created: last.CreationTimestamp.Unix(), Name: last.Name})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, ns string) (*pageCursor, error) {
	invalid := &imagerequests.InputError{Field: "cursor", Rule: rules.Cursor, Message: "is not a nextCursor this server returned for this caller; list again without a cursor"}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, invalid
	}
	var c pageCursor
	if err := json.Unmarshal(b, &c); err != nil || c.Namespace != ns || c.Name == "" {
		return nil, invalid
	}
	return &c, nil
}
