package dallesim

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
)

// maxJSONBodyBytes bounds a generations request body; a valid one is a few KB.
const maxJSONBodyBytes = 1 << 20

// allowGenerateParam lists the JSON fields the generations endpoint accepts
// for dall-e-2. GPT-image-only fields are rejected as unsupported.
func allowGenerateParam(name string) bool {
	switch name {
	case "prompt", "n", "size", "response_format", "model", "user", "safety_identifier", "quality", "style":
		return true
	}
	return false
}

// handleGenerate serves POST /v1/images/generations.
func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request, call *Call) {
	params, apiErr := decodeJSONParams(w, r)
	if apiErr != nil {
		s.fail(w, call, apiErr)
		return
	}
	call.noteParams(params)
	switch model, route := s.routeModel(params); route {
	case routeRetired:
		call.Model = model
		s.fail(w, call, errModelRetired(model))
		return
	case routeGPTImage:
		s.handleGPTGenerate(w, r, call, model, params)
		return
	}
	p, present := params["prompt"]
	call.Prompt, _, _ = stringValue("prompt", p, present)
	req, apiErr := parseImageParams(params, allowGenerateParam)
	call.noteRequest(req)
	if apiErr != nil {
		s.fail(w, call, apiErr)
		return
	}
	if !s.admit(w, r, call, req) {
		return
	}

	expires := s.urlExpiry()
	base := s.baseURL(r)
	s.respondImages(w, call, req, func(i int, out io.Writer) error {
		if req.ResponseFormat == formatURL {
			return writeURLItem(out, s.generationURL(base, req, i, expires))
		}
		return writeB64Item(out, func(dst io.Writer) error {
			return s.render.encodeGenerated(dst, s.seed, req.Prompt, i, req.Pixels)
		})
	})
}

// decodeJSONParams reads a JSON object body into its raw fields.
func decodeJSONParams(w http.ResponseWriter, r *http.Request) (map[string]rawParam, *apiError) {
	contentType := r.Header.Get("Content-Type")
	if mediaType, _, err := mime.ParseMediaType(contentType); err != nil || mediaType != "application/json" {
		return nil, errContentType(contentType, "application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBodyBytes))
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil || fields == nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			return nil, errBodyTooLarge(maxJSONBodyBytes)
		}
		return nil, errMalformedJSON()
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errMalformedJSON() // trailing data after the object
	}
	params := make(map[string]rawParam, len(fields))
	for k, v := range fields {
		params[k] = jsonParam(v)
	}
	return params, nil
}
