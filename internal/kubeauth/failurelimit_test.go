package kubeauth

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// clock is a settable now for the reviewers and the limiter.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// TestTokenReviewerLimitsFailuresPerSource: an address that sent too many
// tokens the API server rejected gets ThrottledError without a review,
// other addresses and cached tokens are unaffected, and the allowance
// refills.
func TestTokenReviewerLimitsFailuresPerSource(t *testing.T) {
	api := &fakeAPI{}
	clk := &clock{t: time.Now()}
	r := NewTokenReviewer(api.client(), nil, time.Minute)
	r.cache.now = clk.now
	r.failures = newFailureLimiter(3, time.Minute, 100)
	r.failures.now = clk.now
	ctx := context.Background()
	const attacker, neighbour = "198.51.100.7", "198.51.100.8"

	if _, err := r.Authenticate(ctx, "good", attacker); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := r.Authenticate(ctx, fmt.Sprint("random-", i), attacker); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("bad token %d: %v", i, err)
		}
	}
	reviews := api.reviews.Load()
	var throttled *ThrottledError
	for i := range 100 {
		if _, err := r.Authenticate(ctx, fmt.Sprint("more-", i), attacker); !errors.As(err, &throttled) {
			t.Fatalf("bad token past the limit: %v", err)
		}
	}
	if got := api.reviews.Load(); got != reviews {
		t.Errorf("%d TokenReviews past the limit, want none", got-reviews)
	}
	if throttled.RetryAfter <= 0 || throttled.RetryAfter > 20*time.Second {
		t.Errorf("RetryAfter %v, want the time one review takes to refill (20 s)", throttled.RetryAfter)
	}
	// A token the cache knows is still answered, good or bad.
	if c, err := r.Authenticate(ctx, "good", attacker); err != nil || c == nil {
		t.Errorf("a cached good token from a throttled address: %v", err)
	}
	if _, err := r.Authenticate(ctx, "random-0", attacker); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a cached bad token from a throttled address: %v, want 401's error", err)
	}
	// Another address is not throttled.
	if _, err := r.Authenticate(ctx, "good-neighbour", neighbour); err != nil {
		t.Errorf("another address: %v", err)
	}
	// Accepted tokens never use up the allowance.
	for i := range 10 {
		if _, err := r.Authenticate(ctx, fmt.Sprint("good-", i), neighbour); err != nil {
			t.Fatalf("good token %d: %v", i, err)
		}
	}
	// 20 s later one review is allowed again, and only one.
	clk.advance(20 * time.Second)
	if _, err := r.Authenticate(ctx, "later-1", attacker); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("after a refill: %v", err)
	}
	if _, err := r.Authenticate(ctx, "later-2", attacker); !errors.As(err, &throttled) {
		t.Errorf("a second review after one refill: %v", err)
	}
}

// TestTokenReviewerCachesRejectionsBriefly: a rejected token is answered
// from the cache for a fifth of the TTL, then reviewed again.
func TestTokenReviewerCachesRejectionsBriefly(t *testing.T) {
	api := &fakeAPI{}
	clk := &clock{t: time.Now()}
	r := NewTokenReviewer(api.client(), nil, 50*time.Second)
	r.cache.now = clk.now
	for range 5 {
		if _, err := r.Authenticate(context.Background(), "bad", testSource); !errors.Is(err, ErrInvalidToken) {
			t.Fatal(err)
		}
		clk.advance(time.Second)
	}
	if n := api.reviews.Load(); n != 1 {
		t.Errorf("%d reviews within 5 s of a rejection, want 1", n)
	}
	clk.advance(6 * time.Second) // 11 s after the review: past 50 s / 5
	if _, err := r.Authenticate(context.Background(), "bad", testSource); !errors.Is(err, ErrInvalidToken) {
		t.Fatal(err)
	}
	if n := api.reviews.Load(); n != 2 {
		t.Errorf("%d reviews after the rejection's TTL, want 2", n)
	}
}

// TestTokenReviewerEvictsLeastRecentlyUsed: a flood of new tokens past the
// cache's capacity does not make a token in use be reviewed again.
func TestTokenReviewerEvictsLeastRecentlyUsed(t *testing.T) {
	api := &fakeAPI{}
	r := NewTokenReviewer(api.client(), nil, time.Hour)
	r.cache = newCache[string, tokenCacheEntry](10)
	r.failures = newFailureLimiter(1000, time.Minute, 100)
	ctx := context.Background()
	for i := range 50 {
		if _, err := r.Authenticate(ctx, "good", testSource); err != nil {
			t.Fatal(err)
		}
		_, _ = r.Authenticate(ctx, fmt.Sprint("flood-", i), testSource)
	}
	if n := api.reviews.Load(); n != 51 {
		t.Errorf("%d reviews, want 51: one per flooding token and one for the token in use", n)
	}
	if n := r.cache.len(); n != 10 {
		t.Errorf("the cache holds %d answers, want its capacity, 10", n)
	}
}

// TestAccessReviewerEvictsLeastRecentlyUsed: the same for
// SubjectAccessReview answers.
func TestAccessReviewerEvictsLeastRecentlyUsed(t *testing.T) {
	api := &fakeAPI{}
	a := NewAccessReviewer(api.client(), time.Hour)
	a.cache = newCache[string, accessAnswer](10)
	alice := &imagerequests.Caller{Username: "alice"}
	for i := range 50 {
		if err := a.Authorize(context.Background(), alice, "create", "a", ""); err != nil {
			t.Fatal(err)
		}
		_ = a.Authorize(context.Background(), &imagerequests.Caller{Username: fmt.Sprint("user-", i)}, "create", "a", "")
	}
	if n := api.sars.Load(); n != 51 {
		t.Errorf("%d SubjectAccessReviews, want 51", n)
	}
}

func TestSourceOf(t *testing.T) {
	cases := map[string]string{
		"192.0.2.1:443":              "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2::9]:1":        "2001:db8:1:2::/64",
		"[::ffff:192.0.2.1]:80":      "192.0.2.1",
		"pipe":                       "pipe",
	}
	for in, want := range cases {
		if got := SourceOf(in); got != want {
			t.Errorf("SourceOf(%q) = %q, want %q", in, got, want)
		}
	}
}
