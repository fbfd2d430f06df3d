package models

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// ErrNoPrice means the registry records no verified price for what is to
// be priced; callers record the cost as unknown rather than guess.
var ErrNoPrice = errors.New("no verified price recorded")

// TokenPrices are USD per 1M tokens. A zero price means the upstream lists
// none for that kind of token; charging tokens of that kind is ErrNoPrice.
type TokenPrices struct {
	TextInput        float64
	CachedTextInput  float64
	ImageInput       float64
	CachedImageInput float64
	ImageOutput      float64
	// TextOutput: the current image models' pages list no text output
	// price, so it is 0 for them.
	TextOutput float64
}

// Usage is a response's usage block. The totals include their cached
// part, as OpenAI counts them: input_tokens_details.text_tokens maps to
// TextInputTokens, .image_tokens to ImageInputTokens, output_tokens_details
// .image_tokens (or output_tokens when there are no details) to
// ImageOutputTokens. openai-go v3.98.0's ImagesResponseUsage reports no
// cached counts; leave the Cached fields 0 then (the cost is the uncached
// price, never less than charged).
type Usage struct {
	TextInputTokens        int64
	CachedTextInputTokens  int64
	ImageInputTokens       int64
	CachedImageInputTokens int64
	ImageOutputTokens      int64
	TextOutputTokens       int64
}

// UsageCostUSD is what a call of a per-token model cost: each kind of
// token times its price per 1M, cached tokens at the cached price.
func (m Model) UsageCostUSD(u Usage) (float64, error) {
	if m.PriceModel != PricePerToken {
		return 0, fmt.Errorf("%s is priced per image, not from usage", m.Name)
	}
	p := m.TokenPrices
	if p == nil {
		return 0, fmt.Errorf("pricing %s: %w", m.Name, ErrNoPrice)
	}
	if u.CachedTextInputTokens > u.TextInputTokens || u.CachedImageInputTokens > u.ImageInputTokens {
		return 0, fmt.Errorf("usage of %s counts more cached than total input tokens: %+v", m.Name, u)
	}
	if u.TextOutputTokens > 0 && p.TextOutput == 0 {
		return 0, fmt.Errorf("pricing %d text output tokens of %s: %w", u.TextOutputTokens, m.Name, ErrNoPrice)
	}
	perM := func(tokens int64, price float64) float64 { return float64(tokens) * price / 1e6 }
	return perM(u.TextInputTokens-u.CachedTextInputTokens, p.TextInput) +
		perM(u.CachedTextInputTokens, p.CachedTextInput) +
		perM(u.ImageInputTokens-u.CachedImageInputTokens, p.ImageInput) +
		perM(u.CachedImageInputTokens, p.CachedImageInput) +
		perM(u.ImageOutputTokens, p.ImageOutput) +
		perM(u.TextOutputTokens, p.TextOutput), nil
}

// Estimate is the expected cost of a call before it is made, for quota
// reservation (the spend-and-rate-control issue). It is an estimate: the
// charge is the usage after the call (UsageCostUSD).
type Estimate struct {
	// USD is the expected cost of the whole call (all n images).
	USD float64
	// Usage is the expected usage it was priced from (zero for per-image
	// models).
	Usage Usage
}

// Expected output tokens of one image at 1024x1024, by quality: OpenAI's
// published counts for gpt-image-1 (image generation guide, "Cost and
// latency": low 272, medium 1056, high 4160), the figures issue 11 cites;
// not re-verified with a search on 2026-12-01. OpenAI publishes no counts
// for gpt-image-2, 2.5 or 2.6, nor for xhigh and max, so:
//   - other sizes scale by pixel area (1536x1024 gives 408/1584/6240, the
//     published counts for the two portrait/landscape sizes);
//   - auto quality is priced as high and auto size as 1536x1024, the
//     largest a model picks on its own, so the estimate over-reserves;
//   - xhigh and max are our assumption of 2× and 4× high, chosen to
//     over-reserve; replace them when OpenAI publishes counts.
var outputTokens1024 = map[string]int64{
	"low":    272,
	"medium": 1056,
	"high":   4160,
	"auto":   4160,
	"xhigh":  2 * 4160,
	"max":    4 * 4160,
}

// estimateSizeAuto is the size an "auto" size is estimated at.
const estimateSizeAuto = "1536x1024"

// tokensPerInputImage is the image input tokens an estimate assumes for
// each edit input image: OpenAI publishes no count for these models; 765
// is the documented vision count of a 1024x1024 image at high detail (85 +
// 4 tiles × 170) and is used as a stand-in.
const tokensPerInputImage = 765

// charsPerTextToken estimates prompt tokens from characters (OpenAI's
// rule of thumb of about four characters of English a token).
const charsPerTextToken = 4

// ExpectedOutputTokens is the estimate's output tokens for one image of
// size at quality ("" quality or size meaning auto).
func ExpectedOutputTokens(quality, size string) (int64, error) {
	if quality == "" {
		quality = "auto"
	}
	base, ok := outputTokens1024[quality]
	if !ok {
		return 0, fmt.Errorf("no expected output tokens for quality %q: %w", quality, ErrNoPrice)
	}
	if size == "" || size == "auto" {
		size = estimateSizeAuto
	}
	w, h, ok := ParseSize(size)
	if !ok {
		return 0, fmt.Errorf("estimating size %q: not WIDTHxHEIGHT", size)
	}
	return int64(math.Ceil(float64(base) * float64(w*h) / (1024 * 1024))), nil
}

// Estimate is the expected cost of r on m before the call: per-image
// models price n images of the size (DefaultSize if none); per-token
// models price the prompt's text tokens, InputImages input images and n
// images' ExpectedOutputTokens. It assumes r is valid (Validate first).
func (m Model) Estimate(r Request) (Estimate, error) {
	n := max(r.N, 1)
	switch m.PriceModel {
	case PricePerImage:
		size := r.Size
		if size == "" {
			size = m.DefaultSize
		}
		price, ok := m.PriceUSDPerImage[size]
		if !ok {
			return Estimate{}, fmt.Errorf("estimating %s at %s: %w", m.Name, size, ErrNoPrice)
		}
		return Estimate{USD: price * float64(n)}, nil
	case PricePerToken:
		out, err := ExpectedOutputTokens(r.Quality, r.Size)
		if err != nil {
			return Estimate{}, fmt.Errorf("estimating %s: %w", m.Name, err)
		}
		chars := utf8.RuneCountInString(r.Prompt)
		u := Usage{
			TextInputTokens:   int64((chars + charsPerTextToken - 1) / charsPerTextToken),
			ImageInputTokens:  int64(max(r.InputImages, 0)) * tokensPerInputImage,
			ImageOutputTokens: out * int64(n),
		}
		usd, err := m.UsageCostUSD(u)
		if err != nil {
			return Estimate{}, fmt.Errorf("estimating: %w", err)
		}
		return Estimate{USD: usd, Usage: u}, nil
	default:
		return Estimate{}, fmt.Errorf("estimating %s: unknown price model %q", m.Name, m.PriceModel)
	}
}
