package mcp_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/imagegen/imagegen-operator/internal/httpserver"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/manager"
	"github.com/imagegen/imagegen-operator/internal/rest"
	"github.com/imagegen/imagegen-operator/mcp"
)

func postMCP(t *testing.T, url, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := httpClient(token).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestNoOrBadTokenIs401(t *testing.T) {
	for _, tc := range []struct{ name, token, wantParam string }{
		{"no token", "", ""},
		{"garbage token", "not-a-token", `error="invalid_token"`},
		{"forged JWT", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtZSJ9.c2lnbmF0dXJl", `error="invalid_token"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{httpserver.MCPPath, rest.PathGenerate} {
				resp := postMCP(t, baseURL+path, tc.token)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s: HTTP %d, want 401", path, resp.StatusCode)
				}
				wa := resp.Header.Get("WWW-Authenticate")
				if !strings.HasPrefix(wa, "Bearer ") || !strings.Contains(wa, tc.wantParam) {
					t.Errorf("%s: WWW-Authenticate = %q", path, wa)
				}
			}
		})
	}
	// The go-sdk client gets no session either.
	c := sdkmcp.NewClient(&sdkmcp.Implementation{Name: "t"}, nil)
	if _, err := c.Connect(context.Background(), &sdkmcp.StreamableClientTransport{Endpoint: mcpURL, HTTPClient: httpClient(""), MaxRetries: -1}, nil); err == nil {
		t.Error("connecting without a token succeeded")
	}
	// Probes need no token.
	for _, p := range []string{"/healthz", "/readyz"} {
		if status, _ := fetch(t, baseURL+p); status != http.StatusOK {
			t.Errorf("%s: %d", p, status)
		}
	}
}

func TestServiceAccountWithoutRBACIsForbidden(t *testing.T) {
	s := connect(t, mcpURL, nobodyToken, "")
	irs, _ := counts(t, nsA)
	for tool, args := range map[string]map[string]any{
		mcp.ToolGenerateImage:     {"prompt": "x"},
		mcp.ToolGetImageRequest:   {"name": "anything"},
		mcp.ToolListImageRequests: {},
	} {
		res := call(t, s, tool, args)
		if !res.IsError || !strings.Contains(text(res), "forbidden") || !strings.Contains(text(res), "system:serviceaccount:"+nsA+":nobody") {
			t.Errorf("%s: %s", tool, text(res))
		}
	}
	if after, _ := counts(t, nsA); after != irs {
		t.Errorf("a forbidden call created an ImageRequest")
	}
	// Over REST it is an HTTP 403.
	status, body := postJSON(t, nobodyToken, rest.PathGenerate, `{"prompt":"x"}`)
	if status != http.StatusForbidden || body.Error.Code != "forbidden" {
		t.Errorf("REST: %d %+v", status, body)
	}
}

// TestRoleInOneNamespaceOnly: the agent's RoleBinding is in team-a; team-b
// is refused, even for reads, and even when the caller names it.
func TestRoleInOneNamespaceOnly(t *testing.T) {
	s := agent(t)
	res := call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "in A"), "size": fastSize, "namespace": nsA})
	if res.IsError || structured(t, res)["namespace"] != nsA {
		t.Fatalf("team-a: %s", text(res))
	}
	before, _ := counts(t, nsB)
	for tool, args := range map[string]map[string]any{
		mcp.ToolGenerateImage:     {"prompt": "in B", "namespace": nsB},
		mcp.ToolEditImage:         {"prompt": "in B", "namespace": nsB, "image": "aGVsbG8="},
		mcp.ToolListImageRequests: {"namespace": nsB},
		mcp.ToolGetImageRequest:   {"namespace": nsB, "name": "x"},
	} {
		res := call(t, s, tool, args)
		if !res.IsError || !strings.Contains(text(res), `in namespace "team-b"`) {
			t.Errorf("%s in team-b: %s", tool, text(res))
		}
	}
	if after, _ := counts(t, nsB); after != before {
		t.Error("something was created in team-b")
	}
	// A Role granting team-b lets the same token in (after the short authz cache).
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "agent-in-b", Namespace: nsB},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "imagegen-user"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "agent", Namespace: nsA}},
	}
	if err := k8sClient.Create(context.Background(), binding); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), binding) })
	// A name never asked about, so no earlier denial is cached: now allowed,
	// the request simply does not exist.
	res = call(t, s, mcp.ToolGetImageRequest, map[string]any{"namespace": nsB, "name": "never-created"})
	if !res.IsError || strings.Contains(text(res), "forbidden") || !strings.Contains(text(res), "not found") {
		t.Errorf("team-b after the RoleBinding: %s", text(res))
	}
}

// TestTokenAudiences runs a second server that wants its own audience: an
// API-server token is refused, one issued for the audience accepted.
func TestTokenAudiences(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := managerOptions(ln)
	opts.MCP.TokenAudiences = []string{"imagegen-mcp"}
	opts.LeaderElect = true // a follower: the suite's manager holds the lease
	startManager(t, opts)
	base := "http://" + ln.Addr().String()
	if err := waitReady(base); err != nil {
		t.Fatal(err)
	}
	if resp := postMCP(t, base+httpserver.MCPPath, agentToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("token for the API server's audience: HTTP %d, want 401", resp.StatusCode)
	}
	tok, err := saToken(nsA, "agent", []string{"imagegen-mcp"})
	if err != nil {
		t.Fatal(err)
	}
	s := connect(t, base+httpserver.MCPPath, tok, "")
	res := call(t, s, mcp.ToolListImageRequests, map[string]any{"limit": 1})
	if res.IsError {
		t.Errorf("token for imagegen-mcp: %s", text(res))
	}
}

// startManager runs another manager for the rest of the test.
func startManager(t *testing.T, opts manager.Options) ctrl.Manager {
	t.Helper()
	mgr, err := localenv.StartManager(restConfig, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := mgr.Stop(); err != nil {
			t.Errorf("manager: %v", err)
		}
	})
	return mgr
}

// TestCachedTokenExpiringMidRequest: the token cache's TTL is not the
// token's expiry. A call whose cached review lapses while it waits (here a
// 1 ns TTL; under load, a queue for a large-body slot) must still be served,
// not answered 401 — a 401 makes MCP clients drop the whole session.
func TestCachedTokenExpiringMidRequest(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := managerOptions(ln)
	opts.MCP.TokenCacheTTL = time.Nanosecond
	opts.LeaderElect = true // a follower: the suite's manager holds the lease
	startManager(t, opts)
	base := "http://" + ln.Addr().String()
	if err := waitReady(base); err != nil {
		t.Fatal(err)
	}
	s := connect(t, base+httpserver.MCPPath, agentToken, "")
	for i := 0; i < 3; i++ {
		if res := call(t, s, mcp.ToolListImageRequests, map[string]any{"limit": 1}); res.IsError {
			t.Fatalf("call %d: %s", i, text(res))
		}
	}
}
