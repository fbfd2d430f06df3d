package mcp_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/httpserver"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// TestBodyOverTheLimit: the GPT image models take inputs far larger than
// the server reads by default (16 of 50 MB); a body over
// --mcp-max-body-bytes (12 MiB by default, the suite's) is refused 413
// naming the limit on /mcp and on REST alike, not cut off with a bare
// error, and nothing is created.
func TestBodyOverTheLimit(t *testing.T) {
	limit := int64(httpserver.DefaultMaxRequestBodyBytes)
	big := strings.Repeat("A", int(limit)) // base64 of zeros, as an agent would send a large image
	before, secrets := counts(t, nsA)

	t.Run("MCP", func(t *testing.T) {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"edit_image","arguments":{"prompt":"x","model":"gpt-image-2","image":"` + big + `"}}}`
		req, err := http.NewRequest(http.MethodPost, mcpURL, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		resp, err := httpClient(agentToken).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(raw), fmt.Sprintf("exceeds %d bytes", limit)) {
			t.Errorf("HTTP %d %q, want 413 naming the limit %d", resp.StatusCode, raw, limit)
		}
	})

	t.Run("REST", func(t *testing.T) {
		png := pngtest.PNG(64, 64, true, true)
		req := multipartEditParts(t, map[string]string{"prompt": "x", "model": "gpt-image-2"},
			filePart{"image_file", png}, filePart{"additional_image_file", append(bytes.Clone(png), make([]byte, limit)...)})
		status, body := doREST(t, agentToken, req)
		if status != http.StatusRequestEntityTooLarge || body.Error.Code != "request_too_large" || !strings.Contains(body.Error.Message, fmt.Sprint(limit)) {
			t.Errorf("HTTP %d %+v, want 413 request_too_large naming the limit %d", status, body.Error, limit)
		}
	})

	if after, s := counts(t, nsA); after != before || s != secrets {
		t.Errorf("a refused body created something: ImageRequests %d -> %d, Secrets %d -> %d", before, after, secrets, s)
	}
}
