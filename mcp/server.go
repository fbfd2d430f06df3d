package mcp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// MaxMCPBodyBytes bounds one /mcp request: enough for edit_image with a
// 4 MB image and a 4 MB mask in base64 plus the JSON around them (inputs
// that large are then refused by name, since they do not fit the input
// Secret, rather than cut off by the transport).
const MaxMCPBodyBytes = 12 << 20

// MCPPath is where the Streamable HTTP endpoint is served.
const MCPPath = "/mcp"

// shutdownGrace is how long in-flight calls get to answer when the manager
// stops. Their ImageRequests carry on regardless.
const shutdownGrace = 5 * time.Second

// instructions are sent to clients at connection; the rules come from the
// model registry.
func instructions() string {
	l := registryLimits()
	return fmt.Sprintf(`This server generates and edits images by creating Kubernetes ImageRequests that the imagegen-operator fulfils with the OpenAI Images API (models %s; sizes %s; n 1-%d; prompts up to %d characters; edits take a square PNG under %d MB with transparency or a mask).
Use generate_image or edit_image; they wait for the result (wait_seconds) and stream progress. If they return phase Pending or Running, the work goes on: follow it with get_image_request. Image URLs expire (about an hour): download what you need.
Each call is paid for: do not repeat a call that returned a request name, follow that request instead.`,
		strings.Join(l.names, ", "), strings.Join(l.sizes, ", "), l.maxN, l.maxPromptChars, l.maxInputBytes>>20)
}

// Server is the MCP and REST server, a manager Runnable on every replica.
type Server struct {
	opts   Options
	log    logr.Logger
	client client.Client
	reader client.Reader
	// apiReader answers what the cache has not seen yet (see getRequest).
	apiReader client.Reader
	cache     cache.Cache

	hub    *hub
	subs   *subscriptions
	tokens *tokenReviewer
	authz  *accessReviewer
	mcp    *mcp.Server
	certs  *certwatcher.CertWatcher
	// selfSigned serves HTTPS off loopback when no --mcp-cert-dir is given.
	selfSigned *tls.Certificate

	handler http.Handler

	ready    atomic.Bool
	addrMu   sync.Mutex
	addr     net.Addr
	stopping chan struct{}
	stopOnce sync.Once
}

// New builds the server for mgr. It checks the options and loads the
// certificate now, so a misconfiguration fails start-up rather than the
// first call. The caller adds it to mgr.
func New(mgr manager.Manager, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		opts:      opts,
		log:       ctrl.Log.WithName("mcp"),
		client:    mgr.GetClient(),
		reader:    mgr.GetCache(),
		apiReader: mgr.GetAPIReader(),
		cache:     mgr.GetCache(),
		hub:       newHub(),
		subs:      newSubscriptions(),
		tokens:    newTokenReviewer(mgr.GetClient(), opts.TokenAudiences, opts.TokenCacheTTL),
		authz:     newAccessReviewer(mgr.GetClient(), opts.AuthzCacheTTL),
		stopping:  make(chan struct{}),
	}
	s.hub.onStatusChange = s.statusChanged
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
	s.mcp = s.newMCPServer()
	s.handler = s.routes()
	return s, nil
}

// newMCPServer registers the tools and the resource template.
func (s *Server) newMCPServer() *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "imagegen-operator", Title: "Image generation on Kubernetes", Version: version()}, &mcp.ServerOptions{
		Instructions: instructions(),
		// The SDK logs every stateless session at Info; keep its warnings.
		Logger:             slog.New(warnOnly{logr.ToSlogHandler(s.log.WithName("sdk"))}),
		SubscribeHandler:   s.subscribe,
		UnsubscribeHandler: s.unsubscribe,
	})
	srv.AddReceivingMiddleware(schemaErrorMiddleware)
	s.addTools(srv)
	s.addResources(srv)
	return srv
}

// routes is the HTTP surface: /mcp, the REST endpoints and the probes.
// Cross-origin protection (no browser page of another origin may POST) and
// DNS-rebinding protection (on loopback, only loopback Host headers) cover
// all of it.
func (s *Server) routes() http.Handler {
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp }, &mcp.StreamableHTTPOptions{
		Stateless:                    true,
		PropagateRequestCancellation: true,
		MaxRequestBodyBytes:          MaxMCPBodyBytes,
		Logger:                       slog.New(warnOnly{logr.ToSlogHandler(s.log.WithName("transport"))}),
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
	mux.Handle("POST "+PathGenerate, s.authenticate(s.paceBodies(http.HandlerFunc(s.restGenerate))))
	mux.Handle("POST "+PathEdit, s.authenticate(large.wrap(s.admitLargeBody, s.paceBodies(http.HandlerFunc(s.restEdit)))))
	mux.Handle("GET "+PathImageRequests+"{namespace}/{name}", s.authenticate(http.HandlerFunc(s.restGetImageRequest)))
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

// Start feeds the hub from the manager's ImageRequest informer and serves
// until ctx ends.
func (s *Server) Start(ctx context.Context) error {
	defer s.stop()
	inf, err := s.cache.GetInformer(ctx, &imagesv1alpha1.ImageRequest{})
	if err != nil {
		return fmt.Errorf("getting the ImageRequest informer: %w", err)
	}
	reg, err := inf.AddEventHandler(s.hub.handler())
	if err != nil {
		return fmt.Errorf("watching ImageRequests: %w", err)
	}
	defer func() { _ = inf.RemoveEventHandler(reg) }()

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
	// longest a 12 MiB body may take at that rate. ReadTimeout does not cut
	// calls that wait for their image: net/http clears the read deadline
	// once a body has been read. Responses have no write timeout (a call
	// may wait 15 minutes), and an idle keep-alive connection is closed
	// after 2 minutes.
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       maxBodyReadTime(s.opts.BodyReadGrace, s.opts.MinBodyRate),
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
	s.stop()
	cancelBase()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	s.log.Info("MCP server stopped")
	return nil
}

// stop tells waiting calls the server is going away.
func (s *Server) stop() { s.stopOnce.Do(func() { close(s.stopping) }) }

// loopbackHostOnly refuses, on a loopback listener, requests whose Host is
// not a loopback name: a web page that rebinds its DNS name to 127.0.0.1
// must not reach an unauthenticated (--mcp-auth=none) server. The SDK does
// the same for /mcp; this covers the REST endpoints too.
func loopbackHostOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && local != nil &&
			IsLoopback(local.String()) && !IsLoopback(r.Host) {
			http.Error(w, fmt.Sprintf("Forbidden: invalid Host header %q for a loopback listener", r.Host), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// warnOnly passes on warnings and errors only.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}
func (h warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(as)} }
func (h warnOnly) WithGroup(n string) slog.Handler       { return warnOnly{h.Handler.WithGroup(n)} }

// logrWriter sends net/http's error log (TLS handshake noise and the like)
// to a verbose logger.
type logrWriter struct{ log logr.Logger }

func (w logrWriter) Write(p []byte) (int, error) {
	w.log.Info(string(p))
	return len(p), nil
}

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
