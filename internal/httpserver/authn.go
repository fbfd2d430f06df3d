package httpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/imagegen/imagegen-operator/internal/httpapi"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/kubeauth"
)

// AnonymousUser is recorded as the requester when --mcp-auth=none.
const AnonymousUser = "anonymous (mcp-auth=none)"

var anonymousCaller = &imagerequests.Caller{Username: AnonymousUser, Anonymous: true}

// authRealm names us in WWW-Authenticate.
const authRealm = "imagegen-operator"

// tokenInfoCallerKey is where TokenInfo.Extra holds the *Caller.
const tokenInfoCallerKey = "imagegen.dev/caller"

// Authenticator is what authenticate asks about a bearer token
// (*kubeauth.TokenReviewer).
type Authenticator interface {
	Authenticate(ctx context.Context, token, source string) (*imagerequests.Caller, error)
}

// authenticate is the HTTP middleware in front of /mcp and the REST
// endpoints: no token or a bad one is a 401 with WWW-Authenticate. The
// caller it finds goes into the request's context (imagerequests.WithCaller),
// with the connection's Done channel for waits.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Auth == AuthNone {
			next.ServeHTTP(w, r.WithContext(withCaller(r, anonymousCaller)))
			return
		}
		token, ok := bearerToken(r)
		if !ok {
			httpapi.LeaveBodyUnread(w, r)
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", authRealm))
			httpapi.WriteError(w, http.StatusUnauthorized, httpapi.Error{Code: httpapi.CodeUnauthenticated,
				Message: "a Kubernetes bearer token is required: send Authorization: Bearer <token> (e.g. a ServiceAccount token)"})
			return
		}
		caller, err := s.tokens.Authenticate(r.Context(), token, kubeauth.SourceOf(r.RemoteAddr))
		var throttled *kubeauth.ThrottledError
		if err != nil {
			httpapi.LeaveBodyUnread(w, r)
		}
		switch {
		case errors.Is(err, kubeauth.ErrInvalidToken):
			// The review's words can name the API server's URL and the JWT
			// library's findings: they are for the operator's log, not for
			// whoever sent the token.
			s.log.V(1).Info("bearer token refused", "remote", r.RemoteAddr, "path", r.URL.Path, "reason", err.Error())
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q, error=\"invalid_token\"", authRealm))
			httpapi.WriteError(w, http.StatusUnauthorized, httpapi.Error{Code: httpapi.CodeUnauthenticated, Message: "invalid or expired token"})
			return
		case errors.As(err, &throttled):
			s.log.V(1).Info("token review refused: too many invalid tokens from this address", "remote", r.RemoteAddr)
			w.Header().Set("Retry-After", strconv.Itoa(throttled.RetryAfterSeconds()))
			httpapi.WriteError(w, http.StatusTooManyRequests, httpapi.Error{Code: httpapi.CodeRateLimited, Message: throttled.Error()})
			return
		case err != nil:
			s.log.Error(err, "token review failed")
			httpapi.WriteError(w, http.StatusServiceUnavailable, httpapi.Error{Code: httpapi.CodeUnavailable, Message: "could not verify the token with the Kubernetes API server; try again"})
			return
		}
		next.ServeHTTP(w, r.WithContext(withCaller(r, caller)))
	})
}

// withCaller is r's context with the caller and the connection's Done
// channel, which waiting calls watch (the SDK runs handlers of pre-2026
// protocol requests on a context that does not end with the request).
func withCaller(r *http.Request, c *imagerequests.Caller) context.Context {
	return imagerequests.WithClientDone(imagerequests.WithCaller(r.Context(), c), r.Context().Done())
}

// tokenInfoVerifier feeds auth.RequireBearerToken, which puts the TokenInfo
// into the SDK's request Extra: the token was already reviewed by
// authenticate, so this only repackages the answer.
func tokenInfoVerifier(_ context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
	c := imagerequests.CallerFrom(r.Context())
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
