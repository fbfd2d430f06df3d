package mcp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-logr/logr"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// Config is what the MCP server needs besides the service.
type Config struct {
	Log logr.Logger
	// PreviewClient fetches image URLs for include_preview; nil uses a
	// client with a 15 s timeout.
	PreviewClient *http.Client
	// MaxRequestBodyBytes is the transport's limit on one request
	// (internal/httpserver), stated in edit_image's description so a
	// caller knows how much input fits; 0 states none.
	MaxRequestBodyBytes int64
}

// server holds what the tool and resource handlers use.
type server struct {
	svc     *imagerequests.Service
	log     logr.Logger
	preview *http.Client
	mcp     *sdkmcp.Server
	maxBody int64
}

// New returns the MCP server over svc: its tools, resource template and
// middleware. The transport (Streamable HTTP, stateless) serves it; it
// expects the caller in each request's context (imagerequests.WithCaller).
func New(svc *imagerequests.Service, cfg Config) *sdkmcp.Server {
	s := &server{svc: svc, log: cfg.Log, preview: cfg.PreviewClient, maxBody: cfg.MaxRequestBodyBytes}
	if s.preview == nil {
		s.preview = &http.Client{Timeout: 15 * time.Second}
	}
	s.mcp = sdkmcp.NewServer(&sdkmcp.Implementation{Name: "imagegen-operator", Title: "Image generation on Kubernetes", Version: version()}, &sdkmcp.ServerOptions{
		Instructions: instructions(newModelDocs(svc.Models())),
		// The SDK logs every stateless session at Info; keep its warnings.
		Logger:             WarnOnlyLogger(s.log.WithName("sdk")),
		SubscribeHandler:   s.subscribe,
		UnsubscribeHandler: s.unsubscribe,
	})
	// Innermost first: the schema errors are rewritten before the call is
	// classified and counted.
	s.mcp.AddReceivingMiddleware(schemaErrorMiddleware, s.callsMiddleware)
	s.addTools(s.mcp)
	s.addResources(s.mcp)
	svc.OnSubscribedChange(s.announceChange)
	return s.mcp
}

// instructions are sent to clients at connection; the rules come from the
// model registry and the operator's policy.
func instructions(d modelDocs) string {
	return fmt.Sprintf(`This server generates and edits images by creating Kubernetes ImageRequests that the imagegen-operator fulfils with the OpenAI Images API (default model %s; n 1-%d; list_models gives each model's sizes, parameters, edit inputs and prices, and each tool parameter's description says which model takes what).
Use generate_image or edit_image; they wait for the result (wait_seconds) and stream progress. If they return phase Pending or Running, the work goes on: follow it with get_image_request. Image URLs expire (about an hour): download what you need.
Each call is paid for: do not repeat a call that returned a request name, follow that request instead.`,
		d.defaultModel().Name, maxOver(func(m models.Model) int { return m.MaxN }))
}

// WarnOnlyLogger is log as a slog.Logger that passes on warnings and
// errors only: the SDK logs every stateless session at Info.
func WarnOnlyLogger(log logr.Logger) *slog.Logger {
	return slog.New(warnOnly{logr.ToSlogHandler(log)})
}

// warnOnly passes on warnings and errors only.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}
func (h warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(as)} }
func (h warnOnly) WithGroup(n string) slog.Handler       { return warnOnly{h.Handler.WithGroup(n)} }

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
