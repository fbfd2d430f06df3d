package controllers_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/models"
)

func addFaults(t *testing.T, faults ...dallesim.Fault) {
	t.Helper()
	if err := sim.AddFault(faults...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.ClearFaults)
}

func TestRetryAfterIsHonoured(t *testing.T) {
	begin(t)
	prompt := "rate limited once"
	addFaults(t, dallesim.Fault{Kind: dallesim.FaultRateLimit, Match: prompt, RetryAfterSeconds: 2})
	ir := waitTerminal(t, createRequest(t, "retry-after", imagesv1alpha1.ImageRequestSpec{Prompt: prompt, Size: "256x256"}))
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || ir.Status.Attempts != 2 {
		t.Fatalf("phase=%s attempts=%d (%s), want Succeeded after 2", ir.Status.Phase, ir.Status.Attempts, ir.Status.Message)
	}
	calls := sim.CallsForPrompt(prompt)
	if len(calls) != 2 || calls[0].Status != 429 || !calls[1].Billable {
		t.Fatalf("calls = %+v, want a 429 then a billable success", calls)
	}
	if gap := calls[1].Time.Sub(calls[0].Time); gap < 2*time.Second {
		t.Fatalf("retried %s after the 429, before its Retry-After of 2s", gap)
	}
	// The cause stays in status as data, after the success too.
	if f := ir.Status.LastFailure; f == nil || f.Attempt != 1 || f.Reason != imagesv1alpha1.ReasonRateLimited || f.HTTPStatus != 429 ||
		f.Code != "rate_limit_exceeded" || f.RetryAfterSeconds == nil || *f.RetryAfterSeconds != 2 {
		t.Fatalf("lastFailure = %+v, want attempt 1, RateLimited, 429 rate_limit_exceeded, retry after 2s", f)
	}
}

// TestTerminalUpstreamErrors: transient errors are retried up to the attempt
// limit; permanent ones (content policy, billing) fail at once. Either way
// every attempt in status is a call the upstream saw, and vice versa.
func TestTerminalUpstreamErrors(t *testing.T) {
	begin(t)
	cases := map[string]struct {
		prompt      string
		faults      []dallesim.FaultKind
		wantReason  string
		wantCalls   int
		wantMessage string
	}{
		"500 three times": {prompt: "always 500", faults: []dallesim.FaultKind{dallesim.FaultServerError, dallesim.FaultServerError, dallesim.FaultServerError},
			wantReason: imagesv1alpha1.ReasonAttemptsExhausted, wantCalls: maxAttempts, wantMessage: "3 of 3 attempts failed"},
		"connection resets": {prompt: "always reset", faults: []dallesim.FaultKind{dallesim.FaultConnectionReset, dallesim.FaultOverloaded, dallesim.FaultConnectionReset},
			wantReason: imagesv1alpha1.ReasonAttemptsExhausted, wantCalls: maxAttempts},
		"content policy": {prompt: "a forbidden picture", wantReason: imagesv1alpha1.ReasonContentPolicy, wantCalls: 1, wantMessage: "content_policy_violation"},
		"insufficient quota": {prompt: "no money", faults: []dallesim.FaultKind{dallesim.FaultInsufficientQuota},
			wantReason: imagesv1alpha1.ReasonQuotaExceeded, wantCalls: 1, wantMessage: "insufficient_quota"},
		"billing hard limit": {prompt: "over the limit", faults: []dallesim.FaultKind{dallesim.FaultBillingHardLimit},
			wantReason: imagesv1alpha1.ReasonQuotaExceeded, wantCalls: 1, wantMessage: "billing_hard_limit_reached"},
	}
	n := 0
	for name, tc := range cases {
		n++
		t.Run(name, func(t *testing.T) {
			for _, kind := range tc.faults {
				addFaults(t, dallesim.Fault{Kind: kind, Match: tc.prompt})
			}
			ir := waitTerminal(t, createRequest(t, "upstream-error-"+string(rune('a'+n)), imagesv1alpha1.ImageRequestSpec{Prompt: tc.prompt, Size: "256x256"}))
			if ir.Status.Phase != imagesv1alpha1.PhaseFailed || ir.Status.Reason != tc.wantReason {
				t.Fatalf("phase=%s reason=%s (%s), want Failed %s", ir.Status.Phase, ir.Status.Reason, ir.Status.Message, tc.wantReason)
			}
			if !strings.Contains(ir.Status.Message, tc.wantMessage) {
				t.Fatalf("message %q does not contain %q", ir.Status.Message, tc.wantMessage)
			}
			calls := sim.CallsForPrompt(tc.prompt)
			if int(ir.Status.Attempts) != tc.wantCalls || len(calls) != tc.wantCalls {
				t.Fatalf("attempts=%d upstream calls=%d, want %d", ir.Status.Attempts, len(calls), tc.wantCalls)
			}
			for _, c := range calls {
				if c.Billable {
					t.Fatalf("a failed call was billable: %+v", c)
				}
			}
			if f := ir.Status.LastFailure; f == nil || f.Attempt != int32(tc.wantCalls) || (tc.wantReason != imagesv1alpha1.ReasonAttemptsExhausted && f.Reason != tc.wantReason) {
				t.Fatalf("lastFailure = %+v, want attempt %d with the failure's reason", f, tc.wantCalls)
			}
		})
	}
}

