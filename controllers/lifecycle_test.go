package controllers_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/controllers"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// createWith creates an ImageRequest with the given annotations and
// finalizers, as the front door does.
func createWith(t *testing.T, name string, annotations map[string]string, finalizers []string, spec imagesv1alpha1.ImageRequestSpec) *imagesv1alpha1.ImageRequest {
	t.Helper()
	ir := &imagesv1alpha1.ImageRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Annotations: annotations, Finalizers: finalizers},
		Spec:       spec,
	}
	if err := k8sClient.Create(t.Context(), ir); err != nil {
		t.Fatalf("creating ImageRequest %s: %v", name, err)
	}
	deleteAtCleanup(t, ir)
	return ir
}

func keyRef(key string) *imagesv1alpha1.ImageSource {
	return &imagesv1alpha1.ImageSource{ArtifactRef: &imagesv1alpha1.ArtifactReference{Key: key}}
}

// TestArtifactsDeleteRemovesObjects: a request created without the
// finalizer (as kubectl does) gets it; deleting the Succeeded request
// deletes its stored objects, and then the request goes.
func TestArtifactsDeleteRemovesObjects(t *testing.T) {
	begin(t)
	bucket := fileBucket(t)
	runManagerWithStore(t, bucket, artifacts.URLModeOperator)
	store := openStore(t, bucket)

	ir := waitTerminal(t, createRequest(t, "life-delete", imagesv1alpha1.ImageRequestSpec{Prompt: "deleted with its objects", N: 2, Size: "256x256"}))
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || !slices.Contains(ir.Finalizers, imagesv1alpha1.FinalizerArtifacts) {
		t.Fatalf("phase %s finalizers %v, want Succeeded with %s", ir.Status.Phase, ir.Finalizers, imagesv1alpha1.FinalizerArtifacts)
	}
	if keys := keysUnder(t, store, resultsPrefix(ir)); len(keys) != 3 { // 2 images and the manifest
		t.Fatalf("stored before deletion: %v, want 2 images and a manifest", keys)
	}
	deleteRequest(t, ir)
	waitGone(t, ir)
	if keys := keysUnder(t, store, resultsPrefix(ir)); len(keys) != 0 {
		t.Errorf("left after deletion: %v", keys)
	}
}

// TestArtifactsTTLDeletesObjects: the TTL deletion goes through the
// finalizer too.
func TestArtifactsTTLDeletesObjects(t *testing.T) {
	begin(t)
	bucket := fileBucket(t)
	runManagerWithStore(t, bucket, artifacts.URLModeOperator)
	store := openStore(t, bucket)

	created := createRequest(t, "life-ttl", imagesv1alpha1.ImageRequestSpec{Prompt: "gone after a second", Size: "256x256", TTLSecondsAfterFinished: ptrTo[int32](1)})
	ir := waitTerminal(t, created)
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(keysUnder(t, store, resultsPrefix(ir))) != 2 {
		t.Fatalf("phase %s, stored %v; want Succeeded with an image and a manifest", ir.Status.Phase, keysUnder(t, store, resultsPrefix(ir)))
	}
	waitGone(t, ir)
	if keys := keysUnder(t, store, resultsPrefix(ir)); len(keys) != 0 {
		t.Errorf("left after the TTL deletion: %v", keys)
	}
}

// TestArtifactsKeepAnnotation: a request annotated keep-artifacts=true
// keeps its objects when deleted, behind a keep marker that the sweep
// honours even when everything is past its grace.
func TestArtifactsKeepAnnotation(t *testing.T) {
	begin(t)
	bucket := fileBucket(t)
	runManagerWithStore(t, bucket, artifacts.URLModeOperator)
	store := openStore(t, bucket)

	ir := waitTerminal(t, createWith(t, "life-keep", map[string]string{imagesv1alpha1.AnnotationKeepArtifacts: "true"}, nil,
		imagesv1alpha1.ImageRequestSpec{Prompt: "kept forever", Size: "256x256"}))
	before := keysUnder(t, store, resultsPrefix(ir))
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(before) != 2 {
		t.Fatalf("phase %s, stored %v", ir.Status.Phase, before)
	}
	deleteRequest(t, ir)
	waitGone(t, ir)
	after := keysUnder(t, store, resultsPrefix(ir))
	marker := artifacts.KeepMarkerKey(resultsPrefix(ir))
	if !slices.Contains(after, marker) || len(after) != 3 {
		t.Fatalf("after deletion: %v, want %v and %s", after, before, marker)
	}
	if got := eventReasons(t, ir.UID); !slices.Contains(got, "ArtifactsKept") {
		t.Errorf("events %v, want ArtifactsKept", got)
	}

	age(t, bucket, 2*time.Hour, after...)
	sweeper := &controllers.Sweeper{Reader: k8sClient, Store: store, MinAge: time.Hour, Log: log.Log}
	stats, err := sweeper.Sweep(t.Context())
	if err != nil || stats.Kept != 2 || stats.Deleted != 0 || !stats.PassComplete {
		t.Fatalf("sweep: %+v, %v; want the 2 objects kept, none deleted", stats, err)
	}
	if got := keysUnder(t, store, resultsPrefix(ir)); !slices.Equal(got, after) {
		t.Errorf("after the sweep: %v, want %v", got, after)
	}
}

