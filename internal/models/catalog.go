package models

import "time"

// The rules below come from the doc comments of openai-go v3.98.0's
// image.go (ImageGenerateParams, ImageEditParams, ImageModel), the
// contract the operator calls, unless a comment cites another source. The
// prices' sources were looked up on 2026-12-01; each is cited next to the
// price. Preview features are left out on purpose: output formats gif and
// svg (and frame_count, frame_duration_ms, the svg object), the edit
// markup image and complexity all need preview access the docs do not
// promise, so requests cannot name them and the registry never offers them.

// Names of the models, as the upstream spells them.
const (
	GPTImage2                  = "gpt-image-2"
	GPTImage2Snapshot          = "gpt-image-2-2026-04-21"
	GPTImage25Sunburst         = "gpt-image-2.5-sunburst"
	GPTImage25SunburstSnapshot = "gpt-image-2.5-sunburst-2026-09-08"
	GPTImage25Flare            = "gpt-image-2.5-flare"
	GPTImage25FlareSnapshot    = "gpt-image-2.5-flare-2026-09-08"
	GPTImage26Sunburst         = "gpt-image-2.6-sunburst"
	GPTImage26Flare            = "gpt-image-2.6-flare"

	DALLE3             = "dall-e-3"
	GPTImage1          = "gpt-image-1"
	GPTImage1Mini      = "gpt-image-1-mini"
	GPTImage15         = "gpt-image-1.5"
	ChatGPTImageLatest = "chatgpt-image-latest"
)

// Values of the GPT image models' parameters.
var (
	// standardSizes: "The standard sizes 1024x1024, 1536x1024, and
	// 1024x1536 are supported by the GPT image models; auto is supported
	// for models that allow automatic sizing" (and "Defaults to auto").
	standardSizes = []string{"1024x1024", "1536x1024", "1024x1536", "auto"}
	// gptQualities: "The GPT image models support low, medium, and high
	// ... Defaults to auto."
	gptQualities = []string{"low", "medium", "high", "auto"}
	// gpt25Qualities: "gpt-image-2.5-sunburst and gpt-image-2.5-flare,
	// including their 2026-09-08 snapshots, also support xhigh and max."
	// 2.6 is not named there, so it does not get them.
	gpt25Qualities = []string{"low", "medium", "high", "xhigh", "max", "auto"}
	// backgrounds: "Must be one of transparent, opaque, or auto". For
	// gpt-image-2 transparency "is in preview"; it is offered because the
	// issue lists it and the upstream, not us, decides preview access.
	backgrounds = []string{"transparent", "opaque", "auto"}
	// outputFormats: png, webp, jpeg ("The default value is png"); gif and
	// svg are preview features and left out.
	outputFormats = []string{"png", "jpeg", "webp"}
	// compressionFormats: "only supported for the GPT image models with the
	// webp or jpeg output formats".
	compressionFormats = []string{"jpeg", "webp"}
	// transparentFormats: "When using transparent, set the output format to
	// png or webp."
	transparentFormats = []string{"png", "webp"}
	// moderations: "Must be either low ... or auto (default value)";
	// generations only.
	moderations = []string{"low", "auto"}
	// inputFormats: "each image should be a png, webp, or jpg file less
	// than 50MB. You can provide up to 16 images."
	inputFormats = []string{"png", "webp", "jpeg"}
)

// customSizes is the custom size rule of gpt-image-2 and 2.5: "arbitrary
// resolutions are supported as WIDTHxHEIGHT strings ... Width and height
// must both be divisible by 16 and the requested aspect ratio must be
// between 1:3 and 3:1. Resolutions above 2560x1440 are experimental, and
// the maximum supported resolution is 3840x2160." The docs name only
// gpt-image-2 and 2.5 (and their snapshots) for this, so 2.6 gets the
// standard sizes only: refusing a custom size for 2.6 before the call is
// what the documented contract implies, and it can be relaxed when the docs
// name 2.6. 3840x2160 is read as both an edge bound (3840) and a pixel
// bound (3840×2160 = 8,294,400), so 2880x2880 fits and 3840x2400 does not.
var customSizes = &SizeRule{Multiple: 16, MaxAspect: 3, MaxEdge: 3840, MaxPixels: 3840 * 2160}

