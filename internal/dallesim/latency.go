package dallesim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// LatencyRange is a uniformly random latency in [Min, Max].
type LatencyRange struct {
	Min, Max time.Duration
}

func (lr LatencyRange) validate() error {
	if lr.Min < 0 || lr.Max < lr.Min {
		return fmt.Errorf("latency range %s..%s: need 0 <= min <= max", lr.Min, lr.Max)
	}
	return nil
}

// pick draws one latency from the range.
func (lr LatencyRange) pick() time.Duration {
	if lr.Max <= lr.Min {
		return lr.Min
	}
	return lr.Min + rand.N(lr.Max-lr.Min+1)
}

// String renders the range as ParseModelLatency reads it.
func (lr LatencyRange) String() string {
	if lr.Min == lr.Max {
		return lr.Min.String()
	}
	return lr.Min.String() + ".." + lr.Max.String()
}

// RealisticModelLatency is how long the real models take to answer one
// request, as the simulator plays them with --model-latency=realistic (the
// hack/dallesim default). The GPT image models render for tens of seconds
// (OpenAI: "complex prompts may take up to 2 minutes"); these ranges are
// the simulator's estimates for a medium/high quality 1024x1024 image:
//
//	gpt-image-2 (+ snapshot)          20s..40s
//	gpt-image-2.5-sunburst (+ snap.)  30s..60s  (the larger 2.5 model)
//	gpt-image-2.5-flare (+ snapshot)  10s..20s  (the fast 2.5 model)
//	gpt-image-2.6-sunburst            25s..50s
//	gpt-image-2.6-flare               8s..16s
//	gpt-image-1, gpt-image-1.5, chatgpt-image-latest  15s..45s
//	gpt-image-1-mini                  8s..20s
//	dall-e-2                          not set: keeps --latency, as before
func RealisticModelLatency() map[string]LatencyRange {
	r := func(lo, hi time.Duration) LatencyRange { return LatencyRange{Min: lo, Max: hi} }
	s := time.Second
	return map[string]LatencyRange{
		ModelGPTImage2:                   r(20*s, 40*s),
		ModelGPTImage2Snapshot:           r(20*s, 40*s),
		ModelGPTImage2_5Sunburst:         r(30*s, 60*s),
		ModelGPTImage2_5SunburstSnapshot: r(30*s, 60*s),
		ModelGPTImage2_5Flare:            r(10*s, 20*s),
		ModelGPTImage2_5FlareSnapshot:    r(10*s, 20*s),
		ModelGPTImage2_6Sunburst:         r(25*s, 50*s),
		ModelGPTImage2_6Flare:            r(8*s, 16*s),
		ModelGPTImage1:                   r(15*s, 45*s),
		ModelGPTImage1_5:                 r(15*s, 45*s),
		ModelChatGPTImageLatest:          r(15*s, 45*s),
		ModelGPTImage1Mini:               r(8*s, 20*s),
	}
}

// ParseModelLatency reads a --model-latency value: "realistic"
// (RealisticModelLatency), "none" (no per-model latency), or a comma list
// of model=duration or model=min..max, e.g. "gpt-image-2=30s,gpt-image-2.5-flare=5s..10s".
// A list starting with "realistic," overrides some models of the table.
func ParseModelLatency(v string) (map[string]LatencyRange, error) {
	v = strings.TrimSpace(v)
	switch v {
	case "none", "":
		return nil, nil
	case "realistic":
		return RealisticModelLatency(), nil
	}
	out := map[string]LatencyRange{}
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "realistic" {
			for m, lr := range RealisticModelLatency() {
				out[m] = lr
			}
			continue
		}
		model, spec, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("model latency %q: want model=duration or model=min..max", item)
		}
		if _, gpt := gptModels[model]; !gpt && model != ModelDallE2 {
			return nil, fmt.Errorf("model latency %q: unknown model %q (known: %s)", item, model, knownModels())
		}
		lo, hi, isRange := strings.Cut(spec, "..")
		min, err := time.ParseDuration(lo)
		if err != nil {
			return nil, fmt.Errorf("model latency %q: %w", item, err)
		}
		lr := LatencyRange{Min: min, Max: min}
		if isRange {
			if lr.Max, err = time.ParseDuration(hi); err != nil {
				return nil, fmt.Errorf("model latency %q: %w", item, err)
			}
		}
		if err := lr.validate(); err != nil {
			return nil, fmt.Errorf("model latency %q: %w", item, err)
		}
		out[model] = lr
	}
	return out, nil
}

// knownModels lists the simulated models, sorted.
func knownModels() string {
	names := []string{ModelDallE2}
	for m := range gptModels {
		names = append(names, m)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
