package httpserver

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// Auth modes for Options.Auth.
const (
	// AuthToken requires a bearer token that a Kubernetes TokenReview accepts.
	AuthToken = "token"
	// AuthNone trusts every caller; refused unless the listener is on loopback.
	AuthNone = "none"
)

// Defaults for Options.
const (
	DefaultBindAddress       = ":8443"
	defaultDefaultNamespace  = "default"
	defaultHeartbeatInterval = imagerequests.DefaultHeartbeatInterval
	defaultTokenCacheTTL     = 30 * time.Second
	defaultAuthzCacheTTL     = 5 * time.Second
)

// Options configure the MCP and REST server. The zero value disables it.
type Options struct {
	// BindAddress is host:port of the listener; "" or "0" disables the server.
	BindAddress string
	// CertDir holds tls.crt and tls.key for HTTPS, reloaded when they change.
	// Empty serves plain HTTP on a loopback address and, anywhere else, HTTPS
	// with a self-signed certificate made at start-up (as kube-apiserver does
	// without --tls-cert-file).
	CertDir string
	// Auth is AuthToken (default) or AuthNone.
	Auth string
	// TokenAudiences are the audiences a caller's token must be valid for;
	// empty means the API server's own audiences.
	TokenAudiences []string
	// DefaultNamespace is used when a call names no namespace and the caller
	// is not a ServiceAccount (whose own namespace is used).
	DefaultNamespace string
	// MaxRequestBodyBytes bounds one /mcp request and one REST
	// /edit_image body, where an edit's inputs arrive (in base64 on /mcp,
	// as files on REST). Zero means DefaultMaxRequestBodyBytes; it must be
	// at least MCPBodyBytesFor the reference contract's input limit (see
	// Validate). It is the one bound on what an edit may upload at once:
	// the GPT image models take up to 16 images of 50 MB each, far more
	// than a server should read into memory by default, so their edits
	// carry what fits and a larger body is refused with HTTP 413 naming the
	// limit. Operators whose callers send large inputs raise it.
	MaxRequestBodyBytes int64

	// The fields below are not flags.

	// Listener, when set, is served instead of listening on BindAddress
	// (tests use it to learn the port of "127.0.0.1:0").
	Listener net.Listener
	// HeartbeatInterval is how often a waiting tool call sends a progress
	// notification when nothing changed (idle proxies cut silent streams).
	// Zero means defaultHeartbeatInterval; it is capped at 10 s.
	HeartbeatInterval time.Duration
	// TokenCacheTTL is how long an accepted token is trusted before it is
	// reviewed again (rejections are remembered for a fifth of it).
	TokenCacheTTL time.Duration
	// AuthzCacheTTL is how long a SubjectAccessReview answer is reused.
	AuthzCacheTTL time.Duration
	// PreviewClient fetches image URLs for include_preview; nil uses a client
	// with a 15 s timeout.
	PreviewClient *http.Client
	// BodyReadGrace and MinBodyRate (bytes per second) pace request bodies:
	// after the grace a body must arrive at the rate on average (see
	// bodyrate.go). Zero means defaultBodyReadGrace, defaultMinBodyRate.
	BodyReadGrace time.Duration
	MinBodyRate   int64
	// LargeBodyQueueWait is how long a request with a large body waits for
	// a slot before it is answered 503 (see largebody.go). Zero means
	// defaultLargeBodyQueueWait.
	LargeBodyQueueWait time.Duration
}

// BindFlags registers the --mcp-* flags on fs.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.BindAddress, "mcp-bind-address", DefaultBindAddress,
		"Address of the MCP (/mcp) and REST listener, on every replica; 0 disables it.")
	fs.StringVar(&o.CertDir, "mcp-cert-dir", "",
		"Directory with tls.crt and tls.key for the MCP listener (reloaded on change). Empty: plain HTTP on a loopback address, else HTTPS with a self-signed certificate generated at start-up.")
	fs.StringVar(&o.Auth, "mcp-auth", AuthToken,
		"Authentication of MCP and REST callers: token (Kubernetes bearer token, checked with a TokenReview) or none (loopback only).")
	fs.Var((*commaList)(&o.TokenAudiences), "mcp-token-audiences",
		"Comma-separated audiences a caller's token must be valid for (default: the API server's).")
	fs.StringVar(&o.DefaultNamespace, "mcp-default-namespace", defaultDefaultNamespace,
		"Namespace of calls that name none, when the caller is not a ServiceAccount (whose namespace is used).")
	fs.Int64Var(&o.MaxRequestBodyBytes, "mcp-max-body-bytes", DefaultMaxRequestBodyBytes,
		"Largest /mcp request and REST /edit_image body, in bytes; larger ones are refused with HTTP 413. An edit's inputs all travel in it (in base64 on /mcp): the default 12 MiB holds a 4 MB image and mask (DALL-E 2's limit), the least allowed; the GPT image models take up to 16 inputs of 50 MB each, and an edit sends what fits.")
}

// mcpBodyOverhead is what an edit_image call holds besides its two inputs:
// the JSON-RPC envelope, prompt and parameters.
const mcpBodyOverhead = 64 << 10

