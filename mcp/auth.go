package mcp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"golang.org/x/sync/singleflight"
	authenticationv1 "k8s.io/api/authentication/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create

// Caller is who made a request, as the API server's TokenReview told us.
type Caller struct {
	Username string
	UID      string
	Groups   []string
	Extra    map[string][]string
	// Anonymous is set under --mcp-auth=none: nobody was authenticated and
	// nothing is authorised per caller.
	Anonymous bool
}

// ServiceAccountNamespace returns the namespace of a ServiceAccount caller
// ("system:serviceaccount:<namespace>:<name>"), or "".
func (c *Caller) ServiceAccountNamespace() string {
	rest, ok := strings.CutPrefix(c.Username, "system:serviceaccount:")
	if !ok {
		return ""
	}
	ns, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return ns
}

var anonymousCaller = &Caller{Username: AnonymousUser, Anonymous: true}

// tokenReviewer authenticates bearer tokens with TokenReviews, remembering
// answers by the token's SHA-256 so a busy agent costs one review per TTL.
// The token itself is sent to the API server and nowhere else, and is never
// logged or kept.
type tokenReviewer struct {
	client    client.Client
	audiences []string
	ttl       time.Duration
	now       func() time.Time

	group singleflight.Group
	cache *lruCache[string, tokenCacheEntry]
	// failures limits the reviews that reject a token, per source address.
	failures *failureLimiter
}

type tokenCacheEntry struct {
	caller *Caller
	err    error
}

// maxTokenCacheEntries bounds the cache; past it, the least recently used
// answers are dropped, so tokens in use stay however many others arrive.
const maxTokenCacheEntries = 10000

func newTokenReviewer(c client.Client, audiences []string, ttl time.Duration) *tokenReviewer {
	return &tokenReviewer{client: c, audiences: audiences, ttl: ttl, now: time.Now,
		cache:    newLRUCache[string, tokenCacheEntry](maxTokenCacheEntries),
		failures: newFailureLimiter(authFailureBurst, authFailurePeriod, maxAuthFailureSources)}
}

// authenticate returns the caller the token belongs to, or an error wrapping
// auth.ErrInvalidToken when the API server rejects it, or an
// *AuthThrottledError when source (see sourceOf) has had too many tokens
// rejected lately and this one is not cached. Other errors mean the review
// could not be made.
func (r *tokenReviewer) authenticate(ctx context.Context, token, source string) (*Caller, error) {
	sum := sha256.Sum256([]byte(token))
	key := hex.EncodeToString(sum[:])
	if e, ok := r.cache.get(key, r.now()); ok {
		return e.caller, e.err
	}
	v, err, _ := r.group.Do(key, func() (any, error) {
		if wait, ok := r.failures.take(source); !ok {
			return nil, &AuthThrottledError{RetryAfter: wait}
		}
		caller, err := r.review(context.WithoutCancel(ctx), token)
		if err == nil || !errors.Is(err, auth.ErrInvalidToken) {
			r.failures.refund(source) // accepted, or not the token's fault
		}
		if err != nil && !errors.Is(err, auth.ErrInvalidToken) {
			return nil, err // not the token's fault: do not remember
		}
		// Rejections are remembered too, briefly: a client retrying a bad
		// token costs one review per interval, yet a token that was just
		// issued (or fixed) is not refused for long.
		ttl := r.ttl
		if err != nil {
			ttl = max(r.ttl/5, time.Second)
		}
		entry := tokenCacheEntry{caller: caller, err: err}
		r.cache.put(key, entry, r.now().Add(ttl))
		return entry, nil
	})
	if err != nil {
		return nil, err
	}
	entry := v.(tokenCacheEntry)
	return entry.caller, entry.err
}

func (r *tokenReviewer) review(ctx context.Context, token string) (*Caller, error) {
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
		return nil, fmt.Errorf("%w: %s", auth.ErrInvalidToken, msg)
	}
	if len(r.audiences) > 0 && !slices.ContainsFunc(st.Audiences, func(a string) bool { return slices.Contains(r.audiences, a) }) {
		return nil, fmt.Errorf("%w: the token is not valid for audiences %v", auth.ErrInvalidToken, r.audiences)
	}
	c := &Caller{Username: st.User.Username, UID: st.User.UID, Groups: st.User.Groups}
	if len(st.User.Extra) > 0 {
		c.Extra = make(map[string][]string, len(st.User.Extra))
		for k, v := range st.User.Extra {
			c.Extra[k] = []string(v)
		}
	}
	return c, nil
}

