package mcp_test

import (
	"context"
	"strings"
	"testing"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/mcp"
)

// TestCapabilitiesFollowTheProtocol: a client learns (from initialize
// before 2026-07-28, from server/discover since) only what its protocol
// can do here: resources.subscribe from 2026-07-28 on, listChanged never,
// and the texts pointing at a request say how to follow it on that version.
func TestCapabilitiesFollowTheProtocol(t *testing.T) {
	cases := []struct {
		protocol  string
		subscribe bool
		// follow is what the resource_link and template tell the client.
		follow string
	}{
		{"2025-06-18", false, "call get_image_request"},
		{"2025-11-25", false, "call get_image_request"},
		{"", true, "subscriptions/listen"}, // the SDK's latest, 2026-07-28
	}
	var name string
	for _, tc := range cases {
		t.Run("protocol "+tc.protocol, func(t *testing.T) {
			s := connect(t, mcpURL, agentToken, tc.protocol)
			init := s.InitializeResult()
			if tc.protocol != "" && init.ProtocolVersion != tc.protocol {
				t.Fatalf("negotiated %s", init.ProtocolVersion)
			}
			caps := init.Capabilities
			if caps == nil || caps.Resources == nil || caps.Tools == nil {
				t.Fatalf("capabilities %+v", caps)
			}
			if caps.Resources.Subscribe != tc.subscribe || caps.Resources.ListChanged || caps.Tools.ListChanged {
				t.Errorf("%s: resources %+v tools %+v; want subscribe %v and no listChanged", init.ProtocolVersion, *caps.Resources, *caps.Tools, tc.subscribe)
			}

			if name == "" {
				name = structured(t, call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "follow"), "size": fastSize}))["name"].(string)
			}
			res := call(t, s, mcp.ToolGetImageRequest, map[string]any{"name": name})
			var link *sdkmcp.ResourceLink
			for _, c := range res.Content {
				if l, ok := c.(*sdkmcp.ResourceLink); ok {
					link = l
				}
			}
			if link == nil || !strings.Contains(link.Description, tc.follow) {
				t.Errorf("resource_link %+v, want a description containing %q", link, tc.follow)
			}

			templates, err := s.ListResourceTemplates(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(templates.ResourceTemplates) != 2 || templates.ResourceTemplates[0].URITemplate != mcp.ResourceTemplate || !strings.Contains(templates.ResourceTemplates[0].Description, tc.follow) {
				t.Errorf("templates %+v, want a description containing %q", templates.ResourceTemplates, tc.follow)
			}
			if !tc.subscribe && strings.Contains(templates.ResourceTemplates[0].Description, "Subscribe to") {
				t.Errorf("template description offers a subscription this protocol cannot have: %q", templates.ResourceTemplates[0].Description)
			}
		})
	}
}
