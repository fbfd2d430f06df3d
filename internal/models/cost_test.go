package models

import (
	"errors"
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestUsageCost: the cost from usage is each kind of token times its price
// per 1M, cached at the cached price; worked by hand for 2.6-sunburst.
func TestUsageCost(t *testing.T) {
	m, _ := Lookup(GPTImage26Sunburst)
	u := Usage{
		TextInputTokens: 1000, CachedTextInputTokens: 200, // 800 × $5 + 200 × $1.25
		ImageInputTokens: 3000, CachedImageInputTokens: 1000, // 2000 × $8 + 1000 × $2
		ImageOutputTokens: 4160, // × $30
	}
	want := (800*5 + 200*1.25 + 2000*8 + 1000*2 + 4160*30) / 1e6
	got, err := m.UsageCostUSD(u)
	if err != nil || !near(got, want) {
		t.Fatalf("UsageCostUSD = %v, %v; want %v", got, err, want)
	}
	if FormatUSD(got) != "0.147" {
		t.Errorf("formatted %s, want 0.147", FormatUSD(got))
	}
	for _, name := range current {
		m, _ := Lookup(name)
		p := m.TokenPrices
		got, err := m.UsageCostUSD(u)
		want := (800*p.TextInput + 200*p.CachedTextInput + 2000*p.ImageInput + 1000*p.CachedImageInput + 4160*p.ImageOutput) / 1e6
		if err != nil || !near(got, want) || got <= 0 {
			t.Errorf("%s: %v, %v; want %v", name, got, err, want)
		}
	}
}

func TestUsageCostRefusals(t *testing.T) {
	sun, _ := Lookup(GPTImage26Sunburst)
	dalle2, _ := Lookup(DALLE2)
	gpt1, _ := Lookup(GPTImage1)
	if _, err := dalle2.UsageCostUSD(Usage{ImageOutputTokens: 1}); err == nil {
		t.Error("dall-e-2 priced from usage")
	}
	if _, err := gpt1.UsageCostUSD(Usage{ImageOutputTokens: 1}); !errors.Is(err, ErrNoPrice) {
		t.Errorf("gpt-image-1 (no verified price): %v, want ErrNoPrice", err)
	}
	if _, err := sun.UsageCostUSD(Usage{TextInputTokens: 1, CachedTextInputTokens: 2}); err == nil {
		t.Error("more cached than total accepted")
	}
	if _, err := sun.UsageCostUSD(Usage{TextOutputTokens: 5}); !errors.Is(err, ErrNoPrice) {
		t.Errorf("text output without a listed price: %v, want ErrNoPrice", err)
	}
}

// TestExpectedOutputTokens: the estimate table is the published 1024x1024
// counts scaled by pixel area, with auto quality as high and auto size as
// 1536x1024.
func TestExpectedOutputTokens(t *testing.T) {
	cases := []struct {
		quality, size string
		want          int64
	}{
		{"low", "1024x1024", 272},
		{"medium", "1024x1024", 1056},
		{"high", "1024x1024", 4160},
		{"low", "1536x1024", 408},
		{"medium", "1024x1536", 1584},
		{"high", "1536x1024", 6240},
		{"high", "auto", 6240},
		{"", "", 6240},
		{"auto", "1024x1024", 4160},
		{"xhigh", "1024x1024", 8320},
		{"max", "1024x1024", 16640},
		{"low", "3840x2160", 2152}, // 272 × 8294400 / 1048576 = 2151.56…, rounded up
		{"low", "512x512", 68},
	}
	for _, tc := range cases {
		got, err := ExpectedOutputTokens(tc.quality, tc.size)
		if err != nil || got != tc.want {
			t.Errorf("ExpectedOutputTokens(%q, %q) = %d, %v; want %d", tc.quality, tc.size, got, err, tc.want)
		}
	}
	if _, err := ExpectedOutputTokens("standard", "1024x1024"); !errors.Is(err, ErrNoPrice) {
		t.Errorf("quality standard: %v, want ErrNoPrice", err)
	}
}

// TestEstimate: per-token models estimate prompt, input images and n
// outputs; dall-e-2 keeps its per-image price.
func TestEstimate(t *testing.T) {
	m, _ := Lookup(GPTImage2)
	e, err := m.Estimate(Request{Model: GPTImage2, Prompt: "a cat on a mat", N: 2, Size: "1024x1024", Quality: "medium", Edit: true, InputImages: 3})
	if err != nil {
		t.Fatal(err)
	}
	wantUsage := Usage{TextInputTokens: 4, ImageInputTokens: 3 * 765, ImageOutputTokens: 2 * 1056}
	if e.Usage != wantUsage {
		t.Errorf("usage %+v, want %+v", e.Usage, wantUsage)
	}
	if want := (4*5 + 3*765*8 + 2*1056*30) / 1e6; !near(e.USD, want) {
		t.Errorf("USD %v, want %v", e.USD, want)
	}

	d, _ := Lookup(DALLE2)
	e, err = d.Estimate(Request{Prompt: "x", N: 3, Size: "512x512"})
	if err != nil || FormatUSD(e.USD) != "0.054" {
		t.Errorf("dall-e-2 3 × 512x512: %v, %v; want 0.054", e.USD, err)
	}
	e, err = d.Estimate(Request{Prompt: "x", N: 1})
	if err != nil || FormatUSD(e.USD) != "0.020" {
		t.Errorf("dall-e-2 default size: %v, %v; want 0.020", e.USD, err)
	}
	d3, _ := Lookup(DALLE3)
	if _, err := d3.Estimate(Request{Prompt: "x", N: 1}); !errors.Is(err, ErrNoPrice) {
		t.Errorf("dall-e-3 (no price recorded): %v, want ErrNoPrice", err)
	}
}
