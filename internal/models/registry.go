// Package models is the one place that knows what each upstream image model
// accepts and costs. The controller checks requests against it before any
// paid call, the MCP server before it creates anything, and the CRD schema
// mirrors it for admission (a test keeps the two in step).
//
// # What it holds
//
// One Model per name the upstream knows (catalog.go): dall-e-2 (the
// reference contract the simulator speaks), the current GPT image models
// gpt-image-2, gpt-image-2.5-sunburst/-flare and gpt-image-2.6-sunburst/
// -flare, their dated snapshots (entries of their own whose SnapshotOf names
// the model they pin; same rules and prices, sent upstream under their own
// name), and the retired ones (dall-e-3, gpt-image-1, gpt-image-1-mini,
// gpt-image-1.5, chatgpt-image-latest) with their shutdown date and
// replacement. The sources of every rule and price are cited next to them.
//
// # The API for callers
//
//   - Lookup(name) finds any entry, retired or not; All and AllNames list
//     them (for a list_models tool or resource).
//   - Names lists the models the interfaces accept (every entry; retired
//     ones are refused by Policy, by date).
//   - Validate(r) checks a Request against its model's rules, clock-free,
//     exactly as before for dall-e-2; every broken rule is a FieldError
//     naming the field and a rule word of internal/rules.
//   - Policy (policy.go) is the operator's configuration the rules depend
//     on: the default model (--default-model) and the retired models the
//     operator declares still served (--serve-retired-models). Policy.Validate
//     (r, now) is Validate plus the retirement check against the clock now;
//     callers that make paid calls use it.
//   - Model.UsageCostUSD (cost.go) prices a call from the upstream's usage
//     block (per-token models); Model.EstimatedCostUSD stays the per-image
//     price (dall-e-2); Model.Estimate gives the pre-call estimate for quota
//     reservation from size and quality, for either price model.
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

// PriceModel says how a model is billed.
type PriceModel string

const (
	// PricePerImage means a list price per image by size (dall-e-2).
	PricePerImage PriceModel = "perImage"
	// PricePerToken means prices per million tokens, applied to the usage block
	// of each response (the GPT image models).
	PricePerToken PriceModel = "perToken"
)

// Model is what one upstream model accepts, returns and costs.
type Model struct {
	// Name as the upstream API spells it; the name sent upstream.
	Name string
	// SnapshotOf names the model this dated snapshot pins ("" if none).
	SnapshotOf string
	// Sizes the model renders, as "WxH" (or "auto").
	Sizes []string
	// CustomSizes, when set, lets the model render any WxH its rule allows
	// besides Sizes.
	CustomSizes *SizeRule
	// DefaultSize is used when a request names none.
	DefaultSize string
	// MaxN is the most images one call may ask for (the least is 1).
	MaxN int
	// MaxPromptChars bounds the prompt length, counted in characters (runes).
	MaxPromptChars int
	// Qualities the model takes; empty means it takes no quality parameter.
	Qualities []string
	// Backgrounds the model takes; empty means no background parameter.
	Backgrounds []string
	// OutputFormats the model renders; empty means no output_format
	// parameter (the model returns PNG). DefaultOutputFormat is what the
	// upstream renders when a request names none.
	OutputFormats       []string
	DefaultOutputFormat string
	// CompressionFormats are the output formats that take
	// output_compression (0–100).
	CompressionFormats []string
	// TransparentFormats are the output formats a transparent background
	// needs.
	TransparentFormats []string
	// Moderations the generations endpoint takes; empty means none. The
	// edits endpoint takes no moderation parameter (openai-go v3.98.0's
	// ImageEditParams has none).
	Moderations []string
	// SupportsEdit says whether the edits endpoint accepts this model.
	SupportsEdit bool
	// MaxInputImages is the most input images one edit takes.
	MaxInputImages int
	// InputFormats are the formats an edit's input images may have.
	InputFormats []string
	// MaxInputBytes bounds each edit input image: each must be smaller.
	// For dall-e-2 it bounds the mask too.
	MaxInputBytes int64
	// MaxMaskBytes bounds the mask (a PNG the size of the first image);
	// each must be smaller.
	MaxMaskBytes int64
	// SquareInput says edit inputs must be square.
	SquareInput bool
	// TransparentInput says an edit without a mask needs transparent
	// pixels in its image: they mark what to repaint (dall-e-2). The GPT
	// image models repaint from the prompt and need none
	// (imagecheck.Rules.TransparencyOptional is its negation).
	TransparentInput bool
	// SafetyIdentifier says the model takes the end-user identifier as
	// safety_identifier, which replaced user for the GPT image models;
	// otherwise it is sent as user.
	SafetyIdentifier bool
	// MaxInputSide bounds each side of an edit's image and mask, in pixels.
	// It is checked from the PNG header before any pixel is inflated, so it
	// also bounds the memory a check of an input takes. 0 means the
	// upstream documents no bound and internal/imagecheck's own default
	// applies.
	MaxInputSide int
	// Output is how results come back.
	Output Output
	// URLValidity is how long an OutputURL link works after creation.
	URLValidity time.Duration
	// PriceModel says which of the prices below applies.
	PriceModel PriceModel
	// PriceUSDPerImage is the list price per image, by size (PricePerImage).
	PriceUSDPerImage map[string]float64
	// TokenPrices are the prices per million tokens (PricePerToken); nil
	// when no price could be verified, in which case cost and estimate
	// return ErrNoPrice rather than a made-up number.
	TokenPrices *TokenPrices
	// Retirement is the announced upstream shutdown, nil if none.
	Retirement *Retirement
}

// DALLE2 is the reference contract: OpenAI's DALL-E 2 as documented before
// its retirement on 2026-05-12.
const DALLE2 = "dall-e-2"

// DefaultModel is the reference contract's default: the model a request
// that names none gets under the zero Policy (ReferencePolicy). The
// operator's own default comes from --default-model (ConfiguredDefaultModel).
const DefaultModel = DALLE2

// Lookup returns the model called name: any registry entry, retired or
// not, snapshots included.
func Lookup(name string) (Model, bool) {
	m, ok := registry[name]
	return m, ok
}

// Names lists the models the interfaces accept: every registry entry,
// sorted. Retired ones are included on purpose: a request that names one is
// refused by Policy with rule "retired" and the shutdown date and
// replacement, which says more than "unknown model" would, and an object
// stored while its model was served stays valid.
func Names() []string { return AllNames() }

// AllNames lists every registry entry, retired ones and snapshots
// included, sorted.
func AllNames() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// All returns every registry entry, sorted by name.
func All() []Model {
	out := make([]Model, 0, len(registry))
	for _, name := range AllNames() {
		out = append(out, registry[name])
	}
	return out
}

// SupportsSize reports whether the model renders size: one of its Sizes,
// or a custom size its SizeRule allows.
func (m Model) SupportsSize(size string) bool {
	if slices.Contains(m.Sizes, size) {
		return true
	}
	return m.CustomSizes != nil && m.CustomSizes.Check(size) == nil
}

// EstimatedCostUSD is the list price of n images of size for a per-image
// model; 0 for a per-token one (use Estimate or UsageCostUSD).
func (m Model) EstimatedCostUSD(size string, n int) float64 {
	return m.PriceUSDPerImage[size] * float64(n)
}

// FormatUSD renders a dollar amount the way status.estimatedCostUSD holds it.
func FormatUSD(amount float64) string { return fmt.Sprintf("%.3f", amount) }
