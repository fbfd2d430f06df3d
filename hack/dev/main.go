// Command dev runs the whole operator on one machine for `make dev`: a local
// control plane (kube-apiserver and etcd built by hack/setup-envtest.sh) with
// the CRDs installed, the Images API simulator (unless a real upstream is
// named), a local artifact store and the manager. Requests that name no
// model get the manager's --default-model (gpt-image-2); in front of the
// simulator dall-e-2 is declared still served (--serve-retired-models), as
// the simulator serves it. It writes a kubeconfig, prints what to type next,
// and stops everything on Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/httpserver"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/manager"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		opts            manager.Options
		stateDir        string
		simListen       string
		simLatency      time.Duration
		simModelLatency string
	)
	fs := flag.CommandLine
	opts.BindFlags(fs)
	fs.StringVar(&stateDir, "state-dir", filepath.Join(localenv.RepoRoot(), ".dev"), "Where the kubeconfig is written.")
	fs.StringVar(&simListen, "sim-listen", "127.0.0.1:8089", "Address of the Images API simulator, started unless --openai-base-url (or $OPENAI_BASE_URL) names an upstream.")
	fs.DurationVar(&simLatency, "sim-latency", 2*time.Second, "Latency the simulator adds to each call of every model (short, for a quick dev loop).")
	fs.StringVar(&simModelLatency, "sim-model-latency", "none",
		`Per-model simulator latency replacing --sim-latency: "none", "realistic" (the real models' tens of seconds, see dallesim.RealisticModelLatency) or model=duration[..max],... as hack/dallesim's --model-latency.`)
	zapOpts := zap.Options{Development: true}
	zapOpts.BindFlags(fs)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	// Loopback only: this is a developer's machine, not a cluster.
	if opts.MetricsBindAddress == ":8080" {
		opts.MetricsBindAddress = "127.0.0.1:8080"
	}
	if opts.HealthProbeBindAddress == ":8081" {
		opts.HealthProbeBindAddress = "127.0.0.1:8081"
	}
	// MCP on loopback, plain HTTP and no auth unless told otherwise: the
	// server refuses both anywhere but loopback.
	if opts.MCP.BindAddress == httpserver.DefaultBindAddress {
		opts.MCP.BindAddress = "127.0.0.1:8443"
	}
	if !flagSet(fs, "mcp-auth") {
		opts.MCP.Auth = httpserver.AuthNone
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Println("dev: starting the local control plane (kube-apiserver, etcd) ...")
	cp, err := localenv.Start()
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("dev: stopping the control plane")
		if err := cp.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "dev:", err)
		}
	}()
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", stateDir, err)
	}
	if err := devArtifactStore(fs, &opts, stateDir); err != nil {
		return err
	}
	kubeconfig := filepath.Join(stateDir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, cp.Env.KubeConfig, 0o600); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}

	upstreamDesc := opts.OpenAIBaseURL
	if opts.OpenAIBaseURL == "" {
		modelLatency, err := dallesim.ParseModelLatency(simModelLatency)
		if err != nil {
			return fmt.Errorf("--sim-model-latency: %w", err)
		}
		sim, stopSim, err := startSimulator(simListen, simLatency, modelLatency)
		if err != nil {
			return err
		}
		defer stopSim()
		opts.OpenAIBaseURL = sim + "/v1/"
		if opts.OpenAIAPIKey == "" && opts.OpenAIAPIKeyFile == "" {
			opts.OpenAIAPIKey = "sk-dev-simulator"
		}
		// The simulator still serves dall-e-2 (retired at OpenAI): declare
		// it, unless the command line says otherwise.
		if !flagSet(fs, "serve-retired-models") {
			localenv.UseSimulatorModels(&opts)
		}
		latencyDesc := fmt.Sprintf("latency %s, every model; --sim-model-latency=realistic for the real models' tens of seconds", simLatency)
		if len(modelLatency) > 0 {
			latencyDesc = "per-model latency " + simModelLatency
		}
		upstreamDesc = fmt.Sprintf("Images API simulator at %s (%s; admin API %s/sim/stats)", sim, latencyDesc, sim)
	}
	servedRetired := "none"
	if len(opts.ServeRetiredModels) > 0 {
		servedRetired = strings.Join(opts.ServeRetiredModels, ", ")
	}

	kubectl := filepath.Join(localenv.AssetsDir(), "kubectl")
	rel := func(p string) string {
		if r, err := filepath.Rel(localenv.RepoRoot(), p); err == nil {
			return r
		}
		return p
	}
	fmt.Printf(`
dev: ready.
  upstream:   %s
  models:     default %s (--default-model); retired but still served: %s (--serve-retired-models)
  kubeconfig: %s
  metrics:    http://%s/metrics
  MCP:        http://%s/mcp  (auth %s; REST: POST http://%s/generate_image; see docs/mcp.md)
  artifacts:  %s (URLs: %s mode)

In another terminal, from the repository root:
  export KUBECONFIG=%s
  alias kubectl=%s
  kubectl apply -f config/samples/
  kubectl get imgreq -w
  kubectl get imgreq lighthouse -o jsonpath='{.status.model} {.status.estimatedCostUSD} {.status.images[*].url}'

Ctrl-C stops the operator, the simulator and the control plane.

`, upstreamDesc, opts.DefaultModel, servedRetired, kubeconfig, opts.MetricsBindAddress, opts.MCP.BindAddress, opts.MCP.Auth, opts.MCP.BindAddress,
		opts.Artifacts.Bucket, opts.Artifacts.URLMode, rel(kubeconfig), rel(kubectl))

	if err := manager.Run(ctx, cp.Config, opts); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Println("dev: operator stopped")
	return nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// startSimulator serves the Images API simulator on addr and returns its
// base URL. Its retired models are the default (today's, but dall-e-2 still
// served), which localenv.UseSimulatorModels mirrors.
func startSimulator(addr string, latency time.Duration, modelLatency map[string]dallesim.LatencyRange) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("starting the simulator on %s (is `make simulator` already running?): %w", addr, err)
	}
	base := "http://" + ln.Addr().String()
	sim := dallesim.New(dallesim.Config{
		PublicURL:    base,
		Latency:      latency,
		ModelLatency: modelLatency,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return base, func() {
		sim.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