// gptImage returns the contract every current GPT image model shares.
func gptImage(name string, qualities []string, sizes *SizeRule, prices *TokenPrices) Model {
	return Model{
		Name:                name,
		Sizes:               standardSizes,
		CustomSizes:         sizes,
		DefaultSize:         "auto",
		MaxN:                10,    // "Must be between 1 and 10."
		MaxPromptChars:      32000, // "The maximum length is 32000 characters"
		Qualities:           qualities,
		Backgrounds:         backgrounds,
		OutputFormats:       outputFormats,
		DefaultOutputFormat: "png",
		CompressionFormats:  compressionFormats,
		TransparentFormats:  transparentFormats,
		Moderations:         moderations,
		SupportsEdit:        true,
		MaxInputImages:      16,
		InputFormats:        inputFormats,
		MaxInputBytes:       50 << 20,
		// The mask: "Must be a valid PNG file, less than 4MB, and have the
		// same dimensions as image" (the first image when there are
		// several). No transparency is required of the images themselves.
		MaxMaskBytes: 4 << 20,
		// "safety_identifier ... replaces the user field" for them.
		SafetyIdentifier: true,
		// "GPT image models ... always return base64-encoded images";
		// response_format is refused.
		Output:      OutputBase64,
		PriceModel:  PricePerToken,
		TokenPrices: prices,
	}
}

// snapshot returns base pinned under its dated name.
func snapshot(base Model, name string) Model {
	base.SnapshotOf, base.Name = base.Name, name
	return base
}

// retired returns m marked as shut down on date (YYYY-MM-DD, UTC) with its
// replacement.
func retired(m Model, date, replacement, source string) Model {
	day, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	m.Retirement = &Retirement{Shutdown: day, Replacement: replacement, Source: source}
	return m
}

// Token prices, USD per 1M tokens.
var (
	// gpt-image-2.6-sunburst: text input $5.00 (cached $1.25), image input
	// $8.00 (cached $2.00), image output $30.00. Source: OpenAI's model
	// page https://developers.openai.com/api/docs/models/gpt-image-2.6-sunburst
	// (read in its de-DE copy, 2026-12-01), and issue 11.
	pricesGPTImage26Sunburst = &TokenPrices{TextInput: 5, CachedTextInput: 1.25, ImageInput: 8, CachedImageInput: 2, ImageOutput: 30}
	// gpt-image-2.6-flare: OpenAI's own page for it was not reachable;
	// https://docs.apiyi.com/en/live/2026-11/gpt-image-2-6-launch.md
	// (2026-11-05) says both 2.6 models bill $5 / $8 / $30 with caching as
	// for 2.5, and https://dev.to/yusuf_khalidd/kyfy-stkhdm-wjh-brmj-ttbyqt-gpt-image-26-3nmf
	// (citing OpenAI's pricing page of 2026-11-05) lists $5 ($1.25 cached)
	// text and $8 ($2 cached) image input, $30 image output. Third-party,
	// consistent with the sunburst page: same prices.
	pricesGPTImage26Flare = &TokenPrices{TextInput: 5, CachedTextInput: 1.25, ImageInput: 8, CachedImageInput: 2, ImageOutput: 30}
	// gpt-image-2.5-sunburst and -flare (and snapshots): OpenAI's pages
	// were not reachable; https://apidog.com/kr/blog/gpt-image-2-5-api/
	// (figures "from OpenAI's docs, pricing page or calculator, checked
	// 2026-09-09") lists $5 text input, $8 image input, $30 image output for
	// both, "the same per-token rates as gpt-image-2"; the cached rates are
	// gpt-image-2's on that basis. Third-party.
	pricesGPTImage25 = &TokenPrices{TextInput: 5, CachedTextInput: 1.25, ImageInput: 8, CachedImageInput: 2, ImageOutput: 30}
	// gpt-image-2 (and its snapshot): OpenAI's page was not reachable;
	// https://xairouter.com/en/models/gpt-image-2/ ("updated from OpenAI's
	// official model page ... and pricing page") lists text input $5
	// ($1.25 cached), image input $8 ($2 cached), image output $30.
	// Third-party.
	pricesGPTImage2 = &TokenPrices{TextInput: 5, CachedTextInput: 1.25, ImageInput: 8, CachedImageInput: 2, ImageOutput: 30}
	// gpt-image-1-mini: text input $2.00 (cached $0.20), image input $2.50
	// (cached $0.25), image output $8.00. Source: OpenAI's model page
	// https://developers.openai.com/api/docs/models/gpt-image-1-mini
	// (de-DE copy, 2026-12-01).
	pricesGPTImage1Mini = &TokenPrices{TextInput: 2, CachedTextInput: 0.20, ImageInput: 2.50, CachedImageInput: 0.25, ImageOutput: 8}
	// gpt-image-1, gpt-image-1.5 and chatgpt-image-latest: no price found
	// (searched 2026-12-01); they are retired, so a price only matters under
	// --serve-retired-models, where cost returns ErrNoPrice instead of a
	// guess.
)

