package manager

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/imagegen/imagegen-operator/controllers"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/httpserver"
)

// ArtifactOptions configure the artifact store. The zero value (no Bucket)
// leaves it off: the upstream's URLs go to status as they are.
type ArtifactOptions struct {
	// Bucket is a gocloud.dev bucket URL: s3://…, gs://…, azblob://…,
	// file:///….
	Bucket string
	// URLMode is artifacts.URLModeOperator (default) or
	// artifacts.URLModePresigned.
	URLMode string
	// URLTTL is the lifetime of the signed URLs written to status.
	URLTTL time.Duration
	// SigningKeyFile (operator mode) is a file holding the HMAC key, or a
	// directory of keys (a mounted Secret; the greatest name signs).
	SigningKeyFile string
	// BaseURL (operator mode) is the external URL prefix clients reach the
	// MCP listener at; empty derives it from the listener's address.
	BaseURL string

	// SweepInterval is how often the leader sweeps orphaned objects (no
	// ImageRequest owns them) from the store; 0 turns the sweep off (the
	// zero value of Options, as tests use it; the flag defaults to 1h).
	SweepInterval time.Duration
	// SweepMinAge is how old an object must be before the sweep may take
	// it for an orphan; 0 is controllers.DefaultSweepMinAge.
	SweepMinAge time.Duration
	// SweepMaxObjects bounds the objects one sweep lists (not a flag; 0 is
	// controllers.DefaultSweepMaxObjects).
	SweepMaxObjects int

	// Retry bounds the store write after a paid call (not a flag; zero is
	// artifacts.DefaultRetryFor).
	Retry artifacts.RetryPolicy
	// SigningKeyReload is how often, at most, SigningKeyFile is looked at
	// for a rotated key (not a flag; zero is
	// artifacts.DefaultKeyReloadInterval).
	SigningKeyReload time.Duration
}

// DefaultArtifactURLTTL is the default lifetime of an artifact URL.
const DefaultArtifactURLTTL = 24 * time.Hour

// openCheckTimeout bounds opening the bucket and checking it answers at
// start-up.
const openCheckTimeout = 30 * time.Second

// BindFlags registers the --artifact-* flags on fs.
func (o *ArtifactOptions) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Bucket, "artifact-bucket", "",
		"Bucket URL of the artifact store (s3://bucket?endpoint=…&use_path_style=true, gs://…, azblob://…, file:///dir): results are stored there and served by signed URLs. Empty: no store, status carries the upstream's own, expiring URLs.")
	fs.StringVar(&o.URLMode, "artifact-url-mode", artifacts.URLModeOperator,
		"Who signs the artifact URLs in status: operator (the manager serves GET /artifacts/... on the MCP listener, HMAC-signed; works for every bucket) or presigned (the backend's own S3/GCS URL, at most 7 days; clients must reach the bucket).")
	fs.DurationVar(&o.URLTTL, "artifact-url-ttl", DefaultArtifactURLTTL, "Lifetime of the signed artifact URLs.")
	fs.StringVar(&o.SigningKeyFile, "artifact-signing-key-file", "",
		"Operator mode: file holding the HMAC key that signs artifact URLs (at least 32 bytes; mount a Secret), or a directory of key files for rotation (the greatest name signs, all verify).")
	fs.StringVar(&o.BaseURL, "artifact-base-url", "",
		"Operator mode: the external URL prefix clients reach the MCP listener at, e.g. https://imagegen.example.com (default: derived from --mcp-bind-address).")
	fs.DurationVar(&o.SweepInterval, "artifact-sweep-interval", controllers.DefaultSweepInterval,
		"How often the leader deletes orphaned objects (results and inputs no ImageRequest owns, not kept by the keep-artifacts annotation) from the artifact store, a bounded number per run; 0 turns the sweep off.")
	fs.DurationVar(&o.SweepMinAge, "artifact-sweep-min-age", controllers.DefaultSweepMinAge,
		"How old an object must be before the sweep may delete it as an orphan: edit uploads precede their ImageRequest and results precede the status that names them.")
}

// Enabled reports whether a store is configured.
func (o ArtifactOptions) Enabled() bool { return o.Bucket != "" }

