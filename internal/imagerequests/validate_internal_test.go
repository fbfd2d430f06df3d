package imagerequests

import (
	"strings"
	"testing"
	"time"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/internal/models"
)

func ptrInt(v int) *int { return &v }

func TestCheckInlineSize(t *testing.T) {
	fits := MaxInlineInputBytes - len(secretKeyImage)
	if err := checkInlineSize(make([]byte, fits), nil); err != nil {
		t.Errorf("an image of exactly the limit: %v", err)
	}
	if err := checkInlineSize(make([]byte, fits+1), nil); err == nil || err.Field != "image" || err.Rule != "inlineSize" {
		t.Errorf("one byte over: %v", err)
	}
	half := MaxInlineInputBytes / 2
	err := checkInlineSize(make([]byte, half), make([]byte, half))
	if err == nil || err.Field != "mask" || !strings.Contains(err.Message, "1048576") {
		t.Errorf("image and mask together over: %v", err)
	}
	if err := checkInlineSize(make([]byte, 1000), make([]byte, 1000)); err != nil {
		t.Errorf("small inputs: %v", err)
	}
}

func TestValidateParams(t *testing.T) {
	gpt2 := models.Policy{Default: models.GPTImage2}
	cases := map[string]struct {
		policy models.Policy
		p      Params
		edit   bool
		inputs int
		field  string
		rule   string
	}{
		"ok":           {p: Params{Prompt: "x"}},
		"empty prompt": {p: Params{}, field: "prompt", rule: "minLength"},
		"long prompt":  {p: Params{Prompt: strings.Repeat("a", 1001)}, field: "prompt", rule: "maxLength"},
		"n over":       {p: Params{Prompt: "x", N: 11, NSet: true}, field: "n", rule: "maximum"},
		"n given as 0": {p: Params{Prompt: "x", NSet: true}, field: "n", rule: "minimum"},
		"n negative":   {p: Params{Prompt: "x", N: -1, NSet: true}, field: "n", rule: "minimum"},
		"n left out":   {p: Params{Prompt: "x"}},
		"size":         {p: Params{Prompt: "x", Size: "1x1"}, field: "size", rule: "enum"},
		"model":        {p: Params{Prompt: "x", Model: "m"}, field: "model", rule: "enum"},
		// Under the operator's default policy: gpt-image-2 by default,
		// dall-e-2 retired, the GPT parameters checked per model.
		"default gpt-image-2": {policy: gpt2, p: Params{Prompt: strings.Repeat("a", 1001), Size: "2048x1152", Quality: "high"}},
		"retired dall-e-2":    {policy: gpt2, p: Params{Prompt: "x", Model: "dall-e-2"}, field: "model", rule: "retired"},
		"quality on dall-e-2": {p: Params{Prompt: "x", Quality: "high"}, field: "quality", rule: "enum"},
		// The registry's camelCase fields are reported as the tools
		// spell them.
		"webp on dall-e-2":    {p: Params{Prompt: "x", OutputFormat: "webp"}, field: "output_format", rule: "unsupported"},
		"custom size on 2.6":  {policy: gpt2, p: Params{Prompt: "x", Model: "gpt-image-2.6-flare", Size: "2048x1152"}, field: "size", rule: "enum"},
		"custom size of /16s": {policy: gpt2, p: Params{Prompt: "x", Size: "1024x1040"}},
		"size not /16":        {policy: gpt2, p: Params{Prompt: "x", Size: "1000x1000"}, field: "size", rule: "multipleOf"},
		"compression on png":  {policy: gpt2, p: Params{Prompt: "x", OutputCompression: ptrInt(50)}, field: "output_compression", rule: "requires"},
		"moderation on edit":  {policy: gpt2, edit: true, p: Params{Prompt: "x", Moderation: "low"}, field: "moderation", rule: "unsupported"},
		"17 input images":     {policy: gpt2, edit: true, inputs: 17, p: Params{Prompt: "x"}, field: "additional_images", rule: "maxItems"},
		"2 on dall-e-2":       {edit: true, inputs: 2, p: Params{Prompt: "x"}, field: "additional_images", rule: "maxItems"},
		// Not of the CRD's form: pattern, whichever model, in place of
		// the registry's enum (dall-e-2) or pattern (gpt-image-2).
		"size huge on dall-e-2":    {p: Params{Prompt: "x", Size: "huge"}, field: "size", rule: "pattern"},
		"size 0x0 on gpt-image-2":  {policy: gpt2, p: Params{Prompt: "x", Size: "0x16"}, field: "size", rule: "pattern"},
		"size 300x300 on dall-e-2": {p: Params{Prompt: "x", Size: "300x300"}, field: "size", rule: "enum"},
		// A value no model takes is the schema's and admission's enum, even
		// on a model that takes no such parameter (the registry's
		// "unsupported"); a compression out of range is their maximum.
		"background black on dall-e-2":  {p: Params{Prompt: "x", Background: "black"}, field: "background", rule: "enum"},
		"background opaque on dall-e-2": {p: Params{Prompt: "x", Background: "opaque"}, field: "background", rule: "unsupported"},
		"compression 101 on dall-e-2":   {p: Params{Prompt: "x", OutputCompression: ptrInt(101)}, field: "output_compression", rule: "maximum"},
		"compression -1 on jpeg":        {policy: gpt2, p: Params{Prompt: "x", OutputFormat: "jpeg", OutputCompression: ptrInt(-1)}, field: "output_compression", rule: "minimum"},
		"moderation none on edit":       {policy: gpt2, edit: true, p: Params{Prompt: "x", Moderation: "none"}, field: "moderation", rule: "unsupported"},
		"moderation none":               {policy: gpt2, p: Params{Prompt: "x", Moderation: "none"}, field: "moderation", rule: "enum"},
	}
	for name, tc := range cases {
		inputs := tc.inputs
		if tc.edit && inputs == 0 {
			inputs = 1
		}
		errs := validateParams(tc.policy, time.Now(), tc.p.withDefaults(tc.policy), tc.edit, inputs)
		if tc.field == "" {
			if len(errs) > 0 {
				t.Errorf("%s: %v", name, errs)
			}
			continue
		}
		if len(errs) != 1 || errs[0].Field != tc.field || errs[0].Rule != tc.rule {
			t.Errorf("%s: %v, want %s/%s", name, errs, tc.field, tc.rule)
		}
	}
}

