package httpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/modelcontextprotocol/go-sdk/auth"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/rest"
	"github.com/imagegen/imagegen-operator/mcp"
)

// DefaultMaxRequestBodyBytes bounds one /mcp request and one REST
// /edit_image body unless --mcp-max-body-bytes says otherwise: enough for
// edit_image with a 4 MB image and a 4 MB mask (DALL-E 2's limit) in base64
// plus the JSON around them (see MCPBodyBytesFor). The GPT image models'
// inputs (up to 16 of 50 MB) are not its measure: an edit for them sends
// what fits, and an operator whose callers send more raises the flag
// (MCPBodyBytesFor gives what a given input size needs).
const DefaultMaxRequestBodyBytes = 12 << 20

// MCPPath is where the Streamable HTTP endpoint is served.
const MCPPath = "/mcp"

// shutdownGrace is how long in-flight calls get to answer when the manager
// stops. Their ImageRequests carry on regardless.
const shutdownGrace = 5 * time.Second

// Handlers are what the listener serves and asks.
type Handlers struct {
	// Service is fed by the informer while the server runs, and told when
	// it stops; large bodies are admitted with its rules.
	Service *imagerequests.Service
	// Tokens authenticates bearer tokens (kubeauth.TokenReviewer); unused
	// under AuthNone.
	Tokens Authenticator
	// MCP is served statelessly on MCPPath.
	MCP *sdkmcp.Server
	// REST serves the REST endpoints.
	REST *rest.Handler
	// Artifacts, when set, serves GET and HEAD under ArtifactsPath (the
	// operator's signed artifact URLs, artifacts.Handler). It is not behind
	// authentication: the URL's signature is the authorisation, so a link
	// works for whoever holds it until it expires.
	Artifacts http.Handler
}

// ArtifactsPath is where Handlers.Artifacts is served (artifacts.HandlerPrefix).
const ArtifactsPath = "/artifacts/"

// Server is the MCP and REST listener, a manager Runnable on every replica.
type Server struct {
	opts   Options
	log    logr.Logger
	svc    *imagerequests.Service
	tokens Authenticator
	certs  *certwatcher.CertWatcher
	// selfSigned serves HTTPS off loopback when no --mcp-cert-dir is given.
	selfSigned *tls.Certificate

	handler http.Handler

	ready  atomic.Bool
	addrMu sync.Mutex
	addr   net.Addr
}

// New builds the listener. It checks the options and loads the
// certificate now, so a misconfiguration fails start-up rather than the
// first call. The caller adds it to the manager.
func New(opts Options, h Handlers, log logr.Logger) (*Server, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: log, svc: h.Service, tokens: h.Tokens}
	switch {
	case opts.CertDir != "":
		cw, err := newCertWatcher(opts.CertDir)
		if err != nil {
			return nil, err
		}
		s.certs = cw
	case !opts.ServesPlainHTTP():
		cert, fingerprint, err := selfSignedCertificate()
		if err != nil {
			return nil, err
		}
		s.selfSigned = cert
		s.log.Info("no --mcp-cert-dir: serving HTTPS with a self-signed certificate; mount a real one for clients to verify",
			"address", opts.address(), "sha256", fingerprint)
	}
	s.handler = s.routes(h.MCP, h.REST, h.Artifacts)
	return s, nil
}

