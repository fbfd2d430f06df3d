package mcp_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/rest"
)

// TestRESTWaitingCallAtShutdown: a REST call waiting when its replica shuts
// down (a rollout, a drain) is answered 503 with Retry-After and what it
// needs to follow its ImageRequest, never an empty 200; and any replica
// answers the poll URL.
func TestRESTWaitingCallAtShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := managerOptions(ln)
	opts.LeaderElect = true // a follower: the suite's manager does the work
	replica, err := localenv.StartManager(restConfig, opts)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = replica.Stop()
		}
	})
	base := "http://" + ln.Addr().String()
	if err := waitReady(base); err != nil {
		t.Fatal(err)
	}

	prompt := uniquePrompt(t, "interrupted by a rollout")
	type answer struct {
		status int
		header http.Header
		raw    []byte
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+rest.PathGenerate, strings.NewReader(jsonBody(prompt, `,"params":{"size":"`+slowSize+`"},"wait_seconds":60`)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := httpClient(agentToken).Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		answered <- answer{status: resp.StatusCode, header: resp.Header, raw: raw, err: err}
	}()

	// Stop the replica once the call has created its request and waits.
	name := ""
	localenv.Eventually(t, "the call to create its ImageRequest", func() bool {
		var irs imagesv1alpha1.ImageRequestList
		if err := k8sClient.List(context.Background(), &irs, client.InNamespace(nsA)); err != nil {
			t.Fatal(err)
		}
		for _, ir := range irs.Items {
			if ir.Spec.Prompt == prompt {
				name = ir.Name
			}
		}
		return name != ""
	})
	stopped = true
	if err := replica.Stop(); err != nil {
		t.Errorf("stopping the replica: %v", err)
	}

	var a answer
	select {
	case a = <-answered:
	case <-time.After(timeout):
		t.Fatal("no answer after the shutdown")
	}
	if a.err != nil {
		t.Fatalf("the call failed: %v", a.err)
	}
	var body restBody
	if err := json.Unmarshal(a.raw, &body); err != nil {
		t.Fatalf("HTTP %d with a body that is not JSON: %q", a.status, a.raw)
	}
	poll := rest.PathImageRequests + nsA + "/" + name
	if a.status != http.StatusServiceUnavailable || body.Error.Code != "unavailable" || a.header.Get("Retry-After") == "" {
		t.Errorf("HTTP %d Retry-After %q %s, want 503 unavailable with Retry-After", a.status, a.header.Get("Retry-After"), a.raw)
	}
	if body.Name != name || body.Namespace != nsA || body.PollURL != poll || a.header.Get("Location") != poll || body.Phase == "" {
		t.Errorf("body %s, want name %s and poll_url %s", a.raw, name, poll)
	}
	// The request carries on, and the suite's replica answers the poll.
	waitPhase(t, nsA, name, imagesv1alpha1.PhaseSucceeded)
	if status, got := getREST(t, agentToken, poll); status != http.StatusOK || len(got.ImageURLs) != 1 {
		t.Errorf("GET %s: %d %+v", poll, status, got)
	}
	if n := sim.BillableImagesForPrompt(prompt); n != 1 {
		t.Errorf("%d images billed, want 1", n)
	}
}