func TestValidateEditInputs(t *testing.T) {
	one := func(b []byte) [][]byte { return [][]byte{b} }
	opaque := pngtest.PNG(32, 32, true, false)
	cases := map[string]struct {
		model       string
		images      [][]byte
		mask        []byte
		field, rule string
	}{
		"dall-e-2: a good image":             {model: "dall-e-2", images: one(pngtest.PNG(32, 32, true, true))},
		"dall-e-2: a mask without alpha":     {model: "dall-e-2", images: one(opaque), mask: pngtest.PNG(32, 32, false, false), field: "mask", rule: "alpha"},
		"dall-e-2: opaque without a mask":    {model: "dall-e-2", images: one(opaque), field: "image", rule: "transparency"},
		"dall-e-2: a JPEG":                   {model: "dall-e-2", images: one(pngtest.JPEG(32, 32)), field: "image", rule: "png"},
		"gpt-image-2: opaque without a mask": {model: "gpt-image-2", images: one(opaque)},
		"gpt-image-2: mixed formats":         {model: "gpt-image-2", images: [][]byte{opaque, pngtest.WebP(40, 20), pngtest.JPEG(16, 64)}},
		// The second additional image is named as the caller indexed it.
		"gpt-image-2: a GIF among them": {model: "gpt-image-2", images: [][]byte{opaque, pngtest.JPEG(16, 64), []byte("GIF89a not an image")},
			field: "additional_images[1]", rule: "format"},
		"gpt-image-2: mask not the first image's size": {model: "gpt-image-2", images: [][]byte{pngtest.WebP(40, 20), opaque}, mask: pngtest.PNG(32, 32, true, true),
			field: "mask", rule: "dimensions"},
	}
	for name, tc := range cases {
		err := validateEditInputs(tc.model, tc.images, tc.mask, false)
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.field != "" && (err == nil || err.Field != tc.field || err.Rule != tc.rule):
			t.Errorf("%s: %v, want %s/%s", name, err, tc.field, tc.rule)
		}
	}
}

