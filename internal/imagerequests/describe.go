package imagerequests

import (
	"fmt"
	"strings"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// PhaseOf is the request's phase, Pending before the controller set one.
func PhaseOf(ir *imagesv1alpha1.ImageRequest) imagesv1alpha1.Phase {
	if ir.Status.Phase == "" {
		return imagesv1alpha1.PhasePending
	}
	return ir.Status.Phase
}

// Describe is one line about where a request is, for progress
// notifications and the answers of calls still waiting.
func Describe(ir *imagesv1alpha1.ImageRequest) string {
	st := ir.Status
	phase := PhaseOf(ir)
	var b strings.Builder
	fmt.Fprintf(&b, "ImageRequest %s/%s is %s", ir.Namespace, ir.Name, phase)
	if st.Attempts > 0 {
		fmt.Fprintf(&b, " (attempt %d)", st.Attempts)
	}
	switch {
	case phase == imagesv1alpha1.PhaseSucceeded:
		fmt.Fprintf(&b, ": %d image(s) ready", len(st.Images))
	case st.Reason != "" && st.Reason != imagesv1alpha1.ReasonAccepted:
		fmt.Fprintf(&b, ": %s", st.Reason)
		if st.Message != "" {
			fmt.Fprintf(&b, ": %s", st.Message)
		}
	case phase == imagesv1alpha1.PhasePending && st.Attempts == 0:
		b.WriteString(": waiting for the controller")
	case phase == imagesv1alpha1.PhaseRunning:
		b.WriteString(": the upstream is painting")
	}
	return b.String()
}
