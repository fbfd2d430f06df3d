package mcp_test

import (
	"net"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/httpserver"
	"github.com/imagegen/imagegen-operator/mcp"
)

// TestFollowerServesMCP starts a second manager on the same Lease: it stays
// a follower (its controller never runs) yet its MCP endpoint creates and
// waits, while the leader's controller does the work.
func TestFollowerServesMCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := managerOptions(ln)
	opts.LeaderElect = true
	follower := startManager(t, opts)
	base := "http://" + ln.Addr().String()
	if err := waitReady(base); err != nil {
		t.Fatal(err)
	}
	s := connect(t, base+httpserver.MCPPath, agentToken, "")
	res := call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "via the follower"), "size": slowSize, "include_preview": true})
	if res.IsError {
		t.Fatal(text(res))
	}
	out := structured(t, res)
	if out["phase"] != "Succeeded" {
		t.Fatalf("result %v", out)
	}
	select {
	case <-follower.Elected():
		t.Error("the second manager became leader; the test wants a follower")
	default:
	}
}
