package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

func TestEventLevels(t *testing.T) {
	cases := map[string]struct {
		warningsOnly bool
		want         []string
	}{
		"all":      {want: []string{"Normal Accepted", "Warning Retrying"}},
		"warnings": {warningsOnly: true, want: []string{"Warning Retrying"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := events.NewFakeRecorder(10)
			r := &ImageRequestReconciler{Recorder: rec, Options: Options{WarningEventsOnly: tc.warningsOnly}}
			ir := &imagesv1alpha1.ImageRequest{}
			r.event(ir, corev1.EventTypeNormal, "Accepted", "Call", "accepted")
			r.event(ir, corev1.EventTypeWarning, "Retrying", "Call", "retrying")
			close(rec.Events)
			var got []string
			for e := range rec.Events {
				got = append(got, e)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("events = %q, want %d starting %q", got, len(tc.want), tc.want)
			}
			for i, prefix := range tc.want {
				if len(got[i]) < len(prefix) || got[i][:len(prefix)] != prefix {
					t.Fatalf("event %d = %q, want prefix %q", i, got[i], prefix)
				}
			}
		})
	}
}
