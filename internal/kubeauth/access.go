package kubeauth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// maxAccessCacheEntries bounds the answers kept; past it, the least
// recently used are dropped.
const maxAccessCacheEntries = 10000

// AccessReviewer asks the API server, with SubjectAccessReviews, whether a
// caller may act on ImageRequests: the service's Authorizer. The operator
// then acts with its own client: the caller's token is never used for
// anything but the review.
type AccessReviewer struct {
	client client.Client
	ttl    time.Duration
	cache  *cache[string, accessAnswer]
}

var _ imagerequests.Authorizer = (*AccessReviewer)(nil)

// accessAnswer is a review's answer.
type accessAnswer struct {
	allowed bool
	reason  string
}

// NewAccessReviewer reviews with c and reuses an answer for ttl.
func NewAccessReviewer(c client.Client, ttl time.Duration) *AccessReviewer {
	return &AccessReviewer{client: c, ttl: ttl, cache: newCache[string, accessAnswer](maxAccessCacheEntries)}
}

// Authorize returns a *imagerequests.ForbiddenError unless caller may verb
// ImageRequests (named name, if not empty) in namespace.
func (a *AccessReviewer) Authorize(ctx context.Context, caller *imagerequests.Caller, verb, namespace, name string) error {
	if caller == nil {
		return &imagerequests.ForbiddenError{Verb: verb, Namespace: namespace, Name: name, Reason: "not authenticated"}
	}
	if caller.Anonymous {
		return nil // --mcp-auth=none on loopback: the machine's user is trusted
	}
	key := strings.Join([]string{caller.Username, caller.UID, strings.Join(caller.Groups, ","), verb, namespace, name}, "\x00")
	answer, err := a.cache.Get(ctx, key, func(ctx context.Context) (accessAnswer, time.Duration, error) {
		answer, err := a.review(ctx, caller, verb, namespace, name)
		return answer, a.ttl, err
	})
	if err != nil {
		return err
	}
	if !answer.allowed {
		return &imagerequests.ForbiddenError{User: caller.Username, Verb: verb, Namespace: namespace, Name: name, Reason: answer.reason}
	}
	return nil
}

func (a *AccessReviewer) review(ctx context.Context, caller *imagerequests.Caller, verb, namespace, name string) (accessAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   caller.Username,
		UID:    caller.UID,
		Groups: slices.Clone(caller.Groups),
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: namespace,
			Verb:      verb,
			Group:     imagesv1alpha1.GroupVersion.Group,
			Version:   imagesv1alpha1.GroupVersion.Version,
			Resource:  "imagerequests",
			Name:      name,
		},
	}}
	if len(caller.Extra) > 0 {
		sar.Spec.Extra = make(map[string]authorizationv1.ExtraValue, len(caller.Extra))
		for k, v := range caller.Extra {
			sar.Spec.Extra[k] = authorizationv1.ExtraValue(v)
		}
	}
	if err := a.client.Create(ctx, sar); err != nil {
		return accessAnswer{}, fmt.Errorf("asking the API server whether %q may %s imagerequests in %q: %w", caller.Username, verb, namespace, err)
	}
	return accessAnswer{allowed: sar.Status.Allowed && !sar.Status.Denied, reason: sar.Status.Reason}, nil
}
