package dallesim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Limits and defaults of the GPT image models (openai-go v3.98.0 image.go).
const (
	// MaxGPTPromptLength is the GPT image models' prompt limit, in characters.
	MaxGPTPromptLength = 32000
	// Custom sizes (gpt-image-2 and 2.5): both sides divisible by
	// CustomSizeStep, aspect ratio within 1:3..3:1, at most MaxCustomPixels
	// pixels (3840x2160) and no side above MaxCustomEdge. Above 2560x1440 the
	// API calls them experimental; the simulator serves them like any other.
	CustomSizeStep  = 16
	MaxCustomEdge   = 3840
	MaxCustomPixels = 3840 * 2160
	// DefaultOutputCompression is output_compression when none is sent.
	DefaultOutputCompression = 100
)

// Values the GPT image models accept.
var (
	gptStandardSizes   = []string{"1024x1024", "1536x1024", "1024x1536", "auto"}
	gptQualities       = []string{"low", "medium", "high", "auto"}
	gptExtraQualities  = []string{"low", "medium", "high", "xhigh", "max", "auto"}
	gptBackgrounds     = []string{"transparent", "opaque", "auto"}
	gptOutputFormats   = []string{imagePNG, imageJPEG, imageWebP}
	gptModerations     = []string{"low", "auto"}
	gptAutoQuality     = "high"   // what "auto" quality resolves to (and is reported as)
	gptAutoBackground  = "opaque" // what "auto" background resolves to
	gptDefaultSizeSide = 1024
)

// gptRequest holds the validated parameters of a GPT image request.
type gptRequest struct {
	imageRequest // Prompt, N, Size (resolved WxH), Model, User
	model        gptModel
	Width        int
	Height       int
	sizeAuto     bool
	Quality      string // resolved: never "auto"
	Background   string // resolved: transparent or opaque
	OutputFormat string
	Compression  int
	Moderation   string
	// SafetyIdentifier is safety_identifier as sent, for the call log.
	SafetyIdentifier string
}

// gptParamKind sorts a parameter name for a GPT image endpoint.
func gptParamKind(name string, edit bool, m gptModel) (allowed bool, apiErr *apiError) {
	switch name {
	case "prompt", "n", "size", "model", "user", "safety_identifier", "quality", "background",
		"output_format", "output_compression":
		return true, nil
	case "moderation":
		// The edits endpoint has no moderation parameter (openai-go's
		// ImageEditParams has none); only generations take it.
		if !edit {
			return true, nil
		}
		return false, errUnknownParam(name)
	case "input_fidelity":
		if edit && len(m.inputFidelity) > 0 {
			return true, nil
		}
		return false, errUnsupportedParam(name)
	case "response_format", "style":
		// Legacy DALL-E parameters: the GPT image models do not know them.
		return false, errUnknownParam(name)
	}
	if isGPTImageOnlyParam(name) {
		// Streaming, partial images and the preview features (gif, svg,
		// markup, complexity) are not simulated: the simulator plays an
		// account without preview access, and answers no streams.
		return false, errUnsupportedParam(name)
	}
	return false, errUnknownParam(name)
}

