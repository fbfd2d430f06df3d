package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// resourceScheme is the URI scheme of ImageRequest resources.
const resourceScheme = "imagerequest"

// ResourceTemplate is the URI template of ImageRequest resources.
const ResourceTemplate = resourceScheme + "://{namespace}/{name}"

// subscriptionProtocol is the first protocol version whose subscriptions
// (subscriptions/listen) can be served by a stateless server; see doc.go.
const subscriptionProtocol = "2026-07-28"

// addResources registers the resource template and the middleware that
// makes the resource features fit the caller: resources/list of its
// requests, capabilities and texts of its protocol version, and JSON-RPC
// error codes for the resource handlers' errors (the outermost, so it also
// codes what the others return).
func (s *Server) addResources(srv *mcp.Server) {
	srv.AddResourceTemplate(&mcp.ResourceTemplate{
		URITemplate: ResourceTemplate,
		Name:        "imagerequest",
		Title:       "ImageRequest",
		// Replaced per protocol version by templatesMiddleware.
		Description: templateDescription(subscriptionProtocol),
		MIMEType:    "application/json",
	}, s.readResource)
	srv.AddReceivingMiddleware(rpcErrorMiddleware, capabilitiesMiddleware, templatesMiddleware, s.resourcesListMiddleware)
}

// parseResourceURI splits imagerequest://{namespace}/{name} and checks
// both parts as REST and get_image_request do; a bad part is an
// *InputError naming it, which goes out as invalid params.
func parseResourceURI(uri string) (namespace, name string, err error) {
	rest, ok := strings.CutPrefix(uri, resourceScheme+"://")
	if ok {
		namespace, name, ok = strings.Cut(rest, "/")
	}
	if !ok {
		return "", "", &InputError{Field: "uri", Rule: "template", Message: fmt.Sprintf("%q is not an ImageRequest resource; the form is %s", uri, ResourceTemplate)}
	}
	if ierr := checkRequestKey(namespace, name); ierr != nil {
		return "", "", ierr
	}
	return namespace, name, nil
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

func (s *Server) readResource(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	ns, name, err := parseResourceURI(uri)
	if err != nil {
		return nil, err
	}
	if err := s.authz.authorize(ctx, callerFrom(ctx, tokenInfo(req.Extra)), "get", ns, name); err != nil {
		return nil, err
	}
	ir, err := s.getRequest(ctx, ns, name)
	if apierrors.IsNotFound(err) {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	if err != nil {
		return nil, fmt.Errorf("reading ImageRequest %s/%s: %w", ns, name, err)
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
	res := &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}
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
func (s *Server) subscribe(ctx context.Context, req *mcp.SubscribeRequest) error {
	if v := req.ProtocolVersion(); !canSubscribe(v) {
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("resource subscriptions need protocol %s or later (subscriptions/listen): this server is stateless, so a %s resources/subscribe session ends with its HTTP request and could never be notified; read %s again, call get_image_request, or wait in generate_image/edit_image, which streams progress",
			subscriptionProtocol, v, req.Params.URI)}
	}
	uri := req.Params.URI
	ns, name, err := parseResourceURI(uri)
	if err != nil {
		return err
	}
	if err := s.authz.authorize(ctx, callerFrom(ctx, tokenInfo(req.Extra)), "get", ns, name); err != nil {
		return err
	}
	if _, err := s.getRequest(ctx, ns, name); apierrors.IsNotFound(err) {
		return mcp.ResourceNotFoundError(uri)
	} else if err != nil {
		return fmt.Errorf("reading ImageRequest %s/%s: %w", ns, name, err)
	}
	s.subs.add(uri)
	return nil
}

func (s *Server) unsubscribe(_ context.Context, req *mcp.UnsubscribeRequest) error {
	s.subs.remove(req.Params.URI)
	return nil
}

// statusChanged is the hub's hook: announce the change to subscribers.
func (s *Server) statusChanged(key types.NamespacedName) {
	uri := resourceURI(key.Namespace, key.Name)
	if !s.subs.has(uri) {
		return
	}
	go func() {
		if err := s.mcp.ResourceUpdated(context.Background(), &mcp.ResourceUpdatedNotificationParams{URI: uri}); err != nil {
			s.log.V(1).Info("announcing a resource update failed", "uri", uri, "error", err.Error())
		}
	}()
}

// subscriptions counts the live subscriptions per URI.
type subscriptions struct {
	mu    sync.Mutex
	count map[string]int
}

func newSubscriptions() *subscriptions { return &subscriptions{count: map[string]int{}} }

func (s *subscriptions) add(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count[uri]++
	activeWaiters.Inc()
}

func (s *subscriptions) remove(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.count[uri] == 0 {
		return
	}
	activeWaiters.Dec()
	if s.count[uri]--; s.count[uri] == 0 {
		delete(s.count, uri)
	}
}

func (s *subscriptions) has(uri string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[uri] > 0
}
