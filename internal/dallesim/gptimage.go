package dallesim

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// handleGPTGenerate serves POST /v1/images/generations for a GPT image model.
func (s *Server) handleGPTGenerate(w http.ResponseWriter, r *http.Request, call *Call, model string, params map[string]rawParam) {
	p, present := params["prompt"]
	call.Prompt, _, _ = stringValue("prompt", p, present)
	req, apiErr := parseGPTParams(params, model, false)
	call.noteGPTRequest(req)
	if apiErr != nil {
		s.fail(w, call, apiErr)
		return
	}
	s.serveGPT(w, r, call, req, nil, req.Prompt)
}

// handleGPTEdit serves POST /v1/images/edits for a GPT image model:
// parameters are checked before the uploaded files, as for DALL-E 2.
func (s *Server) handleGPTEdit(w http.ResponseWriter, r *http.Request, call *Call, model string, form *editForm) {
	p, present := form.params["prompt"]
	call.Prompt, _, _ = stringValue("prompt", p, present)
	req, apiErr := parseGPTParams(form.params, model, true)
	call.InputImages = form.images
	call.noteGPTRequest(req)
	if apiErr == nil {
		apiErr = form.gptInputs()
	}
	if apiErr != nil {
		s.fail(w, call, apiErr)
		return
	}
	req.resolveAutoSize(form.inputs[0])
	call.Size = req.Size
	s.serveGPT(w, r, call, req, form.inputs, editScenePrompt(req.Prompt, form.inputs))
}

// gptInputs checks the uploaded files of a GPT image edit, in order: at
// least one and at most MaxInputImages images, each a PNG, JPEG or WebP
// under 50 MB whose size can be read; the mask, if any, a PNG under 4 MB
// with an alpha channel and the first image's dimensions.
func (f *editForm) gptInputs() *apiError {
	switch {
	case f.images == 0:
		return errMissingParam("image")
	case f.images > MaxInputImages:
		return errTooManyInputImages(f.images)
	}
	for i, in := range f.inputs {
		if err := in.gptCheck(i + 1); err != nil {
			return err
		}
	}
	if f.maskErr != nil {
		return f.maskErr
	}
	if f.mask != nil {
		if !hasAlphaChannel(f.mask.img) {
			return errMaskNoAlpha()
		}
		if first := f.inputs[0]; f.mask.w != first.w || f.mask.h != first.h {
			return errMaskSize(f.mask.w, f.mask.h, first.w, first.h)
		}
	}
	return nil
}

// editScenePrompt folds the inputs' shapes and sizes into the scene seed,
// so different inputs give different pictures without decoding them.
func editScenePrompt(prompt string, inputs []*inputImage) string {
	var b strings.Builder
	b.WriteString(prompt)
	b.WriteString("\x00edit")
	for _, in := range inputs {
		fmt.Fprintf(&b, "|%s:%dx%d:%d", in.format, in.w, in.h, in.size)
	}
	return b.String()
}

// serveGPT admits a validated GPT image request and answers with its
// images, base64 only, and the usage they cost.
func (s *Server) serveGPT(w http.ResponseWriter, r *http.Request, call *Call, req gptRequest, inputs []*inputImage, scenePrompt string) {
	req.gpt = true
	if !s.admit(w, r, call, req.imageRequest) {
		return
	}
	usage := usageFor(req, inputs)
	call.Status = http.StatusOK
	call.Billable = true
	call.Images = req.N
	call.Usage = &usage
	s.stats.bill(req.Model, req.N, &usage)

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	item := func(i int, out io.Writer) error {
		return writeB64Item(out, func(dst io.Writer) error {
			return s.render.encodeGPT(dst, s.seed, scenePrompt, i, req)
		})
	}
	if err := writeImagesBody(w, s.now().Unix(), req.N, item, gptResponseTail(req, usage)); err != nil {
		// The client went away mid-response; the images were still produced and billed.
		s.log.Debug("writing images response", slog.String("request_id", call.RequestID), slog.Any("error", err))
	}
}

// gptResponseFields are the top-level fields a GPT image response carries
// after data (openai-go's ImagesResponse).
type gptResponseFields struct {
	Background   string `json:"background"`
	OutputFormat string `json:"output_format"`
	Quality      string `json:"quality"`
	// SafetyIdentifier is the effective identifier: safety_identifier, else user, else null.
	SafetyIdentifier *string `json:"safety_identifier"`
	Size             string  `json:"size"`
	Usage            Usage   `json:"usage"`
}

// gptResponseTail renders the fields as the tail writeImagesBody appends.
func gptResponseTail(req gptRequest, usage Usage) string {
	b, err := json.MarshalIndent(gptResponseFields{
		Background:       req.Background,
		OutputFormat:     req.OutputFormat,
		Quality:          req.Quality,
		SafetyIdentifier: nullable(req.User),
		Size:             req.Size,
		Usage:            usage,
	}, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("dallesim: encoding response fields: %v", err)) // only our own types
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(string(b), "{"), "\n}")
	return "," + inner
}