// TestManagerKilledMidCall: a manager process is killed (SIGKILL, no chance
// to write anything) while the upstream holds its call. The next manager
// finds the request Running, counts that attempt as spent and finishes the
// job; status.attempts matches the calls the upstream saw and nothing is
// left Running.
func TestManagerKilledMidCall(t *testing.T) {
	begin(t)
	bin := managerBinary(t)
	// Only the child manager may reconcile until it is killed.
	stopManager()
	defer func() {
		if err := startManager(); err != nil {
			t.Fatal(err)
		}
	}()
	child := exec.Command(bin, "--kubeconfig", kubeconfigPath, "--openai-base-url", simServer.URL+"/v1/",
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--mcp-bind-address", "0", fmt.Sprintf("--max-attempts=%d", maxAttempts),
		"--default-model="+models.DALLE2, "--serve-retired-models="+models.DALLE2)
	child.Env = append(os.Environ(), "OPENAI_API_KEY=sk-test")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = child.Process.Kill()
			_ = child.Wait()
		}
	}()

	prompt := "interrupted by a crash"
	addFaults(t, dallesim.Fault{Kind: dallesim.FaultHang, Match: prompt})
	received := sim.Stats().Requests[dallesim.EndpointGenerations]
	created := createRequest(t, "crash", imagesv1alpha1.ImageRequestSpec{Prompt: prompt, Size: "256x256"})
	waitFor(t, created, "Running", func(ir *imagesv1alpha1.ImageRequest) bool { return ir.Status.Phase == imagesv1alpha1.PhaseRunning })
	waitForUpstreamCalls(t, received+1)

	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	killed = true
	var mid imagesv1alpha1.ImageRequest
	if err := k8sClient.Get(t.Context(), clientKey(created), &mid); err != nil {
		t.Fatal(err)
	}
	if mid.Status.Phase != imagesv1alpha1.PhaseRunning || mid.Status.Attempts != 1 {
		t.Fatalf("after the kill: phase=%s attempts=%d, want Running 1", mid.Status.Phase, mid.Status.Attempts)
	}

	if err := startManager(); err != nil {
		t.Fatal(err)
	}
	ir := waitTerminal(t, created)
	calls := sim.CallsForPrompt(prompt)
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || ir.Status.Attempts != 2 || len(calls) != 2 {
		t.Fatalf("phase=%s attempts=%d upstream calls=%d (%s), want Succeeded with 2 and 2", ir.Status.Phase, ir.Status.Attempts, len(calls), ir.Status.Message)
	}
	if f := ir.Status.LastFailure; f == nil || f.Attempt != 1 || f.Reason != imagesv1alpha1.ReasonAttemptInterrupted {
		t.Fatalf("lastFailure = %+v, want attempt 1 AttemptInterrupted", f)
	}
	stopManager() // the deferred start brings the suite's manager back
}

// TestGracefulStopCutsOffAHungCall: a manager stopped while its call hangs
// past the drain timeout cuts the call off and records that attempt as
// failed itself, so its successor needs no guesswork; the upstream saw
// exactly the calls status counts. (A call that finishes within the drain
// is not cut off at all: see TestGracefulStopDrainsCalls.)
func TestGracefulStopCutsOffAHungCall(t *testing.T) {
	begin(t)
	prompt := "interrupted by a rollout"
	addFaults(t, dallesim.Fault{Kind: dallesim.FaultHang, Match: prompt})
	received := sim.Stats().Requests[dallesim.EndpointGenerations]
	created := createRequest(t, "graceful-stop", imagesv1alpha1.ImageRequestSpec{Prompt: prompt, Size: "256x256"})
	waitForUpstreamCalls(t, received+1)
	stopManager()
	var mid imagesv1alpha1.ImageRequest
	if err := k8sClient.Get(t.Context(), clientKey(created), &mid); err != nil {
		t.Fatal(err)
	}
	if mid.Status.Phase != imagesv1alpha1.PhasePending || mid.Status.Attempts != 1 || mid.Status.NextAttemptTime == nil {
		t.Fatalf("after the stop: phase=%s attempts=%d next=%v (%s), want Pending after 1 attempt with a retry scheduled",
			mid.Status.Phase, mid.Status.Attempts, mid.Status.NextAttemptTime, mid.Status.Message)
	}
	if err := startManager(); err != nil {
		t.Fatal(err)
	}
	ir := waitTerminal(t, created)
	calls := sim.CallsForPrompt(prompt)
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || ir.Status.Attempts != 2 || len(calls) != 2 {
		t.Fatalf("phase=%s attempts=%d upstream calls=%d (%s), want Succeeded with 2 and 2", ir.Status.Phase, ir.Status.Attempts, len(calls), ir.Status.Message)
	}
}
