package controllers_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/controllers"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/manager"
)

// The suite shares one control plane, one simulator and one manager. Tests
// run one after another (none calls t.Parallel): several change simulator
// settings or restart the manager, and sequential runs keep each test's
// upstream call counts exact.
var (
	restConfig *rest.Config
	// kubeconfigPath lets a manager binary in a child process reach the
	// control plane.
	kubeconfigPath string
	k8sClient      client.Client
	sim            *dallesim.Server
	simServer      *httptest.Server
	// simClockOffset shifts the simulator's clock so URL expiry can be tested
	// without waiting an hour.
	simClockOffset atomic.Int64

	mgrMu   sync.Mutex
	running *localenv.RunningManager
)

const (
	inputGracePeriod = 3 * time.Second
	retryBaseDelay   = 200 * time.Millisecond
	maxAttempts      = 3
	// drainTimeout is how long a stopped suite manager lets its calls run.
	drainTimeout = 3 * time.Second
)

func TestMain(m *testing.M) {
	os.Exit(localenv.RunSuite(m, setupSuite))
}

// setupSuite starts the suite's simulator and manager on the control plane.
func setupSuite(cp *localenv.ControlPlane) (func(), error) {
	restConfig = cp.Config
	var err error
	if kubeconfigPath, err = cp.WriteKubeconfig(); err != nil {
		return nil, err
	}
	if k8sClient, err = client.New(restConfig, client.Options{Scheme: manager.Scheme()}); err != nil {
		return nil, err
	}
	sim = dallesim.New(dallesim.Config{
		Now: func() time.Time { return time.Now().Add(time.Duration(simClockOffset.Load())) },
	})
	simServer = httptest.NewServer(sim)
	cleanup := func() {
		stopManager()
		simServer.Close()
		_ = os.Remove(kubeconfigPath)
	}
	return cleanup, startManager()
}

func managerOptions() manager.Options {
	return manager.Options{
		OpenAIBaseURL:      simServer.URL + "/v1/",
		OpenAIAPIKey:       "sk-test",
		UpstreamTimeout:    time.Minute,
		MetricsBindAddress: "0",
		Controller: controllers.Options{
			MaxAttempts:      maxAttempts,
			InputGracePeriod: inputGracePeriod,
			RetryBaseDelay:   retryBaseDelay,
			DrainTimeout:     drainTimeout,
		},
		KubeAPIQPS:         1000,
		KubeAPIBurst:       2000,
		SkipNameValidation: true,
	}
}

// startManager runs a fresh manager against the suite's control plane.
func startManager() error {
	mgrMu.Lock()
	defer mgrMu.Unlock()
	mgr, err := localenv.StartManager(restConfig, managerOptions())
	if err != nil {
		return err
	}
	running = mgr
	return nil
}

// stopManager stops the running manager as a rollout would: calls in flight
// get drainTimeout to finish, then are cut off.
func stopManager() {
	mgrMu.Lock()
	defer mgrMu.Unlock()
	if running == nil {
		return
	}
	if err := running.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	running = nil
}

// createRequest creates an ImageRequest in the default namespace.
func createRequest(t *testing.T, name string, spec imagesv1alpha1.ImageRequestSpec) *imagesv1alpha1.ImageRequest {
	t.Helper()
	ir := &imagesv1alpha1.ImageRequest{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: spec}
	if err := k8sClient.Create(context.Background(), ir); err != nil {
		t.Fatalf("creating ImageRequest %s: %v", name, err)
	}
	deleteAtCleanup(t, ir)
	return ir
}

// waitFor polls the request until cond holds and returns it.
func waitFor(t *testing.T, ir *imagesv1alpha1.ImageRequest, what string, cond func(*imagesv1alpha1.ImageRequest) bool) *imagesv1alpha1.ImageRequest {
	t.Helper()
	var got imagesv1alpha1.ImageRequest
	localenv.Eventually(t, ir.Name+": "+what, func() bool {
		return k8sClient.Get(context.Background(), client.ObjectKeyFromObject(ir), &got) == nil && cond(&got)
	}, func() string { return fmt.Sprintf("status: %+v", got.Status) })
	return &got
}

func waitTerminal(t *testing.T, ir *imagesv1alpha1.ImageRequest) *imagesv1alpha1.ImageRequest {
	t.Helper()
	return waitFor(t, ir, "a terminal phase", func(ir *imagesv1alpha1.ImageRequest) bool { return ir.Status.Phase.IsTerminal() })
}