// callerKey carries the authenticated Caller in a request's context.
type callerKey struct{}

func withCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// callerFrom returns the caller of a request: from the context our
// middleware filled (it reaches MCP handlers too, whose context derives from
// the HTTP request's), else from the SDK's TokenInfo.
func callerFrom(ctx context.Context, ti *auth.TokenInfo) *Caller {
	if c, ok := ctx.Value(callerKey{}).(*Caller); ok && c != nil {
		return c
	}
	if ti != nil {
		if c, ok := ti.Extra[tokenInfoCallerKey].(*Caller); ok {
			return c
		}
	}
	return nil
}

// tokenInfoCallerKey is where TokenInfo.Extra holds the *Caller.
const tokenInfoCallerKey = "imagegen.dev/caller"

// authRealm names us in WWW-Authenticate.
const authRealm = "imagegen-operator"

// authenticate is the HTTP middleware in front of /mcp and the REST
// endpoints: no token or a bad one is a 401 with WWW-Authenticate.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Auth == AuthNone {
			next.ServeHTTP(w, r.WithContext(withRequest(withCaller(r.Context(), anonymousCaller), r)))
			return
		}
		token, ok := bearerToken(r)
		if !ok {
			leaveBodyUnread(w, r)
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", authRealm))
			writeError(w, http.StatusUnauthorized, apiError{Code: codeUnauthenticated,
				Message: "a Kubernetes bearer token is required: send Authorization: Bearer <token> (e.g. a ServiceAccount token)"})
			return
		}
		caller, err := s.tokens.authenticate(r.Context(), token, sourceOf(r.RemoteAddr))
		var throttled *AuthThrottledError
		if err != nil {
			leaveBodyUnread(w, r)
		}
		switch {
		case errors.Is(err, auth.ErrInvalidToken):
			// The review's words can name the API server's URL and the JWT
			// library's findings: they are for the operator's log, not for
			// whoever sent the token.
			s.log.V(1).Info("bearer token refused", "remote", r.RemoteAddr, "path", r.URL.Path, "reason", err.Error())
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q, error=\"invalid_token\"", authRealm))
			writeError(w, http.StatusUnauthorized, apiError{Code: codeUnauthenticated, Message: "invalid or expired token"})
			return
		case errors.As(err, &throttled):
			s.log.V(1).Info("token review refused: too many invalid tokens from this address", "remote", r.RemoteAddr)
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(throttled.RetryAfter)))
			writeError(w, http.StatusTooManyRequests, apiError{Code: codeRateLimited, Message: throttled.Error()})
			return
		case err != nil:
			s.log.Error(err, "token review failed")
			writeError(w, http.StatusServiceUnavailable, apiError{Code: codeUnavailable, Message: "could not verify the token with the Kubernetes API server; try again"})
			return
		}
		next.ServeHTTP(w, r.WithContext(withRequest(withCaller(r.Context(), caller), r)))
	})
}

// requestDoneKey carries the HTTP request's Done channel. The SDK runs
// handlers of pre-2026 protocol requests on a context that does not end
// when the client disconnects; waiting calls watch this too, so a vanished
// client does not keep a waiter until wait_seconds runs out.
type requestDoneKey struct{}

func withRequest(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, requestDoneKey{}, r.Context().Done())
}

// requestDone is the Done channel of the HTTP request behind ctx, or nil.
func requestDone(ctx context.Context) <-chan struct{} {
	done, _ := ctx.Value(requestDoneKey{}).(<-chan struct{})
	return done
}

// tokenInfoVerifier feeds auth.RequireBearerToken, which puts the TokenInfo
// into the SDK's request Extra: the token was already reviewed by
// authenticate, so this only repackages the answer.
func tokenInfoVerifier(_ context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
	c := callerFrom(r.Context(), nil)
	if c == nil {
		return nil, fmt.Errorf("%w: not authenticated", auth.ErrInvalidToken)
	}
	return &auth.TokenInfo{UserID: c.Username, Extra: map[string]any{tokenInfoCallerKey: c}}, nil
}

func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
