package mcp

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
	authorizationv1 "k8s.io/api/authorization/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// ForbiddenError says the caller may not do what they asked.
type ForbiddenError struct {
	User, Verb, Namespace, Name string
	Reason                      string
}

func (e *ForbiddenError) Error() string {
	target := "imagerequests." + imagesv1alpha1.GroupVersion.Group
	if e.Name != "" {
		target += fmt.Sprintf(" %q", e.Name)
	}
	msg := fmt.Sprintf("forbidden: user %q cannot %s %s in namespace %q", e.User, e.Verb, target, e.Namespace)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg + "; ask a cluster admin to bind the imagegen-user ClusterRole (or a Role granting it) in that namespace"
}

// accessReviewer asks the API server, with SubjectAccessReviews, whether a
// caller may act on ImageRequests. The operator then acts with its own
// client: the caller's token is never used for anything but the review.
type accessReviewer struct {
	client client.Client
	ttl    time.Duration
	now    func() time.Time

	group singleflight.Group
	cache *lruCache[string, authzEntry]
}

type authzEntry struct {
	allowed bool
	reason  string
}

// maxAuthzCacheEntries bounds the cache; past it, the least recently used
// answers are dropped.
const maxAuthzCacheEntries = 10000

func newAccessReviewer(c client.Client, ttl time.Duration) *accessReviewer {
	return &accessReviewer{client: c, ttl: ttl, now: time.Now, cache: newLRUCache[string, authzEntry](maxAuthzCacheEntries)}
}

// authorize returns a *ForbiddenError unless caller may verb ImageRequests
// (named name, if not empty) in namespace.
func (a *accessReviewer) authorize(ctx context.Context, caller *Caller, verb, namespace, name string) error {
	if caller == nil {
		return &ForbiddenError{Verb: verb, Namespace: namespace, Name: name, Reason: "not authenticated"}
	}
	if caller.Anonymous {
		return nil // --mcp-auth=none on loopback: the machine's user is trusted
	}
	key := strings.Join([]string{caller.Username, caller.UID, strings.Join(caller.Groups, ","), verb, namespace, name}, "\x00")
	e, ok := a.cache.get(key, a.now())
	if !ok {
		v, err, _ := a.group.Do(key, func() (any, error) {
			entry, err := a.review(context.WithoutCancel(ctx), caller, verb, namespace, name)
			if err != nil {
				return nil, err
			}
			a.cache.put(key, entry, a.now().Add(a.ttl))
			return entry, nil
		})
		if err != nil {
			return err
		}
		e = v.(authzEntry)
	}
	if !e.allowed {
		return &ForbiddenError{User: caller.Username, Verb: verb, Namespace: namespace, Name: name, Reason: e.reason}
	}
	return nil
}

func (a *accessReviewer) review(ctx context.Context, caller *Caller, verb, namespace, name string) (authzEntry, error) {
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
		return authzEntry{}, fmt.Errorf("asking the API server whether %q may %s imagerequests in %q: %w", caller.Username, verb, namespace, err)
	}
	return authzEntry{allowed: sar.Status.Allowed && !sar.Status.Denied, reason: sar.Status.Reason}, nil
}
