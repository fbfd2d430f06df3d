// Package controllers holds the ImageRequest controller: it validates a
// request's inputs, records each attempt in status before it pays for an
// upstream call, and writes the images (or the reason there are none) back.
package controllers

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// Upstream makes one paid call. *upstream.Client implements it.
type Upstream interface {
	Do(ctx context.Context, req upstream.Request) (*upstream.Result, error)
}

// Options tune the reconciler; zero values take the defaults below.
type Options struct {
	// MaxAttempts bounds the upstream calls made for one request.
	MaxAttempts int
	// MaxConcurrentReconciles is how many requests are worked on at once;
	// most of that time is spent waiting on the upstream.
	MaxConcurrentReconciles int
	// InputGracePeriod is how long a missing ConfigMap or Secret is waited for
	// after the request was created.
	InputGracePeriod time.Duration
	// RetryBaseDelay and RetryMaxDelay shape the exponential backoff used
	// when the upstream gives no Retry-After.
	RetryBaseDelay, RetryMaxDelay time.Duration
	// DrainTimeout is how long upstream calls in flight when the manager
	// stops (SIGTERM) may go on to finish and have their outcomes written;
	// only calls still running after it are cut off (and counted as spent).
	// The manager's graceful-shutdown timeout and the Deployment's
	// terminationGracePeriodSeconds are sized to it.
	DrainTimeout time.Duration
	// UnreachableTimeout is how long calls that cannot even connect to the
	// upstream (nothing sent, nothing paid, no attempt spent) are retried
	// before the request fails with UpstreamUnreachable.
	UnreachableTimeout time.Duration
	// WarningEventsOnly drops the Normal events (accepted, attempt started,
	// succeeded) and keeps the Warning ones (failed, retrying, interrupted).
	// Events are a third of the API server's writes per request; see
	// docs/performance.md for what that costs at hundreds of requests/s.
	WarningEventsOnly bool
	// Models is the model policy: the default model (--default-model) and
	// the retired models the upstream still serves (--serve-retired-models).
	// The zero value is the reference contract's (dall-e-2, served).
	Models models.Policy
}

// conflictRetryDelay is how soon a reconcile that lost an optimistic lock
// runs again, on fresh state.
const conflictRetryDelay = 100 * time.Millisecond

// Defaults for Options.
const (
	DefaultMaxAttempts             = 3
	DefaultMaxConcurrentReconciles = 100
	DefaultInputGracePeriod        = 60 * time.Second
	DefaultRetryBaseDelay          = 2 * time.Second
	DefaultRetryMaxDelay           = 2 * time.Minute
	DefaultDrainTimeout            = 2 * time.Minute
	DefaultUnreachableTimeout      = 5 * time.Minute
)

