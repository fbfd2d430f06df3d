// Package mcp is the operator's MCP adapter: an MCP server whose tools and
// resources create, wait for and read ImageRequests through the
// imagerequests service (internal/imagerequests). It never calls the
// upstream image API (the controller does), never sees an OpenAI key, and
// knows nothing of HTTP serving or authentication: internal/httpserver
// serves the *sdkmcp.Server New returns (Streamable HTTP, stateless) and
// puts the authenticated caller into each request's context.
//
// The SDK's package is imported as sdkmcp everywhere, tests included, so
// that sdkmcp.AddTool never reads as ours.
//
// # Layout
//
//   - server.go: New, the instructions, the SDK's logger.
//   - middleware.go: the one receiving middleware that counts every tool call
//     (imagegen_mcp_calls_total) and logs it, classifying the outcome from the
//     handler's result and error.
//   - tools.go, tools_create.go, tools_read.go: the image tools; tools_models.go:
//     list_models (the registry, from imagerequests.Catalog); decode.go: an
//     edit's base64 inputs; schema.go: their input and output schemas;
//     modeldocs.go: the registry's rules as the schemas' bounds and
//     per-model descriptions, under the operator's model policy;
//     schemaerrors.go: the SDK's schema errors in our words.
//   - result.go, progress.go, preview.go: results, notifications/progress and
//     include_preview thumbnails.
//   - resources.go: the resource template, reads and subscriptions;
//     resourcelist.go: resources/list.
//   - versions.go: capabilities and texts that depend on the protocol version.
//   - rpcerrors.go: JSON-RPC error codes of the non-tool methods.
//
// The tests of this package are the front door's end-to-end suite: they start
// a control plane, the simulator and a manager, and call MCP and REST over HTTP.
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
