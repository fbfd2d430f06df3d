package mcp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/mcp"
)

func readDoc(t *testing.T, s *session, uri string) map[string]any {
	t.Helper()
	res, err := s.ReadResource(context.Background(), &sdkmcp.ReadResourceParams{URI: uri})
	if err != nil {
		t.Fatalf("reading %s: %v", uri, err)
	}
	if len(res.Contents) != 1 || res.Contents[0].MIMEType != "application/json" || res.Contents[0].URI != uri {
		t.Fatalf("contents = %+v", res.Contents)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(res.Contents[0].Text), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestResourceTemplateAndRead(t *testing.T) {
	s := agent(t)
	templates, err := s.ListResourceTemplates(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(templates.ResourceTemplates) != 2 || templates.ResourceTemplates[0].URITemplate != mcp.ResourceTemplate ||
		templates.ResourceTemplates[1].URITemplate != mcp.ImageResourceTemplate {
		t.Fatalf("templates = %+v", templates.ResourceTemplates)
	}
	prompt := uniquePrompt(t, "a read")
	out := structured(t, call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": prompt, "size": fastSize}))
	uri := out["uri"].(string)
	doc := readDoc(t, s, uri)
	spec := doc["spec"].(map[string]any)
	status := doc["status"].(map[string]any)
	meta := doc["metadata"].(map[string]any)
	if doc["kind"] != "ImageRequest" || spec["prompt"] != prompt || status["phase"] != "Succeeded" || meta["name"] != out["name"] {
		t.Errorf("document = %v", doc)
	}
	if _, err := s.ReadResource(context.Background(), &sdkmcp.ReadResourceParams{URI: "imagerequest://" + nsA + "/does-not-exist"}); err == nil ||
		!strings.Contains(err.Error(), "not found") {
		t.Errorf("reading a missing request: %v", err)
	}
	if _, err := s.ReadResource(context.Background(), &sdkmcp.ReadResourceParams{URI: "imagerequest://" + nsB + "/" + out["name"].(string)}); err == nil ||
		!strings.Contains(err.Error(), "forbidden") {
		t.Errorf("reading in a namespace the caller may not read: %v", err)
	}
}

// TestResourceSubscription subscribes (protocol 2026-07-28:
// subscriptions/listen) to a request still running and is told when its
// status changes.
func TestResourceSubscription(t *testing.T) {
	s := agent(t)
	out := structured(t, call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "watch me"), "size": slowSize, "wait_seconds": 0}))
	uri := out["uri"].(string)
	if err := s.Subscribe(context.Background(), &sdkmcp.SubscribeParams{URI: uri}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.acked:
	case <-time.After(timeout):
		t.Fatal("the subscription was not acknowledged")
	}
	deadline := time.After(timeout)
	for {
		select {
		case got := <-s.updated:
			if got != uri {
				t.Fatalf("notified about %s, want %s", got, uri)
			}
			if readDoc(t, s, uri)["status"].(map[string]any)["phase"] == string(imagesv1alpha1.PhaseSucceeded) {
				if err := s.Unsubscribe(context.Background(), &sdkmcp.UnsubscribeParams{URI: uri}); err != nil {
					t.Fatal(err)
				}
				return
			}
		case <-deadline:
			t.Fatal("no notifications/resources/updated announced the request's success")
		}
	}
}

func TestSubscriptionRefusedWhereItCannotWork(t *testing.T) {
	s := agent(t)
	name := structured(t, call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "x"), "size": fastSize}))["name"].(string)
	legacy := connect(t, mcpURL, agentToken, "2025-11-25")
	err := legacy.Subscribe(context.Background(), &sdkmcp.SubscribeParams{URI: "imagerequest://" + nsA + "/" + name})
	if err == nil || !strings.Contains(err.Error(), "subscriptions/listen") {
		t.Errorf("a legacy resources/subscribe to a stateless server: %v, want a refusal explaining why", err)
	}
}