var registry = func() map[string]Model {
	dalle2 := Model{
		Name:           DALLE2,
		Sizes:          []string{"256x256", "512x512", "1024x1024"},
		DefaultSize:    "1024x1024",
		MaxN:           10,
		MaxPromptChars: 1000,
		// "standard" is the only quality DALL-E 2 took; it has no
		// background, output format or moderation parameters.
		Qualities:      []string{"standard"},
		SupportsEdit:   true,
		MaxInputImages: 1,
		InputFormats:   []string{"png"},
		MaxInputBytes:  4 << 20,
		MaxMaskBytes:   4 << 20,
		SquareInput:    true,
		// "If mask is not provided, image must have transparency, which
		// will be used as the mask."
		TransparentInput: true,
		MaxInputSide:     4096, // the upstream refuses inputs over 4096x4096
		Output:           OutputURL,
		URLValidity:      60 * time.Minute,
		PriceModel:       PricePerImage,
		PriceUSDPerImage: map[string]float64{
			"256x256":   0.016,
			"512x512":   0.018,
			"1024x1024": 0.020,
		},
	}
	// "This model was retired on May 12, 2026. Use a GPT image model
	// instead." gpt-image-2 is the GPT image model the operator defaults to.
	dalle2 = retired(dalle2, "2026-05-12", GPTImage2, "openai-go v3.98.0 ImageModelDallE2")

	// dall-e-3 as it was (for --serve-retired-models): three sizes, n = 1,
	// 4000-character prompts, no edits, URLs. Its per-image prices depend
	// on quality and were not verified, so none is recorded.
	dalle3 := retired(Model{
		Name:           DALLE3,
		Sizes:          []string{"1024x1024", "1792x1024", "1024x1792"},
		DefaultSize:    "1024x1024",
		MaxN:           1,
		MaxPromptChars: 4000,
		Qualities:      []string{"standard", "hd"},
		Output:         OutputURL,
		URLValidity:    60 * time.Minute,
		PriceModel:     PricePerImage,
	}, "2026-05-12", GPTImage2, "openai-go v3.98.0 ImageModelDallE3")

	gpt2 := gptImage(GPTImage2, gptQualities, customSizes, pricesGPTImage2)
	sun25 := gptImage(GPTImage25Sunburst, gpt25Qualities, customSizes, pricesGPTImage25)
	flare25 := gptImage(GPTImage25Flare, gpt25Qualities, customSizes, pricesGPTImage25)
	models := []Model{
		dalle2, dalle3,
		gpt2, snapshot(gpt2, GPTImage2Snapshot),
		sun25, snapshot(sun25, GPTImage25SunburstSnapshot),
		flare25, snapshot(flare25, GPTImage25FlareSnapshot),
		// 2.6: the docs list it as a generate and edit model but not among
		// those with custom sizes or xhigh/max, and the 50 MB / 16-image
		// sentence does not name it; it gets the GPT image models' shared
		// input rules ("chatgpt-image-latest follows the same input
		// constraints as GPT image models" shows that is the family rule).
		gptImage(GPTImage26Sunburst, gptQualities, nil, pricesGPTImage26Sunburst),
		gptImage(GPTImage26Flare, gptQualities, nil, pricesGPTImage26Flare),

		// "gpt-image-1 was shut down on October 23, 2026. Use
		// gpt-image-2.5-sunburst or gpt-image-2.5-flare instead."
		retired(gptImage(GPTImage1, gptQualities, nil, nil), "2026-10-23", GPTImage25Sunburst, "openai-go v3.98.0 ImageEditParams.Model"),
		// gpt-image-1-mini, gpt-image-1.5 and chatgpt-image-latest shut
		// down on 2026-12-01 (issue 11; openai-go names no replacement):
		// the replacements are our choice of the nearest current tier.
		retired(gptImage(GPTImage1Mini, gptQualities, nil, pricesGPTImage1Mini), "2026-12-01", GPTImage25Flare, "issue 11"),
		retired(gptImage(GPTImage15, gptQualities, nil, nil), "2026-12-01", GPTImage25Sunburst, "issue 11"),
		retired(gptImage(ChatGPTImageLatest, gptQualities, nil, nil), "2026-12-01", GPTImage26Sunburst, "issue 11"),
	}
	out := make(map[string]Model, len(models))
	for _, m := range models {
		out[m.Name] = m
	}
	return out
}()
