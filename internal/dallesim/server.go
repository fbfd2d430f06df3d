package dallesim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// API routes, as the openai-go client calls them under a ".../v1/" base URL.
const (
	pathGenerations = string(EndpointGenerations)
	pathEdits       = string(EndpointEdits)
	// imagesPrefix serves the images that url responses point at.
	imagesPrefix = "/images/"
	// adminPrefix is the simulator's own control API.
	adminPrefix = "/sim/"
	// openAIVersion is the openai-version header the real API sends.
	openAIVersion = "2020-10-01"
)

// Server simulates OpenAI's DALL-E 2 Images API. It is an http.Handler; it
// is safe for concurrent use, and its behaviour can be changed while it
// serves (see Settings, AddFault, Reset).
type Server struct {
	apiKey    string
	publicURL string
	seed      int64
	now       func() time.Time
	log       *slog.Logger

	settingsMu sync.Mutex // serialises writers; readers use the atomic pointer
	settings   atomic.Pointer[Settings]

	signer  urlSigner
	edits   *editStore
	faults  faultQueue
	limiter imageLimiter
	stats   *recorder
	render  *renderer

	retired      map[string]bool         // immutable after New
	modelLatency map[string]LatencyRange // immutable after New

	closeOnce sync.Once
	closed    chan struct{} // closed by Close to release held requests
}

// New returns a Server configured by cfg. It panics if cfg holds a negative
// duration or limit, or a latency override for an unsupported size.
func New(cfg Config) *Server {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	maxStored := cfg.MaxStoredEditBytes
	if maxStored <= 0 {
		maxStored = DefaultMaxStoredEditBytes
	}
	s := &Server{
		apiKey:       cfg.APIKey,
		publicURL:    strings.TrimRight(cfg.PublicURL, "/"),
		seed:         cfg.Seed,
		now:          now,
		log:          logger,
		signer:       newURLSigner(),
		edits:        newEditStore(maxStored),
		stats:        newRecorder(cfg.MaxCallLog),
		render:       newRenderer(),
		retired:      retiredSet(cfg.RetiredModels),
		modelLatency: maps.Clone(cfg.ModelLatency),
		closed:       make(chan struct{}),
	}
	for model, lr := range cfg.ModelLatency {
		if err := lr.validate(); err != nil {
			panic(fmt.Sprintf("dallesim: latency of %s: %v", model, err))
		}
	}
	initial := initialSettings(cfg)
	if err := initial.validate(); err != nil {
		// A negative duration or limit in Config is a programming error in the caller.
		panic("dallesim: " + err.Error())
	}
	s.settings.Store(&initial)
	return s
}

// Close releases requests held by latency or hang faults (their connections
// are dropped). The Server keeps answering new requests; Close exists so a
// shutdown does not wait for a scripted hang.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

// ServeHTTP routes a request. Every response carries x-request-id,
// openai-version and openai-processing-ms, like the real API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &responseWriter{ResponseWriter: w, start: time.Now()}
	requestID := newRequestID()
	h := w.Header()
	h.Set("x-request-id", requestID)
	h.Set("openai-version", openAIVersion)

	switch {
	case r.URL.Path == pathGenerations && r.Method == http.MethodPost:
		s.serveAPI(rw, r, requestID, EndpointGenerations, s.handleGenerate)
	case r.URL.Path == pathEdits && r.Method == http.MethodPost:
		s.serveAPI(rw, r, requestID, EndpointEdits, s.handleEdit)
	case strings.HasPrefix(r.URL.Path, imagesPrefix) && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		s.handleImage(rw, r)
	case strings.HasPrefix(r.URL.Path, adminPrefix) && s.handleAdmin(rw, r):
	default:
		writeAPIError(rw, errNotFound(r.Method, r.URL.Path))
	}
}

// apiHandler serves one authenticated API endpoint, filling in call.
type apiHandler func(w http.ResponseWriter, r *http.Request, call *Call)

// serveAPI counts and logs an API request, authenticates it and hands it to h.
func (s *Server) serveAPI(w *responseWriter, r *http.Request, requestID string, endpoint Endpoint, h apiHandler) {
	s.stats.received(endpoint)
	call := &Call{
		Time:            s.now(),
		Endpoint:        endpoint,
		RequestID:       requestID,
		ClientRequestID: r.Header.Get("X-Client-Request-Id"),
	}
	defer func() {
		if call.Status == 0 && !call.ConnectionReset {
			call.Status = w.status
		}
		call.Duration = time.Since(w.start)
		s.stats.record(*call)
		if w.resetConn != nil {
			_ = w.resetConn.Close()
		}
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "api call",
			slog.String("endpoint", string(endpoint)), slog.String("request_id", requestID),
			slog.Int("status", call.Status), slog.String("code", call.ErrorCode),
			slog.Int("n", call.N), slog.String("size", call.Size), slog.Bool("billable", call.Billable),
			slog.Duration("duration", call.Duration))
	}()
	if err := s.authenticate(r); err != nil {
		s.fail(w, call, err)
		return
	}
	h(w, r, call)
}

// fail answers with e and notes it in the call record.
func (s *Server) fail(w http.ResponseWriter, call *Call, e *apiError) {
	call.Status = e.Status
	call.ErrorCode = e.code()
	writeAPIError(w, e)
}

// authenticate checks the bearer token the way OpenAI does: missing → 401
// with code null; wrong (only when an APIKey is configured) → invalid_api_key.
func (s *Server) authenticate(r *http.Request) *apiError {
	auth := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return errMissingAPIKey()
	}
	if s.apiKey != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.apiKey)) != 1 {
		return errInvalidAPIKey(token)
	}
	return nil
}

// baseURL is the scheme://host prefix for image URLs answered to r.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// newRequestID returns "req_" and 32 hex digits, the real API's format.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms.
	return "req_" + hex.EncodeToString(b[:])
}

// responseWriter stamps openai-processing-ms when the header is written
// and remembers the status for the call log.
type responseWriter struct {
	http.ResponseWriter
	start       time.Time
	status      int
	wroteHeader bool
	// resetConn is a hijacked connection to reset once the call is
	// recorded: a client that sees the reset can then count on the call log.
	resetConn net.Conn
}

func (w *responseWriter) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.status = status
	w.Header().Set("openai-processing-ms", strconv.FormatInt(time.Since(w.start).Milliseconds(), 10))
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Hijack and Flush.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
