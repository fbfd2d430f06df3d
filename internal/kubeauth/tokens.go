package kubeauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create

// ErrInvalidToken says the API server did not accept a bearer token.
var ErrInvalidToken = errors.New("invalid token")

// maxTokenCacheEntries bounds the token cache; past it, the least recently
// used answers are dropped, so tokens in use stay however many others
// arrive.
const maxTokenCacheEntries = 10000

// TokenReviewer authenticates bearer tokens with TokenReviews, remembering
// answers by the token's SHA-256 so a busy agent costs one review per TTL.
// The token itself is sent to the API server and nowhere else, and is never
// logged or kept.
type TokenReviewer struct {
	client    client.Client
	audiences []string
	ttl       time.Duration

	cache *cache[string, tokenCacheEntry]
	// failures limits the reviews that reject a token, per source address.
	failures *failureLimiter
}

// tokenCacheEntry is a review's answer: a caller, or the rejection.
type tokenCacheEntry struct {
	caller *imagerequests.Caller
	err    error
}

// TokenReviewerOption adjusts a TokenReviewer.
type TokenReviewerOption func(*TokenReviewer)

// WithFailureLimit lets each source address cause burst rejected reviews
// at once, refilled over period (default 20 per minute).
func WithFailureLimit(burst int, period time.Duration) TokenReviewerOption {
	return func(r *TokenReviewer) { r.failures = newFailureLimiter(burst, period, maxAuthFailureSources) }
}

// NewTokenReviewer reviews tokens with c for audiences (empty: the API
// server's), trusting an accepted token for ttl.
func NewTokenReviewer(c client.Client, audiences []string, ttl time.Duration, opts ...TokenReviewerOption) *TokenReviewer {
	r := &TokenReviewer{client: c, audiences: audiences, ttl: ttl,
		cache:    newCache[string, tokenCacheEntry](maxTokenCacheEntries),
		failures: newFailureLimiter(authFailureBurst, authFailurePeriod, maxAuthFailureSources)}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Authenticate returns the caller the token belongs to, or an error
// wrapping ErrInvalidToken when the API server rejects it, or a
// *ThrottledError when source (see SourceOf) has had too many tokens
// rejected lately and this one is not cached. Other errors mean the review
// could not be made.
func (r *TokenReviewer) Authenticate(ctx context.Context, token, source string) (*imagerequests.Caller, error) {
	sum := sha256.Sum256([]byte(token))
	entry, err := r.cache.Get(ctx, hex.EncodeToString(sum[:]), func(ctx context.Context) (tokenCacheEntry, time.Duration, error) {
		if wait, ok := r.failures.take(source); !ok {
			return tokenCacheEntry{}, 0, &ThrottledError{RetryAfter: wait}
		}
		caller, err := r.review(ctx, token)
		if err == nil || !errors.Is(err, ErrInvalidToken) {
			r.failures.refund(source) // accepted, or not the token's fault
		}
		if err != nil && !errors.Is(err, ErrInvalidToken) {
			return tokenCacheEntry{}, 0, err // not the token's fault: do not remember
		}
		// Rejections are remembered too, briefly: a client retrying a bad
		// token costs one review per interval, yet a token that was just
		// issued (or fixed) is not refused for long.
		ttl := r.ttl
		if err != nil {
			ttl = max(r.ttl/5, time.Second)
		}
		return tokenCacheEntry{caller: caller, err: err}, ttl, nil
	})
	if err != nil {
		return nil, err
	}
	return entry.caller, entry.err
}

func (r *TokenReviewer) review(ctx context.Context, token string) (*imagerequests.Caller, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tr := &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: r.audiences}}
	if err := r.client.Create(ctx, tr); err != nil {
		return nil, fmt.Errorf("reviewing the bearer token with the API server: %w", err)
	}
	st := tr.Status
	if !st.Authenticated {
		msg := "the API server did not accept the bearer token"
		if st.Error != "" {
			msg += ": " + st.Error
		}
		return nil, fmt.Errorf("%w: %s", ErrInvalidToken, msg)
	}
	if len(r.audiences) > 0 && !slices.ContainsFunc(st.Audiences, func(a string) bool { return slices.Contains(r.audiences, a) }) {
		return nil, fmt.Errorf("%w: the token is not valid for audiences %v", ErrInvalidToken, r.audiences)
	}
	c := &imagerequests.Caller{Username: st.User.Username, UID: st.User.UID, Groups: st.User.Groups}
	if len(st.User.Extra) > 0 {
		c.Extra = make(map[string][]string, len(st.User.Extra))
		for k, v := range st.User.Extra {
			c.Extra[k] = []string(v)
		}
	}
	return c, nil
}
