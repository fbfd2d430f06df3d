// Package kubeauth authenticates callers with Kubernetes TokenReviews and
// authorises them with SubjectAccessReviews (the imagerequests service's
// Authorizer). Both keep their answers in one cache type: TTL, least
// recently used eviction and one load per key at a time.
//
//   - tokens.go: TokenReviewer, answers cached by the token's SHA-256.
//   - access.go: AccessReviewer, answers cached per caller, verb and object.
//   - failurelimit.go: rejected tokens limited per source address.
//   - cache.go: the TTL + singleflight cache both reviewers use;
//     lru.go: the bounded, expiring map under it and under the limiter.
package kubeauth
