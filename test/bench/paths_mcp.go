package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

const (
	pathMCP  = "mcp"
	pathREST = "rest"
	pathEdit = "edit"
)

// mcpPath calls generate_image (or edit_image) with the go-sdk client over
// Streamable HTTP; one session is shared by all workers, as one agent
// runtime fanning out tool calls would.
type mcpPath struct {
	label   string
	http    *http.Client
	session *sdk.ClientSession
	edit    bool
	image   string // base64 PNG for edits
	mask    string
}

func newMCPPath(ctx context.Context, e *env, c *caller, edit bool) (*mcpPath, error) {
	client := sdk.NewClient(&sdk.Implementation{Name: "imagegen-bench", Version: "v0"}, nil)
	session, err := client.Connect(ctx, &sdk.StreamableClientTransport{
		Endpoint: "https://" + e.mcpAddr + "/mcp", HTTPClient: c.http, MaxRetries: -1,
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("connecting to the MCP server: %w", err)
	}
	p := &mcpPath{label: pathMCP, http: c.http, session: session, edit: edit}
	if edit {
		// The upload size matters here: a real 1024x1024 RGBA image and mask.
		p.label = pathEdit
		p.image = base64.StdEncoding.EncodeToString(pngtest.PNG(1024, 1024, true, false))
		p.mask = base64.StdEncoding.EncodeToString(pngtest.PNG(1024, 1024, true, true))
	}
	return p, nil
}

func (p *mcpPath) name() string { return p.label }

func (p *mcpPath) closeIdle() { p.http.CloseIdleConnections() }

func (p *mcpPath) do(ctx context.Context, id string) error {
	args := map[string]any{"prompt": "bench " + id, "size": "256x256", "wait_seconds": 300}
	tool := "generate_image"
	if p.edit {
		tool = "edit_image"
		args["image"], args["mask"] = p.image, p.mask
	}
	res, err := p.session.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		return err
	}
	if res.IsError {
		return fmt.Errorf("%s: tool error: %s", tool, textOf(res))
	}
	var out struct {
		Phase  string `json:"phase"`
		Images []struct {
			URL string `json:"url"`
		} `json:"images"`
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return err
	}
	if out.Phase != "Succeeded" || len(out.Images) == 0 {
		return fmt.Errorf("%s: phase %s with %d images: %s", tool, out.Phase, len(out.Images), textOf(res))
	}
	return nil
}

func textOf(res *sdk.CallToolResult) string {
	for _, c := range res.Content {
		if t, ok := c.(*sdk.TextContent); ok {
			return t.Text
		}
	}
	return ""
}

// restPath posts to /generate_image, as a service that does not speak MCP.
type restPath struct {
	url  string
	http *http.Client
}

func newRESTPath(e *env, c *caller) *restPath {
	return &restPath{url: "https://" + e.mcpAddr + "/generate_image", http: c.http}
}

func (p *restPath) name() string { return pathREST }

func (p *restPath) closeIdle() { p.http.CloseIdleConnections() }

func (p *restPath) do(ctx context.Context, id string) error {
	body, _ := json.Marshal(map[string]any{
		"prompt": "bench " + id, "params": map[string]any{"n": 1, "size": "256x256"}, "namespace": "default",
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /generate_image: %d %s", resp.StatusCode, raw)
	}
	var out struct {
		ImageURLs []string `json:"image_urls"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || len(out.ImageURLs) == 0 {
		return fmt.Errorf("POST /generate_image: no image_urls in %s", raw)
	}
	return nil
}
