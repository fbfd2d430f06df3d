package controllers_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/manager"
)

// runManagerThrough stops the suite's manager and runs one whose traffic
// to the API server (apiServer) or the upstream (upstream) goes through the
// given proxies (either may be nil); the suite's manager is back at cleanup.
func runManagerThrough(t *testing.T, apiServer, upstream *localenv.TCPProxy, tune func(*manager.Options)) {
	t.Helper()
	stopManager()
	cfg := rest.CopyConfig(restConfig)
	opts := managerOptions()
	if apiServer != nil {
		cfg.Host = "https://" + apiServer.Addr()
	}
	if upstream != nil {
		opts.OpenAIBaseURL = "http://" + upstream.Addr() + "/v1/"
	}
	if tune != nil {
		tune(&opts)
	}
	mgr, err := localenv.StartManager(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Right after an outage client-go's reflectors may still be in
		// their backoff, and the caches can outlast the graceful-shutdown
		// timeout; that is client-go's, and not what these tests check.
		if err := mgr.Stop(); err != nil {
			t.Logf("stopping the manager: %v", err)
		}
		if err := startManager(); err != nil {
			t.Error(err)
		}
	})
}

func hostPort(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// TestAPIServerOutageMidCall is a control-plane upgrade: the manager loses
// the API server (connections refused and broken) while 30 calls are in
// flight, for 10 s and for 60 s. The calls succeed during the outage; the
// manager holds their results and writes them when the API server is back.
// Every request succeeds and each was paid for exactly once.
func TestAPIServerOutageMidCall(t *testing.T) {
	for _, outage := range []time.Duration{10 * time.Second, 60 * time.Second} {
		t.Run(outage.String(), func(t *testing.T) {
			begin(t)
			setLatency(t, 3*time.Second)
			proxy, err := localenv.StartTCPProxy(hostPort(t, restConfig.Host))
			if err != nil {
				t.Fatal(err)
			}
			defer proxy.Close()
			runManagerThrough(t, proxy, nil, nil)

			received := sim.Stats().Requests[dallesim.EndpointGenerations]
			reqs := createBurst(t, "outage-"+strings.TrimSuffix(outage.String(), "s"), 30)
			waitForUpstreamCalls(t, received+30)
			proxy.Cut()
			time.Sleep(outage)
			if got := sim.Stats().Requests[dallesim.EndpointGenerations] - received; got != 30 {
				t.Errorf("the upstream received %d calls during the outage, want the 30 made before it", got)
			}
			if err := proxy.Restore(); err != nil {
				t.Fatal(err)
			}
			assertPaidOnce(t, reqs)
		})
	}
}

// TestUpstreamUnreachableSpendsNoAttempt: calls that cannot connect to the
// upstream at all (it is down: connection refused) sent nothing and cost
// nothing, so they are retried without spending attempts, for as long as
// --upstream-unreachable-timeout allows; the request succeeds with one
// attempt once the upstream is back. Past the timeout the request fails
// with UpstreamUnreachable, having made no call. Calls that did reach the
// upstream and then broke (a reset) still count: see
// TestTerminalUpstreamErrors.
func TestUpstreamUnreachableSpendsNoAttempt(t *testing.T) {
	begin(t)
	proxy, err := localenv.StartTCPProxy(hostPort(t, simServer.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	runManagerThrough(t, nil, proxy, func(o *manager.Options) { o.Controller.UnreachableTimeout = 20 * time.Second })

	proxy.Cut()
	created := createRequest(t, "upstream-down", imagesv1alpha1.ImageRequestSpec{Prompt: "while the upstream is down", Size: "256x256"})
	// With a 200 ms backoff, three counted attempts would be gone within a
	// second; wait well past that.
	mid := waitFor(t, created, "UpstreamUnreachable", func(ir *imagesv1alpha1.ImageRequest) bool {
		return ir.Status.Reason == imagesv1alpha1.ReasonUpstreamUnreachable
	})
	time.Sleep(4 * time.Second)
	mid = waitFor(t, mid, "still waiting", func(*imagesv1alpha1.ImageRequest) bool { return true })
	if mid.Status.Phase != imagesv1alpha1.PhasePending || mid.Status.Attempts != 0 || mid.Status.UpstreamUnreachableSince == nil {
		t.Fatalf("during the outage: phase=%s attempts=%d since=%v (%s), want Pending with no attempt spent",
			mid.Status.Phase, mid.Status.Attempts, mid.Status.UpstreamUnreachableSince, mid.Status.Message)
	}
	if !strings.Contains(mid.Status.Message, "nothing was sent") {
		t.Errorf("message %q does not say nothing was sent", mid.Status.Message)
	}
	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	ir := waitTerminal(t, created)
	if calls := sim.CallsForPrompt(created.Spec.Prompt); ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || ir.Status.Attempts != 1 ||
		len(calls) != 1 || ir.Status.UpstreamUnreachableSince != nil {
		t.Fatalf("after the outage: phase=%s attempts=%d calls=%d since=%v (%s), want Succeeded after 1 attempt and 1 call",
			ir.Status.Phase, ir.Status.Attempts, len(calls), ir.Status.UpstreamUnreachableSince, ir.Status.Message)
	}

	// Down for longer than the timeout: the request gives up, unpaid.
	proxy.Cut()
	start := time.Now()
	gaveUp := createRequest(t, "upstream-gone", imagesv1alpha1.ImageRequestSpec{Prompt: "the upstream never comes back", Size: "256x256"})
	var final imagesv1alpha1.ImageRequest
	localenv.EventuallyWithin(t, time.Minute, "a terminal phase", func() bool {
		return k8sClient.Get(t.Context(), clientKey(gaveUp), &final) == nil && final.Status.Phase.IsTerminal()
	}, func() string { return fmt.Sprintf("status %+v", final.Status) })
	if final.Status.Phase != imagesv1alpha1.PhaseFailed || final.Status.Reason != imagesv1alpha1.ReasonUpstreamUnreachable || final.Status.Attempts != 0 {
		t.Fatalf("phase=%s reason=%s attempts=%d (%s), want Failed UpstreamUnreachable with no attempt", final.Status.Phase, final.Status.Reason, final.Status.Attempts, final.Status.Message)
	}
	// status times hold whole seconds, so the first failure's time may read
	// up to a second early.
	if waited := time.Since(start); waited < 19*time.Second {
		t.Errorf("gave up after %s, before the 20s unreachable timeout", waited)
	}
	if calls := sim.CallsForPrompt(gaveUp.Spec.Prompt); len(calls) != 0 {
		t.Errorf("the upstream saw %d calls while unreachable", len(calls))
	}
	fmt.Fprintln(testingWriter{t}, "gave up with:", final.Status.Message)
}

// testingWriter sends a line to the test log.
type testingWriter struct{ t *testing.T }

func (w testingWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
