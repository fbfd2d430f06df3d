package mcp

import (
	"context"
	"fmt"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// ImageRequestDetails is get_image_request's result: the creating tools'
// result plus what was asked for and by whom.
type ImageRequestDetails struct {
	ImageRequestOutput
	Operation         string `json:"operation" jsonschema:"Generate or Edit"`
	Prompt            string `json:"prompt" jsonschema:"the prompt as given"`
	N                 int    `json:"n" jsonschema:"number of images asked for"`
	Size              string `json:"size" jsonschema:"width x height of each image"`
	Model             string `json:"model" jsonschema:"upstream image model"`
	RequestedBy       string `json:"requestedBy,omitempty" jsonschema:"Kubernetes user who created it through MCP or REST"`
	CreatedAt         string `json:"createdAt" jsonschema:"RFC 3339 creation time"`
	CompletedAt       string `json:"completedAt,omitempty" jsonschema:"RFC 3339 time it reached Succeeded or Failed"`
	UpstreamRequestID string `json:"upstreamRequestID,omitempty" jsonschema:"the upstream's x-request-id of the latest call, for support tickets"`
}

// ListItem is one request in list_image_requests' result.
type ListItem struct {
	Name      string `json:"name" jsonschema:"name of the ImageRequest"`
	Phase     string `json:"phase" jsonschema:"Pending, Running, Succeeded or Failed"`
	Operation string `json:"operation" jsonschema:"Generate or Edit"`
	Size      string `json:"size" jsonschema:"width x height of each image"`
	N         int    `json:"n" jsonschema:"number of images asked for"`
	Attempts  int    `json:"attempts" jsonschema:"upstream calls started"`
	Images    int    `json:"images" jsonschema:"number of result images"`
	Reason    string `json:"reason,omitempty" jsonschema:"machine-readable state"`
	CreatedAt string `json:"createdAt" jsonschema:"RFC 3339 creation time"`
	URI       string `json:"uri" jsonschema:"imagerequest://{namespace}/{name} resource"`
}

// ListOutput is list_image_requests' result.
type ListOutput struct {
	Namespace string     `json:"namespace" jsonschema:"the namespace listed"`
	Items     []ListItem `json:"items" jsonschema:"the requests, newest first"`
	Total     int        `json:"total" jsonschema:"number of ImageRequests in the namespace"`
	Truncated bool       `json:"truncated" jsonschema:"true when more requests exist than were returned"`
}

func (s *server) getImageRequest(ctx context.Context, req *sdkmcp.CallToolRequest, in GetInput) (*sdkmcp.CallToolResult, *ImageRequestDetails, error) {
	caller := imagerequests.CallerFrom(ctx)
	ns, err := s.svc.ResolveNamespace(caller, in.Namespace)
	if err != nil {
		return nil, nil, err
	}
	ir, err := s.svc.Get(ctx, caller, ns, in.Name)
	if apierrors.IsNotFound(err) {
		return nil, nil, fmt.Errorf("ImageRequest %s/%s not found (finished requests may have been deleted by their ttlSecondsAfterFinished)", ns, in.Name)
	}
	if err != nil {
		return nil, nil, err
	}
	d := detailsOf(ir)
	text := imagerequests.Describe(ir)
	if ir.Status.Phase.IsTerminal() {
		text = summaryText(ir, 0)
	}
	content := append([]sdkmcp.Content{&sdkmcp.TextContent{Text: text}, resourceLink(ir, req.ProtocolVersion())}, imageLinks(ir)...)
	return &sdkmcp.CallToolResult{Content: content}, d, nil
}

func detailsOf(ir *imagesv1alpha1.ImageRequest) *ImageRequestDetails {
	d := &ImageRequestDetails{
		ImageRequestOutput: *outputOf(ir),
		Operation:          string(ir.Spec.Operation),
		Prompt:             ir.Spec.Prompt,
		N:                  int(ir.Spec.N),
		Size:               ir.Spec.Size,
		Model:              ir.Spec.Model,
		RequestedBy:        ir.Annotations[imagesv1alpha1.AnnotationRequestedBy],
		CreatedAt:          ir.CreationTimestamp.UTC().Format(time.RFC3339),
		UpstreamRequestID:  ir.Status.UpstreamRequestID,
	}
	if ct := ir.Status.CompletionTime; ct != nil {
		d.CompletedAt = ct.UTC().Format(time.RFC3339)
	}
	return d
}

func (s *server) listImageRequests(ctx context.Context, req *sdkmcp.CallToolRequest, in ListInput) (*sdkmcp.CallToolResult, *ListOutput, error) {
	caller := imagerequests.CallerFrom(ctx)
	ns, err := s.svc.ResolveNamespace(caller, in.Namespace)
	if err != nil {
		return nil, nil, err
	}
	items, err := s.svc.List(ctx, caller, ns)
	if err != nil {
		return nil, nil, err
	}
	limit := in.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	out := &ListOutput{Namespace: ns, Items: []ListItem{}, Total: len(items), Truncated: len(items) > limit}
	for i := range items[:min(limit, len(items))] {
		ir := &items[i]
		phase := imagerequests.PhaseOf(ir)
		out.Items = append(out.Items, ListItem{
			Name: ir.Name, Phase: string(phase), Operation: string(ir.Spec.Operation), Size: ir.Spec.Size, N: int(ir.Spec.N),
			Attempts: int(ir.Status.Attempts), Images: len(ir.Status.Images), Reason: ir.Status.Reason,
			CreatedAt: ir.CreationTimestamp.UTC().Format(time.RFC3339), URI: resourceURI(ir.Namespace, ir.Name),
		})
	}
	// No Content: the SDK puts the JSON of out there, which is what a
	// client without structuredContent support needs.
	return nil, out, nil
}
