package controllers

import (
	"slices"
	"testing"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// TestIndexInputRefs: every ConfigMap and Secret an edit reads is indexed,
// additional images included, so the one that appears last wakes the
// request; artifact-store inputs are not (nothing watches the bucket), and
// an object read twice is indexed once.
func TestIndexInputRefs(t *testing.T) {
	cm := func(name string) *imagesv1alpha1.ImageSource {
		return &imagesv1alpha1.ImageSource{ConfigMapKeyRef: &imagesv1alpha1.KeyReference{Name: name, Key: "k"}}
	}
	secret := func(name string) *imagesv1alpha1.ImageSource {
		return &imagesv1alpha1.ImageSource{SecretKeyRef: &imagesv1alpha1.KeyReference{Name: name, Key: "k"}}
	}
	ir := &imagesv1alpha1.ImageRequest{Spec: imagesv1alpha1.ImageRequestSpec{
		Operation: imagesv1alpha1.OperationEdit,
		Image:     cm("first"),
		Mask:      secret("mask"),
		AdditionalImages: []imagesv1alpha1.ImageSource{
			*cm("first"), *secret("extra"), *cm("later"),
			{ArtifactRef: &imagesv1alpha1.ArtifactReference{Key: "uploads/default/x.png"}},
		},
	}}
	got := indexInputRefs(ir)
	slices.Sort(got)
	want := []string{"ConfigMap/first", "ConfigMap/later", "Secret/extra", "Secret/mask"}
	if !slices.Equal(got, want) {
		t.Fatalf("indexInputRefs = %v, want %v", got, want)
	}
}
