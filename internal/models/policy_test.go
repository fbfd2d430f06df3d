package models

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestRetiredModelsAreRefusedAfterShutdown: each retired model is refused
// from its shutdown day on, with the date and the replacement named, and
// accepted the instant before.
func TestRetiredModelsAreRefusedAfterShutdown(t *testing.T) {
	cases := map[string]struct{ shutdown, replacement string }{
		DALLE2:             {"2026-05-12", GPTImage2},
		DALLE3:             {"2026-05-12", GPTImage2},
		GPTImage1:          {"2026-10-23", GPTImage25Sunburst},
		GPTImage1Mini:      {"2026-12-01", GPTImage25Flare},
		GPTImage15:         {"2026-12-01", GPTImage25Sunburst},
		ChatGPTImageLatest: {"2026-12-01", GPTImage26Sunburst},
	}
	// The operator's policy as its flags build it by default.
	p := Policy{Default: ConfiguredDefaultModel}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			shutdown := day(tc.shutdown)
			if fe := p.Available(name, shutdown.Add(-time.Nanosecond)); fe != nil {
				t.Errorf("just before the shutdown: %+v, want available", fe)
			}
			fe := p.Available(name, shutdown)
			if fe == nil || fe.Field != FieldModel || fe.Rule != rules.Retired {
				t.Fatalf("on the shutdown day: %+v, want model/retired", fe)
			}
			if !strings.Contains(fe.Message, tc.shutdown) || !strings.Contains(fe.Message, tc.replacement) {
				t.Errorf("message %q does not name %s and %s", fe.Message, tc.shutdown, tc.replacement)
			}
			// The replacement must itself be available.
			if fe := p.Available(tc.replacement, shutdown); fe != nil {
				t.Errorf("replacement %s: %+v", tc.replacement, fe)
			}
		})
	}
	for _, name := range current {
		if fe := p.Available(name, day("2030-01-01")); fe != nil {
			t.Errorf("%s: %+v, want available (no shutdown announced)", name, fe)
		}
	}
}

// TestServeRetiredOverride: an operator that declares a retired model
// still served may call it; the others stay refused.
func TestServeRetiredOverride(t *testing.T) {
	now := day("2026-12-01")
	p, err := NewPolicy(DALLE2, ParseModelList(" dall-e-2 , "))
	if err != nil {
		t.Fatal(err)
	}
	if errs := p.Validate(Request{Prompt: "a cat", N: 1}, now); len(errs) != 0 {
		t.Errorf("default dall-e-2, served: %+v", errs)
	}
	if errs := p.Validate(Request{Model: GPTImage1, Prompt: "a cat", N: 1}, now); len(errs) != 1 || errs[0].Rule != rules.Retired {
		t.Errorf("gpt-image-1, not served: %+v, want retired", errs)
	}
	offered := p.Offered(now)
	if !slices.Contains(offered, DALLE2) || slices.Contains(offered, DALLE3) || !slices.Contains(offered, GPTImage2) {
		t.Errorf("Offered = %v", offered)
	}
	// The retirement check comes first and alone; then the model's rules.
	if errs := (Policy{Default: GPTImage2}).Validate(Request{Model: DALLE2, Prompt: "", N: 0}, now); len(errs) != 1 || errs[0].Rule != rules.Retired {
		t.Errorf("retired with other faults: %+v, want only retired", errs)
	}
	if errs := p.Validate(Request{Model: DALLE2, Prompt: "", N: 1}, now); len(errs) != 1 || errs[0].Field != FieldPrompt {
		t.Errorf("served dall-e-2 with an empty prompt: %+v", errs)
	}
}

