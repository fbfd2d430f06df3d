// Package manager wires the operator together: the controller-runtime
// manager, the ImageRequest controller and the upstream client. cmd/ parses
// flags into Options and calls Run; hack/dev and the tests call Run directly.
package manager

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/imagegen/imagegen-operator/controllers"
	"github.com/imagegen/imagegen-operator/internal/httpserver"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// Options is everything the operator can be told at start-up.
type Options struct {
	// OpenAIBaseURL points at the Images API or anything compatible, such as
	// the simulator. Empty means OpenAI. Defaults to $OPENAI_BASE_URL.
	OpenAIBaseURL string
	// OpenAIAPIKeyFile, when set, is read for the key and re-read when it
	// changes; otherwise the key comes from $OPENAI_API_KEY.
	OpenAIAPIKeyFile string
	// OpenAIAPIKey is the key when no file is given (from the environment,
	// never a flag: flags show up in process listings).
	OpenAIAPIKey string
	// UpstreamTimeout bounds one upstream call.
	UpstreamTimeout time.Duration

	Controller controllers.Options

	// DefaultModel is the model a request that names none gets
	// (--default-model); empty, with ServeRetiredModels empty too, means
	// the reference contract (dall-e-2), which tests and tools rely on.
	// ServeRetiredModels are retired models the upstream still serves
	// (--serve-retired-models), e.g. dall-e-2 on the simulator.
	DefaultModel       string
	ServeRetiredModels []string

	// MCP configures the MCP and REST server, run on every replica. Its zero
	// value (no BindAddress) leaves it off; the flags default it on.
	MCP httpserver.Options

	// Artifacts configures the artifact store; its zero value leaves it off.
	Artifacts ArtifactOptions

	LeaderElect             bool
	LeaderElectionNamespace string
	LeaderElectionID        string
	// LeaseDuration, RenewDeadline and RetryPeriod tune leader election.
	// The lease is released when the manager stops (after the drain), so a
	// follower takes over within one RetryPeriod instead of waiting for the
	// lease to run out.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	MetricsBindAddress                        string
	HealthProbeBindAddress                    string
	// PprofBindAddress serves net/http/pprof; empty or "0" leaves it off.
	PprofBindAddress string

	// KubeAPIQPS and KubeAPIBurst size the client-side rate limit towards the
	// API server. client-go's defaults (5/10) would throttle a controller
	// doing hundreds of status writes a second.
	KubeAPIQPS   float64
	KubeAPIBurst int

	// SkipNameValidation lets one process run several managers (tests, the
	// benchmark's leader and follower); controller-runtime otherwise refuses
	// a second controller of the same name. Not a flag.
	SkipNameValidation bool
}

// BindFlags registers the operator's flags on fs with their defaults.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.OpenAIBaseURL, "openai-base-url", os.Getenv("OPENAI_BASE_URL"),
		"Base URL of the OpenAI Images API or a compatible endpoint (default $OPENAI_BASE_URL, else OpenAI's).")
	fs.StringVar(&o.OpenAIAPIKeyFile, "openai-api-key-file", "",
		"File holding the OpenAI API key, re-read when it changes (mount a Secret). Without it the key comes from $OPENAI_API_KEY.")
	fs.DurationVar(&o.UpstreamTimeout, "upstream-timeout", 5*time.Minute, "Timeout of one upstream call.")
	fs.StringVar(&o.DefaultModel, "default-model", models.ConfiguredDefaultModel,
		"Model for ImageRequests that name none (recorded in status.model). One of: "+strings.Join(models.Names(), ", ")+".")
	fs.Func("serve-retired-models", "Comma-separated models past their upstream shutdown date that your upstream still serves (e.g. dall-e-2 on the simulator or an OpenAI-compatible server); others are refused before any call. Default none: api.openai.com serves no retired model.", func(v string) error {
		o.ServeRetiredModels = models.ParseModelList(v)
		return nil
	})
	fs.IntVar(&o.Controller.MaxAttempts, "max-attempts", controllers.DefaultMaxAttempts,
		"Upstream calls allowed per ImageRequest, counting interrupted ones.")
	fs.IntVar(&o.Controller.MaxConcurrentReconciles, "max-concurrent-reconciles", controllers.DefaultMaxConcurrentReconciles,
		"ImageRequests worked on at once; each mostly waits on the upstream.")
	fs.DurationVar(&o.Controller.InputGracePeriod, "input-grace-period", controllers.DefaultInputGracePeriod,
		"How long an Edit waits for a missing input ConfigMap or Secret before it fails.")
	fs.DurationVar(&o.Controller.RetryBaseDelay, "retry-base-delay", controllers.DefaultRetryBaseDelay,
		"First backoff after a transient upstream error without Retry-After; doubles per attempt.")
	fs.DurationVar(&o.Controller.RetryMaxDelay, "retry-max-delay", controllers.DefaultRetryMaxDelay, "Cap of the retry backoff.")
	fs.DurationVar(&o.Controller.DrainTimeout, "drain-timeout", controllers.DefaultDrainTimeout,
		"On SIGTERM, how long upstream calls in flight may go on to finish and have their results written before the manager exits; no new call starts meanwhile. Keep the pod's terminationGracePeriodSeconds above it.")
	fs.DurationVar(&o.Controller.UnreachableTimeout, "upstream-unreachable-timeout", controllers.DefaultUnreachableTimeout,
		"How long calls that cannot connect to the upstream at all (nothing sent, so no attempt is spent) are retried before the request fails with UpstreamUnreachable.")
	fs.Func("events", "Which Kubernetes events to record about ImageRequests: all (default) or warnings (failures, retries, interruptions only; saves about a third of the API server's writes per request).", func(v string) error {
		switch v {
		case "all":
			o.Controller.WarningEventsOnly = false
		case "warnings":
			o.Controller.WarningEventsOnly = true
		default:
			return fmt.Errorf("must be all or warnings, got %q", v)
		}
		return nil
	})
	fs.BoolVar(&o.LeaderElect, "leader-elect", false,
		"Enable leader election so only one replica reconciles; the MCP server runs on every replica.")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader election Lease (default: the pod's).")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", "imagegen-operator.imagegen.dev", "Name of the leader election Lease.")
	fs.DurationVar(&o.LeaseDuration, "leader-election-lease-duration", 15*time.Second,
		"How long followers wait before taking over a lease its holder stopped renewing (a crashed leader); a leader that stops cleanly releases it at once.")
	fs.DurationVar(&o.RenewDeadline, "leader-election-renew-deadline", 10*time.Second, "How long the leader keeps trying to renew its lease before it steps down.")
	fs.DurationVar(&o.RetryPeriod, "leader-election-retry-period", 400*time.Millisecond,
		"How often the leader renews its lease and followers try to take it (client-go jitters this by up to 1.2x): at 400ms a released lease is taken within a second, for about 2.5 lease writes a second.")
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", ":8080", "Address of the Prometheus metrics endpoint; 0 disables it.")
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", ":8081", "Address of the /healthz and /readyz probes.")
	fs.StringVar(&o.PprofBindAddress, "pprof-bind-address", "", "Address of net/http/pprof (off when empty); for profiling, not for production exposure.")
	fs.Float64Var(&o.KubeAPIQPS, "kube-api-qps", 500, "Client-side QPS limit towards the Kubernetes API server.")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", 1000, "Client-side burst limit towards the Kubernetes API server.")
	o.MCP.BindFlags(fs)
	o.Artifacts.BindFlags(fs)
	o.OpenAIAPIKey = os.Getenv("OPENAI_API_KEY")
}
