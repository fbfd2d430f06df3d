package controllers_test

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func clientKey(obj client.Object) client.ObjectKey { return client.ObjectKeyFromObject(obj) }

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }

func ptrTo[T any](v T) *T { return &v }

// dryRunAll asks the API server to admit but not store.
type dryRunAll struct{}

func (dryRunAll) ApplyToCreate(o *client.CreateOptions) { o.DryRun = []string{metav1.DryRunAll} }

func createUnstructured(t *testing.T, obj map[string]any) error {
	t.Helper()
	u := &unstructured.Unstructured{Object: obj}
	return k8sClient.Create(t.Context(), u, dryRunAll{})
}

func objectMeta(u *unstructured.Unstructured) *metav1.ObjectMeta {
	return &metav1.ObjectMeta{Name: u.GetName(), Namespace: u.GetNamespace()}
}

// deleteAtCleanup removes obj when the test ends, so the suite can run
// again in the same control plane (go test -count=N).
func deleteAtCleanup(t *testing.T, obj client.Object) {
	t.Cleanup(func() {
		if err := k8sClient.Delete(context.Background(), obj); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting %s: %v", obj.GetName(), err)
		}
	})
}

// begin starts a test from a clean simulator: counters, call log and
// faults of earlier tests (or earlier -count runs) don't leak in.
func begin(t *testing.T) {
	t.Helper()
	sim.Reset()
}
