package models

import (
	"slices"
	"strings"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

// current are the models served today, snapshots included.
var current = []string{
	GPTImage2, GPTImage2Snapshot,
	GPTImage25Sunburst, GPTImage25SunburstSnapshot,
	GPTImage25Flare, GPTImage25FlareSnapshot,
	GPTImage26Sunburst, GPTImage26Flare,
}

func ptr(i int) *int { return &i }

// TestValidateGPTImageRules: every rule of the current models, valid and
// invalid, on every current model; the field and the rule are named.
func TestValidateGPTImageRules(t *testing.T) {
	type want = fieldRule
	ok := want{}
	cases := []struct {
		name string
		req  Request
		// want applies to every model unless byModel overrides it.
		want    want
		byModel map[string]want
	}{
		{name: "minimal", req: Request{}, want: ok},
		{name: "32000 chars", req: Request{Prompt: strings.Repeat("a", 32000)}, want: ok},
		{name: "32001 chars", req: Request{Prompt: strings.Repeat("a", 32001)}, want: want{FieldPrompt, rules.MaxLength}},
		{name: "n 10", req: Request{N: 10}, want: ok},
		{name: "n 11", req: Request{N: 11}, want: want{FieldN, rules.Maximum}},
		{name: "size 1024x1024", req: Request{Size: "1024x1024"}, want: ok},
		{name: "size 1536x1024", req: Request{Size: "1536x1024"}, want: ok},
		{name: "size 1024x1536", req: Request{Size: "1024x1536"}, want: ok},
		{name: "size auto", req: Request{Size: "auto"}, want: ok},
		// The docs state no minimum ("the model's current pixel and edge
		// limits" are not given), so a small custom size passes here and
		// the upstream has the last word.
		{name: "custom 256x256", req: Request{Size: "256x256"}, want: ok,
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		// Custom sizes: gpt-image-2 and 2.5 only; 2.6 takes the standard sizes.
		{name: "custom 1536x864", req: Request{Size: "1536x864"}, want: ok,
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		{name: "custom 3840x2160 (the maximum)", req: Request{Size: "3840x2160"}, want: ok,
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		{name: "custom 2160x3840 (portrait maximum)", req: Request{Size: "2160x3840"}, want: ok,
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		{name: "custom 3840x1280 (3:1)", req: Request{Size: "3840x1280"}, want: ok,
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		{name: "custom 1000x1000 (not a multiple of 16)", req: Request{Size: "1000x1000"}, want: want{FieldSize, rules.MultipleOf},
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		{name: "custom 3856x1280 (over 3:1)", req: Request{Size: "3856x1280"}, want: want{FieldSize, rules.AspectRatio},
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		{name: "custom 3840x2176 (over the pixels)", req: Request{Size: "3840x2176"}, want: want{FieldSize, rules.MaxPixels},
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		{name: "custom 4096x2048 (over the edge)", req: Request{Size: "4096x2048"}, want: want{FieldSize, rules.MaxPixels},
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		{name: "custom 2880x2880 (square at the pixel bound)", req: Request{Size: "2880x2880"}, want: ok,
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		{name: "custom 2896x2896 (square over the pixel bound)", req: Request{Size: "2896x2896"}, want: want{FieldSize, rules.MaxPixels},
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		{name: "size not WxH", req: Request{Size: "big"}, want: want{FieldSize, rules.Pattern},
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		{name: "size with a leading zero", req: Request{Size: "01024x1024"}, want: want{FieldSize, rules.Pattern},
			byModel: map[string]want{GPTImage26Sunburst: {FieldSize, rules.Enum}, GPTImage26Flare: {FieldSize, rules.Enum}}},
		{name: "quality low", req: Request{Quality: "low"}, want: ok},
		{name: "quality medium", req: Request{Quality: "medium"}, want: ok},
		{name: "quality high", req: Request{Quality: "high"}, want: ok},
		{name: "quality auto", req: Request{Quality: "auto"}, want: ok},
		{name: "quality xhigh (2.5 only)", req: Request{Quality: "xhigh"}, want: want{FieldQuality, rules.Enum}, byModel: gpt25(ok)},
		{name: "quality max (2.5 only)", req: Request{Quality: "max"}, want: want{FieldQuality, rules.Enum}, byModel: gpt25(ok)},
		{name: "quality hd (dall-e-3's)", req: Request{Quality: "hd"}, want: want{FieldQuality, rules.Enum}},
		{name: "background transparent png", req: Request{Background: "transparent", OutputFormat: "png"}, want: ok},
		{name: "background transparent webp", req: Request{Background: "transparent", OutputFormat: "webp"}, want: ok},
		{name: "background transparent, default png", req: Request{Background: "transparent"}, want: ok},
		{name: "background transparent jpeg", req: Request{Background: "transparent", OutputFormat: "jpeg"}, want: want{FieldBackground, rules.Requires}},
		{name: "background opaque jpeg", req: Request{Background: "opaque", OutputFormat: "jpeg"}, want: ok},
		{name: "background auto", req: Request{Background: "auto"}, want: ok},
		{name: "background white", req: Request{Background: "white"}, want: want{FieldBackground, rules.Enum}},
		{name: "format gif (preview, left out)", req: Request{OutputFormat: "gif"}, want: want{FieldOutputFormat, rules.Enum}},
		{name: "format svg (preview, left out)", req: Request{OutputFormat: "svg"}, want: want{FieldOutputFormat, rules.Enum}},
		{name: "compression 0 jpeg", req: Request{OutputFormat: "jpeg", OutputCompression: ptr(0)}, want: ok},
		{name: "compression 100 webp", req: Request{OutputFormat: "webp", OutputCompression: ptr(100)}, want: ok},
		{name: "compression 101", req: Request{OutputFormat: "jpeg", OutputCompression: ptr(101)}, want: want{FieldOutputCompression, rules.Maximum}},
		{name: "compression -1", req: Request{OutputFormat: "jpeg", OutputCompression: ptr(-1)}, want: want{FieldOutputCompression, rules.Minimum}},
		{name: "compression with png", req: Request{OutputFormat: "png", OutputCompression: ptr(50)}, want: want{FieldOutputCompression, rules.Requires}},
		{name: "compression with the default format", req: Request{OutputCompression: ptr(50)}, want: want{FieldOutputCompression, rules.Requires}},
		{name: "moderation low", req: Request{Moderation: "low"}, want: ok},
		{name: "moderation auto", req: Request{Moderation: "auto"}, want: ok},
		{name: "moderation high", req: Request{Moderation: "high"}, want: want{FieldModeration, rules.Enum}},
		{name: "moderation on an edit", req: Request{Edit: true, Moderation: "low"}, want: want{FieldModeration, rules.Unsupported}},
		{name: "edit, 16 images", req: Request{Edit: true, InputImages: 16}, want: ok},
		{name: "edit, 17 images", req: Request{Edit: true, InputImages: 17}, want: want{FieldInputImages, rules.MaxItems}},
		{name: "edit, uncounted images", req: Request{Edit: true}, want: ok},
		{name: "generate with images", req: Request{InputImages: 1}, want: want{FieldInputImages, rules.Unsupported}},
	}
	for _, tc := range cases {
		for _, name := range current {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				r := tc.req
				r.Model = name
				r.Prompt = cmpOr(r.Prompt, "a cat")
				r.N = max(r.N, 1)
				w := tc.want
				if mw, ok := tc.byModel[name]; ok {
					w = mw
				}
				errs := Validate(r)
				if w == ok {
					if len(errs) != 0 {
						t.Fatalf("Validate() = %+v, want none", errs)
					}
					return
				}
				if len(errs) != 1 || errs[0].Field != w.field || errs[0].Rule != w.rule || errs[0].Message == "" {
					t.Fatalf("Validate() = %+v, want one error %s/%s with a message", errs, w.field, w.rule)
				}
			})
		}
	}
}

// fieldRule is an expected FieldError's field and rule; zero means none.
type fieldRule struct{ field, rule string }

// gpt25 maps the 2.5 models and their snapshots to w.
func gpt25(w fieldRule) map[string]fieldRule {
	return map[string]fieldRule{
		GPTImage25Sunburst: w, GPTImage25SunburstSnapshot: w, GPTImage25Flare: w, GPTImage25FlareSnapshot: w,
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestDALLE2RefusesGPTImageParameters: dall-e-2 keeps its contract; the new
// parameters are refused as unsupported (quality other than standard as
// enum), and a request naming none of them validates as before.
func TestDALLE2RefusesGPTImageParameters(t *testing.T) {
	cases := map[string]struct {
		req         Request
		field, rule string
	}{
		"quality standard":   {Request{Quality: "standard"}, "", ""},
		"quality high":       {Request{Quality: "high"}, FieldQuality, rules.Enum},
		"background":         {Request{Background: "opaque"}, FieldBackground, rules.Unsupported},
		"output format":      {Request{OutputFormat: "png"}, FieldOutputFormat, rules.Unsupported},
		"output compression": {Request{OutputCompression: ptr(50)}, FieldOutputCompression, rules.Unsupported},
		"moderation":         {Request{Moderation: "low"}, FieldModeration, rules.Unsupported},
		"edit, 1 image":      {Request{Edit: true, InputImages: 1}, "", ""},
		"edit, 2 images":     {Request{Edit: true, InputImages: 2}, FieldInputImages, rules.MaxItems},
		"custom size":        {Request{Size: "1024x1536"}, FieldSize, rules.Enum},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := tc.req
			r.Model, r.Prompt, r.N = DALLE2, "a cat", 1
			errs := Validate(r)
			if tc.field == "" {
				if len(errs) != 0 {
					t.Fatalf("Validate() = %+v, want none", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tc.field || errs[0].Rule != tc.rule {
				t.Fatalf("Validate() = %+v, want %s/%s", errs, tc.field, tc.rule)
			}
		})
	}
}

// TestSnapshotsPinTheirModel: a snapshot has its model's rules and prices
// under its own name.
func TestSnapshotsPinTheirModel(t *testing.T) {
	for snap, base := range map[string]string{
		GPTImage2Snapshot:          GPTImage2,
		GPTImage25SunburstSnapshot: GPTImage25Sunburst,
		GPTImage25FlareSnapshot:    GPTImage25Flare,
	} {
		s, ok1 := Lookup(snap)
		b, ok2 := Lookup(base)
		if !ok1 || !ok2 {
			t.Fatalf("%s or %s not registered", snap, base)
		}
		if s.Name != snap || s.SnapshotOf != base || b.SnapshotOf != "" {
			t.Errorf("%s: Name %q SnapshotOf %q, base SnapshotOf %q", snap, s.Name, s.SnapshotOf, b.SnapshotOf)
		}
		s.Name, s.SnapshotOf = b.Name, ""
		if !s.SupportsSize("1536x864") || *s.TokenPrices != *b.TokenPrices || strings.Join(s.Qualities, ",") != strings.Join(b.Qualities, ",") {
			t.Errorf("%s differs from %s", snap, base)
		}
	}
}

// TestCurrentModelsReturnBase64: the current models return base64 only,
// are priced per token and take the documented edit inputs.
func TestCurrentModelsReturnBase64(t *testing.T) {
	for _, name := range current {
		m, _ := Lookup(name)
		if m.Output != OutputBase64 || m.PriceModel != PricePerToken || m.TokenPrices == nil || m.Retirement != nil {
			t.Errorf("%s: output %s, price model %s, prices %v, retirement %v", name, m.Output, m.PriceModel, m.TokenPrices, m.Retirement)
		}
		if !m.SupportsEdit || m.MaxInputImages != 16 || m.MaxInputBytes != 50<<20 || m.MaxMaskBytes != 4<<20 || m.SquareInput ||
			strings.Join(m.InputFormats, ",") != "png,webp,jpeg" {
			t.Errorf("%s: edit inputs %+v", name, m)
		}
	}
}

// TestValidateOffersOnlyWhatTheInterfacesOffer: until the API offers the
// GPT image models, Validate refuses them as the CRD's enum does, so every
// interface names the same field and rule for them.
func TestValidateOffersOnlyWhatTheInterfacesOffer(t *testing.T) {
	for _, name := range AllNames() {
		errs := Validate(Request{Model: name, Prompt: "a cat", N: 1})
		offeredName := slices.Contains(Names(), name)
		switch {
		case offeredName && len(errs) != 0:
			t.Errorf("Validate(%s) = %+v, want none: it is offered", name, errs)
		case !offeredName && (len(errs) != 1 || errs[0].Field != "model" || errs[0].Rule != rules.Enum):
			t.Errorf("Validate(%s) = %+v, want one model/enum error: it is not offered yet", name, errs)
		}
	}
}