func TestInputErrorsMessage(t *testing.T) {
	errs := InputErrors{{Field: "n", Rule: "range", Message: "too big"}, {Field: "size", Rule: "enum", Message: "no"}}
	if got := errs.Error(); got != "invalid n (rule range): too big; invalid size (rule enum): no" {
		t.Errorf("got %q", got)
	}
	if AsInputErrors(errs) == nil || AsInputErrors(&InputError{}) == nil || AsInputErrors(nil) != nil {
		t.Error("AsInputErrors")
	}
}

// TestValidateEditInputsChecksBytesFirst: bodies over a byte limit are
// refused for their size before any of them is parsed, and a decompression
// bomb small enough for both limits is refused by its dimensions.
func TestValidateEditInputsChecksBytesFirst(t *testing.T) {
	garbage := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, MaxInlineInputBytes)...)
	cases := map[string]struct {
		image, mask []byte
		// stored: the inputs go to an artifact store, so the Secret's
		// limit does not apply.
		stored      bool
		field, rule string
	}{
		"image over the Secret limit, not a PNG":  {image: garbage, field: "image", rule: "inlineSize"},
		"mask over the Secret limit, not a PNG":   {image: pngtest.PNG(32, 32, true, false), mask: garbage, field: "mask", rule: "inlineSize"},
		"image over the model's limit":            {image: append(garbage, make([]byte, 4<<20)...), field: "image", rule: "size-bytes"},
		"stored: image over the model's limit":    {image: append(garbage, make([]byte, 4<<20)...), stored: true, field: "image", rule: "size-bytes"},
		"stored: over the Secret limit is parsed": {image: garbage, stored: true, field: "image", rule: "png"},
		"palette+tRNS bomb":                       {image: pngtest.PaletteBomb(pngtest.BombSide), field: "image", rule: "dimensions-max"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := validateEditInputs("dall-e-2", [][]byte{tc.image}, tc.mask, !tc.stored)
			if err == nil || err.Field != tc.field || err.Rule != tc.rule {
				t.Fatalf("validateEditInputs() = %v, want %s/%s", err, tc.field, tc.rule)
			}
		})
	}
}

func TestServiceAccountNamespace(t *testing.T) {
	for user, want := range map[string]string{
		"system:serviceaccount:team-a:agent": "team-a",
		"system:serviceaccount:broken":       "",
		"alice":                              "",
		"system:node:n1":                     "",
	} {
		if got := (&Caller{Username: user}).ServiceAccountNamespace(); got != want {
			t.Errorf("%s: %q, want %q", user, got, want)
		}
	}
}

// TestNeedsStore: without an artifact store a base64-only model is refused
// on its name, and additional images (which the input Secret cannot
// carry) on theirs, whatever the model.
func TestNeedsStore(t *testing.T) {
	for _, tc := range []struct {
		model       string
		additional  int
		field, rule string
	}{
		{models.DALLE2, 0, "", ""},
		{models.GPTImage2, 0, "model", "artifactStore"},
		{models.GPTImage2, 3, "model", "artifactStore"},
		{models.DALLE2, 1, "additional_images", "artifactStore"},
	} {
		errs := needsStore(tc.model, tc.additional)
		switch {
		case tc.field == "" && len(errs) > 0:
			t.Errorf("%s with %d additional: %v", tc.model, tc.additional, errs)
		case tc.field != "" && (len(errs) != 1 || errs[0].Field != tc.field || errs[0].Rule != tc.rule):
			t.Errorf("%s with %d additional: %v, want %s/%s", tc.model, tc.additional, errs, tc.field, tc.rule)
		}
	}
}
