// Package dallesim serves a faithful simulation of OpenAI's Images API —
// DALL-E 2, its first language, and the GPT image models — for tests,
// local demos and benchmarks where OpenAI cannot be reached.
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
// GPT image models (models.go: gpt-image-2, 2.5 sunburst/flare, 2.6, their
// snapshots, and the 1.x family while not retired) follow openai-go
// v3.98.0's contract: b64_json only (response_format and style are unknown
// parameters), prompt up to 32,000 characters, sizes 1024x1024, 1536x1024,
// 1024x1536 and auto, plus custom WxH on 2 and 2.5 (both sides divisible
// by 16, aspect 1:3..3:1, at most 3840x2160); quality low/medium/high/auto
// (xhigh and max on 2.5; auto is served and reported as high); background
// (transparent needs png or webp); output_format png, jpeg or webp (webp is
// lossless, so output_compression only changes jpeg); moderation on
// generations; up to 16 png/jpeg/webp edit inputs under 50 MB each, read
// header-only, and an optional PNG mask of the first image's size. Each
// response carries usage (usage.go documents the token tables). The
// content-policy word answers 400 moderation_blocked with
// moderation_details. Not simulated: streaming, partial images, and the
// preview features (gif, svg, markup, complexity), refused as unsupported,
// and dall-e-3, which always answers model_not_found.
//
// Config.RetiredModels makes models answer model_not_found as OpenAI does
// past their shutdown (ParseRetiredModels("today") is the API as of
// 2026-12-01, dall-e-2 included); the zero Config retires all of those but
// dall-e-2, so DALL-E 2 clients keep working. Config.ModelLatency gives a
// model a latency range (RealisticModelLatency documents the real ones);
// the zero Config has none.
//
// Tests in other packages start one with NewTestServer.
package dallesim