// WithDefaults fills the zero fields with the defaults above.
func (o Options) WithDefaults() Options {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = DefaultMaxConcurrentReconciles
	}
	if o.InputGracePeriod <= 0 {
		o.InputGracePeriod = DefaultInputGracePeriod
	}
	if o.RetryBaseDelay <= 0 {
		o.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if o.RetryMaxDelay <= 0 {
		o.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	if o.UnreachableTimeout <= 0 {
		o.UnreachableTimeout = DefaultUnreachableTimeout
	}
	return o
}

// ImageRequestReconciler reconciles ImageRequest objects.
type ImageRequestReconciler struct {
	client.Client
	// APIReader reads input ConfigMaps and Secrets straight from the API
	// server: their bytes are needed once, so caching every one in the
	// cluster would cost memory for nothing (the watch is metadata-only).
	APIReader client.Reader
	Upstream  Upstream
	Recorder  events.EventRecorder
	Clock     clock.PassiveClock
	Options   Options
	// Artifacts, when set, keeps every result in the artifact store (see
	// artifacts.go); nil writes the upstream's URLs to status.
	Artifacts *ArtifactStore

	// inputCleanupPending holds the UIDs (and tries so far) of finished
	// requests whose inputs could not be deleted yet (see lifecycle.go).
	inputCleanupPending sync.Map
}

// +kubebuilder:rbac:groups=images.imagegen.dev,resources=imagerequests,verbs=get;list;watch;delete;update;patch
// +kubebuilder:rbac:groups=images.imagegen.dev,resources=imagerequests/finalizers,verbs=update
// +kubebuilder:rbac:groups=images.imagegen.dev,resources=imagerequests/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=configmaps;secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile fetches the ImageRequest and hands it to reconcile.
func (r *ImageRequestReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var ir imagesv1alpha1.ImageRequest
	if err := r.Get(ctx, req.NamespacedName, &ir); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	log := ctrl.LoggerFrom(ctx)

	result, err := r.reconcile(ctx, &ir)
	if apierrors.IsNotFound(err) {
		// Deleted while we worked on it: nothing is left to record.
		log.V(2).Info("deleted while being reconciled")
		return ctrl.Result{}, nil
	}
	if apierrors.IsConflict(err) {
		// Someone (usually our own previous write, not yet in the cache)
		// changed the object: start again from the fresh version.
		log.V(2).Info("conflict, requeueing")
		return ctrl.Result{RequeueAfter: conflictRetryDelay}, nil
	}
	return result, err
}

func (r *ImageRequestReconciler) reconcile(ctx context.Context, ir *imagesv1alpha1.ImageRequest) (ctrl.Result, error) {
	if !ir.DeletionTimestamp.IsZero() {
		// Deleted (by a user or its TTL): clean up the stored objects.
		return r.finalize(ctx, ir)
	}
	if ir.Status.Phase.IsTerminal() {
		return r.reconcileFinished(ctx, ir)
	}
	if err := r.ensureFinalizer(ctx, ir); err != nil {
		return ctrl.Result{}, err
	}
	if ir.Status.Phase == imagesv1alpha1.PhaseRunning {
		// Our own Running write re-queues the key, and the cache may still
		// show it after the result was written: ask the API server first.
		fresh := &imagesv1alpha1.ImageRequest{}
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(ir), fresh); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
		if fresh.ResourceVersion != ir.ResourceVersion {
			return r.reconcile(ctx, fresh)
		}
		// Nothing runs a call outside a reconcile (an outcome this process
		// holds keeps its reconcile, see paidwork.go), and the workqueue
		// never hands us the same key twice at once: a request that is still
		// Running lost its call to a crash or a leader change. If the
		// attempt's images made it to the artifact store, its result is
		// recovered from there; otherwise the attempt is spent.
		recovered, err := r.recoverFromStore(ctx, ir)
		if err != nil || recovered {
			if err == nil {
				return r.finished(ctx, ir)
			}
			return ctrl.Result{}, err
		}
		if err := r.recordInterrupted(ctx, ir); err != nil {
			return ctrl.Result{}, err
		}
	}
	if next := ir.Status.NextAttemptTime; next != nil {
		if wait := next.Sub(r.Clock.Now()); wait > 0 {
			return ctrl.Result{RequeueAfter: wait}, nil
		}
	}
	result, err := r.reconcileAttempt(ctx, ir)
	if err == nil && ir.Status.Phase.IsTerminal() {
		// Our own status write wakes no reconcile (see SetupWithManager):
		// delete its inputs and schedule the TTL deletion now.
		return r.finished(ctx, ir)
	}
	return result, err
}

// SetupWithManager registers the controller, its input index and watches.
func (r *ImageRequestReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.Options = r.Options.WithDefaults()
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &imagesv1alpha1.ImageRequest{}, InputRefIndex, indexInputRefs); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		// The spec is immutable and only this controller writes status, so
		// updates carry nothing to act on: without this filter each of our
		// own status writes would wake a second, wasted reconcile (and read
		// a possibly stale cache). Creates, deletes and our own requeues
		// (retries, TTL, input deadlines) still arrive.
		For(&imagesv1alpha1.ImageRequest{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// A request waiting for its input wakes when the input appears.
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.requestsWaitingFor(kindConfigMap)), builder.OnlyMetadata).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.requestsWaitingFor(kindSecret)), builder.OnlyMetadata).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: r.Options.MaxConcurrentReconciles,
			// Name the request once per log line (the default names it
			// three times: kind, namespace and name).
			LogConstructor: func(req *reconcile.Request) logr.Logger {
				log := mgr.GetLogger().WithValues("controller", "imagerequest")
				if req != nil {
					log = log.WithValues("imagerequest", klog.KRef(req.Namespace, req.Name))
				}
				return log
			},
		}).
		Named("imagerequest").
		Complete(r)
}
