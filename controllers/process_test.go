package controllers_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// Tests that need a real process — killed, or sent SIGTERM — run the
// manager binary, built once per test binary.
var (
	managerBinOnce sync.Once
	managerBinPath string
	managerBinErr  error
)

func managerBinary(t *testing.T) string {
	t.Helper()
	managerBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "imagegen-manager-*")
		if err != nil {
			managerBinErr = err
			return
		}
		managerBinPath = filepath.Join(dir, "manager")
		if out, err := exec.Command("go", "build", "-o", managerBinPath, "../cmd").CombinedOutput(); err != nil {
			managerBinErr = fmt.Errorf("building the manager: %w\n%s", err, out)
		}
	})
	if managerBinErr != nil {
		t.Fatal(managerBinErr)
	}
	return managerBinPath
}

// childManager is a manager process against the suite's control plane and
// simulator.
type childManager struct {
	cmd    *exec.Cmd
	output *syncBuffer
	exited chan struct{}
	err    error
}

// startChildManager runs the manager binary with the suite's connection
// flags plus args; it is killed at cleanup if still running. Like the
// suite's manager it runs the reference contract on the simulator:
// dall-e-2 by default, declared served (the flags' default is gpt-image-2,
// which needs an artifact store).
func startChildManager(t *testing.T, args ...string) *childManager {
	t.Helper()
	base := []string{"--kubeconfig", kubeconfigPath, "--openai-base-url", simServer.URL + "/v1/",
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--mcp-bind-address", "0",
		fmt.Sprintf("--max-attempts=%d", maxAttempts),
		"--default-model=" + models.DALLE2, "--serve-retired-models=" + models.DALLE2}
	cmd := exec.Command(managerBinary(t), append(base, args...)...)
	cmd.Env = append(os.Environ(), "OPENAI_API_KEY=sk-test")
	c := &childManager{cmd: cmd, output: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = c.output, c.output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			_ = cmd.Process.Kill()
			<-c.exited
		}
		if t.Failed() {
			t.Logf("manager %d output:\n%s", cmd.Process.Pid, c.output.String())
		}
	})
	return c
}

// waitExit waits for the process to end and returns its error.
func (c *childManager) waitExit(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case <-c.exited:
		return c.err
	case <-time.After(within):
		t.Fatalf("manager %d still running after %s", c.cmd.Process.Pid, within)
		return nil
	}
}

// syncBuffer is a bytes.Buffer safe for a process's output and a reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Contains(s string) bool { return strings.Contains(b.String(), s) }

// createBurst creates n generate requests named prefix-<i>, each with its
// own prompt, and returns them.
func createBurst(t *testing.T, prefix string, n int) []*imagesv1alpha1.ImageRequest {
	t.Helper()
	out := make([]*imagesv1alpha1.ImageRequest, n)
	for i := range out {
		out[i] = createRequest(t, fmt.Sprintf("%s-%d", prefix, i), imagesv1alpha1.ImageRequestSpec{Prompt: fmt.Sprintf("%s prompt %d", prefix, i), Size: "256x256"})
	}
	return out
}

// waitForUpstreamCalls waits until the simulator has received want
// generation calls since the test began.
func waitForUpstreamCalls(t *testing.T, want int64) {
	t.Helper()
	localenv.Eventually(t, fmt.Sprintf("%d upstream calls", want), func() bool {
		return sim.Stats().Requests[dallesim.EndpointGenerations] >= want
	}, func() string { return fmt.Sprintf("received %d", sim.Stats().Requests[dallesim.EndpointGenerations]) })
}

// assertPaidOnce checks that every request succeeded after exactly one
// attempt, and that the upstream saw exactly one call for each.
func assertPaidOnce(t *testing.T, reqs []*imagesv1alpha1.ImageRequest) {
	t.Helper()
	for _, created := range reqs {
		ir := waitTerminal(t, created)
		calls := sim.CallsForPrompt(created.Spec.Prompt)
		if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || ir.Status.Attempts != 1 || len(calls) != 1 {
			t.Errorf("%s: phase=%s attempts=%d upstream calls=%d (%s), want Succeeded, 1 attempt, 1 call",
				created.Name, ir.Status.Phase, ir.Status.Attempts, len(calls), ir.Status.Message)
		}
	}
}

// setLatency sets the simulator's latency for the rest of the test.
func setLatency(t *testing.T, d time.Duration) {
	t.Helper()
	if err := sim.SetLatency(d, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.SetLatency(0, 0) })
}
