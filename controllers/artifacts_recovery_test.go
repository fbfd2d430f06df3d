package controllers_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/manager"
)

// TestArtifactsRecoverRunningAttempt is a manager that died after it
// stored attempt 1's images and before it wrote Succeeded: the request is
// Running with attempts=1 and the attempt's manifest is in the store. The
// next manager recovers the result from the store (fresh signed URLs)
// instead of counting the attempt as spent and paying again.
func TestArtifactsRecoverRunningAttempt(t *testing.T) {
	begin(t)
	stopManager() // back at cleanup (runManagerWithStore)
	bucket := fileBucket(t)
	ctx := context.Background()

	created := createRequest(t, "store-recover", imagesv1alpha1.ImageRequestSpec{Prompt: "recovered from the store", Size: "256x256"})
	pngBytes := encodePNG(t, 256)
	store, err := artifacts.Open(ctx, bucket, artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ref := artifacts.Ref{Namespace: created.Namespace, Name: created.Name, UID: string(created.UID)}
	if _, err := store.PutResult(ctx, ref, 1, [][]byte{pngBytes}, "image/png"); err != nil {
		t.Fatal(err)
	}
	markRunning(t, created, 1)

	base := runManagerWithStore(t, bucket, artifacts.URLModeOperator)
	ir := waitTerminal(t, created)
	assertStoredImages(t, ir, 1, 256, bucket+"/", base+artifacts.HandlerPrefix)
	if ir.Status.Images[0].SHA256 != sha256Hex(pngBytes) || ir.Status.Attempts != 1 {
		t.Errorf("sha256 %s attempts %d, want the stored image's and 1", ir.Status.Images[0].SHA256, ir.Status.Attempts)
	}
	if calls := sim.CallsForPrompt(created.Spec.Prompt); len(calls) != 0 {
		t.Errorf("the upstream saw %d calls, want none: the stored result was paid for", len(calls))
	}
}

// TestArtifactsStoreFailure: a store that stays broken past the write's
// bounded retry fails the request with StorageError, saying the call was
// paid and naming the backend; it is not called again.
func TestArtifactsStoreFailure(t *testing.T) {
	begin(t)
	dir := t.TempDir()
	bucket := "file://" + dir
	runManagerWithStore(t, bucket, artifacts.URLModeOperator, func(o *manager.Options) {
		o.Artifacts.Retry = artifacts.RetryPolicy{For: 2 * time.Second}
	})
	// No directory to write into (a file in its way): every write fails.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(dir) })

	created := createRequest(t, "store-broken", imagesv1alpha1.ImageRequestSpec{Prompt: "cannot be stored", Size: "256x256"})
	ir := waitTerminal(t, created)
	if ir.Status.Phase != imagesv1alpha1.PhaseFailed || ir.Status.Reason != imagesv1alpha1.ReasonStorageError ||
		!strings.Contains(ir.Status.Message, "paid") || !strings.Contains(ir.Status.Message, "file") {
		t.Fatalf("phase=%s reason=%s (%s), want Failed StorageError naming the backend and the payment", ir.Status.Phase, ir.Status.Reason, ir.Status.Message)
	}
	if calls := sim.CallsForPrompt(created.Spec.Prompt); len(calls) != 1 || ir.Status.Attempts != 1 || ir.Status.EstimatedCostUSD == "" {
		t.Errorf("upstream calls %d, attempts %d, cost %q, want 1, 1 and the cost", len(calls), ir.Status.Attempts, ir.Status.EstimatedCostUSD)
	}
}

func encodePNG(t *testing.T, side int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// markRunning sets the request's status as a manager does when it records
// an attempt, while no manager runs.
func markRunning(t *testing.T, ir *imagesv1alpha1.ImageRequest, attempts int32) {
	t.Helper()
	var cur imagesv1alpha1.ImageRequest
	if err := k8sClient.Get(context.Background(), clientKey(ir), &cur); err != nil {
		t.Fatal(err)
	}
	base := cur.DeepCopy()
	now := metav1.Now()
	cur.Status.Phase = imagesv1alpha1.PhaseRunning
	cur.Status.Attempts = attempts
	cur.Status.StartTime = &now
	cur.Status.LastAttemptTime = &now
	if err := k8sClient.Status().Patch(context.Background(), &cur, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
}
