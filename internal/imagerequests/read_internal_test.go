package imagerequests

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// TestGetRequestFallsBackToTheAPIServer: a request the cache has not seen
// yet (created a moment ago) is read from the API server, not reported
// missing; one that exists nowhere is still NotFound.
func TestGetRequestFallsBackToTheAPIServer(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := imagesv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	fresh := &imagesv1alpha1.ImageRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "generate-x"}}
	s := &Service{
		reader:    fake.NewClientBuilder().WithScheme(scheme).Build(),
		apiReader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(fresh).Build(),
	}
	ir, err := s.read(context.Background(), "team-a", "generate-x")
	if err != nil || ir.Name != "generate-x" {
		t.Fatalf("read(cache miss, API hit) = %v, %v; want the request", ir, err)
	}
	if _, err := s.read(context.Background(), "team-a", "missing"); !apierrors.IsNotFound(err) {
		t.Fatalf("read(missing) error = %v, want NotFound", err)
	}
}
