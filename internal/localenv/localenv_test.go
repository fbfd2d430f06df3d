package localenv

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/manager"
)

// TestControlPlaneSmoke proves the toolchain: the API server built from
// source starts, stores an object, and serves the ImageRequest CRD with its
// defaults applied.
func TestControlPlaneSmoke(t *testing.T) {
	cp, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Error(err)
		}
	})
	c, err := client.New(cp.Config, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "smoke", Namespace: "default"}, Data: map[string]string{"k": "v"}}
	if err := c.Create(ctx, cm); err != nil {
		t.Fatalf("creating ConfigMap: %v", err)
	}
	var got corev1.ConfigMap
	if err := c.Get(ctx, client.ObjectKeyFromObject(cm), &got); err != nil {
		t.Fatalf("reading ConfigMap: %v", err)
	}
	if got.Data["k"] != "v" {
		t.Fatalf("ConfigMap data = %v, want k=v", got.Data)
	}

	ir := &imagesv1alpha1.ImageRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "smoke", Namespace: "default"},
		Spec:       imagesv1alpha1.ImageRequestSpec{Prompt: "a lighthouse"},
	}
	if err := c.Create(ctx, ir); err != nil {
		t.Fatalf("creating ImageRequest: %v", err)
	}
	if ir.Spec.Operation != imagesv1alpha1.OperationGenerate || ir.Spec.N != 1 || ir.Spec.Size != "1024x1024" || ir.Spec.Model != "dall-e-2" {
		t.Fatalf("defaults not applied: %+v", ir.Spec)
	}
}
