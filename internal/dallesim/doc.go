// Package dallesim serves a faithful simulation of OpenAI's DALL-E 2 Images
// API, for tests, local demos and benchmarks where OpenAI cannot be reached.
//
// A Server is an http.Handler answering
//
//	POST /v1/images/generations   JSON: prompt, n, size, response_format, model, user
//	POST /v1/images/edits         multipart: image, mask, prompt, n, size, response_format, model, user
//	GET  /images/...              the PNGs that url responses point at (HMAC-signed, expiring)
//	     /sim/...                 the admin API (see admin.go); local use only
//
// with the real API's validation rules, error shapes
// ({"error":{"message","type","param","code"}}), status codes and headers
// (x-request-id, openai-version, openai-processing-ms), so a client built
// on github.com/openai/openai-go cannot tell it from api.openai.com.
//
// Images are real PNGs of the requested size, painted deterministically from
// (seed, prompt, index). Edits keep every input pixel whose alpha — in the
// mask, or in the image when there is no mask — is at least 1, exactly, and
// repaint only fully transparent (alpha 0) pixels.
//
// Behaviour is scriptable at start (Config) and at run time (Settings,
// AddFault, the admin API): latency with jitter and per-size overrides,
// scripted faults (429s, 400 billing, 500, 503, connection resets, hangs)
// scoped by prompt substring, a content-policy word, and an
// images-per-minute limit. Stats and Calls account for every call, so tests
// can assert exactly how many paid (billable) calls were made.
//
// Tests in other packages start one with NewTestServer.
package dallesim
