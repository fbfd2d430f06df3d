package manager

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/controllers"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// shutdownMargin is the part of the graceful-shutdown timeout beyond the
// drain: the last result writes, the MCP server, caches and probes.
const shutdownMargin = 15 * time.Second

// nonZero is d, or nil (controller-runtime's default) when d is zero.
func nonZero(d time.Duration) *time.Duration {
	if d <= 0 {
		return nil
	}
	return &d
}

// Scheme knows the built-in types and ImageRequest.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(imagesv1alpha1.AddToScheme(s))
	return s
}

// New builds the manager with the ImageRequest controller registered; the
// caller starts it. cfg is copied, not modified.
func New(cfg *rest.Config, opts Options) (ctrl.Manager, error) {
	mgr, _, err := build(cfg, opts)
	return mgr, err
}

// build is New, also returning what releases the artifact store once the
// manager has stopped (a no-op without one).
func build(cfg *rest.Config, opts Options) (_ ctrl.Manager, release func(), err error) {
	if opts.OpenAIAPIKey == "" && opts.OpenAIAPIKeyFile == "" {
		// Fail at start-up, not on every request: without a key no call can succeed.
		return nil, nil, errors.New("no OpenAI API key: set $OPENAI_API_KEY or --openai-api-key-file")
	}
	opts.Controller = opts.Controller.WithDefaults()
	policy, err := models.NewPolicy(opts.DefaultModel, opts.ServeRetiredModels)
	if err != nil {
		return nil, nil, err
	}
	opts.Controller.Models = policy
	if m, _ := models.Lookup(policy.Resolve("")); m.Output == models.OutputBase64 && !opts.Artifacts.Enabled() {
		// Not fatal: requests naming a URL model (an OpenAI-compatible
		// server's dall-e-2) still work. Each request for a base64-only
		// model is refused before any call, with this advice.
		ctrl.Log.Info("the default model returns images only inline (base64) and this operator runs without an artifact store to keep them: requests for it will be refused; configure --artifact-bucket",
			"defaultModel", m.Name)
	}
	var store *artifactSetup
	if opts.Artifacts.Enabled() {
		var err error
		if store, err = openArtifacts(opts.Artifacts, opts.MCP, ctrl.Log.WithName("artifacts")); err != nil {
			return nil, nil, err
		}
	}
	// A local, not the named result: every error return sets that to nil
	// before the deferred release below runs.
	closeStore := func() {}
	if store != nil {
		closeStore = func() {
			if err := store.controller.Store.Close(); err != nil {
				ctrl.Log.WithName("artifacts").Error(err, "closing the artifact store")
			}
		}
	}
	defer func() {
		if err != nil {
			closeStore()
		}
	}()
	cfg = rest.CopyConfig(cfg)
	if opts.KubeAPIQPS > 0 {
		cfg.QPS = float32(opts.KubeAPIQPS)
	}
	if opts.KubeAPIBurst > 0 {
		cfg.Burst = opts.KubeAPIBurst
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  Scheme(),
		Metrics:                 metricsserver.Options{BindAddress: opts.MetricsBindAddress},
		HealthProbeBindAddress:  opts.HealthProbeBindAddress,
		PprofBindAddress:        opts.PprofBindAddress,
		LeaderElection:          opts.LeaderElect,
		LeaderElectionID:        opts.LeaderElectionID,
		LeaderElectionNamespace: opts.LeaderElectionNamespace,
		// The lease is released on shutdown so a successor takes over at once
		// instead of waiting out the lease. controller-runtime releases it
		// only after every runnable stopped, i.e. after the drain: a
		// successor never sees a request Running whose call is still in
		// flight here.
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 nonZero(opts.LeaseDuration),
		RenewDeadline:                 nonZero(opts.RenewDeadline),
		RetryPeriod:                   nonZero(opts.RetryPeriod),
		// Room for the calls in flight to finish and for their results to
		// be written (see controllers.Options.DrainTimeout), plus the rest
		// of the shutdown.
		GracefulShutdownTimeout: ptr.To(opts.Controller.DrainTimeout + shutdownMargin),
		Controller:              ctrlconfig.Controller{SkipNameValidation: &opts.SkipNameValidation},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("creating manager: %w", err)
	}

	var keys upstream.KeySource = upstream.StaticKey(opts.OpenAIAPIKey)
	if opts.OpenAIAPIKeyFile != "" {
		keys = &upstream.FileKey{Path: opts.OpenAIAPIKeyFile}
	}
	reconciler := &controllers.ImageRequestReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Upstream:  upstream.New(upstream.Config{BaseURL: opts.OpenAIBaseURL, Keys: keys, Timeout: opts.UpstreamTimeout}),
		Recorder:  mgr.GetEventRecorder("imagegen-operator"),
		Options:   opts.Controller,
	}
	if store != nil {
		reconciler.Artifacts = store.controller
	}
	if err := reconciler.SetupWithManager(mgr); err != nil {
		return nil, nil, fmt.Errorf("setting up the ImageRequest controller: %w", err)
	}
	if store != nil {
		if err := addSweeper(mgr, opts.Artifacts, store.controller.Store); err != nil {
			return nil, nil, err
		}
	}
	if opts.MCP.Enabled() {
		srv, err := newFrontDoor(mgr, opts.MCP, store, policy)
		if err != nil {
			return nil, nil, fmt.Errorf("setting up the MCP server: %w", err)
		}
		// Not leader-elected: every replica serves MCP and REST.
		if err := mgr.Add(srv); err != nil {
			return nil, nil, fmt.Errorf("adding the MCP server: %w", err)
		}
		if err := mgr.AddReadyzCheck("mcp", srv.ReadyzCheck); err != nil {
			return nil, nil, fmt.Errorf("adding the MCP ready check: %w", err)
		}
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, nil, fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, nil, fmt.Errorf("adding ready check: %w", err)
	}
	return mgr, closeStore, nil
}

// Run builds the manager and runs it until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, opts Options) error {
	mgr, release, err := build(cfg, opts)
	if err != nil {
		return err
	}
	// After Start returns every runnable has stopped, drained store writes included.
	defer release()
	ctrl.LoggerFrom(ctx).Info("starting manager", "openaiBaseURL", opts.OpenAIBaseURL, "leaderElect", opts.LeaderElect,
		"maxAttempts", opts.Controller.MaxAttempts, "maxConcurrentReconciles", opts.Controller.MaxConcurrentReconciles,
		"drainTimeout", opts.Controller.DrainTimeout, "upstreamUnreachableTimeout", opts.Controller.UnreachableTimeout,
		"mcpBindAddress", opts.MCP.BindAddress, "mcpAuth", opts.MCP.Auth, "artifactStore", opts.Artifacts.Enabled(),
		"defaultModel", opts.DefaultModel, "serveRetiredModels", opts.ServeRetiredModels)
	return mgr.Start(ctx)
}
