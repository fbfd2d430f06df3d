package models

import (
	"strings"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

func TestValidate(t *testing.T) {
	cases := map[string]struct {
		req        Request
		wantFields []string
	}{
		"defaults":         {req: Request{Prompt: "a cat", N: 1}},
		"all explicit":     {req: Request{Model: DALLE2, Prompt: "a cat", N: 10, Size: "256x256", Edit: true}},
		"1000 chars":       {req: Request{Prompt: strings.Repeat("a", 1000), N: 1}},
		"1000 runes":       {req: Request{Prompt: strings.Repeat("é", 1000), N: 1}},
		"empty prompt":     {req: Request{N: 1}, wantFields: []string{"prompt"}},
		"1001 chars":       {req: Request{Prompt: strings.Repeat("a", 1001), N: 1}, wantFields: []string{"prompt"}},
		"n zero":           {req: Request{Prompt: "x", N: 0}, wantFields: []string{"n"}},
		"n eleven":         {req: Request{Prompt: "x", N: 11}, wantFields: []string{"n"}},
		"bad size":         {req: Request{Prompt: "x", N: 1, Size: "300x300"}, wantFields: []string{"size"}},
		"unknown model":    {req: Request{Model: "dall-e-5", Prompt: "x", N: 1}, wantFields: []string{"model"}},
		"several at once":  {req: Request{Prompt: "", N: 0, Size: "1x1"}, wantFields: []string{"prompt", "n", "size"}},
		"tab, newline, cr": {req: Request{Prompt: "a\tcat\r\non a mat", N: 1}},
		"NUL":              {req: Request{Prompt: "a cat\x00", N: 1}, wantFields: []string{"prompt"}},
		"ESC":              {req: Request{Prompt: "\x1b[31mred\x1b[0m", N: 1}, wantFields: []string{"prompt"}},
		"DEL":              {req: Request{Prompt: "x\x7f", N: 1}, wantFields: []string{"prompt"}},
		"vertical tab":     {req: Request{Prompt: "x\vy", N: 1}, wantFields: []string{"prompt"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			errs := Validate(tc.req)
			var got []string
			for _, e := range errs {
				got = append(got, e.Field)
				if e.Message == "" {
					t.Errorf("field %s has an empty message", e.Field)
				}
				if strings.Contains(name, "NUL") || strings.Contains(name, "ESC") || strings.Contains(name, "DEL") || strings.Contains(name, "vertical") {
					if e.Rule != RuleControlCharacters {
						t.Errorf("rule = %q, want %q", e.Rule, RuleControlCharacters)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.wantFields, ",") {
				t.Fatalf("Validate() fields = %v (%v), want %v", got, errs, tc.wantFields)
			}
		})
	}
}

func TestDALLE2Prices(t *testing.T) {
	m, ok := Lookup(DALLE2)
	if !ok {
		t.Fatal("dall-e-2 not registered")
	}
	for size, want := range map[string]string{"256x256": "0.048", "512x512": "0.054", "1024x1024": "0.060"} {
		if got := FormatUSD(m.EstimatedCostUSD(size, 3)); got != want {
			t.Errorf("cost of 3 × %s = %s, want %s", size, got, want)
		}
	}
}

// TestValidateNamesEveryRule: every error names its rule in the words of
// internal/rules, so no interface has to guess it from the message.
func TestValidateNamesEveryRule(t *testing.T) {
	cases := map[string]struct {
		r           Request
		field, rule string
	}{
		"unknown model": {Request{Model: "m", Prompt: "x", N: 1}, "model", rules.Enum},
		"empty prompt":  {Request{N: 1}, "prompt", rules.MinLength},
		"long prompt":   {Request{Prompt: strings.Repeat("a", 1001), N: 1}, "prompt", rules.MaxLength},
		"control":       {Request{Prompt: "a\x00", N: 1}, "prompt", rules.ControlCharacters},
		"n 0":           {Request{Prompt: "x"}, "n", rules.Minimum},
		"n 11":          {Request{Prompt: "x", N: 11}, "n", rules.Maximum},
		"size":          {Request{Prompt: "x", N: 1, Size: "1x1"}, "size", rules.Enum},
	}
	for name, tc := range cases {
		errs := Validate(tc.r)
		if len(errs) != 1 || errs[0].Field != tc.field || errs[0].Rule != tc.rule {
			t.Errorf("%s: %+v, want %s/%s", name, errs, tc.field, tc.rule)
		}
	}
	for _, name := range Names() {
		if m, _ := Lookup(name); !m.SupportsEdit {
			if errs := Validate(Request{Model: name, Edit: true, Prompt: "x", N: 1}); len(errs) == 0 || errs[0].Rule != rules.SupportsEdit {
				t.Errorf("edit with %s: %+v, want rule %s", name, errs, rules.SupportsEdit)
			}
		}
	}
}
