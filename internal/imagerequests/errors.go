package imagerequests

import (
	"errors"
	"fmt"
	"strings"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// InputError is a rule a call's input breaks, found before anything is
// created. Field is the input's name as the MCP tools spell it (the REST
// handlers rename it), Rule a word of the rule vocabulary (internal/rules).
type InputError struct {
	Field   string
	Rule    string
	Message string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("invalid %s (rule %s): %s", e.Field, e.Rule, e.Message)
}

// InputErrors are all the rules an input breaks.
type InputErrors []*InputError

func (es InputErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// AsInputErrors returns the input errors in err, if any.
func AsInputErrors(err error) InputErrors {
	var es InputErrors
	if errors.As(err, &es) {
		return es
	}
	var e *InputError
	if errors.As(err, &e) {
		return InputErrors{e}
	}
	return nil
}

// ForbiddenError says the caller may not do what they asked.
type ForbiddenError struct {
	User, Verb, Namespace, Name string
	Reason                      string
}

func (e *ForbiddenError) Error() string {
	target := "imagerequests." + imagesv1alpha1.GroupVersion.Group
	if e.Name != "" {
		target += fmt.Sprintf(" %q", e.Name)
	}
	msg := fmt.Sprintf("forbidden: user %q cannot %s %s in namespace %q", e.User, e.Verb, target, e.Namespace)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg + "; ask a cluster admin to bind the imagegen-user ClusterRole (or a Role granting it) in that namespace"
}
