// Package imagerequests is the transport-free service behind MCP and REST:
// it creates ImageRequests as a caller and waits for them. Both adapters
// (mcp/, internal/rest) call it and nothing else of the operator's.
//
//   - caller.go: the Caller and the context helpers that carry it.
//   - errors.go: InputError(s) and ForbiddenError, the errors adapters map.
//   - authorizer.go: the Authorizer it asks (internal/kubeauth implements it).
package imagerequests
