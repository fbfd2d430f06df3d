package mcp_test

import (
	"context"
	"strings"
	"testing"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/mcp"
)

// TestImageResourcesWithoutAStore: the suite's operator keeps no results,
// so its image template says reads fail, a result links no image resource,
// and reading one says why and where the image is instead.
func TestImageResourcesWithoutAStore(t *testing.T) {
	s := agent(t)
	templates, err := s.ListResourceTemplates(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var described bool
	for _, rt := range templates.ResourceTemplates {
		if rt.URITemplate == mcp.ImageResourceTemplate {
			described = strings.Contains(rt.Description, "without an artifact store")
		}
	}
	if !described {
		t.Errorf("templates %+v: want the image template to say this operator runs without an artifact store", templates.ResourceTemplates)
	}

	res := call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "kept upstream only"), "size": fastSize})
	out := structured(t, res)
	if out["phase"] != "Succeeded" {
		t.Fatalf("result %v", out)
	}
	img := out["images"].([]any)[0].(map[string]any)
	if img["resource"] != nil || img["uri"] != nil {
		t.Errorf("image %v: without a store it has no resource or uri", img)
	}
	for _, c := range res.Content {
		if l, ok := c.(*sdkmcp.ResourceLink); ok && strings.Contains(l.URI, "/images/") {
			t.Errorf("result links image resource %s, which cannot be read without a store", l.URI)
		}
	}

	uri := out["uri"].(string) + "/images/0"
	_, err = s.ReadResource(context.Background(), &sdkmcp.ReadResourceParams{URI: uri})
	if err == nil || !strings.Contains(err.Error(), "runs without an artifact store") || !strings.Contains(err.Error(), "upstream's own URL") {
		t.Errorf("reading %s: %v, want an error saying the operator keeps no results and the URL is the upstream's", uri, err)
	}
}
