package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// resourceScheme is the URI scheme of ImageRequest resources.
const resourceScheme = "imagerequest"

// ResourceTemplate is the URI template of ImageRequest resources.
const ResourceTemplate = resourceScheme + "://{namespace}/{name}"

// ImageResourceTemplate is the URI template of one result image of an
// ImageRequest: its bytes, read on demand (only with an artifact store).
const ImageResourceTemplate = ResourceTemplate + "/images/{index}"

// subscriptionProtocol is the first protocol version whose subscriptions
// (subscriptions/listen) can be served by a stateless server; see doc.go.
const subscriptionProtocol = "2026-07-28"

// addResources registers the resource templates and the middleware that
// makes the resource features fit the caller: resources/list of its
// requests, capabilities and texts of its protocol version, and JSON-RPC
// error codes for the resource handlers' errors (the outermost, so it also
// codes what the others return). Both templates share one handler, which
// tells them apart by parseResourceURI.
func (s *server) addResources(srv *sdkmcp.Server) {
	srv.AddResourceTemplate(&sdkmcp.ResourceTemplate{
		URITemplate: ResourceTemplate,
		Name:        "imagerequest",
		Title:       "ImageRequest",
		// Replaced per protocol version by templatesMiddleware.
		Description: templateDescription(subscriptionProtocol),
		MIMEType:    "application/json",
	}, s.readResource)
	srv.AddResourceTemplate(&sdkmcp.ResourceTemplate{
		URITemplate: ImageResourceTemplate,
		Name:        "imagerequest-image",
		Title:       "Result image of an ImageRequest",
		Description: s.imageTemplateDescription(),
	}, s.readResource)
	srv.AddReceivingMiddleware(rpcErrorMiddleware, capabilitiesMiddleware, templatesMiddleware, s.resourcesListMiddleware)
}

// imageTemplateDescription says what reading an image resource gives, and
// on an operator without a store that it cannot work.
func (s *server) imageTemplateDescription() string {
	d := fmt.Sprintf("The bytes of result image {index} (from 0) of a Succeeded ImageRequest, as a blob with its mimeType (at most %d MiB). "+
		"Tool results link each image this way: read it only when you need the pixels.", imagerequests.MaxImageReadBytes>>20)
	if !s.svc.HasArtifactStore() {
		d += " This operator runs without an artifact store, so reads fail: download the images from their URLs instead."
	}
	return d
}

// resourceRef is what a resource URI names: a request, or one of its
// result images when image is not noImage.
type resourceRef struct {
	namespace, name string
	image           int
}

// noImage is resourceRef.image of a URI naming the request itself.
const noImage = -1

// maxIndexDigits bounds the digits of an image index (n is at most 10).
const maxIndexDigits = 4

// parseResourceURI splits imagerequest://{namespace}/{name} and
// imagerequest://{namespace}/{name}/images/{index}, and checks each part as
// REST and get_image_request do; a bad part is an *InputError naming it
// (field uri for the form and the index), which goes out as invalid params.
func parseResourceURI(uri string) (resourceRef, error) {
	forms := fmt.Sprintf("the forms are %s and %s", ResourceTemplate, ImageResourceTemplate)
	rest, ok := strings.CutPrefix(uri, resourceScheme+"://")
	if !ok {
		return resourceRef{}, &imagerequests.InputError{Field: "uri", Rule: rules.Template, Message: fmt.Sprintf("%q is not an ImageRequest resource; %s", uri, forms)}
	}
	parts := strings.Split(rest, "/")
	ref := resourceRef{image: noImage}
	switch {
	case len(parts) == 2:
	case len(parts) == 4 && parts[2] == "images":
		idx := parts[3]
		if idx == "" || len(idx) > maxIndexDigits || strings.Trim(idx, "0123456789") != "" || (len(idx) > 1 && idx[0] == '0') {
			return resourceRef{}, &imagerequests.InputError{Field: "uri", Rule: rules.Type,
				Message: fmt.Sprintf("image index %q in %q is not a whole number from 0 (written without leading zeros)", idx, uri)}
		}
		ref.image, _ = strconv.Atoi(idx)
	default:
		return resourceRef{}, &imagerequests.InputError{Field: "uri", Rule: rules.Template, Message: fmt.Sprintf("%q is not an ImageRequest resource; %s", uri, forms)}
	}
	ref.namespace, ref.name = parts[0], parts[1]
	if ierr := imagerequests.CheckRequestKey(ref.namespace, ref.name); ierr != nil {
		return resourceRef{}, ierr
	}
	return ref, nil
}

