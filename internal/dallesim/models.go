package dallesim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The simulator plays OpenAI's image models independently of the operator's
// own registry (internal/models, which it must never import): agreement
// tests between the two only mean something if each was written from the
// upstream's documentation on its own. The source here is openai-go
// v3.98.0's image.go (model list, parameter doc comments) and the issue's
// summary of OpenAI's deprecations page.

// Image models the simulator knows by name.
const (
	ModelDallE2                      = "dall-e-2"
	ModelDallE3                      = "dall-e-3"
	ModelGPTImage1                   = "gpt-image-1"
	ModelGPTImage1Mini               = "gpt-image-1-mini"
	ModelGPTImage1_5                 = "gpt-image-1.5"
	ModelChatGPTImageLatest          = "chatgpt-image-latest"
	ModelGPTImage2                   = "gpt-image-2"
	ModelGPTImage2Snapshot           = "gpt-image-2-2026-04-21"
	ModelGPTImage2_5Sunburst         = "gpt-image-2.5-sunburst"
	ModelGPTImage2_5SunburstSnapshot = "gpt-image-2.5-sunburst-2026-09-08"
	ModelGPTImage2_5Flare            = "gpt-image-2.5-flare"
	ModelGPTImage2_5FlareSnapshot    = "gpt-image-2.5-flare-2026-09-08"
	ModelGPTImage2_6Sunburst         = "gpt-image-2.6-sunburst"
	ModelGPTImage2_6Flare            = "gpt-image-2.6-flare"
)

// gptModel is what the simulator needs to know of one GPT image model.
type gptModel struct {
	// customSizes: any WxH within the custom size rule (gpt-image-2 and 2.5).
	customSizes bool
	// extraQualities: xhigh and max (2.5 only).
	extraQualities bool
	// inputFidelity: accepts input_fidelity on edits (the 1.x family;
	// "for gpt-image-2, omit this parameter").
	inputFidelity []string
}

// gptModels are the GPT image models served in gpt-image mode.
// dall-e-3 is known (so it can be retired by name) but not simulated: a
// request naming it, retired or not, answers model_not_found.
var gptModels = map[string]gptModel{
	ModelGPTImage1:                   {inputFidelity: []string{"high", "low"}},
	ModelGPTImage1Mini:               {inputFidelity: []string{"low"}},
	ModelGPTImage1_5:                 {inputFidelity: []string{"high", "low"}},
	ModelChatGPTImageLatest:          {inputFidelity: []string{"high", "low"}},
	ModelGPTImage2:                   {customSizes: true},
	ModelGPTImage2Snapshot:           {customSizes: true},
	ModelGPTImage2_5Sunburst:         {customSizes: true, extraQualities: true},
	ModelGPTImage2_5SunburstSnapshot: {customSizes: true, extraQualities: true},
	ModelGPTImage2_5Flare:            {customSizes: true, extraQualities: true},
	ModelGPTImage2_5FlareSnapshot:    {customSizes: true, extraQualities: true},
	ModelGPTImage2_6Sunburst:         {},
	ModelGPTImage2_6Flare:            {},
}

// Shutdown dates of retired models, as OpenAI announced them.
var shutdownDates = map[string]string{
	ModelDallE2:             "2026-05-12",
	ModelDallE3:             "2026-05-12",
	ModelGPTImage1:          "2026-10-23",
	ModelGPTImage1Mini:      "2026-12-01",
	ModelGPTImage1_5:        "2026-12-01",
	ModelChatGPTImageLatest: "2026-12-01",
}

// RetiredToday is the date "today" in --retired-models stands for.
const RetiredToday = "2026-12-01"

// RetiredAsOf lists the models shut down on or before date (YYYY-MM-DD), sorted.
func RetiredAsOf(date string) []string {
	out := []string{} // never nil: nil means "the default" in Config

	for m, d := range shutdownDates {
		if d <= date {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return out
}

// DefaultRetiredModels is what a nil Config.RetiredModels means: the API as
// of RetiredToday except dall-e-2, which stays served because DALL-E 2 is the
// simulator's reference contract and its existing users rely on it.
func DefaultRetiredModels() []string {
	return slices.DeleteFunc(RetiredAsOf(RetiredToday), func(m string) bool { return m == ModelDallE2 })
}

// ParseRetiredModels reads a --retired-models value: "today" (every model
// shut down as of RetiredToday, dall-e-2 included), "none" (serve every
// simulated model), "as-of:YYYY-MM-DD", or a comma-separated list of model
// names. The result is never nil, so it overrides the default.
func ParseRetiredModels(v string) ([]string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "today":
		return RetiredAsOf(RetiredToday), nil
	case v == "none" || v == "":
		return []string{}, nil
	case strings.HasPrefix(v, "as-of:"):
		date := strings.TrimPrefix(v, "as-of:")
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return nil, fmt.Errorf("retired models %q: date must be YYYY-MM-DD: %w", v, err)
		}
		return RetiredAsOf(date), nil
	}
	out := []string{}
	for name := range strings.SplitSeq(v, ",") {
		name = strings.TrimSpace(name)
		if _, gpt := gptModels[name]; !gpt && name != ModelDallE2 && name != ModelDallE3 {
			return nil, fmt.Errorf("retired models: unknown model %q", name)
		}
		out = append(out, name)
	}
	return out, nil
}

// modelRoute is where a request goes once its model is known.
type modelRoute int

const (
	// routeDallE2 is the DALL-E 2 path; it also answers models it does not
	// know with model_not_found, after its own parameter checks, as before.
	routeDallE2 modelRoute = iota
	routeGPTImage
	routeRetired
)

// routeModel picks the path for the request's "model" parameter. A model
// that is absent or null means dall-e-2 while it is served, else gpt-image-2.
func (s *Server) routeModel(params map[string]rawParam) (string, modelRoute) {
	p, present := params["model"]
	name, ok, err := stringValue("model", p, present)
	if err != nil {
		return "", routeDallE2 // the DALL-E 2 path reports the type error, as before
	}
	if !ok {
		name = ModelDallE2
		if s.retired[ModelDallE2] {
			name = ModelGPTImage2
		}
	}
	switch {
	case s.retired[name]:
		return name, routeRetired
	case name == ModelDallE2:
		return name, routeDallE2
	}
	if _, gpt := gptModels[name]; gpt {
		return name, routeGPTImage
	}
	return name, routeDallE2
}

// retiredSet builds the lookup of retired models from a Config value.
func retiredSet(models []string) map[string]bool {
	if models == nil {
		models = DefaultRetiredModels()
	}
	set := make(map[string]bool, len(models))
	for _, m := range models {
		set[m] = true
	}
	return set
}
