package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/mcp"
)

// rpcCode is the JSON-RPC error code of err, or fails the test.
func rpcCode(t *testing.T, what string, err error) int64 {
	t.Helper()
	var werr *jsonrpc.Error
	if !errors.As(err, &werr) {
		t.Fatalf("%s: %v (%T), want a JSON-RPC error", what, err, err)
	}
	return werr.Code
}

// TestResourceErrorsHaveJSONRPCCodes: errors of the resource methods go out
// with real codes, not 0 ("MCP error 0" in clients): a denial is
// mcp.CodeForbidden, a refused protocol or a bad URI invalid params.
func TestResourceErrorsHaveJSONRPCCodes(t *testing.T) {
	s := agent(t)
	legacy := connect(t, mcpURL, agentToken, "2025-11-25")
	nobody := connect(t, mcpURL, nobodyToken, "")
	name := structured(t, call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "codes"), "size": fastSize}))["name"].(string)
	inB := "imagerequest://" + nsB + "/" + name
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	cases := []struct {
		name string
		do   func() error
		want int64
	}{
		{"resources/read forbidden", func() error {
			_, err := s.ReadResource(ctx, &sdkmcp.ReadResourceParams{URI: inB})
			return err
		}, mcp.CodeForbidden},
		{"resources/read forbidden, legacy", func() error {
			_, err := legacy.ReadResource(ctx, &sdkmcp.ReadResourceParams{URI: inB})
			return err
		}, mcp.CodeForbidden},
		{"resources/read bad name", func() error {
			_, err := s.ReadResource(ctx, &sdkmcp.ReadResourceParams{URI: "imagerequest://" + nsA + "/Not_A_Name"})
			return err
		}, jsonrpc.CodeInvalidParams},
		// The go-sdk client's Subscribe does not wait for the listen's
		// answer, so this one is sent as a 2026-07-28 client would.
		{"subscriptions/listen forbidden", func() error { return listen(t, agentToken, inB) }, mcp.CodeForbidden},
		{"subscriptions/listen bad URI", func() error { return listen(t, agentToken, "imagerequest://"+nsA+"/a_b") }, jsonrpc.CodeInvalidParams},
		{"resources/subscribe on a legacy protocol", func() error {
			return legacy.Subscribe(ctx, &sdkmcp.SubscribeParams{URI: "imagerequest://" + nsA + "/" + name})
		}, jsonrpc.CodeInvalidParams},
		{"resources/list forbidden", func() error {
			_, err := nobody.ListResources(ctx, nil)
			return err
		}, mcp.CodeForbidden},
		{"resources/list bad cursor", func() error {
			_, err := s.ListResources(ctx, &sdkmcp.ListResourcesParams{Cursor: "not-a-cursor"})
			return err
		}, jsonrpc.CodeInvalidParams},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- tc.do() }()
			select {
			case err := <-done:
				if got := rpcCode(t, tc.name, err); got != tc.want {
					t.Errorf("code %d (%v), want %d", got, err, tc.want)
				}
			case <-time.After(timeout):
				t.Fatal("no answer")
			}
		})
	}
}

// listen sends a protocol 2026-07-28 subscriptions/listen for uri and
// returns the JSON-RPC error it is answered with, if any, as a
// *jsonrpc.Error.
func listen(t *testing.T, token, uri string) error {
	t.Helper()
	const version = "2026-07-28"
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen", "params": map[string]any{
		"_meta": map[string]any{
			"io.modelcontextprotocol/protocolVersion":    version,
			"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "mcp-test", "version": "v0"},
			"io.modelcontextprotocol/clientCapabilities": map[string]any{},
		},
		"notifications": map[string]any{"resourceSubscriptions": []string{uri}},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, mcpURL, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", version)
	req.Header.Set("Mcp-Method", "subscriptions/listen")
	resp, err := httpClient(token).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// The answer is one JSON message, or an SSE stream whose message with
	// our id is the answer (an accepted listen stays open: then no error).
	raw, _ := io.ReadAll(resp.Body)
	payloads := []string{string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		payloads = nil
		for _, line := range strings.Split(string(raw), "\n") {
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				payloads = append(payloads, data)
			}
		}
	}
	for _, p := range payloads {
		var msg struct {
			ID    any            `json:"id"`
			Error *jsonrpc.Error `json:"error"`
		}
		if json.Unmarshal([]byte(p), &msg) == nil && msg.ID != nil && msg.Error != nil {
			return msg.Error
		}
	}
	return fmt.Errorf("HTTP %d without a JSON-RPC error: %s", resp.StatusCode, raw)
}
