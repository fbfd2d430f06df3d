package controllers_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/localenv"
)

// openStore opens the bucket a test's manager uses, to look at (and plant)
// objects the way an operator with bucket access would.
func openStore(t *testing.T, bucket string) *artifacts.Store {
	t.Helper()
	s, err := artifacts.Open(t.Context(), bucket, artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fileDir is the directory of a file:// bucket.
func fileDir(bucket string) string {
	return filepath.FromSlash(strings.TrimPrefix(bucket, "file://"))
}

// keysUnder lists the keys under prefix.
func keysUnder(t *testing.T, s *artifacts.Store, prefix string) []string {
	t.Helper()
	keys, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// resultsPrefix is the prefix of ir's results.
func resultsPrefix(ir *imagesv1alpha1.ImageRequest) string {
	return artifacts.RequestPrefix(artifacts.ResultsPrefix, artifacts.Ref{Namespace: ir.Namespace, Name: ir.Name, UID: string(ir.UID)})
}

// exists reports whether key is in the store.
func exists(t *testing.T, s *artifacts.Store, key string) bool {
	t.Helper()
	return slices.Contains(keysUnder(t, s, key), key)
}

// waitGone waits until the ImageRequest no longer exists.
func waitGone(t *testing.T, ir *imagesv1alpha1.ImageRequest) {
	t.Helper()
	var got imagesv1alpha1.ImageRequest
	localenv.Eventually(t, ir.Name+": deleted", func() bool {
		return isNotFound(k8sClient.Get(context.Background(), clientKey(ir), &got))
	}, func() string { return "finalizers: " + strings.Join(got.Finalizers, ",") })
}

// deleteRequest deletes ir (its finalizer then runs).
func deleteRequest(t *testing.T, ir *imagesv1alpha1.ImageRequest) {
	t.Helper()
	uid := ir.UID
	if err := k8sClient.Delete(context.Background(), ir, client.Preconditions{UID: &uid}); err != nil {
		t.Fatalf("deleting %s: %v", ir.Name, err)
	}
}

// eventReasons are the reasons of the events recorded about the object
// with uid.
func eventReasons(t *testing.T, uid types.UID) []string {
	t.Helper()
	var list eventsv1.EventList
	if err := k8sClient.List(context.Background(), &list, client.InNamespace("default")); err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, e := range list.Items {
		if e.Regarding.UID == uid {
			reasons = append(reasons, e.Reason)
		}
	}
	return reasons
}

// metricValue reads a counter or gauge of the controller-runtime registry
// with the given labels; 0 when it has not been set yet.
func metricValue(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if matches(m, labels) {
				if c := m.GetCounter(); c != nil {
					return c.GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

func matches(m *dto.Metric, labels map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if want, ok := labels[l.GetName()]; ok {
			if l.GetValue() != want {
				return false
			}
			n++
		}
	}
	return n == len(labels)
}

// age sets the modification time of objects of a file:// bucket, so a
// test need not wait out the sweep's grace.
func age(t *testing.T, bucket string, by time.Duration, keys ...string) {
	t.Helper()
	when := time.Now().Add(-by)
	for _, key := range keys {
		if err := chtimes(filepath.Join(fileDir(bucket), filepath.FromSlash(key)), when); err != nil {
			t.Fatal(err)
		}
	}
}

func chtimes(path string, when time.Time) error { return os.Chtimes(path, when, when) }
