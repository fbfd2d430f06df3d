package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/internal/rest"
	"github.com/imagegen/imagegen-operator/mcp"
)

// TestOddNamesAreInvalidArguments: names that are no ImageRequest name
// (they used to reach client-go and come back as a 500 with its message)
// are refused on all three read interfaces with the field and the same rule.
func TestOddNamesAreInvalidArguments(t *testing.T) {
	long := strings.Repeat("a", 300)
	cases := []struct {
		name string
		// raw is the REST path segment as sent, "" to send name as is.
		raw  string
		rule string
		// restStatus is what GET answers when the path never reaches the
		// handler (Go's ServeMux cleans "/.." and has no route for an
		// empty name), 0 for a 400 from the handler.
		restStatus int
	}{
		{name: "a%2Fb", rule: "pattern"},
		{name: "%2e%2e", rule: "pattern"},
		{name: "..", rule: "pattern", restStatus: http.StatusNotFound},
		{name: "UPPER", rule: "pattern"},
		{name: long, rule: "maxLength"},
		{name: "a_b", rule: "pattern"},
		{name: "", rule: "minLength", restStatus: http.StatusNotFound},
	}
	s := agent(t)
	legacy := connect(t, mcpURL, agentToken, "2025-11-25")
	for _, tc := range cases {
		t.Run(tc.name[:min(len(tc.name), 10)], func(t *testing.T) {
			want := "invalid name (rule " + tc.rule + ")"

			// REST: the name is a path segment; a%2Fb and %2e%2e are
			// percent-encoded there and arrive decoded ("a/b", "..").
			resp, err := httpClient(agentToken).Get(baseURL + rest.PathImageRequests + nsA + "/" + tc.name)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Error struct{ Code, Field, Rule, Message string } `json:"error"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			switch {
			case tc.restStatus != 0:
				if resp.StatusCode != tc.restStatus {
					t.Errorf("REST: HTTP %d, want %d", resp.StatusCode, tc.restStatus)
				}
			case resp.StatusCode != http.StatusBadRequest || body.Error.Code != "invalid_argument" || body.Error.Field != "name" || body.Error.Rule != tc.rule:
				t.Errorf("REST: HTTP %d %+v, want 400 invalid_argument field name rule %s", resp.StatusCode, body.Error, tc.rule)
			}

			// get_image_request: a tool error.
			res := call(t, s, mcp.ToolGetImageRequest, map[string]any{"namespace": nsA, "name": tc.name})
			if !res.IsError || !strings.Contains(text(res), want) {
				t.Errorf("get_image_request: %s, want a tool error containing %q", text(res), want)
			}

			// resources/read, on both protocols: invalid params naming it.
			for _, c := range []*session{s, legacy} {
				_, err := c.ReadResource(context.Background(), &sdkmcp.ReadResourceParams{URI: "imagerequest://" + nsA + "/" + tc.name})
				var werr *jsonrpc.Error
				if !errors.As(err, &werr) || werr.Code != jsonrpc.CodeInvalidParams || !strings.Contains(werr.Message, want) {
					t.Errorf("resources/read (%s): %v, want JSON-RPC %d containing %q", c.InitializeResult().ProtocolVersion, err, jsonrpc.CodeInvalidParams, want)
					continue
				}
				var data struct{ Field, Rule string }
				if err := json.Unmarshal(werr.Data, &data); err != nil || data.Field != "name" || data.Rule != tc.rule {
					t.Errorf("resources/read (%s): data %s, want field name rule %s", c.InitializeResult().ProtocolVersion, werr.Data, tc.rule)
				}
			}
		})
	}
	t.Run("namespace", func(t *testing.T) {
		if status, body := getREST(t, agentToken, rest.PathImageRequests+"Team_A/x"); status != http.StatusBadRequest ||
			body.Error.Field != "namespace" || body.Error.Rule != "pattern" {
			t.Errorf("REST: %d %+v", status, body.Error)
		}
		_, err := s.ReadResource(context.Background(), &sdkmcp.ReadResourceParams{URI: "imagerequest://Team_A/x"})
		if err == nil || !strings.Contains(err.Error(), "invalid namespace (rule pattern)") {
			t.Errorf("resources/read: %v", err)
		}
	})
}
