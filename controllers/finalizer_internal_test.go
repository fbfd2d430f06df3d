package controllers

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
)

// TestFinalizeGivesUpOnlyWhenNothingIsKept: with a store that fails, a
// deleted request is held (the error requeues it with backoff) until
// finalizerGiveUpAfter, then let go with a warning, its objects left to the
// sweep; a keep-annotated one is held on, since the sweep would delete
// objects that have no keep marker.
func TestFinalizeGivesUpOnlyWhenNothingIsKept(t *testing.T) {
	deleted := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		keep     bool
		after    time.Duration
		wantGone bool
		wantErr  bool
		event    string
	}{
		"failing, early":          {after: time.Minute, wantErr: true, event: "ArtifactCleanupFailed"},
		"failing, past the limit": {after: finalizerGiveUpAfter, wantGone: true, event: "ArtifactsLeftForSweep"},
		"kept, past the limit":    {keep: true, after: time.Hour, wantErr: true, event: "ArtifactCleanupFailed"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			// A closed bucket fails every operation.
			store, err := artifacts.Open(ctx, "file://"+t.TempDir(), artifacts.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_ = store.Close()

			ir := &imagesv1alpha1.ImageRequest{ObjectMeta: metav1.ObjectMeta{
				Name: "r", Namespace: "default", UID: "u-1",
				Finalizers:        []string{imagesv1alpha1.FinalizerArtifacts},
				DeletionTimestamp: &metav1.Time{Time: deleted},
			}}
			if tc.keep {
				ir.Annotations = map[string]string{imagesv1alpha1.AnnotationKeepArtifacts: "true"}
			}
			scheme := runtime.NewScheme()
			if err := imagesv1alpha1.AddToScheme(scheme); err != nil {
				t.Fatal(err)
			}
			c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(ir).Build()
			rec := events.NewFakeRecorder(10)
			r := &ImageRequestReconciler{
				Client: c, Recorder: rec, Clock: clocktesting.NewFakePassiveClock(deleted.Add(tc.after)),
				Artifacts: &ArtifactStore{Store: store},
			}
			var got imagesv1alpha1.ImageRequest
			if err := c.Get(ctx, client.ObjectKeyFromObject(ir), &got); err != nil {
				t.Fatal(err)
			}
			_, err = r.finalize(ctx, &got)
			if (err != nil) != tc.wantErr {
				t.Fatalf("finalize error %v, want error %v", err, tc.wantErr)
			}
			err = c.Get(ctx, client.ObjectKeyFromObject(ir), &got)
			if gone := apierrors.IsNotFound(err); gone != tc.wantGone {
				t.Fatalf("request gone %v (%v), want %v; finalizers %v", gone, err, tc.wantGone, got.Finalizers)
			}
			close(rec.Events)
			var seen []string
			for e := range rec.Events {
				seen = append(seen, e)
			}
			if !slices.ContainsFunc(seen, func(e string) bool { return strings.HasPrefix(e, "Warning "+tc.event) }) {
				t.Errorf("events %q, want a Warning %s", seen, tc.event)
			}
		})
	}
}
