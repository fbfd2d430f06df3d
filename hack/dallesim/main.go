// Command dallesim serves the OpenAI Images API simulator
// (internal/dallesim: DALL-E 2 and the GPT image models) for local demos
// and benchmarks:
//
//	go run ./hack/dallesim --listen 127.0.0.1:8089
//	go run ./hack/dallesim --retired-models today        # the API as of 2026-12-01: dall-e-2 is gone
//	go run ./hack/dallesim --model-latency none          # GPT image models answer at once
//	go run ./hack/dallesim --model-latency gpt-image-2=5s,gpt-image-2.5-flare=1s..2s
//
// By default GPT image models take realistic times (tens of seconds, see
// dallesim.RealisticModelLatency) and dall-e-2 is still served, with the
// other retired models refused (dallesim.DefaultRetiredModels).
//
// Point an OpenAI client at http://127.0.0.1:8089/v1/ with any API key
// (or the one given by --api-key). The admin API is under /sim/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

// shutdownGrace is how long in-flight requests get to finish on SIGINT/SIGTERM.
const shutdownGrace = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dallesim:", err)
		os.Exit(1)
	}
}

// run parses args, serves until ctx is done, then shuts down gracefully.
// It prints one line with the listening URL to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, listen, logLevel, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel}))
	cfg.Logger = logger

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listen, err)
	}
	sim := dallesim.New(cfg)
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}

	fmt.Fprintf(stdout, "dallesim listening on http://%s (API base http://%s/v1/)\n", ln.Addr(), ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", shutdownGrace)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Scripted hangs or long latency outlived the grace period: drop them.
		sim.Close()
		_ = srv.Close()
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// parseFlags turns the command line into a simulator Config.
func parseFlags(args []string, stderr io.Writer) (cfg dallesim.Config, listen string, level slog.Level, err error) {
	fs := flag.NewFlagSet("dallesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&listen, "listen", "127.0.0.1:8089", "address to listen on")
	fs.StringVar(&cfg.APIKey, "api-key", "", "only accept this bearer token (default: any non-empty token)")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "scheme://host[:port] for image URLs (default: from the request's Host)")
	fs.DurationVar(&cfg.URLTTL, "url-ttl", dallesim.DefaultURLTTL, "validity of image URLs")
	fs.DurationVar(&cfg.Latency, "latency", 0, "fixed latency of accepted requests, e.g. 2s")
	fs.DurationVar(&cfg.LatencyJitter, "latency-jitter", 0, "extra random latency in [0, jitter)")
	// Per-size latencies only override --latency when given explicitly.
	type sizeLatency struct {
		size string
		d    time.Duration
	}
	bySize := map[string]*sizeLatency{
		"latency-256": {size: dallesim.Size256}, "latency-512": {size: dallesim.Size512}, "latency-1024": {size: dallesim.Size1024},
	}
	for name, sl := range bySize {
		fs.DurationVar(&sl.d, name, 0, "latency for "+sl.size+" requests (overrides --latency when set)")
	}
	fs.StringVar(&cfg.ContentPolicyWord, "content-policy-word", dallesim.DefaultContentPolicyWord,
		"prompt word rejected as a content policy violation (empty disables)")
	fs.IntVar(&cfg.ImagesPerMinute, "images-per-minute", 0, "images-per-minute limit (0 = unlimited)")
	fs.Int64Var(&cfg.Seed, "seed", 0, "seed varying every rendered image")
	fs.TextVar(&level, "log-level", slog.LevelInfo, "log level (debug logs every call)")
	retired := fs.String("retired-models", "",
		`models answered with model_not_found: "today" (as of `+dallesim.RetiredToday+`, dall-e-2 included), `+
			`"none", "as-of:YYYY-MM-DD" or a comma list (default: today's set except dall-e-2)`)
	modelLatency := fs.String("model-latency", "realistic",
		`per-model latency: "realistic" (documented table, tens of seconds for GPT image models), "none", `+
			`or a comma list of model=duration or model=min..max, optionally after "realistic,"`)
	if err := fs.Parse(args); err != nil {
		return cfg, "", level, fmt.Errorf("parsing flags: %w", err)
	}
	if fs.NArg() > 0 {
		return cfg, "", level, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) {
		if sl, ok := bySize[f.Name]; ok {
			if cfg.LatencyBySize == nil {
				cfg.LatencyBySize = map[string]time.Duration{}
			}
			cfg.LatencyBySize[sl.size] = sl.d
		}
	})
	cfg.NoContentPolicy = cfg.ContentPolicyWord == ""
	if *retired != "" {
		if cfg.RetiredModels, err = dallesim.ParseRetiredModels(*retired); err != nil {
			return cfg, "", level, fmt.Errorf("--retired-models: %w", err)
		}
	}
	if cfg.ModelLatency, err = dallesim.ParseModelLatency(*modelLatency); err != nil {
		return cfg, "", level, fmt.Errorf("--model-latency: %w", err)
	}
	if err := validateFlags(cfg); err != nil {
		return cfg, "", level, err
	}
	return cfg, listen, level, nil
}

// validateFlags rejects values dallesim.New would refuse.
func validateFlags(cfg dallesim.Config) error {
	if cfg.URLTTL <= 0 || cfg.Latency < 0 || cfg.LatencyJitter < 0 || cfg.ImagesPerMinute < 0 {
		return errors.New("--url-ttl must be positive; --latency, --latency-jitter and --images-per-minute must not be negative")
	}
	for size, d := range cfg.LatencyBySize {
		if d < 0 {
			return fmt.Errorf("latency for %s must not be negative", size)
		}
	}
	return nil
}
