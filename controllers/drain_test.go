package controllers_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/localenv"
)

// TestGracefulStopDrainsCalls: a manager stopped while calls are in flight
// lets them finish and writes their results before it returns, so no call
// is made twice.
func TestGracefulStopDrainsCalls(t *testing.T) {
	begin(t)
	setLatency(t, time.Second)
	received := sim.Stats().Requests[dallesim.EndpointGenerations]
	reqs := createBurst(t, "drain-in-process", 5)
	waitForUpstreamCalls(t, received+5)
	stopManager() // returns once the drain is over
	for _, created := range reqs {
		var ir imagesv1alpha1.ImageRequest
		if err := k8sClient.Get(t.Context(), clientKey(created), &ir); err != nil {
			t.Fatal(err)
		}
		if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded {
			t.Errorf("%s is %s (%s) after the stop, want Succeeded: the stopped manager must write what it paid for", ir.Name, ir.Status.Phase, ir.Status.Message)
		}
	}
	if err := startManager(); err != nil {
		t.Fatal(err)
	}
	assertPaidOnce(t, reqs)
}

// TestSIGTERMDrainsInFlightCalls is a rolling update: a manager process gets
// SIGTERM with 20 calls in flight. It starts no new call, lets the 20
// finish, writes their results and exits; each request was paid exactly
// once, and requests created during the drain are left to the next manager.
func TestSIGTERMDrainsInFlightCalls(t *testing.T) {
	begin(t)
	setLatency(t, 3*time.Second)
	stopManager()
	defer func() {
		if err := startManager(); err != nil {
			t.Fatal(err)
		}
	}()
	child := startChildManager(t, "--drain-timeout=60s")
	received := sim.Stats().Requests[dallesim.EndpointGenerations]
	inFlight := createBurst(t, "sigterm", 20)
	waitForUpstreamCalls(t, received+20)

	if err := child.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	// Created once the old manager is draining (the signal reaches it
	// asynchronously): it must not call for these.
	localenv.Eventually(t, "the manager to start its shutdown", func() bool {
		return child.output.Contains("Shutdown signal received, waiting for all workers to finish")
	})
	late := createBurst(t, "sigterm-late", 3)
	if err := child.waitExit(t, time.Minute); err != nil {
		t.Fatalf("the manager exited with %v after SIGTERM, want a clean exit", err)
	}
	t.Logf("the manager exited %s after SIGTERM", time.Since(signalled).Round(time.Millisecond))
	for _, created := range inFlight {
		var ir imagesv1alpha1.ImageRequest
		if err := k8sClient.Get(t.Context(), clientKey(created), &ir); err != nil {
			t.Fatal(err)
		}
		if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || ir.Status.Attempts != 1 {
			t.Errorf("%s after the exit: phase=%s attempts=%d (%s), want Succeeded after 1", ir.Name, ir.Status.Phase, ir.Status.Attempts, ir.Status.Message)
		}
	}
	for _, created := range late {
		if calls := sim.CallsForPrompt(created.Spec.Prompt); len(calls) != 0 {
			t.Errorf("%s: the draining manager started %d call(s) for a request created after SIGTERM", created.Name, len(calls))
		}
	}
	if err := startManager(); err != nil {
		t.Fatal(err)
	}
	assertPaidOnce(t, append(inFlight, late...))
	stopManager() // the deferred start brings the suite's manager back
}

// TestLeaderReleasesLeaseAfterDrain: with two replicas, the leader that gets
// SIGTERM mid-burst finishes its calls, then releases the lease, and the
// follower takes over at once rather than after the lease duration; every
// request is paid exactly once.
func TestLeaderReleasesLeaseAfterDrain(t *testing.T) {
	begin(t)
	setLatency(t, 2*time.Second)
	stopManager()
	defer func() {
		if err := startManager(); err != nil {
			t.Fatal(err)
		}
	}()
	leaseID := fmt.Sprintf("imagegen-test-%d", time.Now().UnixNano())
	const leaseDuration = 15 * time.Second
	args := []string{"--leader-elect", "--leader-election-namespace=default", "--leader-election-id=" + leaseID,
		"--leader-election-lease-duration=" + leaseDuration.String(), "--drain-timeout=60s"}
	first := startChildManager(t, args...)
	holder := waitForLeaseHolder(t, leaseID, "")
	second := startChildManager(t, args...)
	// Give the follower time to start and find the lease taken.
	localenv.Eventually(t, "the second manager to try for the lease", func() bool {
		return second.output.Contains("ttempting to acquire leader lease")
	})

	received := sim.Stats().Requests[dallesim.EndpointGenerations]
	reqs := createBurst(t, "failover", 10)
	waitForUpstreamCalls(t, received+10)
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := first.waitExit(t, time.Minute); err != nil {
		t.Fatalf("the leader exited with %v, want a clean exit", err)
	}
	exited := time.Now()
	newHolder := waitForLeaseHolder(t, leaseID, holder)
	takeover := time.Since(exited)
	t.Logf("lease held by %s, then %s %s after the old leader exited", holder, newHolder, takeover.Round(time.Millisecond))
	if takeover >= leaseDuration {
		t.Fatalf("the follower took the lease %s after the leader exited: it waited the lease out instead of finding it released", takeover)
	}
	assertPaidOnce(t, reqs)
	more := createBurst(t, "failover-after", 3)
	assertPaidOnce(t, more) // the new leader reconciles
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = second.waitExit(t, time.Minute)
	_ = k8sClient.Delete(context.Background(), &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: leaseID}})
}

// waitForLeaseHolder waits until the lease is held by someone other than
// not (and not nobody) and returns the holder.
func waitForLeaseHolder(t *testing.T, name, not string) string {
	t.Helper()
	var holder string
	localenv.Eventually(t, "a new holder of lease "+name, func() bool {
		var lease coordinationv1.Lease
		err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &lease)
		if err == nil && lease.Spec.HolderIdentity != nil {
			holder = *lease.Spec.HolderIdentity
		}
		return holder != "" && holder != not
	}, func() string { return "holder: " + holder })
	return holder
}
