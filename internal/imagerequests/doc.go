// Package imagerequests is the transport-free service behind MCP and REST:
// it creates ImageRequests as a caller, waits for them and reads them. Both
// adapters (mcp/, internal/rest) call it; it knows neither HTTP nor MCP, and
// asks an Authorizer (internal/kubeauth's SubjectAccessReviews) rather than
// importing auth code.
//
//   - service.go: the Service, its Config, Watch (the informer feed) and Stop.
//   - caller.go: the Caller and the context helpers that carry it.
//   - errors.go: InputError(s) and ForbiddenError, the errors adapters map.
//   - authorizer.go: the Authorizer it asks.
//   - namespace.go: which namespace a call uses.
//   - prepare.go, params.go, editinputs.go, names.go: every rule checked
//     before anything is created, each naming its rule (internal/rules).
//   - create.go: the input Secret first, then the ImageRequest, then ownership.
//   - waiters.go, wait.go: one informer fanned out to every waiting call.
//   - read.go: Get (cache, then the API server) and List.
//   - subscriptions.go: which requests MCP clients follow.
//   - describe.go: one line about where a request is.
//   - metrics.go: imagegen_mcp_calls_total and imagegen_mcp_active_waiters.
package imagerequests
