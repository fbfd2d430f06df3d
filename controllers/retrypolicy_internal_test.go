package controllers

import (
	"testing"
	"time"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

func TestReasonFor(t *testing.T) {
	cases := map[string]struct {
		err  upstream.Error
		want string
	}{
		"rate limited":          {upstream.Error{Kind: upstream.KindRateLimited, StatusCode: 429}, imagesv1alpha1.ReasonRateLimited},
		"insufficient quota":    {upstream.Error{Kind: upstream.KindQuota, Code: "insufficient_quota"}, imagesv1alpha1.ReasonQuotaExceeded},
		"content policy":        {upstream.Error{Kind: upstream.KindContentPolicy}, imagesv1alpha1.ReasonContentPolicy},
		"bad key":               {upstream.Error{Kind: upstream.KindAuth, StatusCode: 401}, imagesv1alpha1.ReasonUnauthorized},
		"image refused":         {upstream.Error{Kind: upstream.KindInvalidRequest, Param: "image"}, imagesv1alpha1.ReasonInvalidImage},
		"mask refused":          {upstream.Error{Kind: upstream.KindInvalidRequest, Param: "mask"}, imagesv1alpha1.ReasonInvalidMask},
		"model gone":            {upstream.Error{Kind: upstream.KindModelUnavailable, Code: "model_not_found"}, imagesv1alpha1.ReasonModelUnavailable},
		"other 400":             {upstream.Error{Kind: upstream.KindInvalidRequest, Param: "size"}, imagesv1alpha1.ReasonInvalidRequest},
		"500":                   {upstream.Error{Kind: upstream.KindServer, StatusCode: 500}, imagesv1alpha1.ReasonUpstreamError},
		"reset after sending":   {upstream.Error{Kind: upstream.KindNetwork}, imagesv1alpha1.ReasonUpstreamError},
		"never connected":       {upstream.Error{Kind: upstream.KindNetwork, NeverSent: true}, imagesv1alpha1.ReasonUpstreamUnreachable},
		"no key in the manager": {upstream.Error{Kind: upstream.KindConfig}, imagesv1alpha1.ReasonUpstreamError},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := reasonFor(&tc.err); got != tc.want {
				t.Fatalf("reasonFor(%+v) = %s, want %s", tc.err, got, tc.want)
			}
		})
	}
}

func TestFailureOf(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f := failureOf(2, &upstream.Error{Kind: upstream.KindRateLimited, StatusCode: 429, Code: "rate_limit_exceeded", RetryAfter: 1500 * time.Millisecond}, now)
	if f.Attempt != 2 || f.Reason != imagesv1alpha1.ReasonRateLimited || f.HTTPStatus != 429 || f.Code != "rate_limit_exceeded" ||
		f.RetryAfterSeconds == nil || *f.RetryAfterSeconds != 2 || !f.Time.Time.Equal(now) {
		t.Fatalf("failureOf = %+v, want attempt 2, RateLimited, 429, rate_limit_exceeded, retry after 2s (rounded up)", f)
	}
	if f := failureOf(1, &upstream.Error{Kind: upstream.KindServer, StatusCode: 500}, now); f.RetryAfterSeconds != nil {
		t.Fatalf("retryAfterSeconds = %d without a Retry-After", *f.RetryAfterSeconds)
	}
}

func TestBackoff(t *testing.T) {
	cases := map[string]struct {
		attempt   int32
		base, max time.Duration
		want      time.Duration
	}{
		"first":            {attempt: 1, base: 2 * time.Second, max: 2 * time.Minute, want: 2 * time.Second},
		"second doubles":   {attempt: 2, base: 2 * time.Second, max: 2 * time.Minute, want: 4 * time.Second},
		"fourth":           {attempt: 4, base: 2 * time.Second, max: 2 * time.Minute, want: 16 * time.Second},
		"capped":           {attempt: 10, base: 2 * time.Second, max: 2 * time.Minute, want: 2 * time.Minute},
		"no overflow":      {attempt: 1 << 30, base: time.Second, max: time.Hour, want: time.Hour},
		"base above cap":   {attempt: 1, base: time.Minute, max: time.Second, want: time.Second},
		"attempt 0 as one": {attempt: 0, base: 3 * time.Second, max: time.Minute, want: 3 * time.Second},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := backoff(tc.attempt, tc.base, tc.max); got != tc.want {
				t.Fatalf("backoff(%d, %s, %s) = %s, want %s", tc.attempt, tc.base, tc.max, got, tc.want)
			}
		})
	}
}

func TestCeilSecond(t *testing.T) {
	base := time.Date(2026, 12, 1, 10, 0, 5, 0, time.UTC)
	cases := map[string]struct {
		in, want time.Time
	}{
		"whole second stays":    {in: base, want: base},
		"a nanosecond over":     {in: base.Add(time.Nanosecond), want: base.Add(time.Second)},
		"just under next":       {in: base.Add(999 * time.Millisecond), want: base.Add(time.Second)},
		"half a second":         {in: base.Add(500 * time.Millisecond), want: base.Add(time.Second)},
		"never before the wait": {in: base.Add(1001 * time.Millisecond), want: base.Add(2 * time.Second)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := ceilSecond(tc.in); !got.Equal(tc.want) {
				t.Fatalf("ceilSecond(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}
