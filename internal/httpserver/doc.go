// Package httpserver is the listener in front of MCP and REST, a manager
// Runnable on every replica (not leader-elected): it serves the MCP
// adapter's server (Streamable HTTP, stateless) and the REST handlers, and
// does everything that is about HTTP rather than about ImageRequests.
//
//   - server.go: the Runnable, the mux, readiness and graceful shutdown
//     (waiting calls are told first, so REST answers them 503 with a poll URL).
//   - options.go: the --mcp-* flags and their rules (auth none and plain HTTP
//     only on loopback).
//   - tls.go: HTTPS, the certificate reloaded on change, or self-signed.
//   - loopback.go: on loopback, only loopback Host headers (DNS rebinding).
//   - authn.go: bearer tokens reviewed with internal/kubeauth; the caller goes
//     into the request's context with the imagerequests helpers.
//   - largebody.go, bodyrate.go: large-body slots (only for callers with
//     rights, for a bounded wait) and the minimum rate bodies are read at.
package httpserver