// TestZeroPolicyIsTheReferenceContract: a Policy nobody configured (tests,
// tools) defaults to dall-e-2 and serves it, as the simulator does, but
// still refuses the other retired models.
func TestZeroPolicyIsTheReferenceContract(t *testing.T) {
	now := day("2026-12-01")
	var p Policy
	if got := p.Resolve(""); got != DALLE2 {
		t.Errorf("Resolve(\"\") = %q, want %q", got, DALLE2)
	}
	if errs := p.Validate(Request{Prompt: "a cat", N: 1}, now); len(errs) != 0 {
		t.Errorf("zero policy, no model: %+v, want dall-e-2 accepted", errs)
	}
	if fe := p.Available(GPTImage1, now); fe == nil || fe.Rule != rules.Retired {
		t.Errorf("zero policy, gpt-image-1: %+v, want retired", fe)
	}
	if fe := p.Available(GPTImage2, now); fe != nil {
		t.Errorf("zero policy, gpt-image-2: %+v, want available", fe)
	}
}

func TestNewPolicy(t *testing.T) {
	cases := []struct {
		def     string
		serve   []string
		wantErr string
	}{
		{"", nil, ""},
		{GPTImage2, nil, ""},
		{ConfiguredDefaultModel, nil, ""},
		{DALLE2, []string{DALLE2}, ""},
		{"dall-e-5", nil, "--default-model: unknown"},
		{DALLE2, nil, "--default-model: \"dall-e-2\" was shut down upstream on 2026-05-12"},
		{GPTImage2, []string{GPTImage2}, "is not retired"},
		{GPTImage2, []string{"nope"}, "--serve-retired-models: unknown"},
	}
	for _, tc := range cases {
		_, err := NewPolicy(tc.def, tc.serve)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("NewPolicy(%q, %v): %v", tc.def, tc.serve, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("NewPolicy(%q, %v) = %v, want %q", tc.def, tc.serve, err, tc.wantErr)
		}
	}
}

// TestResolveDefault: an empty model resolves to the policy's default,
// and a zero policy keeps today's DefaultModel.
func TestResolveDefault(t *testing.T) {
	if got := (Policy{}).Resolve(""); got != DefaultModel {
		t.Errorf("zero policy: %q, want %q", got, DefaultModel)
	}
	p, err := NewPolicy(ConfiguredDefaultModel, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Resolve(""); got != GPTImage2 {
		t.Errorf("configured: %q, want %q", got, GPTImage2)
	}
	if got := p.Resolve(GPTImage26Flare); got != GPTImage26Flare {
		t.Errorf("named: %q", got)
	}
	// A request naming none validates against the configured default's
	// rules: 32000 characters pass for gpt-image-2, not for dall-e-2.
	long := Request{Prompt: strings.Repeat("a", 2000), N: 1}
	if errs := p.Validate(long, day("2026-12-01")); len(errs) != 0 {
		t.Errorf("gpt-image-2 default: %+v", errs)
	}
	if errs := Validate(long); len(errs) != 1 || errs[0].Field != FieldPrompt {
		t.Errorf("dall-e-2 default: %+v", errs)
	}
}

// TestRegistryIsConsistent: every replacement is a current model, every
// model's default size is one it renders, and Names is within the registry.
func TestRegistryIsConsistent(t *testing.T) {
	for _, m := range All() {
		if !m.SupportsSize(m.DefaultSize) {
			t.Errorf("%s: default size %q not supported", m.Name, m.DefaultSize)
		}
		if r := m.Retirement; r != nil {
			rep, ok := Lookup(r.Replacement)
			if !ok || rep.Retirement != nil || r.Source == "" {
				t.Errorf("%s: replacement %q (found %v, retirement %v), source %q", m.Name, r.Replacement, ok, rep.Retirement, r.Source)
			}
		}
		if m.SnapshotOf != "" {
			if _, ok := Lookup(m.SnapshotOf); !ok {
				t.Errorf("%s: snapshot of unknown %q", m.Name, m.SnapshotOf)
			}
		}
	}
	for _, name := range Names() {
		if _, ok := Lookup(name); !ok {
			t.Errorf("Names lists %q, not in the registry", name)
		}
	}
	if len(AllNames()) != 14 {
		t.Errorf("AllNames = %v, want the 14 models issue 11 names", AllNames())
	}
}
