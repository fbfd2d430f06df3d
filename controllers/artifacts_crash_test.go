package controllers_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/localenv"
)

// TestArtifactsManagerKilledDuringStoreWrite: the upstream has answered
// (paid), the S3 server is down so the write is being retried from memory,
// and the manager process is killed (SIGKILL: the bytes are gone, nothing
// is written). S3 comes back and a new manager starts. The request is not
// left Running: the new manager counts the attempt as spent, says it was
// interrupted, and retries; status.attempts and the upstream's paid calls
// agree. (Without the kill the write outlasts the outage and nothing is
// paid twice: TestArtifactsS3OutageDuringStoreWrite.)
func TestArtifactsManagerKilledDuringStoreWrite(t *testing.T) {
	begin(t)
	srv := useS3(t) // before the child starts: it inherits the S3 identity
	stopManager()   // only the child reconciles until it is killed; back at cleanup (runManagerWithStore)
	child := startChildManager(t, "--artifact-bucket="+srv.BucketURL(), "--artifact-url-mode=presigned")
	setLatency(t, 2*time.Second)

	prompt := "paid, then the manager died before storing it"
	created := createRequest(t, "store-crash", imagesv1alpha1.ImageRequestSpec{Prompt: prompt, Size: "256x256"})
	waitForUpstreamCalls(t, 1)
	srv.Stop()
	localenv.Eventually(t, "the upstream answered the paid call", func() bool {
		calls := sim.CallsForPrompt(prompt)
		return len(calls) == 1 && calls[0].Billable
	}, func() string { return fmt.Sprintf("calls: %+v", sim.CallsForPrompt(prompt)) })
	time.Sleep(3 * time.Second) // the write to the stopped S3 fails and is retried
	mid := waitFor(t, created, "read", func(*imagesv1alpha1.ImageRequest) bool { return true })
	if mid.Status.Phase != imagesv1alpha1.PhaseRunning || mid.Status.Attempts != 1 {
		t.Fatalf("while the write retries: phase=%s attempts=%d (%s: %s), want Running 1", mid.Status.Phase, mid.Status.Attempts, mid.Status.Reason, mid.Status.Message)
	}

	if err := child.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.waitExit(t, 30*time.Second)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	runManagerWithStore(t, srv.BucketURL(), artifacts.URLModePresigned)

	// The paid bytes lived only in the killed process: nothing reached the
	// store, so there is no manifest to recover from. The attempt counts
	// as spent (AttemptInterrupted) and the second one pays again, within
	// maxAttempts: status says so, and agrees with the upstream's bill.
	ir := waitTerminal(t, created)
	paid := 0
	for _, c := range sim.CallsForPrompt(prompt) {
		if c.Billable {
			paid++
		}
	}
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || ir.Status.Attempts != 2 || paid != 2 {
		t.Fatalf("phase=%s attempts=%d paid calls=%d (%s: %s), want Succeeded after 2 attempts and 2 paid calls",
			ir.Status.Phase, ir.Status.Attempts, paid, ir.Status.Reason, ir.Status.Message)
	}
	if f := ir.Status.LastFailure; f == nil || f.Attempt != 1 || f.Reason != imagesv1alpha1.ReasonAttemptInterrupted {
		t.Errorf("lastFailure = %+v, want attempt 1 AttemptInterrupted", f)
	}
	assertStoredImages(t, ir, 1, 256, "s3://"+srv.Bucket+"/", srv.Endpoint+"/")
	if !strings.Contains(ir.Status.Images[0].URI, "/attempt-2/") {
		t.Errorf("uri %s, want attempt 2's object", ir.Status.Images[0].URI)
	}
}
