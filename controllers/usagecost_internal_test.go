package controllers

import (
	"math"
	"strings"
	"testing"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// TestOutcomeCostFromUsage: dall-e-2 keeps its per-image list price;
// a per-token model is priced from the usage, token kind by token kind;
// a per-token response without usage has an unknown cost, not 0.
func TestOutcomeCostFromUsage(t *testing.T) {
	dalle, _ := models.Lookup(models.DALLE2)
	c, err := costOf(dalle, "256x256", &upstream.Result{Images: make([]upstream.Image, 3)})
	if err != nil || !c.known || c.usage != nil || c.usd != 3*dalle.PriceUSDPerImage["256x256"] || c.formatted() != models.FormatUSD(c.usd) {
		t.Fatalf("dall-e-2 cost = %+v, %v; want 3 × the 256x256 list price, no usage", c, err)
	}
	if c.usd == 0 {
		t.Fatal("fixture: dall-e-2 lists no 256x256 price")
	}

	gpt, _ := models.Lookup(models.GPTImage2)
	p := gpt.TokenPrices
	if gpt.PriceModel != models.PricePerToken || p == nil || p.TextInput == 0 || p.ImageOutput == 0 {
		t.Fatalf("fixture: gpt-image-2 is not priced per token: %+v", gpt)
	}
	u := &upstream.Usage{InputTokens: 110, InputTextTokens: 10, InputImageTokens: 100, OutputTokens: 4160, OutputImageTokens: 4160, TotalTokens: 4270}
	c, err = costOf(gpt, "1024x1024", &upstream.Result{Images: make([]upstream.Image, 1), Usage: u})
	if err != nil || !c.known {
		t.Fatalf("gpt-image-2 cost = %+v, %v", c, err)
	}
	want := (10*p.TextInput + 100*p.ImageInput + 4160*p.ImageOutput) / 1e6
	if math.Abs(c.usd-want) > 1e-12 {
		t.Fatalf("gpt-image-2 cost = %v, want %v", c.usd, want)
	}
	wantUsage := imagesv1alpha1.TokenUsage{InputTokens: 110, InputTextTokens: 10, InputImageTokens: 100, OutputTokens: 4160, TotalTokens: 4270}
	if c.usage == nil || *c.usage != wantUsage {
		t.Fatalf("status usage = %+v, want %+v", c.usage, wantUsage)
	}

	c, err = costOf(gpt, "1024x1024", &upstream.Result{Images: make([]upstream.Image, 1)})
	if err == nil || c.known || c.formatted() != "" {
		t.Fatalf("gpt-image-2 without usage = %+v, %v; want an unknown cost and an error", c, err)
	}
}

// TestClassifiedRejectionMessage: each permanent refusal's message says
// what to fix.
func TestClassifiedRejectionMessage(t *testing.T) {
	cases := map[string]struct {
		err  upstream.Error
		want []string
	}{
		"model unavailable": {upstream.Error{Kind: upstream.KindModelUnavailable, StatusCode: 404, Code: "model_not_found", Message: "gone"},
			[]string{`model "dall-e-2"`, "gone", "models this operator offers: gpt-image-2, gpt-image-2.6-flare"}},
		"moderation": {upstream.Error{Kind: upstream.KindContentPolicy, StatusCode: 400, Code: "moderation_blocked", SafetyCategories: []string{"violence", "self-harm"}},
			[]string{"categories: violence, self-harm", "moderation_blocked"}},
		"unknown parameter": {upstream.Error{Kind: upstream.KindInvalidRequest, StatusCode: 400, Code: "unknown_parameter", Param: "response_format"},
			[]string{`parameter "response_format"`, `model "dall-e-2"`}},
		"unsupported parameter": {upstream.Error{Kind: upstream.KindInvalidRequest, StatusCode: 400, Code: "unsupported_parameter", Param: "style"},
			[]string{`parameter "style"`}},
		"other": {upstream.Error{Kind: upstream.KindInvalidRequest, StatusCode: 400, Code: "invalid_value", Param: "size", Message: "bad size"},
			[]string{"upstream rejected the request", "bad size"}},
	}
	for name, tc := range cases {
		got := rejectionMessage(models.DALLE2, []string{models.GPTImage2, models.GPTImage26Flare}, &tc.err)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: message %q lacks %q", name, got, w)
			}
		}
		if name == "other" && strings.Contains(got, "does not accept parameter") {
			t.Errorf("%s: a bad value is not a refused parameter: %q", name, got)
		}
	}
}
