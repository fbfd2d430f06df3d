package controllers

import (
	"math"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagecheck"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// reasonFor maps an upstream failure to status.reason.
func reasonFor(e *upstream.Error) string {
	switch e.Kind {
	case upstream.KindRateLimited:
		return imagesv1alpha1.ReasonRateLimited
	case upstream.KindQuota:
		return imagesv1alpha1.ReasonQuotaExceeded
	case upstream.KindContentPolicy:
		return imagesv1alpha1.ReasonContentPolicy
	case upstream.KindModelUnavailable:
		return imagesv1alpha1.ReasonModelUnavailable
	case upstream.KindAuth:
		return imagesv1alpha1.ReasonUnauthorized
	case upstream.KindInvalidRequest:
		switch e.Param {
		case imagecheck.FieldImage:
			return imagesv1alpha1.ReasonInvalidImage
		case imagecheck.FieldMask:
			return imagesv1alpha1.ReasonInvalidMask
		}
		return imagesv1alpha1.ReasonInvalidRequest
	}
	if e.NeverSent {
		return imagesv1alpha1.ReasonUpstreamUnreachable
	}
	return imagesv1alpha1.ReasonUpstreamError
}

// failureOf is status.lastFailure for attempt's upstream error: the cause
// as data, so no client parses it out of status.message.
func failureOf(attempt int32, e *upstream.Error, now time.Time) *imagesv1alpha1.AttemptFailure {
	f := &imagesv1alpha1.AttemptFailure{
		Attempt:    attempt,
		Reason:     reasonFor(e),
		HTTPStatus: int32(e.StatusCode),
		Code:       e.Code,
		Time:       metav1.NewTime(now),
	}
	if e.RetryAfter > 0 {
		secs := int32(math.Ceil(e.RetryAfter.Seconds()))
		f.RetryAfterSeconds = &secs
	}
	return f
}

// backoff is base·2^(attempt-1), capped.
func backoff(attempt int32, base, maxDelay time.Duration) time.Duration {
	d := base
	for i := int32(1); i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	return min(d, maxDelay)
}

// ceilSecond rounds t up to a whole second: status times hold whole
// seconds, and a retry time rounded down would let a restarted manager
// call before the upstream said it may.
func ceilSecond(t time.Time) time.Time {
	if tr := t.Truncate(time.Second); !tr.Equal(t) {
		return tr.Add(time.Second)
	}
	return t
}
