package mcp

import (
	"context"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"k8s.io/utils/ptr"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// ToolListModels lists the model registry.
const ToolListModels = "list_models"

// ListModelsInput is list_models' (empty) arguments: it always lists every
// registry model, retired ones and snapshots included, each marked offered
// or not and with its retirement, so a client needs no second call.
type ListModelsInput struct{}

// addModelsTool registers list_models. It reads only the compiled-in
// registry, nothing of the cluster, so it needs no SubjectAccessReview:
// the listener's authentication, which covers every MCP call, is all the
// authorisation it takes, as for the REST GET /models.
func (s *server) addModelsTool(srv *sdkmcp.Server) {
	sdkmcp.AddTool(srv, &sdkmcp.Tool{
		Name:  ToolListModels,
		Title: "List image models",
		Description: "List the upstream image models the operator knows, from its registry: whether each is offered (accepted in requests today), " +
			"its snapshot base, shutdown date and replacement, sizes and custom-size rule, qualities, backgrounds, output formats, n and prompt limits, " +
			"edit input limits, how images come back (url or b64_json) and its list price (per image by size, or per 1M tokens). Costs nothing and creates nothing.",
		Annotations: &sdkmcp.ToolAnnotations{
			Title:          "List image models",
			ReadOnlyHint:   true,
			IdempotentHint: true,
			OpenWorldHint:  ptr.To(false),
		},
	}, s.listModels)
}

func (s *server) listModels(_ context.Context, _ *sdkmcp.CallToolRequest, _ ListModelsInput) (*sdkmcp.CallToolResult, *imagerequests.ModelCatalog, error) {
	c := imagerequests.Catalog(s.svc.Models(), time.Now())
	return &sdkmcp.CallToolResult{Content: []sdkmcp.Content{&sdkmcp.TextContent{Text: imagerequests.ModelsTable(c)}}}, &c, nil
}
