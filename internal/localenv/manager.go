package localenv

import (
	"context"
	"os"

	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/imagegen/imagegen-operator/internal/manager"
)

// RunningManager is a manager started in this process.
type RunningManager struct {
	ctrl.Manager
	cancel context.CancelFunc
	done   chan error
}

// StartManager builds a manager with opts and starts it in the background;
// Stop ends it. Integration suites use it to run (and restart) the operator
// against their control plane.
func StartManager(cfg *rest.Config, opts manager.Options) (*RunningManager, error) {
	mgr, err := manager.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &RunningManager{Manager: mgr, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- mgr.Start(ctx) }()
	return r, nil
}

// Stop stops the manager, cancelling its in-flight work the way a crash or
// a rollout looks to the upstream, and returns what Start returned.
func (r *RunningManager) Stop() error {
	r.cancel()
	return <-r.done
}

// SetTestLogger routes controller-runtime's logs to stderr: errors only,
// unless TEST_VERBOSE_LOGS is set, so `make test` output stays readable.
func SetTestLogger() {
	level := zapcore.ErrorLevel
	if os.Getenv("TEST_VERBOSE_LOGS") != "" {
		level = zapcore.Level(-2)
	}
	ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr), zap.Level(level)))
}
