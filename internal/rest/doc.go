// Package rest serves the REST endpoints over the imagerequests service:
// POST /generate_image (JSON), POST /edit_image (multipart) and
// GET /image_requests/{namespace}/{name}, answering like the POST that
// created the request, and GET /models, the model registry.
//
//   - rest.go: the handlers, the answers and the mapping of failures to
//     HTTP statuses.
//   - jsonkeys.go: duplicate and unknown JSON keys, found by walking the body.
//   - models.go: GET /models, the catalog MCP's list_models returns, in
//     snake_case.
//   - shutdown.go: the 503 (with poll_url) of a call a shutdown cuts short.
package rest
