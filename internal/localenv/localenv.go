// Package localenv starts a local Kubernetes control plane (kube-apiserver
// and etcd from bin/k8s, built by hack/setup-envtest.sh) with the project's
// CRDs installed. The integration tests, `make dev` and the benchmark all
// stand on it.
package localenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/imagegen/imagegen-operator/internal/manager"
)

// K8sVersion is the control plane version hack/setup-envtest.sh builds.
const K8sVersion = "1.37.2"

// RepoRoot is the directory holding go.mod, found from this source file so
// tests in any package and `go run ./hack/dev` agree on it.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// AssetsDir is where the control plane binaries are: $KUBEBUILDER_ASSETS,
// else bin/k8s/<version>-<os>-<arch> under the repository.
func AssetsDir() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	return filepath.Join(RepoRoot(), "bin", "k8s", fmt.Sprintf("%s-%s-%s", K8sVersion, runtime.GOOS, runtime.GOARCH))
}

// ErrNoAssets says the control plane binaries have not been built.
var ErrNoAssets = errors.New("envtest binaries not found: run `make setup-envtest` (or `make test`, which runs it)")

// ControlPlane is a running API server with the CRDs installed.
type ControlPlane struct {
	Env    *envtest.Environment
	Config *rest.Config
}

// Start starts the control plane and installs config/crd/bases.
func Start() (*ControlPlane, error) {
	assets := AssetsDir()
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
		return nil, fmt.Errorf("%w (looked in %s)", ErrNoAssets, assets)
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		CRDDirectoryPaths:        []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing:    true,
		Scheme:                   manager.Scheme(),
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the local control plane from %s: %w", assets, err)
	}
	// Tests and the dev loop create hundreds of objects at once: lift the
	// client-side limit that would otherwise throttle them.
	cfg.QPS, cfg.Burst = 1000, 2000
	return &ControlPlane{Env: env, Config: cfg}, nil
}

// Stop stops the API server and etcd.
func (c *ControlPlane) Stop() error {
	if err := c.Env.Stop(); err != nil {
		return fmt.Errorf("stopping the local control plane: %w", err)
	}
	return nil
}
