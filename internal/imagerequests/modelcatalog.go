package imagerequests

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/imagegen/imagegen-operator/internal/models"
)

// ModelCatalog is the model registry as MCP's list_models and REST's
// GET /models show it. It is built from internal/models on every call,
// never copied by hand, so the two interfaces and the registry cannot
// drift. It reveals nothing of the cluster.
type ModelCatalog struct {
	Models []ModelInfo `json:"models" jsonschema:"every model of the registry, sorted by name: offered, retired and snapshots"`
	// Offered repeats the names of the offered models, for clients that
	// only need those.
	Offered []string `json:"offered" jsonschema:"names of the models requests may name today"`
	// Default is the operator's default model (--default-model).
	Default string `json:"default" jsonschema:"the model a request that names none gets (the operator's --default-model)"`
}

// ModelInfo is one registry model.
type ModelInfo struct {
	Name           string          `json:"name" jsonschema:"the model's name, as spec.model and the tools' model argument take it"`
	Offered        bool            `json:"offered" jsonschema:"whether this operator accepts the model in requests today"`
	SnapshotOf     string          `json:"snapshotOf,omitempty" jsonschema:"the model this dated snapshot pins"`
	Retirement     *RetirementInfo `json:"retirement,omitempty" jsonschema:"the announced upstream shutdown, if any"`
	Sizes          []string        `json:"sizes" jsonschema:"sizes the model renders (WxH or auto)"`
	DefaultSize    string          `json:"defaultSize" jsonschema:"size used when a request names none"`
	CustomSizes    string          `json:"customSizes,omitempty" jsonschema:"the rule any other WxH size must keep, when the model takes custom sizes"`
	Qualities      []string        `json:"qualities" jsonschema:"quality values the model takes"`
	Backgrounds    []string        `json:"backgrounds" jsonschema:"background values the model takes (empty: no background parameter)"`
	OutputFormats  []string        `json:"outputFormats" jsonschema:"output formats the model renders (empty: PNG only, no output_format parameter)"`
	MaxN           int             `json:"maxN" jsonschema:"most images one request may ask for"`
	MaxPromptChars int             `json:"maxPromptChars" jsonschema:"longest prompt, in characters"`
	Edit           *EditInfo       `json:"edit,omitempty" jsonschema:"edit support and input limits; absent when the model does not edit"`
	Output         string          `json:"output" jsonschema:"how the upstream returns images: url (expiring link) or b64_json (inline bytes)"`
	Price          PriceInfo       `json:"price" jsonschema:"list price"`
}

// RetirementInfo is an announced upstream shutdown.
type RetirementInfo struct {
	ShutdownDate string `json:"shutdownDate" jsonschema:"first day (UTC, YYYY-MM-DD) the upstream refuses the model"`
	Retired      bool   `json:"retired" jsonschema:"whether that day has come"`
	Replacement  string `json:"replacement" jsonschema:"the model to use instead"`
	Source       string `json:"source,omitempty" jsonschema:"where the date was announced"`
}

// EditInfo are the limits of an edit's inputs.
type EditInfo struct {
	MaxInputImages int      `json:"maxInputImages" jsonschema:"most input images one edit takes"`
	InputFormats   []string `json:"inputFormats" jsonschema:"formats the input images may have"`
	MaxInputBytes  int64    `json:"maxInputBytes" jsonschema:"each input image must be smaller than this many bytes"`
	MaxMaskBytes   int64    `json:"maxMaskBytes" jsonschema:"the mask (a PNG the size of the first image) must be smaller than this many bytes"`
	SquareInput    bool     `json:"squareInput" jsonschema:"whether inputs must be square"`
	MaxInputSide   int      `json:"maxInputSide,omitempty" jsonschema:"longest side of an input or mask, in pixels, when the upstream documents one"`
}

// PriceInfo is a model's list price: per image by size, or per million
// tokens. Neither is set when no price could be verified.
type PriceInfo struct {
	Model               string             `json:"model" jsonschema:"perImage or perToken"`
	PerImageUSD         map[string]float64 `json:"perImageUsd,omitempty" jsonschema:"USD per image, by size"`
	PerMillionTokensUSD *TokenPriceInfo    `json:"perMillionTokensUsd,omitempty" jsonschema:"USD per 1M tokens, applied to each response's usage"`
}

