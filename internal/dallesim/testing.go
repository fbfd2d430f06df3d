package dallesim

import (
	"net/http/httptest"
	"testing"
)

// NewTestServer starts a Server for cfg on 127.0.0.1 with PublicURL pointing
// at it, and shuts both down when the test ends. Point the openai-go client
// at ts.URL+"/v1/".
func NewTestServer(tb testing.TB, cfg Config) (*Server, *httptest.Server) {
	tb.Helper()
	ts := httptest.NewUnstartedServer(nil)
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + ts.Listener.Addr().String()
	}
	srv := New(cfg)
	ts.Config.Handler = srv
	ts.Start()
	tb.Cleanup(func() {
		srv.Close() // release scripted hangs first, or ts.Close would wait for them
		ts.Close()
	})
	return srv, ts
}
