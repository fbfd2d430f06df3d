package dallesim

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Response formats DALL-E 2 supports.
const (
	formatURL     = "url"
	formatB64JSON = "b64_json"
)

var (
	supportedSizes     = []string{Size256, Size512, Size1024}
	supportedFormats   = []string{formatURL, formatB64JSON}
	supportedQualities = []string{"standard", "auto"}
	supportedStyles    = []string{"vivid", "natural"}
)

// gptImageOnlyParams are parameters the SDK can send that only GPT image
// models accept; DALL-E 2 rejects them as unsupported rather than unknown.
func isGPTImageOnlyParam(name string) bool {
	switch name {
	case "background", "moderation", "output_format", "output_compression", "partial_images", "stream",
		"input_fidelity", "frame_count", "frame_duration_ms", "complexity", "svg", "markup":
		return true
	}
	return strings.HasPrefix(name, "svg[")
}

// imageRequest holds the validated parameters common to generations and edits.
type imageRequest struct {
	Prompt         string
	N              int
	Size           string
	Pixels         int // side of the square output
	ResponseFormat string
	Model          string
	User           string
	// gpt marks a GPT image request: its content policy refusal is
	// moderation_blocked rather than DALL-E 2's content_policy_violation.
	gpt bool
}

// rawParam is one request parameter as sent: a JSON value, or the text of a
// multipart field.
type rawParam struct {
	json   json.RawMessage
	text   string
	isText bool
}

func jsonParam(v json.RawMessage) rawParam { return rawParam{json: v} }
func textParam(v string) rawParam          { return rawParam{text: v, isText: true} }

// isNull reports whether the parameter should be treated as not sent.
func (p rawParam) isNull() bool {
	if p.isText {
		return false
	}
	return bytes.Equal(bytes.TrimSpace(p.json), []byte("null"))
}

// jsonKind names a JSON value's type the way OpenAI's messages do.
func jsonKind(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	if bytes.ContainsAny(v, ".eE") {
		return "a decimal"
	}
	return "an integer"
}

// stringValue returns the parameter as a string; ok is false when it was
// absent or null.
// promptValue reads the required prompt: a non-empty string of at most
// maxRunes characters (the model's limit).
func promptValue(p rawParam, present bool, maxRunes int) (string, *apiError) {
	prompt, ok, err := stringValue("prompt", p, present)
	switch {
	case err != nil:
		return "", err
	case !ok:
		return "", errMissingParam("prompt")
	case prompt == "":
		return "", errEmptyString("prompt")
	}
	if n := utf8.RuneCountInString(prompt); n > maxRunes {
		return "", errStringTooLong("prompt", maxRunes, n)
	}
	return prompt, nil
}

func stringValue(name string, p rawParam, present bool) (s string, ok bool, err *apiError) {
	if !present || p.isNull() {
		return "", false, nil
	}
	if p.isText {
		return p.text, true, nil
	}
	if err := json.Unmarshal(p.json, &s); err != nil {
		return "", false, errInvalidType(name, "a string", jsonKind(p.json))
	}
	return s, true, nil
}

// intValue returns the parameter as an integer; ok is false when it was
// absent, null, or (multipart) empty.
func intValue(name string, p rawParam, present bool) (n int64, ok bool, err *apiError) {
	if !present || p.isNull() {
		return 0, false, nil
	}
	if p.isText {
		text := strings.TrimSpace(p.text)
		if text == "" {
			return 0, false, nil
		}
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, true, nil
		}
		if _, err := strconv.ParseFloat(text, 64); err == nil {
			return 0, false, errInvalidType(name, "an integer", "a decimal")
		}
		return 0, false, errInvalidType(name, "an integer", "a string")
	}
	if kind := jsonKind(p.json); kind != "an integer" {
		return 0, false, errInvalidType(name, "an integer", kind)
	}
	n, convErr := strconv.ParseInt(string(bytes.TrimSpace(p.json)), 10, 64)
	if convErr != nil {
		// Out of int64 range: as far outside 1..10 as it gets.
		return 0, false, errIntegerTooLarge(name, MaxImages, 1<<62)
	}
	return n, true, nil
}

// parseImageParams validates the parameters shared by both endpoints, in a
// fixed order so the first error reported is deterministic: unknown or
// unsupported parameters, model, prompt, n, size, response_format, then the
// accepted-but-ignored quality and style, and user.
func parseImageParams(params map[string]rawParam, allowed func(string) bool) (imageRequest, *apiError) {
	req := imageRequest{N: 1, Size: DefaultSize, ResponseFormat: formatURL, Model: DefaultModel}

	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if allowed(name) {
			continue
		}
		if isGPTImageOnlyParam(name) {
			return req, errUnsupportedParam(name)
		}
		return req, errUnknownParam(name)
	}

	get := func(name string) (rawParam, bool) { p, ok := params[name]; return p, ok }

	if p, present := get("model"); present {
		model, ok, err := stringValue("model", p, present)
		if err != nil {
			return req, err
		}
		if ok {
			if model != DefaultModel {
				return req, errModelNotFound(model)
			}
			req.Model = model
		}
	}

	p, present := get("prompt")
	prompt, err := promptValue(p, present, MaxPromptLength)
	if err != nil {
		return req, err
	}
	req.Prompt = prompt

	p, present = get("n")
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

	p, present = get("size")
	if size, ok, err := stringValue("size", p, present); err != nil {
		return req, err
	} else if ok {
		if !slices.Contains(supportedSizes, size) {
			return req, errInvalidValue("size", size, supportedSizes)
		}
		req.Size = size
	}
	req.Pixels, _ = sizePixels(req.Size)

	p, present = get("response_format")
	if format, ok, err := stringValue("response_format", p, present); err != nil {
		return req, err
	} else if ok {
		if !slices.Contains(supportedFormats, format) {
			return req, errInvalidValue("response_format", format, supportedFormats)
		}
		req.ResponseFormat = format
	}

	for _, check := range []struct {
		name      string
		supported []string
	}{{"quality", supportedQualities}, {"style", supportedStyles}} {
		p, present = get(check.name)
		if v, ok, err := stringValue(check.name, p, present); err != nil {
			return req, err
		} else if ok && !slices.Contains(check.supported, v) {
			return req, errInvalidValue(check.name, v, check.supported)
		}
	}

	// safety_identifier supersedes the deprecated user; both only label the call.
	for _, name := range []string{"user", "safety_identifier"} {
		p, present = get(name)
		if v, ok, err := stringValue(name, p, present); err != nil {
			return req, err
		} else if ok && v != "" {
			req.User = v
		}
	}
	return req, nil
}
