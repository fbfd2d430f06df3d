package mcp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/mcp"
)

// resourceLinkOf returns a result's resource_link content.
func resourceLinkOf(t testing.TB, res *sdkmcp.CallToolResult) *sdkmcp.ResourceLink {
	t.Helper()
	for _, c := range res.Content {
		if l, ok := c.(*sdkmcp.ResourceLink); ok {
			return l
		}
	}
	t.Fatalf("no resource_link in the result: %s", text(res))
	return nil
}

func TestGenerateImageStreamsProgressAndReturnsURLs(t *testing.T) {
	s := agent(t)
	prompt := uniquePrompt(t, "a lighthouse at dusk")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := s.CallTool(ctx, &sdkmcp.CallToolParams{
		Name:      mcp.ToolGenerateImage,
		Arguments: map[string]any{"prompt": prompt, "n": 2, "size": slowSize},
		Meta:      sdkmcp.Meta{"progressToken": "gen-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("isError: %s", text(res))
	}
	out := structured(t, res)
	if out["phase"] != "Succeeded" || out["namespace"] != nsA || out["attempts"] != float64(1) || out["estimatedCostUSD"] != "0.036" {
		t.Errorf("structuredContent = %v", out)
	}
	images := out["images"].([]any)
	if len(images) != 2 {
		t.Fatalf("images = %v, want 2", images)
	}
	for _, img := range images {
		m := img.(map[string]any)
		if m["expiresAt"] == "" || m["expiresAt"] == nil {
			t.Errorf("image without expiresAt: %v", m)
		}
		status, body := fetch(t, m["url"].(string))
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d", m["url"], status)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(body))
		if err != nil || cfg.Width != 512 {
			t.Errorf("image is not a 512 px PNG: %v %+v", err, cfg)
		}
	}
	name := out["name"].(string)
	if !strings.HasPrefix(name, "generate-") {
		t.Errorf("name %q was not generated from generate-", name)
	}
	link := resourceLinkOf(t, res)
	if link.URI != "imagerequest://"+nsA+"/"+name {
		t.Errorf("resource_link = %s", link.URI)
	}
	if !strings.Contains(text(res), "succeeded") || !strings.Contains(text(res), images[0].(map[string]any)["url"].(string)) {
		t.Errorf("summary does not give the outcome and URLs: %s", text(res))
	}

	progress := s.progressSeen()
	if len(progress) < 2 {
		t.Fatalf("got %d progress notifications, want at least 2", len(progress))
	}
	var sawRunning bool
	for i, p := range progress {
		if p.ProgressToken != "gen-1" {
			t.Errorf("progress token %v", p.ProgressToken)
		}
		if i > 0 && p.Progress <= progress[i-1].Progress {
			t.Errorf("progress did not increase: %v then %v", progress[i-1].Progress, p.Progress)
		}
		sawRunning = sawRunning || strings.Contains(p.Message, "Running")
	}
	if !sawRunning {
		t.Errorf("no progress message reported Running: %v", progress)
	}

	ir := getRequest(t, nsA, name)
	if got := ir.Annotations[imagesv1alpha1.AnnotationRequestedBy]; got != "system:serviceaccount:"+nsA+":agent" {
		t.Errorf("requested-by = %q", got)
	}
	if got := ir.Annotations[imagesv1alpha1.AnnotationRequestedVia]; got != "mcp/generate_image" {
		t.Errorf("requested-via = %q", got)
	}
	if ir.Spec.User == "" || strings.Contains(ir.Spec.User, "agent") {
		t.Errorf("spec.user %q should be an opaque id of the caller", ir.Spec.User)
	}
	if calls := sim.CallsForPrompt(prompt); len(calls) != 1 {
		t.Errorf("simulator saw %d calls, want 1", len(calls))
	}
}

func TestGenerateImageHeartbeats(t *testing.T) {
	s := agent(t)
	res, err := s.CallTool(context.Background(), &sdkmcp.CallToolParams{
		Name:      mcp.ToolGenerateImage,
		Arguments: map[string]any{"prompt": uniquePrompt(t, "slow"), "size": slowSize},
		Meta:      sdkmcp.Meta{"progressToken": 7},
	})
	if err != nil || res.IsError {
		t.Fatalf("%v %s", err, text(res))
	}
	var heartbeats int
	for _, p := range s.progressSeen() {
		if strings.HasPrefix(p.Message, "still waiting") {
			heartbeats++
		}
	}
	// 1.5 s of upstream latency with a 300 ms heartbeat.
	if heartbeats < 2 {
		t.Errorf("got %d heartbeats in %v, want at least 2", heartbeats, s.progressSeen())
	}
}

func TestGenerateImagePreview(t *testing.T) {
	s := agent(t)
	res := call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "a cat"), "n": 2, "size": "1024x1024", "include_preview": true})
	if res.IsError {
		t.Fatal(text(res))
	}
	var thumbs int
	for _, c := range res.Content {
		img, ok := c.(*sdkmcp.ImageContent)
		if !ok {
			continue
		}
		thumbs++
		cfg, err := png.DecodeConfig(bytes.NewReader(img.Data))
		if err != nil || img.MIMEType != "image/png" {
			t.Fatalf("preview is not a PNG: %v %s", err, img.MIMEType)
		}
		if cfg.Width > mcp.PreviewMaxSide || cfg.Height > mcp.PreviewMaxSide || max(cfg.Width, cfg.Height) != mcp.PreviewMaxSide {
			t.Errorf("preview is %dx%d, want longest side %d", cfg.Width, cfg.Height, mcp.PreviewMaxSide)
		}
	}
	if thumbs != 2 {
		t.Errorf("got %d previews, want 2", thumbs)
	}
}

