package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// allPaths are the paths in the order the table shows them.
var allPaths = []string{pathDirect, pathCR, pathMCP, pathREST, pathEdit}

// managerArgsForPaths turns on the MCP listener over HTTPS with token auth,
// as deployed: loopback address, self-signed certificate.
func managerArgsForPaths(e *env) ([]string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	certDir := filepath.Join(e.workDir, "certs")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return nil, err
	}
	if e.roots, err = writeServingCert(certDir); err != nil {
		return nil, err
	}
	e.mcpAddr = addr
	return []string{"--mcp-bind-address", addr, "--mcp-cert-dir", certDir, "--mcp-auth", "token"}, nil
}

func buildPaths(ctx context.Context, e *env, names []string) ([]path, error) {
	var (
		out []path
		c   *caller
	)
	agent := func() (*caller, error) {
		if c != nil {
			return c, nil
		}
		var err error
		if c, err = newCaller(ctx, e, e.roots); err != nil {
			return nil, err
		}
		return c, waitReady(ctx, c, "https://"+e.mcpAddr+"/readyz")
	}
	for _, n := range names {
		switch n {
		case pathDirect:
			out = append(out, newDirectPath(e))
		case pathCR:
			p, err := newCRPath(ctx, e)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		case pathMCP, pathEdit:
			a, err := agent()
			if err != nil {
				return nil, err
			}
			p, err := newMCPPath(ctx, e, a, n == pathEdit)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		case pathREST:
			a, err := agent()
			if err != nil {
				return nil, err
			}
			out = append(out, newRESTPath(e, a))
		default:
			return nil, fmt.Errorf("unknown path %q (known: %v)", n, allPaths)
		}
	}
	return out, nil
}

// waitReady polls the MCP listener's readiness: it starts with the manager's
// caches, after the metrics endpoint the env waited for.
func waitReady(ctx context.Context, c *caller, url string) error {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := c.http.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("the MCP listener never became ready at " + url)
}
