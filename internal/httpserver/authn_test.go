package httpserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/imagegen/imagegen-operator/internal/kubeauth"
)

// leakyReviewError is a TokenReview error naming what a caller must not see.
const leakyReviewError = `[invalid bearer token, square/go-jose: error in cryptographic primitive, Post "https://10.96.0.1:443/apis/authentication.k8s.io/v1/tokenreviews": context deadline exceeded]`

// fakeTokenAPI answers TokenReviews like an API server that knows the
// tokens "good" and "good-*".
type fakeTokenAPI struct{ reviews atomic.Int32 }

func (f *fakeTokenAPI) client() client.Client {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	return fake.NewClientBuilder().WithScheme(s).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(_ context.Context, _ client.WithWatch, obj client.Object, _ ...client.CreateOption) error {
			if o, ok := obj.(*authenticationv1.TokenReview); ok {
				f.reviews.Add(1)
				switch {
				case o.Spec.Token == "good" || strings.HasPrefix(o.Spec.Token, "good-"):
					o.Status = authenticationv1.TokenReviewStatus{Authenticated: true, User: authenticationv1.UserInfo{Username: "system:serviceaccount:team:bot"}}
				case o.Spec.Token == "leaky":
					o.Status = authenticationv1.TokenReviewStatus{Error: leakyReviewError}
				default:
					o.Status = authenticationv1.TokenReviewStatus{Error: "bad token"}
				}
			}
			return nil
		},
	}).Build()
}

func TestAuthenticateAnswers(t *testing.T) {
	api := &fakeTokenAPI{}
	s := &Server{opts: Options{Auth: AuthToken}, log: logr.Discard(),
		tokens: kubeauth.NewTokenReviewer(api.client(), nil, time.Minute, kubeauth.WithFailureLimit(2, time.Minute))}
	h := s.authenticate(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("served")) }))
	do := func(token, remote string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/generate_image", strings.NewReader("{}"))
		req.RemoteAddr = remote
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	cases := map[string]struct {
		token, remote string
		status        int
		body          string
		header        string
	}{
		"good":                {token: "good", remote: "192.0.2.1:1000", status: http.StatusOK, body: "served"},
		"none":                {remote: "192.0.2.1:1000", status: http.StatusUnauthorized, body: "bearer token is required", header: `Bearer realm="imagegen-operator"`},
		"rejected, no detail": {token: "leaky", remote: "192.0.2.2:1000", status: http.StatusUnauthorized, body: `"invalid or expired token"`, header: `error="invalid_token"`},
	}
	for name, tc := range cases {
		rec := do(tc.token, tc.remote)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) || !strings.Contains(rec.Header().Get("WWW-Authenticate"), tc.header) {
			t.Errorf("%s: %d %q WWW-Authenticate %q", name, rec.Code, rec.Body, rec.Header().Get("WWW-Authenticate"))
		}
		for _, leak := range []string{"10.96.0.1", "go-jose", "https://", "bad token"} {
			if strings.Contains(rec.Body.String(), leak) {
				t.Errorf("%s: the body repeats the review's words %q: %s", name, leak, rec.Body)
			}
		}
	}
	// The address used up its two failures: the third unknown token is 429
	// with Retry-After, and costs no review.
	if rec := do("another", "192.0.2.2:1001"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("second failure: %d", rec.Code)
	}
	reviews := api.reviews.Load()
	rec := do("yet-another", "192.0.2.2:1002")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "too many requests with invalid tokens") {
		t.Errorf("past the limit: %d %q Retry-After %q", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}
	if api.reviews.Load() != reviews {
		t.Error("a throttled request was reviewed")
	}
	if rec := do("good", "192.0.2.2:1003"); rec.Code != http.StatusOK {
		t.Errorf("a cached good token from the throttled address: %d %s", rec.Code, rec.Body)
	}
}