// addSweeper adds the orphan sweep (leader only) to mgr, unless it is off.
func addSweeper(mgr manager.Manager, o ArtifactOptions, store *artifacts.Store) error {
	if o.SweepInterval <= 0 {
		return nil
	}
	if o.SweepMinAge < 0 {
		return fmt.Errorf("--artifact-sweep-min-age %s must not be negative", o.SweepMinAge)
	}
	sweeper := &controllers.Sweeper{
		Reader: mgr.GetClient(), Store: store, Interval: o.SweepInterval, MinAge: o.SweepMinAge,
		MaxObjects: o.SweepMaxObjects, Log: ctrl.Log.WithName("artifact-sweep"),
	}
	if err := mgr.Add(sweeper); err != nil {
		return fmt.Errorf("adding the artifact sweep: %w", err)
	}
	return nil
}

// artifactSetup is the opened store: what the controller uses, and the
// handler the MCP listener serves (operator mode only).
type artifactSetup struct {
	controller *controllers.ArtifactStore
	handler    http.Handler
}

// openArtifacts checks the options and opens the store, so a
// misconfiguration fails start-up rather than the first paid call.
func openArtifacts(o ArtifactOptions, mcp httpserver.Options, log logr.Logger) (*artifactSetup, error) {
	if o.URLTTL <= 0 {
		o.URLTTL = DefaultArtifactURLTTL
	}
	if o.URLMode == "" {
		o.URLMode = artifacts.URLModeOperator
	}
	var signer *artifacts.Signer
	switch o.URLMode {
	case artifacts.URLModeOperator:
		if o.SigningKeyFile == "" {
			return nil, errors.New("--artifact-url-mode=operator needs --artifact-signing-key-file (a file with at least 32 random bytes, e.g. from a Secret)")
		}
		if !mcp.Enabled() {
			return nil, errors.New("--artifact-url-mode=operator serves artifacts on the MCP listener, which --mcp-bind-address=0 turns off; enable it or use --artifact-url-mode=presigned")
		}
		var err error
		reload := []artifacts.KeyFileOption{artifacts.WithReloadLog(log.WithName("signing-keys"))}
		if o.SigningKeyReload != 0 {
			reload = append(reload, artifacts.WithReloadInterval(o.SigningKeyReload))
		}
		if signer, err = artifacts.SignerFromFile(o.SigningKeyFile, reload...); err != nil {
			return nil, fmt.Errorf("--artifact-signing-key-file: %w", err)
		}
	case artifacts.URLModePresigned:
		if o.URLTTL > artifacts.MaxPresignTTL {
			return nil, fmt.Errorf("--artifact-url-ttl %s is longer than presigned URLs may live (%s)", o.URLTTL, artifacts.MaxPresignTTL)
		}
	default:
		return nil, fmt.Errorf("--artifact-url-mode must be %q or %q, got %q", artifacts.URLModeOperator, artifacts.URLModePresigned, o.URLMode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), openCheckTimeout)
	defer cancel()
	store, err := artifacts.Open(ctx, o.Bucket, artifacts.Options{CheckAccess: true})
	if err != nil {
		return nil, fmt.Errorf("--artifact-bucket: %w", err)
	}
	setup := &artifactSetup{controller: &controllers.ArtifactStore{Store: store, Retry: o.Retry}}
	if o.URLMode == artifacts.URLModePresigned {
		if _, _, err := store.PresignedURL(ctx, artifacts.ResultsPrefix+"startup-check", o.URLTTL); err != nil {
			_ = store.Close()
			return nil, fmt.Errorf("--artifact-url-mode=presigned on a %s bucket: %w; use --artifact-url-mode=operator", store.Backend(), err)
		}
		setup.controller.URLs = artifacts.PresignedURLs{Store: store, TTL: o.URLTTL}
	} else {
		base := o.BaseURL
		if base == "" {
			base = mcp.WithDefaults().BaseURL()
		}
		setup.controller.URLs = artifacts.OperatorURLs{Signer: signer, BaseURL: base, TTL: o.URLTTL}
		setup.handler = artifacts.NewHandler(store, signer)
		if o.BaseURL == "" && !mcp.WithDefaults().ServesPlainHTTP() {
			log.Info("artifact URLs point at the MCP listener's own address; set --artifact-base-url to the name clients reach it by", "baseURL", base)
		}
	}
	log.Info("artifact store", "backend", store.Backend(), "urlMode", o.URLMode, "urlTTL", o.URLTTL)
	return setup, nil
}