// TokenPriceInfo are USD per 1M tokens.
type TokenPriceInfo struct {
	TextInput        float64 `json:"textInput"`
	CachedTextInput  float64 `json:"cachedTextInput"`
	ImageInput       float64 `json:"imageInput"`
	CachedImageInput float64 `json:"cachedImageInput"`
	ImageOutput      float64 `json:"imageOutput"`
	TextOutput       float64 `json:"textOutput,omitempty"`
}

// Catalog returns the registry as of now under the operator's policy.
// Offered means policy.Offered(now): the models a request may name today
// (not retired, or retired and declared still served).
func Catalog(policy models.Policy, now time.Time) ModelCatalog {
	offered := policy.Offered(now)
	if offered == nil {
		offered = []string{}
	}
	c := ModelCatalog{Models: []ModelInfo{}, Offered: offered, Default: policy.Resolve("")}
	for _, m := range models.All() {
		c.Models = append(c.Models, modelInfo(m, slices.Contains(offered, m.Name), now))
	}
	return c
}

func modelInfo(m models.Model, offered bool, now time.Time) ModelInfo {
	in := ModelInfo{
		Name: m.Name, Offered: offered, SnapshotOf: m.SnapshotOf,
		Sizes: nonNil(m.Sizes), DefaultSize: m.DefaultSize,
		Qualities: nonNil(m.Qualities), Backgrounds: nonNil(m.Backgrounds), OutputFormats: nonNil(m.OutputFormats),
		MaxN: m.MaxN, MaxPromptChars: m.MaxPromptChars, Output: string(m.Output),
		Price: PriceInfo{Model: string(m.PriceModel)},
	}
	if r := m.CustomSizes; r != nil {
		in.CustomSizes = fmt.Sprintf("any WxH with both sides multiples of %d, aspect ratio between 1:%d and %d:1, at most %d px a side and %d px in all",
			r.Multiple, r.MaxAspect, r.MaxAspect, r.MaxEdge, r.MaxPixels)
	}
	if r := m.Retirement; r != nil {
		in.Retirement = &RetirementInfo{ShutdownDate: r.Shutdown.Format(time.DateOnly), Retired: m.RetiredAt(now), Replacement: r.Replacement, Source: r.Source}
	}
	if m.SupportsEdit {
		in.Edit = &EditInfo{MaxInputImages: m.MaxInputImages, InputFormats: nonNil(m.InputFormats), MaxInputBytes: m.MaxInputBytes,
			MaxMaskBytes: m.MaxMaskBytes, SquareInput: m.SquareInput, MaxInputSide: m.MaxInputSide}
	}
	if len(m.PriceUSDPerImage) > 0 {
		in.Price.PerImageUSD = maps.Clone(m.PriceUSDPerImage)
	}
	if p := m.TokenPrices; p != nil {
		in.Price.PerMillionTokensUSD = &TokenPriceInfo{TextInput: p.TextInput, CachedTextInput: p.CachedTextInput,
			ImageInput: p.ImageInput, CachedImageInput: p.CachedImageInput, ImageOutput: p.ImageOutput, TextOutput: p.TextOutput}
	}
	return in
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ModelsTable renders c as a compact text table, one model a line.
func ModelsTable(c ModelCatalog) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-34s %-7s %-8s %-22s %s\n", "MODEL", "OFFERED", "OUTPUT", "RETIREMENT", "PRICE")
	for _, m := range c.Models {
		offered := "no"
		if m.Offered {
			offered = "yes"
		}
		ret := "-"
		if r := m.Retirement; r != nil {
			ret = r.ShutdownDate + " -> " + r.Replacement
		}
		fmt.Fprintf(&b, "%-34s %-7s %-8s %-22s %s\n", m.Name, offered, m.Output, ret, priceText(m.Price))
	}
	return strings.TrimRight(b.String(), "\n")
}

func priceText(p PriceInfo) string {
	switch {
	case p.PerMillionTokensUSD != nil:
		t := p.PerMillionTokensUSD
		return fmt.Sprintf("per 1M tokens: text in $%g (cached $%g), image in $%g (cached $%g), image out $%g",
			t.TextInput, t.CachedTextInput, t.ImageInput, t.CachedImageInput, t.ImageOutput)
	case len(p.PerImageUSD) > 0:
		sizes := make([]string, 0, len(p.PerImageUSD))
		for size := range p.PerImageUSD {
			sizes = append(sizes, size)
		}
		slices.Sort(sizes)
		parts := make([]string, len(sizes))
		for i, size := range sizes {
			parts[i] = fmt.Sprintf("%s $%g", size, p.PerImageUSD[size])
		}
		return "per image: " + strings.Join(parts, ", ")
	default:
		return "no verified price"
	}
}
