package kubeauth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// testSource is the address the unit tests' requests come from.
const testSource = "192.0.2.1"

// leakyReviewError is a TokenReview error naming what a caller must not see.
const leakyReviewError = `[invalid bearer token, square/go-jose: error in cryptographic primitive, Post "https://10.96.0.1:443/apis/authentication.k8s.io/v1/tokenreviews": context deadline exceeded]`

// fakeAPI answers TokenReviews and SubjectAccessReviews like an API server
// that knows one token and lets alice create in namespace "a" only.
type fakeAPI struct {
	reviews, sars atomic.Int32
	fail          atomic.Bool
}

func (f *fakeAPI) client() client.Client {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	return fake.NewClientBuilder().WithScheme(s).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, _ client.WithWatch, obj client.Object, _ ...client.CreateOption) error {
			if f.fail.Load() {
				return errors.New("connection refused")
			}
			switch o := obj.(type) {
			case *authenticationv1.TokenReview:
				f.reviews.Add(1)
				time.Sleep(10 * time.Millisecond)
				switch {
				case o.Spec.Token == "good" || strings.HasPrefix(o.Spec.Token, "good-"):
					o.Status = authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: []string{"api"},
						User: authenticationv1.UserInfo{Username: "system:serviceaccount:team:bot", Groups: []string{"g"}, Extra: map[string]authenticationv1.ExtraValue{"k": {"v"}}}}
				case o.Spec.Token == "leaky":
					// What a real API server may say: its own URL and the
					// JWT library's findings.
					o.Status = authenticationv1.TokenReviewStatus{Error: leakyReviewError}
				default:
					o.Status = authenticationv1.TokenReviewStatus{Error: "bad token"}
				}
			case *authorizationv1.SubjectAccessReview:
				f.sars.Add(1)
				ra := o.Spec.ResourceAttributes
				o.Status.Allowed = o.Spec.User == "alice" && ra.Namespace == "a" && ra.Resource == "imagerequests" && ra.Group == "images.imagegen.dev"
				if !o.Status.Allowed {
					o.Status.Reason = "no RBAC"
				}
			}
			return nil
		},
	}).Build()
}

func TestTokenReviewerCachesByToken(t *testing.T) {
	api := &fakeAPI{}
	r := NewTokenReviewer(api.client(), nil, time.Minute)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			c, err := r.Authenticate(context.Background(), "good", testSource)
			if err != nil || c.Username != "system:serviceaccount:team:bot" || c.ServiceAccountNamespace() != "team" || c.Extra["k"][0] != "v" {
				t.Errorf("%v %+v", err, c)
			}
		})
	}
	wg.Wait()
	if n := api.reviews.Load(); n != 1 {
		t.Errorf("%d TokenReviews for one token, want 1", n)
	}
	for range 3 {
		if _, err := r.Authenticate(context.Background(), "bad", testSource); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "bad token") {
			t.Errorf("bad token: %v", err)
		}
	}
	if n := api.reviews.Load(); n != 2 {
		t.Errorf("a rejected token was reviewed %d times in a row, want once", n-1)
	}
	// Expiry: a minute later the token is reviewed again.
	r.cache.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if _, err := r.Authenticate(context.Background(), "good", testSource); err != nil {
		t.Fatal(err)
	}
	if n := api.reviews.Load(); n != 3 {
		t.Errorf("after the TTL: %d reviews, want 3", n)
	}
	// An API failure is an error, not an invalid token, and is not cached.
	api.fail.Store(true)
	if _, err := r.Authenticate(context.Background(), "other", testSource); err == nil || errors.Is(err, ErrInvalidToken) {
		t.Errorf("API down: %v", err)
	}
	api.fail.Store(false)
	if _, err := r.Authenticate(context.Background(), "other", testSource); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("after the API is back: %v", err)
	}
	for _, k := range r.cache.keys() {
		if strings.Contains(k, "good") || strings.Contains(k, "other") {
			t.Errorf("the cache keeps the token itself: %q", k)
		}
	}
}

func TestTokenReviewerAudiences(t *testing.T) {
	api := &fakeAPI{}
	r := NewTokenReviewer(api.client(), []string{"imagegen"}, time.Minute)
	if _, err := r.Authenticate(context.Background(), "good", testSource); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "audiences") {
		t.Errorf("a token for another audience: %v", err)
	}
}

func TestAccessReviewer(t *testing.T) {
	api := &fakeAPI{}
	a := NewAccessReviewer(api.client(), time.Minute)
	alice := &imagerequests.Caller{Username: "alice", Groups: []string{"devs"}}
	for range 3 {
		if err := a.Authorize(context.Background(), alice, "create", "a", ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := api.sars.Load(); n != 1 {
		t.Errorf("%d SubjectAccessReviews, want 1 (cached)", n)
	}
	err := a.Authorize(context.Background(), alice, "create", "b", "")
	var fe *imagerequests.ForbiddenError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), `user "alice" cannot create imagerequests.images.imagegen.dev in namespace "b"`) {
		t.Errorf("namespace b: %v", err)
	}
	if err := a.Authorize(context.Background(), &imagerequests.Caller{Anonymous: true}, "create", "z", ""); err != nil {
		t.Errorf("--mcp-auth=none caller: %v", err)
	}
	if err := a.Authorize(context.Background(), nil, "get", "a", "x"); !errors.As(err, &fe) {
		t.Errorf("no caller: %v", err)
	}
}
