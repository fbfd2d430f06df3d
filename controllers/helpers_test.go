package controllers_test

import (
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
