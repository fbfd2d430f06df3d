// Package models is the one place that knows what each upstream image model
// accepts and costs. The controller checks requests against it before any
// paid call, the MCP server before it creates anything, and the CRD schema
// mirrors it for admission (a test keeps the two in step).
package models

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Output says how a model hands back its images.
type Output string

const (
	// OutputURL means the upstream hosts the image and returns a URL that
	// expires.
	OutputURL Output = "url"
	// OutputBase64 means the upstream returns the bytes inline (the current
	// GPT image models); an artifact store must turn them into URLs.
	OutputBase64 Output = "b64_json"
)

// Model is what one upstream model accepts, returns and costs.
type Model struct {
	// Name as the upstream API spells it.
	Name string
	// Sizes the model renders, as "WxH".
	Sizes []string
	// DefaultSize is used when a request names none.
	DefaultSize string
	// MaxN is the most images one call may ask for (the least is 1).
	MaxN int
	// MaxPromptChars bounds the prompt length, counted in characters (runes).
	MaxPromptChars int
	// SupportsEdit says whether the edits endpoint accepts this model.
	SupportsEdit bool
	// MaxInputBytes bounds an edit's image and mask: each must be smaller.
	MaxInputBytes int64
	// SquareInput says edit inputs must be square.
	SquareInput bool
	// MaxInputSide bounds each side of an edit's image and mask, in pixels.
	// It is checked from the PNG header before any pixel is inflated, so it
	// also bounds the memory a check of an input takes.
	MaxInputSide int
	// Output is how results come back.
	Output Output
	// URLValidity is how long an OutputURL link works after creation.
	URLValidity time.Duration
	// PriceUSDPerImage is the list price per image, by size.
	PriceUSDPerImage map[string]float64
}

// DALLE2 is the reference contract: OpenAI's DALL-E 2 as documented before
// its retirement on 2026-05-12.
const DALLE2 = "dall-e-2"

// DefaultModel is used when a request names none.
const DefaultModel = DALLE2

var registry = map[string]Model{
	DALLE2: {
		Name:           DALLE2,
		Sizes:          []string{"256x256", "512x512", "1024x1024"},
		DefaultSize:    "1024x1024",
		MaxN:           10,
		MaxPromptChars: 1000,
		SupportsEdit:   true,
		MaxInputBytes:  4 << 20,
		SquareInput:    true,
		MaxInputSide:   4096, // the upstream refuses inputs over 4096x4096
		Output:         OutputURL,
		URLValidity:    60 * time.Minute,
		PriceUSDPerImage: map[string]float64{
			"256x256":   0.016,
			"512x512":   0.018,
			"1024x1024": 0.020,
		},
	},
}

// Lookup returns the model called name.
func Lookup(name string) (Model, bool) {
	m, ok := registry[name]
	return m, ok
}

// Names lists every known model, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// SupportsSize reports whether the model renders size.
func (m Model) SupportsSize(size string) bool { return slices.Contains(m.Sizes, size) }

// EstimatedCostUSD is the list price of n images of size.
func (m Model) EstimatedCostUSD(size string, n int) float64 {
	return m.PriceUSDPerImage[size] * float64(n)
}

// FormatUSD renders a dollar amount the way status.estimatedCostUSD holds it.
func FormatUSD(amount float64) string { return fmt.Sprintf("%.3f", amount) }
