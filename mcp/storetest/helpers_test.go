package storetest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/internal/httpserver"
)

// bearer adds a token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// connect opens an MCP session to the manager as the holder of token.
func connect(t *testing.T, token string) *sdkmcp.ClientSession {
	t.Helper()
	c := sdkmcp.NewClient(&sdkmcp.Implementation{Name: "storetest", Version: "v0"}, nil)
	transport := &sdkmcp.StreamableClientTransport{Endpoint: baseURL + httpserver.MCPPath, HTTPClient: &http.Client{Transport: bearer{token}}, MaxRetries: -1}
	cs, err := c.Connect(context.Background(), transport, nil)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// call calls a tool, failing the test on a protocol or tool error.
func call(t *testing.T, s *sdkmcp.ClientSession, tool string, args map[string]any) *sdkmcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := s.CallTool(ctx, &sdkmcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("calling %s: %v", tool, err)
	}
	if res.IsError {
		t.Fatalf("%s answered an error: %s", tool, textOf(res))
	}
	return res
}

// imageOut is the part of a tool's structured image the tests check.
type imageOut struct {
	URL         string `json:"url"`
	ExpiresAt   string `json:"expiresAt"`
	URI         string `json:"uri"`
	ContentType string `json:"contentType"`
	Bytes       int64  `json:"bytes"`
	SHA256      string `json:"sha256"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Resource    string `json:"resource"`
}

type resultOut struct {
	Name   string     `json:"name"`
	Phase  string     `json:"phase"`
	URI    string     `json:"uri"`
	Images []imageOut `json:"images"`
}

// structured decodes a tool result's structuredContent.
func structured(t *testing.T, res *sdkmcp.CallToolResult) resultOut {
	t.Helper()
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var out resultOut
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("structuredContent %s: %v", raw, err)
	}
	return out
}

// fetched is what a GET of an image URL answered.
type fetched struct {
	status      int
	contentType string
	sha256      string
}

func fetch(t *testing.T, url string) fetched {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fetched{resp.StatusCode, resp.Header.Get("Content-Type"), sha256Hex(body)}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// getREST GETs a REST path as the holder of token and decodes the JSON.
func getREST(t *testing.T, token, path string, into any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, baseURL+path, nil)
	resp, err := (&http.Client{Transport: bearer{token}}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("GET %s: HTTP %d, not JSON: %q", path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// parseTime parses an RFC 3339 time or fails the test.
func parseTime(t *testing.T, what, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("%s %q: %v", what, s, err)
	}
	return tm
}

// uniquePrompt makes a prompt no other test uses.
func uniquePrompt(t *testing.T, what string) string {
	return fmt.Sprintf("%s [%s %d]", what, t.Name(), time.Now().UnixNano())
}
