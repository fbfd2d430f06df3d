package imagerequests

import (
	"context"
	"strings"
)

// Caller is who made a request, as the API server's TokenReview told the
// transport. The service acts for it: every create and read is authorised
// as the caller, and the operator's own client then does the work.
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

// Name is the caller's username for logs, "" for none.
func (c *Caller) Name() string {
	if c == nil {
		return ""
	}
	return c.Username
}

// callerKey carries the authenticated Caller in a request's context.
type callerKey struct{}

// WithCaller returns ctx carrying c. The transport's authentication puts
// it there; the adapters read it with CallerFrom (MCP handlers' contexts
// derive from the HTTP request's, so it reaches them too).
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller in ctx, or nil.
func CallerFrom(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerKey{}).(*Caller)
	return c
}

// doneKey carries the Done channel of the client's connection.
type doneKey struct{}

// WithClientDone returns ctx carrying done, closed when the client that
// made the call goes away. The SDK runs handlers of pre-2026 protocol
// requests on a context that does not end when the client disconnects;
// Await watches this too, so a vanished client does not keep a waiter
// until its wait runs out.
func WithClientDone(ctx context.Context, done <-chan struct{}) context.Context {
	return context.WithValue(ctx, doneKey{}, done)
}

// clientDone is the channel WithClientDone put into ctx, or nil.
func clientDone(ctx context.Context) <-chan struct{} {
	done, _ := ctx.Value(doneKey{}).(<-chan struct{})
	return done
}