// parseGPTParams validates a GPT image request in a fixed order: parameter
// names, prompt, n, size, quality, background, output_format,
// output_compression, moderation, input_fidelity, the user labels, then the
// rules that tie parameters together.
func parseGPTParams(params map[string]rawParam, modelName string, edit bool) (gptRequest, *apiError) {
	m := gptModels[modelName]
	req := gptRequest{
		imageRequest: imageRequest{N: 1, Size: "auto", ResponseFormat: formatB64JSON, Model: modelName},
		model:        m,
		Quality:      "auto",
		Background:   "auto",
		OutputFormat: imagePNG,
		Compression:  DefaultOutputCompression,
		Moderation:   "auto",
	}
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if ok, err := gptParamKind(name, edit, m); !ok {
			return req, err
		}
	}
	get := func(name string) (string, bool, *apiError) { p, ok := params[name]; return stringValue(name, p, ok) }

	rawPrompt, present := params["prompt"]
	prompt, err := promptValue(rawPrompt, present, MaxGPTPromptLength)
	if err != nil {
		return req, err
	}
	req.Prompt = prompt

	p, present := params["n"]
	n, ok, err := intValue("n", p, present)
	switch {
	case err != nil:
		return req, err
	case ok && n < 1:
		return req, errIntegerTooSmall("n", 1, n)
	case ok && n > MaxImages:
		return req, errIntegerTooLarge("n", MaxImages, n)
	case ok:
		req.N = int(n)
	}

	if size, ok, err := get("size"); err != nil {
		return req, err
	} else if ok {
		req.Size = size
	}
	if err := req.parseSize(); err != nil {
		return req, err
	}

	qualities := gptQualities
	if m.extraQualities {
		qualities = gptExtraQualities
	}
	for _, f := range []struct {
		name      string
		supported []string
		dst       *string
	}{
		{"quality", qualities, &req.Quality},
		{"background", gptBackgrounds, &req.Background},
		{"output_format", gptOutputFormats, &req.OutputFormat},
		{"moderation", gptModerations, &req.Moderation},
		{"input_fidelity", m.inputFidelity, new(string)},
	} {
		v, ok, err := get(f.name)
		switch {
		case err != nil:
			return req, err
		case ok && !slices.Contains(f.supported, v):
			return req, errInvalidValue(f.name, v, f.supported)
		case ok:
			*f.dst = v
		}
	}

	p, present = params["output_compression"]
	compression, compressionSent, err := intValue("output_compression", p, present)
	switch {
	case err != nil:
		return req, err
	case compressionSent && compression < 0:
		return req, errIntegerTooSmall("output_compression", 0, compression)
	case compressionSent && compression > 100:
		return req, errIntegerTooLarge("output_compression", 100, compression)
	case compressionSent:
		req.Compression = int(compression)
	}

	// safety_identifier takes precedence over the deprecated user when non-empty.
	for _, name := range []string{"user", "safety_identifier"} {
		if v, ok, err := get(name); err != nil {
			return req, err
		} else if ok && v != "" {
			req.User = v
			if name == "safety_identifier" {
				req.SafetyIdentifier = v
			}
		}
	}

	if req.Background == "transparent" && req.OutputFormat == imageJPEG {
		return req, errParamRequires("background", req.Background,
			"Transparent backgrounds require output_format 'png' or 'webp'.")
	}
	if compressionSent && req.OutputFormat == imagePNG {
		return req, errParamRequires("output_compression", strconv.FormatInt(compression, 10),
			"output_compression is only supported with output_format 'jpeg' or 'webp'.")
	}
	if req.Quality == "auto" {
		req.Quality = gptAutoQuality
	}
	if req.Background == "auto" {
		req.Background = gptAutoBackground
	}
	return req, nil
}

// parseSize checks req.Size against the model's size rule and sets Width
// and Height; "auto" is resolved later (by resolveAutoSize).
func (req *gptRequest) parseSize() *apiError {
	if req.Size == "auto" {
		req.sizeAuto = true
		req.Width, req.Height = gptDefaultSizeSide, gptDefaultSizeSide
		req.Size = sizeName(req.Width, req.Height)
		return nil
	}
	if !req.model.customSizes {
		if !slices.Contains(gptStandardSizes, req.Size) {
			return errInvalidValue("size", req.Size, gptStandardSizes)
		}
		req.Width, req.Height, _ = parseWxH(req.Size)
		return nil
	}
	w, h, ok := parseWxH(req.Size)
	if !ok {
		return errInvalidSize(req.Size, "Supported values are 'auto' or a size 'WIDTHxHEIGHT' such as '1536x864'.")
	}
	if rule := customSizeViolation(w, h); rule != "" {
		return errInvalidSize(req.Size, rule)
	}
	req.Width, req.Height = w, h
	return nil
}

// customSizeViolation names the custom size rule w×h breaks, or "".
func customSizeViolation(w, h int) string {
	switch {
	case w%CustomSizeStep != 0 || h%CustomSizeStep != 0:
		return fmt.Sprintf("Width and height must both be divisible by %d.", CustomSizeStep)
	case w > 3*h || h > 3*w:
		return "The aspect ratio must be between 1:3 and 3:1."
	case w > MaxCustomEdge || h > MaxCustomEdge || w*h > MaxCustomPixels:
		return "The maximum supported resolution is 3840x2160."
	}
	return ""
}

// parseWxH reads "WIDTHxHEIGHT" with positive decimal sides (no signs, no spaces).
func parseWxH(size string) (w, h int, ok bool) {
	ws, hs, found := strings.Cut(size, "x")
	if !found || !allDigits(ws) || !allDigits(hs) || len(ws) > 5 || len(hs) > 5 {
		return 0, 0, false
	}
	w, _ = strconv.Atoi(ws)
	h, _ = strconv.Atoi(hs)
	return w, h, w > 0 && h > 0
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func sizeName(w, h int) string { return strconv.Itoa(w) + "x" + strconv.Itoa(h) }

// resolveAutoSize picks the output size of an "auto" edit from the first
// input's shape: inputs more than 1.2 times wider than tall get 1536x1024,
// more than 1.2 times taller than wide 1024x1536, the rest 1024x1024.
// Generations with "auto" are 1024x1024.
func (req *gptRequest) resolveAutoSize(first *inputImage) {
	if !req.sizeAuto || first == nil {
		return
	}
	switch {
	case first.w*5 > first.h*6:
		req.Width, req.Height = 1536, 1024
	case first.h*5 > first.w*6:
		req.Width, req.Height = 1024, 1536
	}
	req.Size = sizeName(req.Width, req.Height)
}
