package rest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"k8s.io/utils/ptr"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// TestRateLimitFromLastFailure: a request whose attempts ran out is a 429
// when its last attempt was rate-limited (status.lastFailure, not words in
// the message), with the upstream's Retry-After.
func TestRateLimitFromLastFailure(t *testing.T) {
	failed := func(lf *imagesv1alpha1.AttemptFailure, message string) *imagesv1alpha1.ImageRequest {
		ir := &imagesv1alpha1.ImageRequest{}
		ir.Namespace, ir.Name = "ns", "generate-x"
		ir.Status = imagesv1alpha1.ImageRequestStatus{Phase: imagesv1alpha1.PhaseFailed, Reason: imagesv1alpha1.ReasonAttemptsExhausted, Message: message, LastFailure: lf}
		return ir
	}
	cases := map[string]struct {
		ir         *imagesv1alpha1.ImageRequest
		status     int
		retryAfter string
	}{
		"rate-limited last": {ir: failed(&imagesv1alpha1.AttemptFailure{Reason: imagesv1alpha1.ReasonRateLimited, HTTPStatus: 429, RetryAfterSeconds: ptr.To[int32](7)}, "x"),
			status: http.StatusTooManyRequests, retryAfter: "7"},
		"rate-limited, no Retry-After": {ir: failed(&imagesv1alpha1.AttemptFailure{Reason: imagesv1alpha1.ReasonRateLimited}, "x"),
			status: http.StatusTooManyRequests, retryAfter: "60"},
		"server error last, 429 in the words": {ir: failed(&imagesv1alpha1.AttemptFailure{Reason: "UpstreamError", HTTPStatus: 500}, "attempt 1: HTTP 429 RateLimited"),
			status: http.StatusBadGateway},
	}
	h := &Handler{}
	for name, tc := range cases {
		rec := httptest.NewRecorder()
		h.writeOutcome(rec, imagerequests.Outcome{Request: tc.ir}, generateFields)
		if rec.Code != tc.status || rec.Header().Get("Retry-After") != tc.retryAfter {
			t.Errorf("%s: HTTP %d Retry-After %q, want %d %q", name, rec.Code, rec.Header().Get("Retry-After"), tc.status, tc.retryAfter)
		}
	}
}