// MCPBodyBytesFor is the /mcp body an edit_image call needs to send an image
// and a mask of maxInputBytes each: both in base64 (4 bytes per 3) plus
// the JSON around them.
func MCPBodyBytesFor(maxInputBytes int64) int64 {
	return 2*((maxInputBytes+2)/3*4) + mcpBodyOverhead
}

// referenceInputBytes is the input limit of the reference contract
// (dall-e-2, 4 MB): the least the body limit must hold is one edit with an
// image and a mask that large. The registry's largest limits (16 inputs of
// 50 MB for the GPT image models) are not the floor: a default that held
// them would let every large-body slot (largebody.go) hold over a GB.
func referenceInputBytes() int64 {
	m, _ := models.Lookup(models.DALLE2)
	return m.MaxInputBytes
}

// Enabled reports whether the server should run.
func (o Options) Enabled() bool {
	return o.Listener != nil || (o.BindAddress != "" && o.BindAddress != "0")
}

// WithDefaults fills the zero fields.
func (o Options) WithDefaults() Options {
	if o.Auth == "" {
		o.Auth = AuthToken
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = defaultHeartbeatInterval
	}
	o.HeartbeatInterval = min(o.HeartbeatInterval, 10*time.Second)
	if o.TokenCacheTTL <= 0 {
		o.TokenCacheTTL = defaultTokenCacheTTL
	}
	if o.AuthzCacheTTL <= 0 {
		o.AuthzCacheTTL = defaultAuthzCacheTTL
	}
	if o.PreviewClient == nil {
		o.PreviewClient = &http.Client{Timeout: 15 * time.Second}
	}
	if o.BodyReadGrace <= 0 {
		o.BodyReadGrace = defaultBodyReadGrace
	}
	if o.MinBodyRate <= 0 {
		o.MinBodyRate = defaultMinBodyRate
	}
	if o.LargeBodyQueueWait <= 0 {
		o.LargeBodyQueueWait = defaultLargeBodyQueueWait
	}
	if o.MaxRequestBodyBytes <= 0 {
		o.MaxRequestBodyBytes = DefaultMaxRequestBodyBytes
	}
	return o
}

// Validate checks the options an operator can get wrong: --mcp-auth=none is
// only allowed when nothing but this machine can connect. (Plain HTTP is
// never served off loopback either: without --mcp-cert-dir such a listener
// gets a self-signed certificate, see ServesPlainHTTP.)
func (o Options) Validate() error {
	o = o.WithDefaults()
	addr := o.address()
	loopback := IsLoopback(addr)
	switch o.Auth {
	case AuthToken:
	case AuthNone:
		if !loopback {
			return fmt.Errorf("--mcp-auth=none is refused on %q: without authentication the listener must be on a loopback address such as 127.0.0.1:8443", addr)
		}
	default:
		return fmt.Errorf("--mcp-auth must be %q or %q, got %q", AuthToken, AuthNone, o.Auth)
	}
	if o.DefaultNamespace != "" {
		if err := imagerequests.ValidateNamespace(o.DefaultNamespace); err != nil {
			return fmt.Errorf("--mcp-default-namespace: %w", err)
		}
	}
	// A smaller limit would cut the reference contract's valid edits off
	// in the transport, with "body too large" instead of the rule they
	// break.
	if need := MCPBodyBytesFor(referenceInputBytes()); o.MaxRequestBodyBytes < need {
		return fmt.Errorf("--mcp-max-body-bytes=%d cannot hold an edit_image call with an image and a mask of %d bytes each (DALL-E 2's limit) in base64; it must be at least %d",
			o.MaxRequestBodyBytes, referenceInputBytes(), need)
	}
	return nil
}

// ServesPlainHTTP reports whether the listener speaks plain HTTP: only on
// loopback without --mcp-cert-dir. Off loopback it is always HTTPS.
func (o Options) ServesPlainHTTP() bool {
	return o.CertDir == "" && IsLoopback(o.address())
}

// BaseURL is the URL prefix the listener is reached at from this machine:
// http or https (see ServesPlainHTTP) and its address, with an unspecified
// host (":8443", "0.0.0.0:8443") given as localhost. Clients elsewhere need
// the externally visible name instead (--artifact-base-url).
func (o Options) BaseURL() string {
	scheme := "https"
	if o.ServesPlainHTTP() {
		scheme = "http"
	}
	addr := o.address()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return scheme + "://" + addr
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// address is where the server listens.
func (o Options) address() string {
	if o.Listener != nil {
		return o.Listener.Addr().String()
	}
	return o.BindAddress
}

// IsLoopback reports whether a host:port address only accepts connections
// from this machine. An empty host (all interfaces) is not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// commaList is a flag.Value of comma-separated strings.
type commaList []string

func (c *commaList) String() string { return strings.Join(*c, ",") }

func (c *commaList) Set(v string) error {
	*c = nil
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*c = append(*c, s)
		}
	}
	if len(*c) == 0 && strings.TrimSpace(v) != "" {
		return errors.New("no audience in the list")
	}
	return nil
}
