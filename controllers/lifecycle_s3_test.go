package controllers_test

import (
	"slices"
	"testing"
	"time"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/manager"
)

// TestArtifactsS3Lifecycle: on a real S3 server, with the manager's own
// sweep running (every 300 ms, 3 s grace): an orphaned result survives its
// grace, then is swept; a live request's results and a deleted keep-
// annotated request's results are not; deleting the live request deletes
// its results.
func TestArtifactsS3Lifecycle(t *testing.T) {
	begin(t)
	srv := useS3(t)
	const grace = 3 * time.Second
	runManagerWithStore(t, srv.BucketURL(), artifacts.URLModePresigned, func(o *manager.Options) {
		o.Artifacts.SweepInterval = 300 * time.Millisecond
		o.Artifacts.SweepMinAge = grace
	})
	store := openStore(t, srv.BucketURL())

	live := waitTerminal(t, createRequest(t, "life-s3-live", imagesv1alpha1.ImageRequestSpec{Prompt: "alive in S3", Size: "256x256"}))
	kept := waitTerminal(t, createWith(t, "life-s3-kept", map[string]string{imagesv1alpha1.AnnotationKeepArtifacts: "true"}, nil,
		imagesv1alpha1.ImageRequestSpec{Prompt: "kept in S3", Size: "256x256"}))
	liveKeys, keptKeys := keysUnder(t, store, resultsPrefix(live)), keysUnder(t, store, resultsPrefix(kept))
	if live.Status.Phase != imagesv1alpha1.PhaseSucceeded || kept.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(liveKeys) != 2 || len(keptKeys) != 2 {
		t.Fatalf("live %s %v, kept %s %v; want both Succeeded with an image and a manifest", live.Status.Phase, liveKeys, kept.Status.Phase, keptKeys)
	}
	deleteRequest(t, kept)
	waitGone(t, kept)

	ghost := artifacts.Ref{Namespace: "default", Name: "life-s3-ghost", UID: "0c7e1a3e-0000-4000-8000-000000000002"}
	planted := time.Now()
	objs, err := store.PutResult(t.Context(), ghost, 1, [][]byte{pngtest.PNG(16, 16, false, false)}, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	orphan := objs[0].Key
	time.Sleep(grace / 3) // a few sweeps run meanwhile
	if !exists(t, store, orphan) {
		t.Fatalf("the orphan was swept %s after it was written, within its %s grace", time.Since(planted), grace)
	}
	localenv.Eventually(t, "the orphaned result swept", func() bool { return !exists(t, store, orphan) })
	if since := time.Since(planted); since < grace {
		t.Errorf("swept after %s, before its %s grace", since, grace)
	}
	if got := keysUnder(t, store, resultsPrefix(live)); !slices.Equal(got, liveKeys) {
		t.Errorf("live request's results after the sweep: %v, want %v", got, liveKeys)
	}
	wantKept := append(slices.Clone(keptKeys), artifacts.KeepMarkerKey(resultsPrefix(kept)))
	slices.Sort(wantKept)
	if got := keysUnder(t, store, resultsPrefix(kept)); !slices.Equal(got, wantKept) {
		t.Errorf("kept request's objects after the sweep: %v, want %v", got, wantKept)
	}

	deleteRequest(t, live)
	waitGone(t, live)
	if got := keysUnder(t, store, resultsPrefix(live)); len(got) != 0 {
		t.Errorf("left after deleting the live request: %v", got)
	}
}

// TestArtifactsS3OutageDuringDeletion: while S3 is down, a deleted request
// waits for its cleanup, with a warning event and an error metric instead
// of silence; when S3 is back its objects are deleted and it goes.
func TestArtifactsS3OutageDuringDeletion(t *testing.T) {
	begin(t)
	srv := useS3(t)
	runManagerWithStore(t, srv.BucketURL(), artifacts.URLModePresigned)
	store := openStore(t, srv.BucketURL())

	ir := waitTerminal(t, createRequest(t, "life-s3-outage", imagesv1alpha1.ImageRequestSpec{Prompt: "deleted during an outage", Size: "256x256"}))
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(keysUnder(t, store, resultsPrefix(ir))) != 2 {
		t.Fatalf("phase %s, stored %v", ir.Status.Phase, keysUnder(t, store, resultsPrefix(ir)))
	}
	errorsBefore := metricValue(t, "imagegen_artifact_cleanup_errors_total", map[string]string{"backend": "s3", "stage": "delete"})
	srv.Stop()
	deleteRequest(t, ir)
	localenv.Eventually(t, "a cleanup failure event", func() bool {
		return slices.Contains(eventReasons(t, ir.UID), "ArtifactCleanupFailed")
	})
	if got := metricValue(t, "imagegen_artifact_cleanup_errors_total", map[string]string{"backend": "s3", "stage": "delete"}); got <= errorsBefore {
		t.Errorf("cleanup errors metric %v, want above %v", got, errorsBefore)
	}
	still := waitFor(t, ir, "still there", func(*imagesv1alpha1.ImageRequest) bool { return true })
	if still.DeletionTimestamp.IsZero() || !slices.Contains(still.Finalizers, imagesv1alpha1.FinalizerArtifacts) {
		t.Fatalf("during the outage: deletionTimestamp %v finalizers %v, want deleting and held", still.DeletionTimestamp, still.Finalizers)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, ir)
	if got := keysUnder(t, store, resultsPrefix(ir)); len(got) != 0 {
		t.Errorf("left after the deletion: %v", got)
	}
}
