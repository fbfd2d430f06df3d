package httpserver

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-logr/logr"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/internal/kubeauth"
)

// TestArtifactsRouteOutsideAuth: the operator's artifact URLs are served
// without a bearer token (their signature is the authorisation) while the
// rest of the listener still asks for one, and the loopback Host guard
// covers them too.
func TestArtifactsRouteOutsideAuth(t *testing.T) {
	api := &fakeTokenAPI{}
	s := &Server{opts: Options{Auth: AuthToken}, log: logr.Discard(),
		tokens: kubeauth.NewTokenReviewer(api.client(), nil, time.Minute)}
	served := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("artifact")) })
	h := s.routes(sdkmcp.NewServer(&sdkmcp.Implementation{Name: "t", Version: "0"}, nil), nil, served)

	do := func(method, path, host string, loopback bool) int {
		req := httptest.NewRequest(method, path, nil)
		req.Host = host
		if loopback {
			req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8443}))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := do(http.MethodGet, "/artifacts/results/a/b/c/attempt-1/0.png?sig=x", "imagegen.example.com", false); code != http.StatusOK {
		t.Errorf("GET /artifacts/ without a token: %d, want 200 (served)", code)
	}
	if code := do(http.MethodHead, "/artifacts/results/a/b/c/attempt-1/0.png", "imagegen.example.com", false); code != http.StatusOK {
		t.Errorf("HEAD /artifacts/ without a token: %d, want 200", code)
	}
	if code := do(http.MethodGet, "/image_requests/default/x", "imagegen.example.com", false); code != http.StatusUnauthorized {
		t.Errorf("GET /image_requests without a token: %d, want 401", code)
	}
	if code := do(http.MethodGet, "/artifacts/results/a/b/c/attempt-1/0.png", "evil.example.com", true); code != http.StatusForbidden {
		t.Errorf("rebound Host on loopback: %d, want 403", code)
	}
	if api.reviews.Load() != 0 {
		t.Errorf("%d token reviews for requests without a token", api.reviews.Load())
	}
}
