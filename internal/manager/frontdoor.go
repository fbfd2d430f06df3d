package manager

import (
	"net/http"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/httpserver"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/kubeauth"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/rest"
	"github.com/imagegen/imagegen-operator/mcp"
)

// newFrontDoor wires the MCP and REST front door of mgr: the imagerequests
// service (authorised by SubjectAccessReviews), the MCP adapter and the
// REST handlers over it, and the listener that authenticates callers and
// serves both. The listener is not leader-elected: every replica serves.
func newFrontDoor(mgr manager.Manager, opts httpserver.Options, store *artifactSetup, policy models.Policy) (*httpserver.Server, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	log := ctrl.Log.WithName("mcp")
	var (
		access           imagerequests.ArtifactStore
		artifactsHandler http.Handler
	)
	if store != nil {
		access = artifacts.Access{Store: store.controller.Store, URLs: store.controller.URLs}
		artifactsHandler = store.handler
	}
	svc := imagerequests.New(imagerequests.Config{
		Client:            mgr.GetClient(),
		Cache:             mgr.GetCache(),
		APIReader:         mgr.GetAPIReader(),
		Authorizer:        kubeauth.NewAccessReviewer(mgr.GetClient(), opts.AuthzCacheTTL),
		Artifacts:         access,
		Models:            policy,
		DefaultNamespace:  opts.DefaultNamespace,
		HeartbeatInterval: opts.HeartbeatInterval,
		Log:               log,
	})
	return httpserver.New(opts, httpserver.Handlers{
		Service:   svc,
		Tokens:    kubeauth.NewTokenReviewer(mgr.GetClient(), opts.TokenAudiences, opts.TokenCacheTTL),
		MCP:       mcp.New(svc, mcp.Config{Log: log, PreviewClient: opts.PreviewClient, MaxRequestBodyBytes: opts.MaxRequestBodyBytes}),
		REST:      rest.New(svc, log),
		Artifacts: artifactsHandler,
	}, log)
}
