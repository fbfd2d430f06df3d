// Package v1alpha1 contains the images.imagegen.dev/v1alpha1 API: ImageRequest,
// a one-shot request for generated or edited images.
// +kubebuilder:object:generate=true
// +groupName=images.imagegen.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version used to register these objects.
	GroupVersion = schema.GroupVersion{Group: "images.imagegen.dev", Version: "v1alpha1"}

	// SchemeBuilder adds this group-version's types to a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types in this group-version to the given scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &ImageRequest{}, &ImageRequestList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
