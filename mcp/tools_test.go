package mcp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/mcp"
)

// toolsnapsDir holds one JSON snapshot per tool, as tools/list shows it.
// Regenerate after an intended change with UPDATE_TOOLSNAPS=true go test ./mcp -run TestToolSnapshots.
const toolsnapsDir = "__toolsnaps__"

func TestToolSnapshots(t *testing.T) {
	s := agent(t)
	res, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		t.Run(tool.Name, func(t *testing.T) {
			got := canonicalJSON(t, tool)
			path := filepath.Join(toolsnapsDir, tool.Name+".snap")
			if os.Getenv("UPDATE_TOOLSNAPS") == "true" {
				if err := os.MkdirAll(toolsnapsDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("no snapshot of %s (%v): run UPDATE_TOOLSNAPS=true go test ./mcp -run TestToolSnapshots and review it", tool.Name, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("tools/list entry of %s changed; if intended, run UPDATE_TOOLSNAPS=true go test ./mcp -run TestToolSnapshots and review the diff.\ngot:\n%s\nwant:\n%s", tool.Name, got, want)
			}
		})
	}
	slices.Sort(names)
	want := mcp.ToolNames()
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("tools/list = %v, want %v", names, want)
	}
}

// canonicalJSON renders v with sorted keys and indentation.
func canonicalJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(generic, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// TestToolAnnotations checks on the wire (a raw tools/list) that every tool
// has a title and states readOnlyHint explicitly, and that the hints match
// what each tool does.
func TestToolAnnotations(t *testing.T) {
	msg := rawRPC(t, agentToken, "2025-11-25", `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`)
	result, _ := msg["result"].(map[string]any)
	tools, _ := result["tools"].([]any)
	if len(tools) != len(mcp.ToolNames()) {
		t.Fatalf("tools/list returned %d tools, want %d: %v", len(tools), len(mcp.ToolNames()), msg)
	}
	readOnly := map[string]bool{
		mcp.ToolGenerateImage: false, mcp.ToolEditImage: false,
		mcp.ToolGetImageRequest: true, mcp.ToolListImageRequests: true, mcp.ToolListModels: true,
	}
	for _, raw := range tools {
		tool := raw.(map[string]any)
		name := tool["name"].(string)
		if title, _ := tool["title"].(string); title == "" {
			t.Errorf("%s has no title", name)
		}
		ann, ok := tool["annotations"].(map[string]any)
		if !ok {
			t.Errorf("%s has no annotations", name)
			continue
		}
		if title, _ := ann["title"].(string); title == "" {
			t.Errorf("%s has no annotations.title", name)
		}
		hint, ok := ann["readOnlyHint"].(bool)
		if !ok {
			t.Errorf("%s does not state readOnlyHint: %v", name, ann)
			continue
		}
		if want, known := readOnly[name]; !known || hint != want {
			t.Errorf("%s readOnlyHint = %v, want %v", name, hint, want)
		}
		if !hint {
			if d, ok := ann["destructiveHint"].(bool); !ok || d {
				t.Errorf("%s only adds ImageRequests: destructiveHint must be false, got %v", name, ann["destructiveHint"])
			}
			if o, ok := ann["openWorldHint"].(bool); !ok || !o {
				t.Errorf("%s pays an external API: openWorldHint must be true, got %v", name, ann["openWorldHint"])
			}
		}
		if _, ok := tool["outputSchema"].(map[string]any); !ok {
			t.Errorf("%s has no output schema", name)
		}
	}
}

// TestToolSchemas checks the bounds the schemas promise, from the client's
// side.
func TestToolSchemas(t *testing.T) {
	s := agent(t)
	res, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*sdkmcp.Tool{}
	for _, tool := range res.Tools {
		byName[tool.Name] = tool
	}
	props := func(tool string) map[string]any {
		schema := byName[tool].InputSchema.(map[string]any)
		return schema["properties"].(map[string]any)
	}
	gen := props(mcp.ToolGenerateImage)
	check := func(tool, prop, key string, want any) {
		t.Helper()
		p := props(tool)[prop].(map[string]any)
		got, _ := json.Marshal(p[key])
		w, _ := json.Marshal(want)
		if !bytes.Equal(got, w) {
			t.Errorf("%s.%s.%s = %s, want %s", tool, prop, key, got, w)
		}
		if d, _ := p["description"].(string); d == "" {
			t.Errorf("%s.%s has no description", tool, prop)
		}
	}
	// The bounds are the widest any registry model has; the suite's
	// operator runs the reference policy (dall-e-2 by default).
	var maxN, maxPrompt, maxInputs int
	for _, m := range models.All() {
		maxN, maxPrompt, maxInputs = max(maxN, m.MaxN), max(maxPrompt, m.MaxPromptChars), max(maxInputs, m.MaxInputImages)
	}
	check(mcp.ToolGenerateImage, "n", "minimum", 1)
	check(mcp.ToolGenerateImage, "n", "maximum", maxN)
	check(mcp.ToolGenerateImage, "size", "pattern", imagerequests.SizePattern)
	check(mcp.ToolGenerateImage, "size", "default", "1024x1024")
	check(mcp.ToolGenerateImage, "model", "enum", models.Names())
	check(mcp.ToolGenerateImage, "model", "default", models.DALLE2)
	check(mcp.ToolGenerateImage, "prompt", "maxLength", maxPrompt)
	check(mcp.ToolGenerateImage, "quality", "enum", []string{"auto", "hd", "high", "low", "max", "medium", "standard", "xhigh"})
	check(mcp.ToolGenerateImage, "background", "enum", []string{"auto", "opaque", "transparent"})
	check(mcp.ToolGenerateImage, "output_format", "enum", []string{"jpeg", "png", "webp"})
	check(mcp.ToolGenerateImage, "output_compression", "maximum", 100)
	check(mcp.ToolGenerateImage, "output_compression", "type", "integer")
	check(mcp.ToolGenerateImage, "moderation", "enum", []string{"auto", "low"})
	check(mcp.ToolGenerateImage, "wait_seconds", "default", 120)
	check(mcp.ToolGenerateImage, "include_preview", "default", false)
	check(mcp.ToolEditImage, "image", "type", "string")
	check(mcp.ToolEditImage, "image", "contentEncoding", "base64")
	check(mcp.ToolEditImage, "image", "contentMediaType", "image/*")
	check(mcp.ToolEditImage, "mask", "contentMediaType", "image/png")
	check(mcp.ToolEditImage, "additional_images", "maxItems", maxInputs-1)
	check(mcp.ToolEditImage, "additional_images", "items", map[string]any{"type": "string", "minLength": 1, "contentEncoding": "base64", "contentMediaType": "image/*"})
	check(mcp.ToolListImageRequests, "limit", "maximum", 200)

	// Descriptions say which model takes what, from the registry.
	desc := func(tool, prop string) string { return props(tool)[prop].(map[string]any)["description"].(string) }
	for _, want := range []string{"gpt-image-2.5-*: low, medium, high, xhigh, max, auto", "dall-e-2: standard"} {
		if d := desc(mcp.ToolGenerateImage, "quality"); !strings.Contains(d, want) {
			t.Errorf("quality's description %q does not say %q", d, want)
		}
	}
	for _, want := range []string{"dall-e-2: 256x256, 512x512, 1024x1024", "multiples of 16", "gpt-image-2.6-*: 1024x1024, 1536x1024, 1024x1536, auto (default auto)"} {
		if d := desc(mcp.ToolGenerateImage, "size"); !strings.Contains(d, want) {
			t.Errorf("size's description %q does not say %q", d, want)
		}
	}
	for _, want := range []string{"default, dall-e-2", "gpt-image-1 on 2026-10-23 (use gpt-image-2.5-sunburst)", "rule artifactStore"} {
		if d := desc(mcp.ToolGenerateImage, "model"); !strings.Contains(d, want) {
			t.Errorf("model's description %q does not say %q", d, want)
		}
	}
	if _, ok := props(mcp.ToolEditImage)["moderation"].(map[string]any)["enum"]; ok {
		t.Error("edit_image's moderation has an enum: every value is refused (rule unsupported), so none must pass as valid")
	}
	if _, ok := gen["namespace"]; !ok {
		t.Error("generate_image has no namespace parameter")
	}
	for _, tool := range []string{mcp.ToolGenerateImage, mcp.ToolEditImage} {
		out := byName[tool].OutputSchema.(map[string]any)["properties"].(map[string]any)
		for _, key := range []string{"namespace", "name", "phase", "attempts", "images", "estimatedCostUSD"} {
			if _, ok := out[key]; !ok {
				t.Errorf("%s output schema lacks %s", tool, key)
			}
		}
	}
}
