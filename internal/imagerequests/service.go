package imagerequests

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// DefaultHeartbeatInterval is how often a waiting call is reported to when
// nothing changed, unless Config says otherwise.
const DefaultHeartbeatInterval = 5 * time.Second

// Config is what a Service works with.
type Config struct {
	// Client writes ImageRequests and input Secrets as the operator.
	Client client.Client
	// Cache is the manager's shared cache: reads, lists and the informer
	// that feeds every wait.
	Cache cache.Cache
	// APIReader answers what the cache has not seen yet (see Get).
	APIReader client.Reader
	// Authorizer decides what each caller may do.
	Authorizer Authorizer
	// Artifacts is the artifact store, nil without one: read paths then
	// show the URLs status holds, and edit inputs travel in a Secret.
	Artifacts ArtifactStore
	// Models is the operator's model policy (default model, retired models
	// still served), the controller's; the zero value is the reference
	// contract's (dall-e-2).
	Models models.Policy
	// DefaultNamespace is used when a call names no namespace and the
	// caller is not a ServiceAccount.
	DefaultNamespace string
	// HeartbeatInterval is how often a waiting call is reported to when
	// nothing changed (idle proxies cut silent streams); zero means
	// DefaultHeartbeatInterval, and it is capped at 10 s.
	HeartbeatInterval time.Duration
	Log               logr.Logger
}

// Service creates ImageRequests as a caller, waits for them and reads
// them. It knows nothing of HTTP or MCP.
type Service struct {
	client           client.Client
	cache            cache.Cache
	reader           client.Reader
	apiReader        client.Reader
	authz            Authorizer
	artifacts        ArtifactStore
	models           models.Policy
	defaultNamespace string
	heartbeat        time.Duration
	log              logr.Logger

	hub  *hub
	subs *subscriptions

	stopping chan struct{}
	stopOnce sync.Once
}

// New returns a Service; Watch starts feeding its waits.
func New(cfg Config) *Service {
	hb := cfg.HeartbeatInterval
	if hb <= 0 {
		hb = DefaultHeartbeatInterval
	}
	s := &Service{
		client: cfg.Client, cache: cfg.Cache, apiReader: cfg.APIReader, authz: cfg.Authorizer, artifacts: cfg.Artifacts,
		models: cfg.Models, defaultNamespace: cfg.DefaultNamespace, heartbeat: min(hb, 10*time.Second), log: cfg.Log,
		hub: newHub(), subs: newSubscriptions(), stopping: make(chan struct{}),
	}
	if cfg.Cache != nil {
		s.reader = cfg.Cache
	}
	s.hub.onStatusChange = s.subs.statusChanged
	return s
}

// Watch feeds the waiters from the manager's ImageRequest informer until
// the returned stop is called.
func (s *Service) Watch(ctx context.Context) (stop func(), err error) {
	inf, err := s.cache.GetInformer(ctx, &imagesv1alpha1.ImageRequest{})
	if err != nil {
		return nil, fmt.Errorf("getting the ImageRequest informer: %w", err)
	}
	reg, err := inf.AddEventHandler(s.hub.handler())
	if err != nil {
		return nil, fmt.Errorf("watching ImageRequests: %w", err)
	}
	return func() { _ = inf.RemoveEventHandler(reg) }, nil
}

// Stop tells waiting calls the server is going away: they return
// ErrShuttingDown at once (their ImageRequests carry on).
func (s *Service) Stop() { s.stopOnce.Do(func() { close(s.stopping) }) }

// ShuttingDown reports whether Stop was called. The transport calls Stop
// before it cancels the requests' contexts, so a handler whose context
// ends can tell a shutdown from a caller that went away.
func (s *Service) ShuttingDown() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

// Authorize asks the Authorizer whether caller may verb ImageRequests.
func (s *Service) Authorize(ctx context.Context, caller *Caller, verb, namespace, name string) error {
	return s.authz.Authorize(ctx, caller, verb, namespace, name)
}

// Models is the operator's model policy: its default model and the
// retired models it still serves. The tools' schema and the model
// catalog describe the service with it.
func (s *Service) Models() models.Policy { return s.models }

// StoresInputs reports whether edit inputs go to an artifact store (and so
// are held only to the model's limits) rather than a Secret.
func (s *Service) StoresInputs() bool { return s.artifacts != nil }
