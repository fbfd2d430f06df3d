package imagerequests

import "context"

// Authorizer decides whether a caller may verb ImageRequests (the one
// named name, if not empty) in namespace. It returns a *ForbiddenError for
// a denial and any other error when it could not decide. The service asks
// it before every create and read; internal/kubeauth implements it with
// SubjectAccessReviews.
type Authorizer interface {
	Authorize(ctx context.Context, caller *Caller, verb, namespace, name string) error
}
