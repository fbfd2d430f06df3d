package mcp

import (
	"fmt"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"k8s.io/utils/ptr"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/models"
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
	docs := newModelDocs(s.svc.Models())
	stores := s.svc.StoresInputs()
	waitDoc := fmt.Sprintf("It waits up to wait_seconds (default %d) for the result, sending notifications/progress on every phase or attempt change and at least every 10 s; "+
		"if the time runs out it returns phase Pending or Running and the work goes on: call get_image_request later. Cancelling the call never cancels the paid work.",
		defaultWaitSeconds)

	sdkmcp.AddTool(srv, &sdkmcp.Tool{
		Name:  ToolGenerateImage,
		Title: "Generate images",
		Description: fmt.Sprintf("Generate 1 to %d images from a text prompt by creating an ImageRequest in Kubernetes, with the model named or this operator's default (%s); "+
			"each parameter's description says which model takes what, and list_models gives every model's rules and prices. %s "+
			"On success the result lists the image URLs (they expire, download them soon) and links the imagerequest:// resource; when the operator keeps results in an artifact store it also links each image as a resource (imagerequest://{namespace}/{name}/images/{index}) whose bytes resources/read returns on demand, and get_image_request hands out fresh URLs. "+
			"With include_preview it adds a thumbnail (at most 256 px) per image, never the full image. "+
			"A refused prompt (content policy) or another failure is returned as an error naming the reason.",
			maxOver(func(m models.Model) int { return m.MaxN }), docs.defaultModel().Name, waitDoc),
		InputSchema:  generateInputSchema(docs, stores),
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
	// the caller must know; with one only the model's limits apply.
	inputsDoc := fmt.Sprintf("Without an artifact store (this operator has none) an edit takes one image and a mask, which must fit together in %d bytes (they travel in a Kubernetes Secret owned by the ImageRequest).",
		imagerequests.MaxInlineInputBytes)
	if stores {
		inputsDoc = "The inputs are uploaded to the operator's artifact store and deleted with the ImageRequest."
	}
	bodyDoc := ""
	if s.maxBody > 0 {
		bodyDoc = fmt.Sprintf(" The whole call, its inputs in base64 included, must fit in %d bytes (the server's request body limit); a larger one is refused before it is read.", s.maxBody)
	}
	sdkmcp.AddTool(srv, &sdkmcp.Tool{
		Name:  ToolEditImage,
		Title: "Edit an image",
		Description: fmt.Sprintf("Edit an image following a prompt that describes the whole desired result. "+
			"image is the image to edit, in base64; additional_images are further input images (references to combine, GPT image models only), in order; "+
			"mask (optional) is a PNG the size of image whose fully transparent pixels mark the area to change. By model: %s.%s %s "+
			"The other parameters are generate_image's, except moderation, which edits do not take. %s",
			docs.inputsDescription(), bodyDoc, inputsDoc, waitDoc),
		InputSchema:  editInputSchema(docs, stores),
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

// GenerateInput are generate_image's arguments. The descriptions of the
// model-dependent ones are written from the registry (modeldocs.go).
type GenerateInput struct {
	Prompt            string `json:"prompt" jsonschema:"what the images should show"`
	N                 int    `json:"n,omitempty" jsonschema:"how many images to generate"`
	Size              string `json:"size,omitempty"`
	Model             string `json:"model,omitempty"`
	Quality           string `json:"quality,omitempty"`
	Background        string `json:"background,omitempty"`
	OutputFormat      string `json:"output_format,omitempty"`
	OutputCompression *int   `json:"output_compression,omitempty"`
	Moderation        string `json:"moderation,omitempty"`
	Namespace         string `json:"namespace,omitempty" jsonschema:"Kubernetes namespace of the ImageRequest; default: the caller's ServiceAccount namespace, else the server's default namespace"`
	WaitSeconds       int    `json:"wait_seconds,omitempty" jsonschema:"how long to wait for the images before returning the request still Pending or Running; 0 returns at once"`
	IncludePreview    bool   `json:"include_preview,omitempty" jsonschema:"also return a thumbnail (longest side at most 256 px) of each image as image content"`
}

// EditInput are edit_image's arguments. Moderation is accepted only to be
// refused by name (rule unsupported), as admission refuses
// spec.moderation on an edit, rather than as an unknown argument.
type EditInput struct {
	Prompt            string   `json:"prompt" jsonschema:"the full desired result, not only the change"`
	Image             string   `json:"image" jsonschema:"the image to edit, base64-encoded (the one a mask applies to)"`
	AdditionalImages  []string `json:"additional_images,omitempty" jsonschema:"further input images, base64-encoded, in order: references the result combines (GPT image models only; each is checked as image is)"`
	Mask              string   `json:"mask,omitempty" jsonschema:"optional PNG, base64-encoded, the same size as image, whose fully transparent pixels mark where to edit"`
	N                 int      `json:"n,omitempty" jsonschema:"how many variants to produce"`
	Size              string   `json:"size,omitempty"`
	Model             string   `json:"model,omitempty"`
	Quality           string   `json:"quality,omitempty"`
	Background        string   `json:"background,omitempty"`
	OutputFormat      string   `json:"output_format,omitempty"`
	OutputCompression *int     `json:"output_compression,omitempty"`
	Moderation        string   `json:"moderation,omitempty"`
	Namespace         string   `json:"namespace,omitempty" jsonschema:"Kubernetes namespace of the ImageRequest; default: the caller's ServiceAccount namespace, else the server's default namespace"`
	WaitSeconds       int      `json:"wait_seconds,omitempty" jsonschema:"how long to wait for the images before returning the request still Pending or Running; 0 returns at once"`
	IncludePreview    bool     `json:"include_preview,omitempty" jsonschema:"also return a thumbnail (longest side at most 256 px) of each image as image content"`
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
