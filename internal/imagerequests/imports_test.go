package imagerequests_test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/imagegen/imagegen-operator/"

// imports lists what pkg imports outside its tests: directly, and
// directly or not (go list -deps).
func imports(t *testing.T, pkg string) (direct, all []string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=Imports,Deps", module+pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	var p struct{ Imports, Deps []string }
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p.Imports, p.Deps
}

// TestImportRules keeps the split of issue 9: the service knows no
// transport, the MCP adapter no HTTP server or auth code, kubeauth no HTTP
// server, and nothing of the front door imports the controller or the
// upstream client. (go list itself refuses import cycles.)
func TestImportRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	// Packages of ours and the SDK's that a package must not depend on,
	// directly or not.
	forbidden := map[string][]string{
		"internal/imagerequests": {module + "mcp", module + "internal/rest", module + "internal/httpserver", module + "internal/httpapi",
			module + "internal/kubeauth", "github.com/modelcontextprotocol/go-sdk/mcp"},
		"mcp":               {module + "internal/kubeauth", module + "internal/httpserver", module + "internal/rest", module + "internal/httpapi"},
		"internal/kubeauth": {module + "internal/httpserver", module + "internal/rest", module + "mcp", module + "internal/httpapi", "github.com/modelcontextprotocol/go-sdk/mcp"},
		"internal/rest":     {module + "mcp", module + "internal/httpserver", module + "internal/kubeauth", "github.com/modelcontextprotocol/go-sdk/mcp"},
	}
	// net/http comes with client-go to everyone; these may not import it
	// themselves. (The MCP adapter does, for the preview downloads'
	// http.Client only.)
	noHTTP := []string{"internal/imagerequests", "internal/kubeauth"}
	for pkg, bad := range forbidden {
		direct, ds := imports(t, pkg)
		for _, b := range bad {
			if slices.Contains(ds, b) {
				t.Errorf("%s imports %s", pkg, b)
			}
		}
		if slices.Contains(noHTTP, pkg) && slices.Contains(direct, "net/http") {
			t.Errorf("%s imports net/http", pkg)
		}
		if pkg == "mcp" && slices.Contains(direct, "github.com/modelcontextprotocol/go-sdk/auth") {
			t.Error("mcp imports the SDK's auth: authentication is the listener's (internal/httpserver)")
		}
		for _, d := range ds {
			if strings.HasPrefix(d, module+"controllers") || strings.HasPrefix(d, module+"internal/upstream") {
				t.Errorf("%s imports %s", pkg, d)
			}
		}
	}
}
