package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/localenv"
)

// env is everything a benchmark run stands on: a control plane, the
// simulator (in this process, on loopback) and the manager (a child process,
// so its memory and goroutines are its own).
type env struct {
	cp         *localenv.ControlPlane
	kubeconfig string
	sim        *dallesim.Server
	simURL     string
	simServer  *http.Server
	manager    *exec.Cmd
	sampler    *procSampler
	workDir    string
	// mcpAddr is the manager's MCP/REST listener; roots trust its certificate.
	mcpAddr string
	roots   *x509.CertPool
	// pprofAddr serves the manager's net/http/pprof.
	pprofAddr string
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func startEnv(ctx context.Context, managerBin string, reconcilers int, extraArgs func(e *env) ([]string, error)) (*env, error) {
	e := &env{}
	var err error
	if e.workDir, err = os.MkdirTemp("", "imagegen-bench-"); err != nil {
		return nil, err
	}
	if e.cp, err = localenv.Start(); err != nil {
		return nil, err
	}
	e.kubeconfig = filepath.Join(e.workDir, "kubeconfig")
	if err := os.WriteFile(e.kubeconfig, e.cp.Env.KubeConfig, 0o600); err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.simURL = "http://" + ln.Addr().String()
	e.sim = dallesim.New(dallesim.Config{PublicURL: e.simURL, MaxCallLog: 1000})
	e.simServer = &http.Server{Handler: e.sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.simServer.Serve(ln) }()

	metricsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	if e.pprofAddr, err = freeAddr(); err != nil {
		return nil, err
	}
	args := []string{
		"--pprof-bind-address", e.pprofAddr,
		"--kubeconfig", e.kubeconfig,
		"--openai-base-url", e.simURL + "/v1/",
		"--metrics-bind-address", metricsAddr,
		"--health-probe-bind-address", "0",
		fmt.Sprintf("--max-concurrent-reconciles=%d", reconcilers),
		"--zap-log-level=error",
	}
	if extraArgs != nil {
		more, err := extraArgs(e)
		if err != nil {
			return nil, err
		}
		args = append(args, more...)
	}
	e.manager = exec.CommandContext(ctx, managerBin, args...)
	e.manager.Env = append(os.Environ(), "OPENAI_API_KEY=sk-bench")
	e.manager.Stdout, e.manager.Stderr = os.Stderr, os.Stderr
	if err := e.manager.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", managerBin, err)
	}
	e.sampler = &procSampler{pid: e.manager.Process.Pid, metricsURL: "http://" + metricsAddr + "/metrics"}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := e.sampler.goroutines(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("manager metrics at %s never came up", e.sampler.metricsURL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return e, nil
}

func (e *env) stop() {
	if e.manager != nil && e.manager.Process != nil {
		_ = e.manager.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = e.manager.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = e.manager.Process.Kill()
		}
	}
	if e.simServer != nil {
		e.sim.Close()
		_ = e.simServer.Close()
	}
	if e.cp != nil {
		_ = e.cp.Stop()
	}
	if e.workDir != "" {
		_ = os.RemoveAll(e.workDir)
	}
}