func TestContentPolicyIsAToolError(t *testing.T) {
	s := agent(t)
	res := call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "something forbidden"), "size": fastSize})
	if !res.IsError {
		t.Fatalf("want isError, got %s", text(res))
	}
	if msg := text(res); !strings.Contains(msg, imagesv1alpha1.ReasonContentPolicy) || !strings.Contains(msg, "content_policy_violation") {
		t.Errorf("error does not name the reason and the upstream message: %s", msg)
	}
	out := structured(t, res)
	if out["phase"] != "Failed" || out["reason"] != imagesv1alpha1.ReasonContentPolicy {
		t.Errorf("structuredContent = %v", out)
	}
	resourceLinkOf(t, res)
}

func TestWaitElapsedThenGetImageRequest(t *testing.T) {
	s := agent(t)
	res := call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "patience"), "size": slowSize, "wait_seconds": 1})
	if res.IsError {
		t.Fatal(text(res))
	}
	out := structured(t, res)
	if out["phase"] != "Running" {
		t.Fatalf("phase after 1 s = %v, want Running (%s)", out["phase"], text(res))
	}
	name := out["name"].(string)
	resourceLinkOf(t, res)
	if !strings.Contains(text(res), mcp.ToolGetImageRequest) {
		t.Errorf("the text does not say how to continue: %s", text(res))
	}

	var d map[string]any
	localenv.Eventually(t, "get_image_request to answer Succeeded", func() bool {
		got := call(t, s, mcp.ToolGetImageRequest, map[string]any{"name": name})
		if got.IsError {
			t.Fatal(text(got))
		}
		d = structured(t, got)
		return d["phase"] == "Succeeded"
	}, func() string { return fmt.Sprintf("details %v", d) })
	if len(d["images"].([]any)) != 1 || d["operation"] != "Generate" || d["requestedBy"] != "system:serviceaccount:"+nsA+":agent" {
		t.Errorf("details = %v", d)
	}
}

func TestWaitSecondsZeroReturnsAtOnce(t *testing.T) {
	s := agent(t)
	start := time.Now()
	res := call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "now"), "size": slowSize, "wait_seconds": 0})
	if time.Since(start) > time.Second {
		t.Errorf("wait_seconds 0 took %v", time.Since(start))
	}
	out := structured(t, res)
	if out["phase"] != "Pending" && out["phase"] != "Running" {
		t.Errorf("phase = %v", out["phase"])
	}
	waitPhase(t, nsA, out["name"].(string), imagesv1alpha1.PhaseSucceeded)
}

