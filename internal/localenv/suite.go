package localenv

import (
	"fmt"
	"os"
	"testing"
)

// RunSuite runs an integration suite's tests against a fresh control
// plane, for TestMain: it sets the test logger, starts the control plane,
// calls setup (whose cleanup, if any, runs after the tests), runs m and
// stops everything. It returns the exit code for os.Exit.
func RunSuite(m *testing.M, setup func(cp *ControlPlane) (cleanup func(), err error)) int {
	SetTestLogger()
	cp, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := cp.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	cleanup, err := setup(cp)
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "suite setup:", err)
		return 1
	}
	return m.Run()
}

// WriteKubeconfig writes a kubeconfig for the control plane to a new
// temporary file, for processes started by tests (a manager binary,
// kubectl), and returns its path; remove it when done.
func (c *ControlPlane) WriteKubeconfig() (string, error) {
	f, err := os.CreateTemp("", "imagegen-test-kubeconfig-*")
	if err != nil {
		return "", fmt.Errorf("creating a kubeconfig file: %w", err)
	}
	_, err = f.Write(c.Env.KubeConfig)
	// Close's error can mean a short file: a kubeconfig that fails to parse.
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}
