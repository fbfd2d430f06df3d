// Package mcp is the operator's front door for agents and plain HTTP
// services: an MCP server (Streamable HTTP, stateless) and a few REST
// endpoints that create ImageRequests, wait for them and hand back the
// results. It runs inside the manager on every replica, never calls the
// upstream image API itself (the controller does) and never sees an OpenAI
// key.
//
// # Layout
//
//   - server.go: the Runnable, the HTTP mux and its middleware.
//   - options.go: flags and their rules (auth none and plain HTTP only on loopback).
//   - tls.go: the HTTPS listener, its certificate reloaded on change.
//   - auth.go, authz.go: TokenReview (cached by token hash) and SubjectAccessReview as the caller.
//   - authlimit.go: rejected tokens limited per source address; lrucache.go: the
//     TTL and least-recently-used cache the reviews and the limiter keep answers in.
//   - limits.go, bodyrate.go: large-body slots (granted only to callers with rights,
//     for a bounded wait) and the minimum rate every request body is read at.
//   - validate.go: every CRD and byte rule, checked before anything is created.
//   - names.go: the namespace and name rules of every read (REST, tool, resource).
//   - create.go: the ImageRequest and the Secret holding an edit's inputs,
//     written first so the controller never waits for it.
//   - waiters.go, wait.go, progress.go: waiting fed by the manager's shared informer.
//   - tools*.go, schema.go, result.go: the MCP tools; resources.go: the resource
//     template, reads and subscriptions; resourcelist.go: resources/list.
//   - versions.go: capabilities and texts that depend on the protocol version.
//   - rpcerrors.go: JSON-RPC error codes of the non-tool methods.
//   - rest.go: POST /generate_image, POST /edit_image, GET /image_requests/{namespace}/{name};
//     jsonkeys.go: duplicate JSON keys; shutdown.go: answering calls a shutdown cuts short.
//   - preview.go: thumbnails for include_preview.
//
// # Stateless transport and resource subscriptions
//
// The handler runs in the SDK's stateless mode so any replica behind a
// Service can answer any request, and because protocol 2026-07-28 is only
// served statelessly. Every HTTP request gets a temporary session that ends
// with it, and the SDK answers GET (the standalone SSE stream) with 405. A
// server can therefore only notify a client inside a request that is still
// open. That decides how subscriptions work:
//
//   - Protocol 2026-07-28 and later: a client subscribes with
//     subscriptions/listen (the go-sdk client's ClientSession.Subscribe does
//     this). That request stays open, the SDK calls our SubscribeHandler for
//     each URI (authorised as the caller), and notifications/resources/updated
//     for a status change, seen by this replica's informer, is written on it.
//     Any replica can hold the listen: every replica watches every
//     ImageRequest.
//   - Older protocols: resources.subscribe is not advertised to them
//     (versions.go), and resources/subscribe would register a session that is
//     gone as soon as its HTTP response is written, so no notification could
//     ever reach the client. The SubscribeHandler refuses it with an error
//     that says so instead of accepting a subscription that never fires;
//     such clients poll resources/read or get_image_request, or wait inside a
//     tool call, which streams notifications/progress on every phase and
//     attempt change.
package mcp
