package mcp

import (
	"context"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
)

// What the server can do depends on the protocol version a client speaks:
// being stateless, it can only notify a client of a resource change on a
// subscriptions/listen request (protocol 2026-07-28 and later); see doc.go.
// This file makes what the server advertises and what its texts tell a
// client to do follow that version.

// protocolOf is the protocol version req was made with: the request's own
// (2026-07-28 and later) or its session's (older ones). "" if unknown.
func protocolOf(req sdkmcp.Request) string {
	if r, ok := req.(interface{ ProtocolVersion() string }); ok {
		return r.ProtocolVersion()
	}
	return ""
}

// canSubscribe says whether a client of protocol version v can subscribe
// to resources here. Versions are dates, so they compare as strings.
func canSubscribe(v string) bool { return v >= subscriptionProtocol }

// capabilitiesFor is what the server offers a client of protocol version v.
// The SDK advertises resources.subscribe and listChanged whatever the
// version, but resources/subscribe is refused below 2026-07-28, and the tool
// and resource lists never change at run time (the resource list is
// per-caller data, read on demand, and no notifications/resources/list_changed
// is ever sent). Advertising them made clients offer a Subscribe button that
// always failed, or hold a listen stream open for nothing.
func capabilitiesFor(caps *sdkmcp.ServerCapabilities, v string) *sdkmcp.ServerCapabilities {
	if caps == nil {
		return nil
	}
	out := *caps
	if caps.Tools != nil {
		tools := *caps.Tools
		tools.ListChanged = false
		out.Tools = &tools
	}
	if caps.Resources != nil {
		out.Resources = &sdkmcp.ResourceCapabilities{Subscribe: canSubscribe(v), ListChanged: false}
	}
	return &out
}

// capabilitiesMiddleware edits the capabilities the SDK answers with:
// initialize (protocols before 2026-07-28, negotiated version in the
// result) and server/discover (2026-07-28 and later, which have no
// initialize: the version is the request's).
func capabilitiesMiddleware(next sdkmcp.MethodHandler) sdkmcp.MethodHandler {
	return func(ctx context.Context, method string, req sdkmcp.Request) (sdkmcp.Result, error) {
		res, err := next(ctx, method, req)
		if err != nil {
			return res, err
		}
		switch r := res.(type) {
		case *sdkmcp.InitializeResult:
			r.Capabilities = capabilitiesFor(r.Capabilities, r.ProtocolVersion)
		case *sdkmcp.DiscoverResult:
			r.Capabilities = capabilitiesFor(r.Capabilities, protocolOf(req))
		}
		return res, nil
	}
}

// followHint tells a client of protocol version v how to follow a request
// that is still working.
func followHint(v string) string {
	if canSubscribe(v) {
		return "subscribe to it (subscriptions/listen) to be told when its status changes, and read it again then"
	}
	return "read it again, or call get_image_request, to follow it; resource subscriptions need protocol " +
		subscriptionProtocol + " (subscriptions/listen), since this server is stateless"
}

// templateDescription is the resource template's description for a client
// of protocol version v.
func templateDescription(v string) string {
	return "An ImageRequest's spec and status as JSON (apiVersion, kind, metadata, spec, status): " + followHint(v) + "."
}

// templatesMiddleware gives resources/templates/list the description of the
// caller's protocol version. The SDK's templates are shared by every
// request, so they are copied, never edited.
func templatesMiddleware(next sdkmcp.MethodHandler) sdkmcp.MethodHandler {
	return func(ctx context.Context, method string, req sdkmcp.Request) (sdkmcp.Result, error) {
		res, err := next(ctx, method, req)
		r, ok := res.(*sdkmcp.ListResourceTemplatesResult)
		if err != nil || !ok {
			return res, err
		}
		out := *r
		out.ResourceTemplates = make([]*sdkmcp.ResourceTemplate, len(r.ResourceTemplates))
		for i, rt := range r.ResourceTemplates {
			c := *rt
			if c.URITemplate == ResourceTemplate {
				c.Description = templateDescription(protocolOf(req))
			}
			out.ResourceTemplates[i] = &c
		}
		return &out, nil
	}
}
