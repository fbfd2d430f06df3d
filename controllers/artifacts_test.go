package controllers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
)

// TestArtifactsFileOperatorURLs: with a file:// store in operator mode, the
// result is downloaded from the upstream and stored before Succeeded;
// status has the durable URI, size, sha256 and dimensions, and a URL the
// manager's own listener serves with the exact bytes. A tampered URL is
// refused.
func TestArtifactsFileOperatorURLs(t *testing.T) {
	begin(t)
	bucket := fileBucket(t)
	base := runManagerWithStore(t, bucket, artifacts.URLModeOperator)

	created := createRequest(t, "store-file", imagesv1alpha1.ImageRequestSpec{Prompt: "stored on disk", N: 2, Size: "256x256"})
	ir := waitTerminal(t, created)
	assertStoredImages(t, ir, 2, 256, bucket+"/", base+artifacts.HandlerPrefix)
	if calls := sim.CallsForPrompt(created.Spec.Prompt); len(calls) != 1 || ir.Status.Attempts != 1 {
		t.Errorf("upstream calls %d, attempts %d, want 1 and 1", len(calls), ir.Status.Attempts)
	}
	if !strings.Contains(ir.Status.Images[0].URI, "/"+string(ir.UID)+"/attempt-1/") {
		t.Errorf("uri %s does not name the request's uid and attempt", ir.Status.Images[0].URI)
	}

	// Another image's key under the first one's signature.
	u, err := url.Parse(ir.Status.Images[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := url.Parse(ir.Status.Images[1].URL)
	u.Path = other.Path
	if code, _, body := get(t, u.String()); code != http.StatusForbidden {
		t.Errorf("tampered URL: %d %.200s, want 403", code, body)
	}
	changed, _ := url.Parse(ir.Status.Images[0].URL)
	q := changed.Query()
	q.Set("exp", "4102444800")
	changed.RawQuery = q.Encode()
	if code, _, _ := get(t, changed.String()); code != http.StatusForbidden {
		t.Errorf("URL with a changed expiry: %d, want 403", code)
	}
}

// TestArtifactsS3Presigned: with a real S3 server (SeaweedFS, SigV4) in
// presigned mode, status carries the bucket's own presigned URL, which
// serves the exact bytes.
func TestArtifactsS3Presigned(t *testing.T) {
	begin(t)
	srv := useS3(t)
	runManagerWithStore(t, srv.BucketURL(), artifacts.URLModePresigned)

	created := createRequest(t, "store-s3", imagesv1alpha1.ImageRequestSpec{Prompt: "stored in S3", Size: "512x512"})
	ir := waitTerminal(t, created)
	assertStoredImages(t, ir, 1, 512, "s3://"+srv.Bucket+"/", srv.Endpoint+"/")
	if !strings.Contains(ir.Status.Images[0].URL, "X-Amz-Signature=") {
		t.Errorf("url %s is not presigned", ir.Status.Images[0].URL)
	}
}

// TestArtifactsS3OutageDuringStoreWrite: the S3 server is down when the
// paid result is to be stored and comes back ~10 s later: the controller
// keeps the bytes in memory, retries the write, and the request succeeds
// with one upstream call.
func TestArtifactsS3OutageDuringStoreWrite(t *testing.T) {
	begin(t)
	srv := useS3(t)
	runManagerWithStore(t, srv.BucketURL(), artifacts.URLModePresigned)
	setLatency(t, 2*time.Second)

	created := createRequest(t, "store-s3-outage", imagesv1alpha1.ImageRequestSpec{Prompt: "stored after an S3 outage", Size: "256x256"})
	waitForUpstreamCalls(t, 1)
	srv.Stop()
	time.Sleep(8 * time.Second) // the call answers after 2 s; the write fails meanwhile
	mid := waitFor(t, created, "still running", func(*imagesv1alpha1.ImageRequest) bool { return true })
	if mid.Status.Phase != imagesv1alpha1.PhaseRunning {
		t.Fatalf("while S3 is down: phase %s (%s: %s), want Running", mid.Status.Phase, mid.Status.Reason, mid.Status.Message)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	ir := waitTerminal(t, created)
	assertStoredImages(t, ir, 1, 256, "s3://"+srv.Bucket+"/", srv.Endpoint+"/")
	if calls := sim.CallsForPrompt(created.Spec.Prompt); len(calls) != 1 || ir.Status.Attempts != 1 {
		t.Errorf("upstream calls %d, attempts %d, want 1 and 1", len(calls), ir.Status.Attempts)
	}
}
