package mcp_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/mcp"
)

const concurrentCalls = 100

// generateMany runs concurrentCalls generate_image calls at once, each on
// the session sessionFor(i) returns, and checks every one succeeded with
// its own ImageRequest.
func generateMany(t *testing.T, sessionFor func(i int) *session) {
	t.Helper()
	var wg sync.WaitGroup
	names := make([]string, concurrentCalls)
	errs := make([]error, concurrentCalls)
	prefix := uniquePrompt(t, "crowd")
	for i := range concurrentCalls {
		s := sessionFor(i)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*timeout)
			defer cancel()
			res, err := s.CallTool(ctx, &sdkmcp.CallToolParams{
				Name:      mcp.ToolGenerateImage,
				Arguments: map[string]any{"prompt": fmt.Sprintf("%s #%d", prefix, i), "size": fastSize},
				Meta:      sdkmcp.Meta{"progressToken": i},
			})
			switch {
			case err != nil:
				errs[i] = err
			case res.IsError:
				errs[i] = fmt.Errorf("tool error: %s", text(res))
			default:
				out := res.StructuredContent.(map[string]any)
				if out["phase"] != "Succeeded" {
					errs[i] = fmt.Errorf("phase %v", out["phase"])
				}
				names[i], _ = out["name"].(string)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
			continue
		}
		if seen[names[i]] {
			t.Errorf("two calls answered with ImageRequest %s", names[i])
		}
		seen[names[i]] = true
	}
	for i := range concurrentCalls {
		if n := sim.BillableImagesForPrompt(fmt.Sprintf("%s #%d", prefix, i)); n != 1 {
			t.Errorf("call %d: %d images billed, want exactly 1", i, n)
		}
	}
}

func TestConcurrentCallsOneSession(t *testing.T) {
	s := agent(t)
	generateMany(t, func(int) *session { return s })
}

func TestConcurrentCallsManySessions(t *testing.T) {
	sessions := make([]*session, concurrentCalls)
	for i := range sessions {
		sessions[i] = agent(t)
	}
	generateMany(t, func(i int) *session { return sessions[i] })
}