func TestClientCancelLeavesImageRequestToFinish(t *testing.T) {
	for _, version := range []string{"", "2025-11-25"} {
		t.Run("protocol "+version, func(t *testing.T) {
			s := connect(t, mcpURL, agentToken, version)
			prompt := uniquePrompt(t, "cancelled but paid for")
			holdUpstream(t, prompt)
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				_, err := s.CallTool(ctx, &sdkmcp.CallToolParams{
					Name:      mcp.ToolGenerateImage,
					Arguments: map[string]any{"prompt": prompt, "size": fastSize},
					Meta:      sdkmcp.Meta{"progressToken": "c"},
				})
				errc <- err
			}()
			var name string
			select {
			case p := <-s.progressCh:
				// "ImageRequest team-a/generate-xxxxx is ..."
				fields := strings.Fields(p.Message)
				name = strings.TrimPrefix(fields[1], nsA+"/")
			case <-time.After(timeout):
				t.Fatal("no progress notification")
			}
			cancel()
			if err := <-errc; err == nil {
				t.Fatal("the cancelled call returned no error")
			}
			waitNoWaiters(t, time.Second)
			ir := waitPhase(t, nsA, name, imagesv1alpha1.PhaseSucceeded)
			if ir.DeletionTimestamp != nil || len(ir.Status.Images) != 1 {
				t.Errorf("request after cancel: %+v", ir.Status)
			}
			if calls := sim.CallsForPrompt(prompt); len(calls) != 1 || !calls[0].Billable {
				t.Errorf("simulator calls = %+v, want one billable", calls)
			}
		})
	}
	// A pre-2026 client that just drops the connection (no
	// notifications/cancelled): the server notices and stops waiting.
	t.Run("disconnect", func(t *testing.T) {
		prompt := uniquePrompt(t, "dropped")
		holdUpstream(t, prompt)
		args, _ := json.Marshal(map[string]any{"prompt": prompt, "size": fastSize})
		body := `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"generate_image","arguments":` + string(args) + `,"_meta":{"progressToken":"d"}}}`
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, mcpURL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		resp, err := httpClient(agentToken).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(resp.Body)
		line, err := br.ReadString('\n')
		for err == nil && !strings.Contains(line, "notifications/progress") {
			line, err = br.ReadString('\n')
		}
		if err != nil {
			t.Fatalf("no progress event: %v", err)
		}
		if activeWaiters(t) == 0 {
			t.Error("no waiter while the call waits")
		}
		cancel()
		resp.Body.Close()
		waitNoWaiters(t, time.Second)
		var list imagesv1alpha1.ImageRequestList
		if err := k8sClient.List(context.Background(), &list); err != nil {
			t.Fatal(err)
		}
		for _, ir := range list.Items {
			if ir.Spec.Prompt == prompt {
				waitPhase(t, ir.Namespace, ir.Name, imagesv1alpha1.PhaseSucceeded)
				return
			}
		}
		t.Fatal("no ImageRequest for the dropped call")
	})
}

// holdUpstream makes the upstream sit on the prompt's call for 2.5 s, longer
// than a test waits for a cancelled call to let go of its waiter.
func holdUpstream(t testing.TB, prompt string) {
	t.Helper()
	if err := sim.AddFault(dallesim.Fault{Kind: dallesim.FaultHang, Match: prompt, Duration: 2500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
}

// activeWaiters reads the imagegen_mcp_active_waiters gauge.
func activeWaiters(t testing.TB) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "imagegen_mcp_active_waiters" {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no imagegen_mcp_active_waiters metric")
	return 0
}

// waitNoWaiters waits until no call or subscription waits any more.
func waitNoWaiters(t testing.TB, within time.Duration) {
	t.Helper()
	localenv.EventuallyWithin(t, within, "no registered waiters", func() bool { return activeWaiters(t) == 0 },
		func() string { return fmt.Sprintf("%v waiters still registered", activeWaiters(t)) })
}

// TestLegacyProtocol drives a generate over protocol 2025-11-25 (the
// initialize handshake against the stateless server) with progress.
func TestLegacyProtocol(t *testing.T) {
	s := connect(t, mcpURL, agentToken, "2025-11-25")
	if v := s.InitializeResult().ProtocolVersion; v != "2025-11-25" {
		t.Fatalf("negotiated %s", v)
	}
	res, err := s.CallTool(context.Background(), &sdkmcp.CallToolParams{
		Name:      mcp.ToolGenerateImage,
		Arguments: map[string]any{"prompt": uniquePrompt(t, "old client"), "size": slowSize},
		Meta:      sdkmcp.Meta{"progressToken": "legacy"},
	})
	if err != nil || res.IsError {
		t.Fatalf("%v %s", err, text(res))
	}
	if structured(t, res)["phase"] != "Succeeded" {
		t.Errorf("result %v", res.StructuredContent)
	}
	if n := len(s.progressSeen()); n < 2 {
		t.Errorf("got %d progress notifications over the legacy protocol, want at least 2", n)
	}
}

func TestListImageRequests(t *testing.T) {
	s := agent(t)
	first := structured(t, call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "one"), "size": fastSize}))["name"]
	time.Sleep(1100 * time.Millisecond) // creation timestamps have second precision
	second := structured(t, call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "two"), "size": fastSize}))["name"]
	res := call(t, s, mcp.ToolListImageRequests, map[string]any{"limit": 2})
	if res.IsError {
		t.Fatal(text(res))
	}
	out := structured(t, res)
	items := out["items"].([]any)
	if len(items) != 2 || out["namespace"] != nsA || out["truncated"] != true {
		t.Fatalf("list = %v", out)
	}
	if items[0].(map[string]any)["name"] != second || items[1].(map[string]any)["name"] != first {
		t.Errorf("not newest first: %v, want %v then %v", items, second, first)
	}
}