// TestArtifactsEditInputsDeletedOnFinish: an edit whose input the front
// door uploaded under inputs/<ns>/<name>/<upload-id>/ loses that input as
// soon as it finishes, while an input it merely references (an earlier
// request's result) stays, on finish and on deletion.
//
// Reading edit inputs from artifactRef is another branch's work: here the
// edit may fail before its call (the controller does not read the ref
// yet); either way it finishes, which is what triggers the deletion. If it
// succeeds, its results must stay until it is deleted.
func TestArtifactsEditInputsDeletedOnFinish(t *testing.T) {
	begin(t)
	bucket := fileBucket(t)
	runManagerWithStore(t, bucket, artifacts.URLModeOperator)
	store := openStore(t, bucket)

	earlier := waitTerminal(t, createRequest(t, "life-earlier", imagesv1alpha1.ImageRequestSpec{Prompt: "to be edited", Size: "256x256"}))
	if earlier.Status.Phase != imagesv1alpha1.PhaseSucceeded {
		t.Fatalf("earlier request: %s %s", earlier.Status.Phase, earlier.Status.Message)
	}
	earlierKey, err := store.KeyFromURI(earlier.Status.Images[0].URI)
	if err != nil {
		t.Fatal(err)
	}

	const name = "life-edit"
	upload := artifacts.Ref{Namespace: "default", Name: name, UID: "upload-7f3a"}
	in, err := store.PutInput(t.Context(), upload, artifacts.FieldImage, bytes.NewReader(pngtest.PNG(256, 256, true, true)), 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	edit := waitTerminal(t, createWith(t, name, nil, []string{imagesv1alpha1.FinalizerArtifacts}, imagesv1alpha1.ImageRequestSpec{
		Operation: imagesv1alpha1.OperationEdit, Prompt: "paint the hole", Size: "256x256",
		Image: keyRef(in.Key), Mask: keyRef(earlierKey),
	}))
	t.Logf("edit finished %s (%s)", edit.Status.Phase, edit.Status.Reason)
	waitFor(t, edit, "its uploaded input deleted", func(*imagesv1alpha1.ImageRequest) bool { return !exists(t, store, in.Key) })
	if !exists(t, store, earlierKey) {
		t.Fatalf("the earlier request's result %s it referenced was deleted", earlierKey)
	}
	results := keysUnder(t, store, resultsPrefix(edit))
	if edit.Status.Phase == imagesv1alpha1.PhaseSucceeded && len(results) == 0 {
		t.Errorf("the succeeded edit's results are gone on finish")
	}

	deleteRequest(t, edit)
	waitGone(t, edit)
	if !exists(t, store, earlierKey) {
		t.Errorf("deleting the edit deleted the earlier request's result %s", earlierKey)
	}
	if left := keysUnder(t, store, resultsPrefix(edit)); len(left) != 0 {
		t.Errorf("the edit's results left after its deletion: %v", left)
	}
}

// TestArtifactsKeptEditKeepsInputs: with keep-artifacts=true the uploaded
// input survives the finish and the deletion, under its own keep marker.
func TestArtifactsKeptEditKeepsInputs(t *testing.T) {
	begin(t)
	bucket := fileBucket(t)
	runManagerWithStore(t, bucket, artifacts.URLModeOperator)
	store := openStore(t, bucket)

	const name = "life-edit-keep"
	upload := artifacts.Ref{Namespace: "default", Name: name, UID: "upload-1"}
	in, err := store.PutInput(t.Context(), upload, artifacts.FieldImage, bytes.NewReader(pngtest.PNG(256, 256, true, true)), 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	edit := waitTerminal(t, createWith(t, name, map[string]string{imagesv1alpha1.AnnotationKeepArtifacts: "true"}, []string{imagesv1alpha1.FinalizerArtifacts},
		imagesv1alpha1.ImageRequestSpec{Operation: imagesv1alpha1.OperationEdit, Prompt: "keep my upload", Size: "256x256", Image: keyRef(in.Key)}))
	deleteRequest(t, edit)
	waitGone(t, edit)
	inputs := keysUnder(t, store, artifacts.RequestPrefix(artifacts.InputsPrefix, upload))
	if !slices.Equal(inputs, []string{in.Key, artifacts.KeepMarkerKey(artifacts.RequestPrefix(artifacts.InputsPrefix, upload))}) {
		t.Errorf("inputs after finish and deletion: %v, want the upload and its keep marker", inputs)
	}
}

// TestArtifactsSweep: the sweep deletes objects past the grace that no
// request owns (a result, an upload whose request never came), leaves a
// fresh orphan, live requests' results and inputs, and covers the bucket
// in bounded runs.
func TestArtifactsSweep(t *testing.T) {
	begin(t)
	bucket := fileBucket(t)
	runManagerWithStore(t, bucket, artifacts.URLModeOperator)
	store := openStore(t, bucket)
	ctx := t.Context()

	live := waitTerminal(t, createRequest(t, "life-sweep-live", imagesv1alpha1.ImageRequestSpec{Prompt: "alive", Size: "256x256"}))
	liveResults := keysUnder(t, store, resultsPrefix(live))
	if live.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(liveResults) != 2 {
		t.Fatalf("live request: %s, %v", live.Status.Phase, liveResults)
	}
	png := pngtest.PNG(16, 16, true, false)
	put := func(ref artifacts.Ref) string {
		obj, err := store.PutInput(ctx, ref, artifacts.FieldImage, bytes.NewReader(png), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		return obj.Key
	}
	// A live request's input under its own UID.
	liveInput := put(artifacts.Ref{Namespace: "default", Name: live.Name, UID: string(live.UID)})
	// Orphans: a result of a request that is gone, and uploads whose request never came.
	ghost := artifacts.Ref{Namespace: "default", Name: "life-sweep-ghost", UID: "0c7e1a3e-0000-4000-8000-000000000001"}
	ghostResults, err := store.PutResult(ctx, ghost, 1, [][]byte{png}, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	oldUpload := put(artifacts.Ref{Namespace: "default", Name: "life-sweep-never", UID: "upload-old"})
	// Same name and namespace as the live request, another upload ID nobody references.
	strayUpload := put(artifacts.Ref{Namespace: "default", Name: live.Name, UID: "upload-stray"})
	freshUpload := put(artifacts.Ref{Namespace: "default", Name: "life-sweep-soon", UID: "upload-fresh"})
	orphans := []string{ghostResults[0].Key, artifacts.ManifestKey(ghost, 1), oldUpload, strayUpload}
	age(t, bucket, 2*time.Hour, append(append([]string{liveInput}, liveResults...), orphans...)...)

	sweptBefore := metricValue(t, "imagegen_artifact_swept_objects_total", map[string]string{"backend": "file", "kind": "inputs"})
	// Bounded runs: 3 objects each, 8 objects in all.
	sweeper := &controllers.Sweeper{Reader: k8sClient, Store: store, MinAge: time.Hour, MaxObjects: 3, Log: log.Log}
	var total controllers.SweepStats
	for run := 1; ; run++ {
		stats, err := sweeper.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stats.Listed > 3 {
			t.Fatalf("run %d listed %d objects, bound is 3", run, stats.Listed)
		}
		total.Listed += stats.Listed
		total.Deleted += stats.Deleted
		if stats.PassComplete {
			break
		}
		if run == 5 {
			t.Fatalf("no complete pass after %d runs", run)
		}
	}
	if total.Listed != 8 || total.Deleted != 4 {
		t.Errorf("one pass listed %d and deleted %d, want 8 and 4", total.Listed, total.Deleted)
	}
	for _, key := range orphans {
		if exists(t, store, key) {
			t.Errorf("orphan %s not swept", key)
		}
	}
	for _, key := range append([]string{liveInput, freshUpload}, liveResults...) {
		if !exists(t, store, key) {
			t.Errorf("%s was swept", key)
		}
	}
	if got := metricValue(t, "imagegen_artifact_swept_objects_total", map[string]string{"backend": "file", "kind": "inputs"}); got-sweptBefore != 2 {
		t.Errorf("swept inputs metric went up by %v, want 2", got-sweptBefore)
	}
	if got := metricValue(t, "imagegen_artifact_bucket_objects", map[string]string{"backend": "file", "kind": "results"}); got != 4 {
		t.Errorf("results in the bucket as of the pass: %v, want 4 (2 live, 2 orphaned)", got)
	}
	if got := metricValue(t, "imagegen_artifact_last_sweep_timestamp_seconds", map[string]string{"backend": "file"}); time.Since(time.Unix(int64(got), 0)) > time.Minute {
		t.Errorf("last sweep time %v, want about now", got)
	}
}

// TestArtifactsNoStoreRemovesLeftoverFinalizer: a manager without a store
// (restarted without --artifact-bucket) does not block the deletion of a
// request that carries the finalizer: it removes it, with a warning.
func TestArtifactsNoStoreRemovesLeftoverFinalizer(t *testing.T) {
	begin(t)
	ir := waitTerminal(t, createWith(t, "life-no-store", nil, []string{imagesv1alpha1.FinalizerArtifacts},
		imagesv1alpha1.ImageRequestSpec{Prompt: "no store here", Size: "256x256"}))
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || ir.Status.Images[0].URI != "" {
		t.Fatalf("phase %s, image %+v; want Succeeded with the upstream's URL", ir.Status.Phase, ir.Status.Images)
	}
	deleteRequest(t, ir)
	waitGone(t, ir)
	if got := eventReasons(t, ir.UID); !slices.Contains(got, "ArtifactsNotDeleted") {
		t.Errorf("events %v, want ArtifactsNotDeleted", got)
	}
}