// routes is the HTTP surface: /mcp, the REST endpoints, the artifacts (when
// served) and the probes. Cross-origin protection (no browser page of
// another origin may POST) and DNS-rebinding protection (on loopback, only
// loopback Host headers) cover all of it.
func (s *Server) routes(mcpServer *sdkmcp.Server, api *rest.Handler, artifactsHandler http.Handler) http.Handler {
	mcpHandler := sdkmcp.NewStreamableHTTPHandler(func(*http.Request) *sdkmcp.Server { return mcpServer }, &sdkmcp.StreamableHTTPOptions{
		Stateless:                    true,
		PropagateRequestCancellation: true,
		MaxRequestBodyBytes:          s.opts.MaxRequestBodyBytes,
		Logger:                       mcp.WarnOnlyLogger(s.log.WithName("transport")),
	})
	var protectedMCP http.Handler = mcpHandler
	if s.opts.Auth == AuthToken {
		// Puts the reviewed caller into the SDK's RequestExtra.TokenInfo.
		// authenticate already reviewed the token; TokenReview says nothing
		// of its expiry, and our cache's TTL is not it (reporting that made
		// calls queued past it fail with 401, which ends an MCP session).
		protectedMCP = auth.RequireBearerToken(tokenInfoVerifier, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(mcpHandler)
	}
	// Who the caller is and whether it may hold a large-body slot are
	// settled before any body is read; bodies are then paced.
	large := newLargeBodyLimiter(largeBodySlots, largeBodyBytes, s.opts.LargeBodyQueueWait)
	mux := http.NewServeMux()
	mux.Handle(MCPPath, s.authenticate(large.wrap(s.admitLargeBody, s.paceBodies(protectedMCP))))
	mux.Handle("POST "+rest.PathGenerate, s.authenticate(s.paceBodies(http.HandlerFunc(api.Generate))))
	mux.Handle("POST "+rest.PathEdit, s.authenticate(large.wrap(s.admitLargeBody, s.paceBodies(s.limitBody(http.HandlerFunc(api.Edit))))))
	mux.Handle("GET "+rest.PathImageRequests+"{namespace}/{name}", s.authenticate(http.HandlerFunc(api.Get)))
	mux.Handle("GET "+rest.PathModels, s.authenticate(http.HandlerFunc(api.Models)))
	if artifactsHandler != nil {
		// GET patterns match HEAD too. No s.authenticate: see Handlers.Artifacts.
		mux.Handle("GET "+ArtifactsPath, artifactsHandler)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.ReadyzCheck(r); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	return loopbackHostOnly(http.NewCrossOriginProtection().Handler(mux))
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// NeedLeaderElection is false: every replica serves MCP and REST; they only
// create and watch ImageRequests.
func (s *Server) NeedLeaderElection() bool { return false }

// Addr is the listener's address once Start listens, else nil.
func (s *Server) Addr() net.Addr {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	return s.addr
}

// ReadyzCheck passes once the informer has synced and the listener is open.
func (s *Server) ReadyzCheck(*http.Request) error {
	if !s.ready.Load() {
		return errors.New("the MCP server is not serving yet")
	}
	return nil
}

// Start feeds the service from the manager's ImageRequest informer and
// serves until ctx ends.
func (s *Server) Start(ctx context.Context) error {
	defer s.svc.Stop()
	stopWatching, err := s.svc.Watch(ctx)
	if err != nil {
		return err
	}
	defer stopWatching()

	ln, err := s.opts.listen(ctx)
	if err != nil {
		return err
	}
	scheme := "http"
	switch {
	case s.certs != nil:
		go func() {
			if err := s.certs.Start(ctx); err != nil {
				s.log.Error(err, "watching the serving certificate")
			}
		}()
		ln = tls.NewListener(ln, tlsConfig(s.certs.GetCertificate))
		scheme = "https"
	case s.selfSigned != nil:
		ln = tls.NewListener(ln, tlsConfig(func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.selfSigned, nil }))
		scheme = "https"
	}
	s.addrMu.Lock()
	s.addr = ln.Addr()
	s.addrMu.Unlock()

	// Requests live in baseCtx, cancelled at shutdown so waiting calls answer
	// at once (their ImageRequests are not touched).
	baseCtx, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	// Timeouts: headers within 10 s; a body at the minimum rate (paced per
	// request, see bodyrate.go), with ReadTimeout as the backstop at the
	// longest the largest /mcp body may take at that rate. ReadTimeout does not cut
	// calls that wait for their image: net/http clears the read deadline
	// once a body has been read. Responses have no write timeout (a call
	// may wait 15 minutes), and an idle keep-alive connection is closed
	// after 2 minutes.
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       maxBodyReadTime(s.opts.MaxRequestBodyBytes, s.opts.BodyReadGrace, s.opts.MinBodyRate),
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ErrorLog:          log.New(logrWriter{s.log.V(1)}, "", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.ready.Store(true)
	s.log.Info("serving MCP and REST", "address", scheme+"://"+ln.Addr().String()+MCPPath, "auth", s.opts.Auth,
		"tokenAudiences", s.opts.TokenAudiences, "defaultNamespace", s.opts.DefaultNamespace)

	select {
	case err := <-served:
		s.ready.Store(false)
		return fmt.Errorf("serving MCP: %w", err)
	case <-ctx.Done():
	}
	s.ready.Store(false)
	// Waiting calls learn of the shutdown before their contexts end, so
	// REST can answer them 503 with their poll URL (internal/rest).
	s.svc.Stop()
	cancelBase()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	s.log.Info("MCP server stopped")
	return nil
}

// limitBody bounds a REST edit's whole body by the limit /mcp has
// (MaxRequestBodyBytes): the handler reads its files into memory, each
// under the model's per-file limit, and this bounds them together. A body
// past it fails its read with *http.MaxBytesError, which the handler
// answers 413 request_too_large naming the limit.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxRequestBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// logrWriter sends net/http's error log (TLS handshake noise and the like)
// to a verbose logger.
type logrWriter struct{ log logr.Logger }

func (w logrWriter) Write(p []byte) (int, error) {
	w.log.Info(string(p))
	return len(p), nil
}
