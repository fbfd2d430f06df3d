package imagerequests

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

// ResolveNamespace picks the namespace of a call: the one named, else the
// caller's ServiceAccount namespace, else the server's default.
func (s *Service) ResolveNamespace(caller *Caller, namespace string) (string, error) {
	if namespace == "" && caller != nil {
		namespace = caller.ServiceAccountNamespace()
	}
	if namespace == "" {
		namespace = s.defaultNamespace
	}
	if namespace == "" {
		return "", &InputError{Field: "namespace", Rule: rules.Required, Message: "is required: the caller is not a ServiceAccount and the server has no default namespace"}
	}
	if err := ValidateNamespace(namespace); err != nil {
		return "", &InputError{Field: "namespace", Rule: rules.Pattern, Message: fmt.Sprintf("%q is not a namespace name: %v", namespace, err)}
	}
	return namespace, nil
}

// ValidateNamespace checks a namespace name.
func ValidateNamespace(ns string) error {
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}
