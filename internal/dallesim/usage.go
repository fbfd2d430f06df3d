package dallesim

import "math"

// Usage is the "usage" block of a GPT image response, in the wire shape of
// openai-go's ImagesResponseUsage. InputTokensDetails.CachedTokens is not in
// that SDK struct (it lands in its ExtraFields); the simulator has no prompt
// cache and always reports 0, so cost code can read the field when present.
type Usage struct {
	InputTokens         int64              `json:"input_tokens"`
	InputTokensDetails  InputTokensDetails `json:"input_tokens_details"`
	OutputTokens        int64              `json:"output_tokens"`
	OutputTokensDetails OutputTokenDetails `json:"output_tokens_details"`
	TotalTokens         int64              `json:"total_tokens"`
}

// InputTokensDetails splits the input tokens.
type InputTokensDetails struct {
	TextTokens   int64 `json:"text_tokens"`
	ImageTokens  int64 `json:"image_tokens"`
	CachedTokens int64 `json:"cached_tokens"`
}

// OutputTokenDetails splits the output tokens; image models only output image tokens.
type OutputTokenDetails struct {
	ImageTokens int64 `json:"image_tokens"`
	TextTokens  int64 `json:"text_tokens"`
}

// add accumulates u into total.
func (u *Usage) add(o Usage) {
	u.InputTokens += o.InputTokens
	u.InputTokensDetails.TextTokens += o.InputTokensDetails.TextTokens
	u.InputTokensDetails.ImageTokens += o.InputTokensDetails.ImageTokens
	u.InputTokensDetails.CachedTokens += o.InputTokensDetails.CachedTokens
	u.OutputTokens += o.OutputTokens
	u.OutputTokensDetails.ImageTokens += o.OutputTokensDetails.ImageTokens
	u.OutputTokensDetails.TextTokens += o.OutputTokensDetails.TextTokens
	u.TotalTokens += o.TotalTokens
}

// OutputTokensPer1024Square is the number of image output tokens of one
// 1024x1024 image by quality. low/medium/high are OpenAI's published figures
// for the GPT image models (image generation guide, "cost and latency":
// 272, 1056 and 4160 tokens at 1024x1024; 408, 1584 and 6240 at 1024x1536
// and 1536x1024, i.e. the same figures scaled by pixel area). xhigh and max
// (gpt-image-2.5 only) have no published figure: the simulator assumes 2x
// and 4x high.
var OutputTokensPer1024Square = map[string]int64{
	"low":    272,
	"medium": 1056,
	"high":   4160,
	"xhigh":  8320,
	"max":    16640,
}

// OutputTokens is the simulated image output tokens of one w×h image:
// the 1024x1024 figure for quality scaled by pixel area, rounded up.
func OutputTokens(quality string, w, h int) int64 {
	base := OutputTokensPer1024Square[quality]
	return int64(math.Ceil(float64(base) * float64(w) * float64(h) / (1024 * 1024)))
}

// Input image tokens follow OpenAI's vision costing for gpt-image-1 (the
// documented estimate; the newer models publish none): the image is scaled
// to fit 2048x2048, then so that its shorter side is 512 px, and costs a
// base of 65 tokens plus 129 per 512 px tile.
const (
	inputImageBaseTokens = 65
	inputImageTileTokens = 129
)

// InputImageTokens is the simulated input tokens of one w×h input image.
func InputImageTokens(w, h int) int64 {
	fw, fh := float64(w), float64(h)
	if s := 2048 / math.Max(fw, fh); s < 1 {
		fw, fh = fw*s, fh*s
	}
	if s := 512 / math.Min(fw, fh); s < 1 {
		fw, fh = fw*s, fh*s
	}
	tiles := math.Ceil(fw/512) * math.Ceil(fh/512)
	return inputImageBaseTokens + inputImageTileTokens*int64(tiles)
}

// TextTokens is the simulated token count of a prompt: about one token per
// four characters, at least one.
func TextTokens(prompt string) int64 {
	return max(int64(math.Ceil(float64(len([]rune(prompt)))/4)), 1)
}

// usageFor is the usage of a GPT image request producing req.N images of
// req's size from the given input images (none for generations). The mask
// is guidance for the first image and is not counted.
func usageFor(req gptRequest, inputs []*inputImage) Usage {
	var u Usage
	u.InputTokensDetails.TextTokens = TextTokens(req.Prompt)
	for _, in := range inputs {
		u.InputTokensDetails.ImageTokens += InputImageTokens(in.w, in.h)
	}
	u.InputTokens = u.InputTokensDetails.TextTokens + u.InputTokensDetails.ImageTokens
	u.OutputTokensDetails.ImageTokens = int64(req.N) * OutputTokens(req.Quality, req.Width, req.Height)
	u.OutputTokens = u.OutputTokensDetails.ImageTokens
	u.TotalTokens = u.InputTokens + u.OutputTokens
	return u
}