// parseRequestURI is parseResourceURI for what names a request only
// (subscriptions: an image never changes).
func parseRequestURI(uri string) (namespace, name string, err error) {
	ref, err := parseResourceURI(uri)
	if err != nil {
		return "", "", err
	}
	if ref.image != noImage {
		return "", "", &imagerequests.InputError{Field: "uri", Rule: rules.Template,
			Message: fmt.Sprintf("%q is a result image, which never changes; subscribe to its request, %s", uri, resourceURI(ref.namespace, ref.name))}
	}
	return ref.namespace, ref.name, nil
}

// resourceDocument is what a resource read returns.
type resourceDocument struct {
	APIVersion string                            `json:"apiVersion"`
	Kind       string                            `json:"kind"`
	Metadata   resourceMetadata                  `json:"metadata"`
	Spec       imagesv1alpha1.ImageRequestSpec   `json:"spec"`
	Status     imagesv1alpha1.ImageRequestStatus `json:"status"`
}

type resourceMetadata struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	UID               types.UID         `json:"uid"`
	CreationTimestamp metav1.Time       `json:"creationTimestamp"`
	Annotations       map[string]string `json:"annotations,omitempty"`
}

func (s *server) readResource(ctx context.Context, req *sdkmcp.ReadResourceRequest) (*sdkmcp.ReadResourceResult, error) {
	uri := req.Params.URI
	ref, err := parseResourceURI(uri)
	if err != nil {
		return nil, err
	}
	if ref.image != noImage {
		return s.readImageResource(ctx, uri, ref)
	}
	ns, name := ref.namespace, ref.name
	ir, err := s.svc.Get(ctx, imagerequests.CallerFrom(ctx), ns, name)
	if apierrors.IsNotFound(err) {
		return nil, sdkmcp.ResourceNotFoundError(uri)
	}
	if err != nil {
		return nil, err
	}
	doc := resourceDocument{
		APIVersion: imagesv1alpha1.GroupVersion.String(),
		Kind:       "ImageRequest",
		Metadata: resourceMetadata{
			Name: ir.Name, Namespace: ir.Namespace, UID: ir.UID, CreationTimestamp: ir.CreationTimestamp,
			Annotations: requestAnnotations(ir),
		},
		Spec:   ir.Spec,
		Status: ir.Status,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding ImageRequest %s/%s: %w", ns, name, err)
	}
	res := &sdkmcp.ReadResourceResult{Contents: []*sdkmcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}
	// Read as this caller, after its own SubjectAccessReview.
	res.CacheScope = cacheScopePrivate
	return res, nil
}

// requestAnnotations are the annotations a resource reader is shown: ours,
// not whatever else (last-applied-configuration and the like) is there.
func requestAnnotations(ir *imagesv1alpha1.ImageRequest) map[string]string {
	out := map[string]string{}
	for _, k := range []string{imagesv1alpha1.AnnotationRequestedBy, imagesv1alpha1.AnnotationRequestedVia} {
		if v, ok := ir.Annotations[k]; ok {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// subscribe authorises a subscription and counts it, so status changes of
// that request are announced. See doc.go for why only subscriptions/listen
// (protocol 2026-07-28 and later) is accepted.
func (s *server) subscribe(ctx context.Context, req *sdkmcp.SubscribeRequest) error {
	if v := req.ProtocolVersion(); !canSubscribe(v) {
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("resource subscriptions need protocol %s or later (subscriptions/listen): this server is stateless, so a %s resources/subscribe session ends with its HTTP request and could never be notified; read %s again, call get_image_request, or wait in generate_image/edit_image, which streams progress",
			subscriptionProtocol, v, req.Params.URI)}
	}
	uri := req.Params.URI
	ns, name, err := parseRequestURI(uri)
	if err != nil {
		return err
	}
	if _, err := s.svc.Get(ctx, imagerequests.CallerFrom(ctx), ns, name); apierrors.IsNotFound(err) {
		return sdkmcp.ResourceNotFoundError(uri)
	} else if err != nil {
		return err
	}
	s.svc.Subscribe(ns, name)
	return nil
}

func (s *server) unsubscribe(_ context.Context, req *sdkmcp.UnsubscribeRequest) error {
	if ns, name, err := parseRequestURI(req.Params.URI); err == nil {
		s.svc.Unsubscribe(ns, name)
	}
	return nil
}

// announceChange is told by the service of a status change of a
// subscribed request: announce it to the subscribers (never blocking the
// informer).
func (s *server) announceChange(namespace, name string) {
	uri := resourceURI(namespace, name)
	go func() {
		if err := s.mcp.ResourceUpdated(context.Background(), &sdkmcp.ResourceUpdatedNotificationParams{URI: uri}); err != nil {
			s.log.V(1).Info("announcing a resource update failed", "uri", uri, "error", err.Error())
		}
	}()
}
