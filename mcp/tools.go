package mcp

import (
	"fmt"
	"strings"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"k8s.io/utils/ptr"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// Tool names.
const (
	ToolGenerateImage     = "generate_image"
	ToolEditImage         = "edit_image"
	ToolGetImageRequest   = "get_image_request"
	ToolListImageRequests = "list_image_requests"
)

// toolNames lists every tool, in the order they are registered.
var toolNames = []string{ToolGenerateImage, ToolEditImage, ToolGetImageRequest, ToolListImageRequests, ToolListModels}

// ToolNames returns the names of all tools the server offers.
func ToolNames() []string { return append([]string(nil), toolNames...) }

// addTools registers the tools (list_models in tools_models.go). The creating tools write to the
// cluster and pay an external API, so they are neither read-only,
// destructive nor idempotent, and open-world; the read tools are read-only
// and closed-world.
func (s *server) addTools(srv *sdkmcp.Server) {
	falseP, trueP := ptr.To(false), ptr.To(true)
	lim := registryLimits()
	waitDoc := fmt.Sprintf("It waits up to wait_seconds (default %d) for the result, sending notifications/progress on every phase or attempt change and at least every 10 s; "+
		"if the time runs out it returns phase Pending or Running and the work goes on: call get_image_request later. Cancelling the call never cancels the paid work.",
		defaultWaitSeconds)

	sdkmcp.AddTool(srv, &sdkmcp.Tool{
		Name:  ToolGenerateImage,
		Title: "Generate images",
		Description: fmt.Sprintf("Generate 1 to %d images from a text prompt with %s (sizes %s) by creating an ImageRequest in Kubernetes. %s "+
			"On success the result lists the image URLs (they expire, download them soon) and links the imagerequest:// resource; when the operator keeps results in an artifact store it also links each image as a resource (imagerequest://{namespace}/{name}/images/{index}) whose bytes resources/read returns on demand, and get_image_request hands out fresh URLs. "+
			"With include_preview it adds a thumbnail (at most 256 px) per image, never the full image. "+
			"A refused prompt (content policy) or another failure is returned as an error naming the reason.",
			lim.maxN, strings.Join(lim.names, ", "), strings.Join(lim.sizes, ", "), waitDoc),
		InputSchema:  generateInputSchema(),
		OutputSchema: outputSchema(),
		Annotations: &sdkmcp.ToolAnnotations{
			Title:           "Generate images",
			ReadOnlyHint:    false,
			DestructiveHint: falseP,
			IdempotentHint:  false,
			OpenWorldHint:   trueP,
		},
	}, s.generateImage)

	// Without an artifact store the inputs travel in a Secret, whose limit
	// the caller must know; with one only the model's limit applies.
	inputsDoc := fmt.Sprintf("Until an artifact store exists both must fit together in %d bytes (they travel in a Kubernetes Secret owned by the ImageRequest).",
		imagerequests.MaxInlineInputBytes)
	if s.svc.StoresInputs() {
		inputsDoc = "Both are uploaded to the operator's artifact store and deleted with the ImageRequest."
	}
	sdkmcp.AddTool(srv, &sdkmcp.Tool{
		Name:  ToolEditImage,
		Title: "Edit an image",
		Description: fmt.Sprintf("Repaint part of a PNG following a prompt that describes the whole desired result. "+
			"image is the PNG in base64: square, smaller than %d MB, with transparent pixels marking what to repaint unless a mask is given; "+
			"mask (optional) is a PNG of the same size whose fully transparent pixels mark the area. "+
			"%s %s",
			lim.maxInputBytes>>20, inputsDoc, waitDoc),
		InputSchema:  editInputSchema(),
		OutputSchema: outputSchema(),
		Annotations: &sdkmcp.ToolAnnotations{
			Title:           "Edit an image",
			ReadOnlyHint:    false,
			DestructiveHint: falseP,
			IdempotentHint:  false,
			OpenWorldHint:   trueP,
		},
	}, s.editImage)

	sdkmcp.AddTool(srv, &sdkmcp.Tool{
		Name:  ToolGetImageRequest,
		Title: "Get an ImageRequest",
		Description: "Read one ImageRequest: its phase, attempts, image URLs (freshly signed on every call when the operator keeps results in an artifact store, with a resource_link per image), cost, and on failure the reason and message. " +
			"Use it to follow a request that generate_image or edit_image returned while still Pending or Running.",
		InputSchema:  getInputSchema(),
		OutputSchema: detailsSchema(),
		Annotations: &sdkmcp.ToolAnnotations{
			Title:          "Get an ImageRequest",
			ReadOnlyHint:   true,
			IdempotentHint: true,
			OpenWorldHint:  falseP,
		},
	}, s.getImageRequest)

	sdkmcp.AddTool(srv, &sdkmcp.Tool{
		Name:  ToolListImageRequests,
		Title: "List ImageRequests",
		Description: fmt.Sprintf("List the ImageRequests of a namespace, newest first (at most limit, default %d), with phase, operation, size and image count.",
			defaultListLimit),
		InputSchema:  listInputSchema(),
		OutputSchema: listOutputSchema(),
		Annotations: &sdkmcp.ToolAnnotations{
			Title:          "List ImageRequests",
			ReadOnlyHint:   true,
			IdempotentHint: true,
			OpenWorldHint:  falseP,
		},
	}, s.listImageRequests)

	s.addModelsTool(srv)
}

// GenerateInput are generate_image's arguments.
type GenerateInput struct {
	Prompt         string `json:"prompt" jsonschema:"what the images should show"`
	N              int    `json:"n,omitempty" jsonschema:"how many images to generate"`
	Size           string `json:"size,omitempty" jsonschema:"width x height of each image, in pixels"`
	Model          string `json:"model,omitempty" jsonschema:"upstream image model"`
	Namespace      string `json:"namespace,omitempty" jsonschema:"Kubernetes namespace of the ImageRequest; default: the caller's ServiceAccount namespace, else the server's default namespace"`
	WaitSeconds    int    `json:"wait_seconds,omitempty" jsonschema:"how long to wait for the images before returning the request still Pending or Running; 0 returns at once"`
	IncludePreview bool   `json:"include_preview,omitempty" jsonschema:"also return a thumbnail (longest side at most 256 px) of each image as image content"`
}

// EditInput are edit_image's arguments.
type EditInput struct {
	Prompt         string `json:"prompt" jsonschema:"the full desired result, not only the change"`
	Image          string `json:"image" jsonschema:"the PNG to edit, base64-encoded: square, with transparent pixels where to repaint unless mask is given"`
	Mask           string `json:"mask,omitempty" jsonschema:"optional PNG, base64-encoded, the same size as image, whose fully transparent pixels mark where to repaint"`
	N              int    `json:"n,omitempty" jsonschema:"how many variants to produce"`
	Size           string `json:"size,omitempty" jsonschema:"width x height of each result, in pixels"`
	Model          string `json:"model,omitempty" jsonschema:"upstream image model"`
	Namespace      string `json:"namespace,omitempty" jsonschema:"Kubernetes namespace of the ImageRequest; default: the caller's ServiceAccount namespace, else the server's default namespace"`
	WaitSeconds    int    `json:"wait_seconds,omitempty" jsonschema:"how long to wait for the images before returning the request still Pending or Running; 0 returns at once"`
	IncludePreview bool   `json:"include_preview,omitempty" jsonschema:"also return a thumbnail (longest side at most 256 px) of each image as image content"`
}

// GetInput are get_image_request's arguments.
type GetInput struct {
	Namespace string `json:"namespace,omitempty" jsonschema:"Kubernetes namespace of the ImageRequest; default: the caller's ServiceAccount namespace, else the server's default namespace"`
	Name      string `json:"name" jsonschema:"name of the ImageRequest, as generate_image or edit_image returned it"`
}

// ListInput are list_image_requests' arguments.
type ListInput struct {
	Namespace string `json:"namespace,omitempty" jsonschema:"Kubernetes namespace to list; default: the caller's ServiceAccount namespace, else the server's default namespace"`
	Limit     int    `json:"limit,omitempty" jsonschema:"at most this many requests, newest first"`
}
