package controllers

import (
	"context"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
)

func artifactSource(key, uri string) *imagesv1alpha1.ImageSource {
	return &imagesv1alpha1.ImageSource{ArtifactRef: &imagesv1alpha1.ArtifactReference{Key: key, URI: uri}}
}

// TestOwnInputKeys: only inputs uploaded under the request's own namespace
// and name are its own; results, other requests' uploads and other
// buckets' objects are not.
func TestOwnInputKeys(t *testing.T) {
	dir := t.TempDir()
	store, err := artifacts.Open(context.Background(), "file://"+dir, artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	own := "inputs/team/edit/up-1/image.png"
	cases := map[string]struct {
		image, mask *imagesv1alpha1.ImageSource
		additional  []imagesv1alpha1.ImageSource
		want        []string
	}{
		// The front door's keys for additional images (image-<i>.<ext>):
		// they are the request's own too, so neither kept by the sweep as
		// unreferenced nor forgotten when the request finishes.
		"own additional images": {image: artifactSource(own, ""), mask: artifactSource("inputs/team/edit/up-1/mask.png", ""),
			additional: []imagesv1alpha1.ImageSource{*artifactSource("inputs/team/edit/up-1/image-1.webp", ""), *artifactSource("inputs/team/edit/up-1/image-2.jpg", "")},
			want:       []string{own, "inputs/team/edit/up-1/image-1.webp", "inputs/team/edit/up-1/image-2.jpg", "inputs/team/edit/up-1/mask.png"}},
		"own upload by key":          {image: artifactSource(own, ""), want: []string{own}},
		"own upload by URI":          {image: artifactSource("", store.URI(own)), want: []string{own}},
		"own image and mask":         {image: artifactSource(own, ""), mask: artifactSource("inputs/team/edit/up-1/mask.png", ""), want: []string{own, "inputs/team/edit/up-1/mask.png"}},
		"another request's result":   {image: artifactSource("results/team/earlier/uid/attempt-1/0.png", "")},
		"another request's upload":   {image: artifactSource("inputs/team/other/up-2/image.png", "")},
		"another namespace's upload": {image: artifactSource("inputs/other/edit/up-1/image.png", "")},
		"another bucket":             {image: artifactSource("", "s3://elsewhere/"+own)},
		"a keep marker":              {image: artifactSource("inputs/team/edit/up-1/keep.json", "")},
		"a ConfigMap":                {image: &imagesv1alpha1.ImageSource{ConfigMapKeyRef: &imagesv1alpha1.KeyReference{Name: "cm", Key: "k"}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ir := &imagesv1alpha1.ImageRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "edit"},
				Spec: imagesv1alpha1.ImageRequestSpec{Image: tc.image, Mask: tc.mask, AdditionalImages: tc.additional}}
			if got := ownInputKeys(store, ir); !slices.Equal(got, tc.want) {
				t.Errorf("ownInputKeys = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestFinishedInputsRetry: a failed deletion of a finished request's
// inputs is retried a bounded number of times, then left to the
// finalizer; a kept request's inputs are not touched at all.
func TestFinishedInputsRetry(t *testing.T) {
	ctx := context.Background()
	store, err := artifacts.Open(ctx, "file://"+t.TempDir(), artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = store.Close() // every operation fails
	r := &ImageRequestReconciler{Recorder: events.NewFakeRecorder(100), Artifacts: &ArtifactStore{Store: store}}
	ir := &imagesv1alpha1.ImageRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "edit", UID: "u"},
		Spec: imagesv1alpha1.ImageRequestSpec{Image: artifactSource("inputs/team/edit/up-1/image.png", "")}}

	if retry := r.deleteFinishedInputs(ctx, ir, 1); retry != inputCleanupRetryDelay {
		t.Fatalf("first failure: retry in %s, want %s", retry, inputCleanupRetryDelay)
	}
	if tries, ok := r.inputCleanupPending.Load(ir.UID); !ok || tries.(int) != 1 {
		t.Fatalf("pending %v %v, want 1 try recorded", tries, ok)
	}
	if retry := r.deleteFinishedInputs(ctx, ir, inputCleanupTries); retry != 0 {
		t.Errorf("last try: retry in %s, want none", retry)
	}
	if _, ok := r.inputCleanupPending.Load(ir.UID); ok {
		t.Error("still pending after the last try")
	}

	ir.Annotations = map[string]string{imagesv1alpha1.AnnotationKeepArtifacts: "true"}
	if retry := r.deleteFinishedInputs(ctx, ir, 1); retry != 0 {
		t.Errorf("kept request: retry in %s, want nothing attempted", retry)
	}
	if got := withRetry(ctrlResult(10*time.Minute), 30*time.Second).RequeueAfter; got != 30*time.Second {
		t.Errorf("withRetry kept %s, want the sooner 30s", got)
	}
}

func ctrlResult(after time.Duration) ctrl.Result { return ctrl.Result{RequeueAfter: after} }
