package dallesim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

// Every served GPT image model generates base64 images of the requested
// size with a usage block, and the call log and stats account for them.
func TestGPTGenerateEachModel(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	for _, model := range servedGPTModels {
		t.Run(model, func(t *testing.T) {
			prompt := "a harbour at dawn for " + model
			res, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
				Prompt:  prompt,
				Model:   model,
				N:       openai.Int(2),
				Size:    "1024x1536",
				Quality: "low",
			})
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if len(res.Data) != 2 {
				t.Fatalf("got %d images, want 2", len(res.Data))
			}
			for _, img := range res.Data {
				wantImage(t, decodeB64(t, img), "png", 1024, 1536)
			}
			if res.Size != "1024x1536" || res.Quality != "low" || res.OutputFormat != "png" || res.Background != "opaque" {
				t.Errorf("response fields: size %q quality %q format %q background %q", res.Size, res.Quality, res.OutputFormat, res.Background)
			}
			// 1024x1536 low is 408 output tokens per image (272 scaled by area).
			wantUsage(t, res.Usage, prompt, 0, 2*408)

			calls := srv.CallsForPrompt(prompt)
			if len(calls) != 1 || !calls[0].Billable || calls[0].Model != model || calls[0].Images != 2 ||
				calls[0].Quality != "low" || calls[0].OutputFormat != "png" || calls[0].Size != "1024x1536" ||
				calls[0].Usage == nil || calls[0].Usage.OutputTokens != 816 {
				t.Errorf("calls = %+v", calls)
			}
		})
	}
	st := srv.Stats()
	for _, model := range servedGPTModels {
		if st.BillableRequestsByModel[model] != 1 || st.BillableImagesByModel[model] != 2 || st.UsageByModel[model].OutputTokens != 816 {
			t.Errorf("stats for %s: requests %d images %d usage %+v", model, st.BillableRequestsByModel[model],
				st.BillableImagesByModel[model], st.UsageByModel[model])
		}
	}
}

// Every served GPT image model edits from several input images (PNG and
// JPEG), sending them as the SDK does (image[] for an array), and bills
// image input tokens per input.
func TestGPTEditEachModel(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	for _, model := range servedGPTModels {
		t.Run(model, func(t *testing.T) {
			prompt := "put both in one picture, " + model
			// A landscape first image makes size auto pick 1536x1024.
			res, err := client.Images.Edit(context.Background(), openai.ImageEditParams{
				Prompt: prompt,
				Model:  model,
				Image: openai.ImageEditParamsImageUnion{OfFileArray: []io.Reader{
					namedFile(pngOf(t, 96, 64), "a.png", "image/png"),
					namedFile(encodeJPEG(t, checkerboard(64, 64)), "b.jpg", "image/jpeg"),
				}},
				Quality:      "medium",
				OutputFormat: "jpeg",
			})
			if err != nil {
				t.Fatalf("Edit: %v", err)
			}
			if len(res.Data) != 1 {
				t.Fatalf("got %d images", len(res.Data))
			}
			wantImage(t, decodeB64(t, res.Data[0]), "jpeg", 1536, 1024)
			if res.Size != "1536x1024" || res.OutputFormat != "jpeg" || res.Quality != "medium" {
				t.Errorf("response fields: size %q format %q quality %q", res.Size, res.OutputFormat, res.Quality)
			}
			// Each small input is one 512px tile: 65 + 129 tokens; 1536x1024 medium is 1584.
			wantUsage(t, res.Usage, prompt, 2*194, 1584)
			calls := srv.CallsForPrompt(prompt)
			if len(calls) != 1 || calls[0].Endpoint != dallesim.EndpointEdits || calls[0].InputImages != 2 || !calls[0].Billable {
				t.Errorf("calls = %+v", calls)
			}
		})
	}
}

func TestGPTEditSixteenInputs(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	files := func(n int) []io.Reader {
		var out []io.Reader
		for i := range n {
			// WebP inputs are accepted too; the simulator reads their header only.
			if i%4 == 3 {
				out = append(out, namedFile(webpHeaderOnly(64, 64), "x.webp", "image/webp"))
				continue
			}
			out = append(out, namedFile(pngOf(t, 64, 64), "x.png", "image/png"))
		}
		return out
	}
	res, err := client.Images.Edit(context.Background(), openai.ImageEditParams{
		Prompt: "sixteen into one", Model: "gpt-image-2", Size: "1024x1024", Quality: "high",
		Image: openai.ImageEditParamsImageUnion{OfFileArray: files(16)},
	})
	if err != nil {
		t.Fatalf("Edit with 16 inputs: %v", err)
	}
	wantImage(t, decodeB64(t, res.Data[0]), "png", 1024, 1024)
	wantUsage(t, res.Usage, "sixteen into one", 16*194, 4160)
	if calls := srv.CallsForPrompt("sixteen into one"); len(calls) != 1 || calls[0].InputImages != 16 {
		t.Errorf("calls = %+v", calls)
	}

	_, err = client.Images.Edit(context.Background(), openai.ImageEditParams{
		Prompt: "seventeen", Model: "gpt-image-2",
		Image: openai.ImageEditParamsImageUnion{OfFileArray: files(17)},
	})
	wantAPIError(t, err, 400, "invalid_request_error", "invalid_value", "image")
	if srv.Stats().BillableRequests != 1 {
		t.Errorf("a refused edit was billed: %+v", srv.Stats())
	}
}

// webpHeaderOnly is the start of a lossless WebP of w×h: enough for the
// simulator, which reads input headers only.
func webpHeaderOnly(w, h int) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBPVP8L\x00\x00\x00\x00\x2f")
	bits := uint32(w-1) | uint32(h-1)<<14
	b = append(b, byte(bits), byte(bits>>8), byte(bits>>16), byte(bits>>24))
	return append(b, make([]byte, 16)...)
}

func TestGPTEditInputChecks(t *testing.T) {
	t.Parallel()
	_, _, client := start(t, dallesim.Config{})
	edit := func(image []byte, mask []byte, opts ...func(*openai.ImageEditParams)) error {
		p := openai.ImageEditParams{Prompt: "check inputs", Model: "gpt-image-2",
			Image: openai.ImageEditParamsImageUnion{OfFile: namedFile(image, "in", "application/octet-stream")}}
		if mask != nil {
			p.Mask = pngFile(mask)
		}
		for _, o := range opts {
			o(&p)
		}
		_, err := client.Images.Edit(context.Background(), p)
		return err
	}
	// An opaque JPEG is fine (no transparency requirement), with a mask of its size.
	if err := edit(encodeJPEG(t, checkerboard(64, 48)), encodePNG(t, leftHalfMask(64, 48))); err != nil {
		t.Fatalf("jpeg with mask: %v", err)
	}
	wantAPIError(t, edit([]byte("GIF89a not supported"), nil), 400, "invalid_request_error", "invalid_image_format", "image")
	wantAPIError(t, edit(pngOf(t, 64, 48), encodePNG(t, leftHalfMask(64, 64))), 400, "invalid_request_error", "invalid_mask_image_format", "mask")
	wantAPIError(t, edit(pngOf(t, 64, 64), encodeJPEG(t, checkerboard(64, 64))), 400, "invalid_request_error", "invalid_mask_image_format", "mask")
	// moderation is a generations parameter; the edits endpoint does not know it.
	wantAPIError(t, edit(pngOf(t, 64, 64), nil, func(p *openai.ImageEditParams) {
		p.SetExtraFields(map[string]any{"moderation": "low"})
	}), 400, "invalid_request_error", "unknown_parameter", "moderation")
	wantAPIError(t, edit(pngOf(t, 64, 64), nil, func(p *openai.ImageEditParams) {
		p.ResponseFormat = "b64_json"
	}), 400, "invalid_request_error", "unknown_parameter", "response_format")
	wantAPIError(t, edit(pngOf(t, 64, 64), nil, func(p *openai.ImageEditParams) {
		p.InputFidelity = "high" // "for gpt-image-2, omit this parameter"
	}), 400, "invalid_request_error", "unsupported_parameter", "input_fidelity")
}

// Custom sizes: gpt-image-2 and 2.5 take any WxH within the rule; 2.6 and
// the 1.x family only the standard sizes.
func TestGPTCustomSizes(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{RetiredModels: []string{}})
	generate := func(model, size string) (*openai.ImagesResponse, error) {
		return client.Images.Generate(context.Background(), openai.ImageGenerateParams{
			Prompt: "size " + size, Model: model, Size: openai.ImageGenerateParamsSize(size), Quality: "low",
		})
	}
	for _, tc := range []struct {
		model, size string
		w, h        int
	}{
		{"gpt-image-2", "1536x864", 1536, 864},
		{"gpt-image-2.5-flare", "768x256", 768, 256},        // 3:1 exactly
		{"gpt-image-2.5-sunburst", "3840x2160", 3840, 2160}, // the maximum
		{"gpt-image-2-2026-04-21", "2160x3840", 2160, 3840},
		{"gpt-image-2.6-flare", "1536x1024", 1536, 1024},
		{"gpt-image-2.6-sunburst", "auto", 1024, 1024},
	} {
		res, err := generate(tc.model, tc.size)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.model, tc.size, err)
		}
		wantImage(t, decodeB64(t, res.Data[0]), "png", tc.w, tc.h)
		if want := dallesim.OutputTokens("low", tc.w, tc.h); res.Usage.OutputTokens != want || res.Size != openai.ImagesResponseSize(sizeOf(tc.w, tc.h)) {
			t.Errorf("%s %s: output tokens %d (want %d), size %q", tc.model, tc.size, res.Usage.OutputTokens, want, res.Size)
		}
	}
	billed := srv.Stats().BillableRequests
	for _, tc := range []struct{ model, size, why string }{
		{"gpt-image-2", "1000x1000", "divisible by 16"},
		{"gpt-image-2", "1600x496", "aspect ratio"},
		{"gpt-image-2", "4096x2048", "3840x2160"},
		{"gpt-image-2.5-flare", "3840x2176", "3840x2160"},
		{"gpt-image-2", "large", "WIDTHxHEIGHT"},
		{"gpt-image-2", "-16x16", "WIDTHxHEIGHT"},
		{"gpt-image-2.6-sunburst", "1536x864", "1536x1024"},
		{"gpt-image-1.5", "1536x864", "1536x1024"},
	} {
		_, err := generate(tc.model, tc.size)
		e := asAPIError(t, err, 400, "invalid_request_error", "invalid_value", "size")
		if !strings.Contains(e.Message, tc.why) {
			t.Errorf("%s %s: message %q does not say %q", tc.model, tc.size, e.Message, tc.why)
		}
	}
	if srv.Stats().BillableRequests != billed {
		t.Error("a refused size was billed")
	}
}

func sizeOf(w, h int) string { return fmt.Sprintf("%dx%d", w, h) }

func TestGPTOutputFormatsAndBackground(t *testing.T) {
	t.Parallel()
	_, _, client := start(t, dallesim.Config{})
	gen := func(p openai.ImageGenerateParams) (*openai.ImagesResponse, error) {
		p.Prompt, p.Model, p.Size, p.Quality = "formats", "gpt-image-2", "1024x1024", "low"
		return client.Images.Generate(context.Background(), p)
	}
	res, err := gen(openai.ImageGenerateParams{OutputFormat: "jpeg", OutputCompression: openai.Int(40)})
	if err != nil {
		t.Fatal(err)
	}
	wantImage(t, decodeB64(t, res.Data[0]), "jpeg", 1024, 1024)

	res, err = gen(openai.ImageGenerateParams{OutputFormat: "webp", Background: "transparent"})
	if err != nil {
		t.Fatal(err)
	}
	wantImage(t, decodeB64(t, res.Data[0]), "webp", 1024, 1024)
	if res.OutputFormat != "webp" || res.Background != "transparent" {
		t.Errorf("format %q background %q", res.OutputFormat, res.Background)
	}

	res, err = gen(openai.ImageGenerateParams{Background: "transparent"})
	if err != nil {
		t.Fatal(err)
	}
	if raw := decodeB64(t, res.Data[0]); !hasTransparentPixel(t, raw) {
		t.Error("transparent background has no transparent pixel")
	}
	res, err = gen(openai.ImageGenerateParams{Background: "auto"})
	if err != nil {
		t.Fatal(err)
	}
	if raw := decodeB64(t, res.Data[0]); hasTransparentPixel(t, raw) || res.Background != "opaque" {
		t.Errorf("auto background: %q, transparent pixels present", res.Background)
	}

	_, err = gen(openai.ImageGenerateParams{OutputFormat: "jpeg", Background: "transparent"})
	wantAPIError(t, err, 400, "invalid_request_error", "invalid_value", "background")
	_, err = gen(openai.ImageGenerateParams{OutputCompression: openai.Int(50)})
	wantAPIError(t, err, 400, "invalid_request_error", "invalid_value", "output_compression")
	_, err = gen(openai.ImageGenerateParams{OutputFormat: "jpeg", OutputCompression: openai.Int(101)})
	wantAPIError(t, err, 400, "invalid_request_error", "integer_above_max_value", "output_compression")
	_, err = gen(openai.ImageGenerateParams{OutputFormat: "gif"})
	wantAPIError(t, err, 400, "invalid_request_error", "invalid_value", "output_format")
}

func TestGPTParameterRules(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	for _, tc := range []struct {
		name        string
		params      openai.ImageGenerateParams
		opts        []option.RequestOption
		code, param string
	}{
		{"response_format", openai.ImageGenerateParams{ResponseFormat: "b64_json"}, nil, "unknown_parameter", "response_format"},
		{"style", openai.ImageGenerateParams{Style: "vivid"}, nil, "unknown_parameter", "style"},
		{"n above 10", openai.ImageGenerateParams{N: openai.Int(11)}, nil, "integer_above_max_value", "n"},
		{"n below 1", openai.ImageGenerateParams{}, []option.RequestOption{option.WithJSONSet("n", 0)}, "integer_below_min_value", "n"},
		{"prompt too long", openai.ImageGenerateParams{Prompt: strings.Repeat("a", 32001)}, nil, "string_above_max_length", "prompt"},
		{"xhigh on gpt-image-2", openai.ImageGenerateParams{Quality: "xhigh"}, nil, "invalid_value", "quality"},
		{"dall-e quality", openai.ImageGenerateParams{Quality: "standard"}, nil, "invalid_value", "quality"},
		{"background", openai.ImageGenerateParams{Background: "clear"}, nil, "invalid_value", "background"},
		{"moderation", openai.ImageGenerateParams{Moderation: "none"}, nil, "invalid_value", "moderation"},
		{"partial images", openai.ImageGenerateParams{PartialImages: openai.Int(2)}, nil, "unsupported_parameter", "partial_images"},
		{"complexity preview", openai.ImageGenerateParams{Complexity: "high"}, nil, "unsupported_parameter", "complexity"},
		{"unknown", openai.ImageGenerateParams{}, []option.RequestOption{option.WithJSONSet("colour", "red")}, "unknown_parameter", "colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.params
			if p.Prompt == "" {
				p.Prompt = "rules " + tc.name
			}
			p.Model = "gpt-image-2"
			_, err := client.Images.Generate(context.Background(), p, tc.opts...)
			wantAPIError(t, err, 400, "invalid_request_error", tc.code, tc.param)
		})
	}
	// Accepted: 2.5's extra qualities, moderation low, a safety identifier (reported back).
	res, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
		Prompt: "max quality", Model: "gpt-image-2.5-sunburst", Quality: "max", Moderation: "low",
		SafetyIdentifier: openai.String("user-hash-1"), Size: "1024x1024",
	})
	if err != nil {
		t.Fatalf("2.5 max: %v", err)
	}
	if res.Quality != "max" || res.SafetyIdentifier != "user-hash-1" || res.Usage.OutputTokens != dallesim.OutputTokens("max", 1024, 1024) {
		t.Errorf("quality %q safety id %q output tokens %d", res.Quality, res.SafetyIdentifier, res.Usage.OutputTokens)
	}
	// auto quality is reported (and billed) as high.
	res, err = client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "auto quality", Model: "gpt-image-2"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Quality != "high" || res.Size != "1024x1024" || res.Usage.OutputTokens != 4160 {
		t.Errorf("auto: quality %q size %q output tokens %d", res.Quality, res.Size, res.Usage.OutputTokens)
	}
	if st := srv.Stats(); st.BillableRequests != 2 {
		t.Errorf("billable requests = %d, want only the 2 accepted", st.BillableRequests)
	}
}

func TestGPTModerationBlocked(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	var raw []byte
	_, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
		Prompt: "something Forbidden", Model: "gpt-image-2",
	})
	e := asAPIError(t, err, 400, "image_generation_user_error", "moderation_blocked", "")
	id := e.Response.Header.Get("x-request-id")
	if !strings.Contains(e.Message, "rejected by the safety system") || !strings.Contains(e.Message, id) ||
		!strings.HasSuffix(e.Message, "safety_violations=[violence].") {
		t.Errorf("message = %q", e.Message)
	}
	raw = []byte(e.RawJSON())
	var body struct {
		ModerationDetails struct {
			Stage      string   `json:"moderation_stage"`
			Categories []string `json:"categories"`
		} `json:"moderation_details"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || body.ModerationDetails.Stage != "input" ||
		len(body.ModerationDetails.Categories) != 1 || body.ModerationDetails.Categories[0] != "violence" {
		t.Errorf("moderation_details in %s: %+v %v", raw, body, err)
	}
	// Edits are moderated the same way; DALL-E 2 keeps its own refusal.
	_, err = client.Images.Edit(context.Background(), openai.ImageEditParams{Prompt: "forbidden edit", Model: "gpt-image-2.6-flare",
		Image: openai.ImageEditParamsImageUnion{OfFile: pngFile(pngOf(t, 32, 32))}})
	wantAPIError(t, err, 400, "image_generation_user_error", "moderation_blocked", "")
	_, err = client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "forbidden", Model: "dall-e-2"})
	wantAPIError(t, err, 400, "invalid_request_error", "content_policy_violation", "")
	if st := srv.Stats(); st.BillableRequests != 0 {
		t.Errorf("blocked requests were billed: %+v", st)
	}
}

// The API as it is today: dall-e-2 and the 1.x family answer
// model_not_found, a request without a model gets gpt-image-2. The zero
// Config still serves dall-e-2 (URLs, no usage) and refuses gpt-image-1.
func TestRetiredModels(t *testing.T) {
	t.Parallel()
	retired, err := dallesim.ParseRetiredModels("today")
	if err != nil {
		t.Fatal(err)
	}
	srv, _, client := start(t, dallesim.Config{RetiredModels: retired})
	for _, model := range []string{"dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "chatgpt-image-latest", "gpt-image-9"} {
		_, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "retired", Model: model})
		e := asAPIError(t, err, 404, "invalid_request_error", "model_not_found", "model")
		if !strings.Contains(e.Message, model) {
			t.Errorf("%s: message %q does not name the model", model, e.Message)
		}
		_, err = client.Images.Edit(context.Background(), openai.ImageEditParams{Prompt: "retired", Model: model,
			Image: openai.ImageEditParamsImageUnion{OfFile: pngFile(encodePNG(t, withHole(checkerboard(32, 32))))}})
		wantAPIError(t, err, 404, "invalid_request_error", "model_not_found", "model")
	}
	if st := srv.Stats(); st.BillableRequests != 0 {
		t.Errorf("retired models were billed: %+v", st)
	}
	res, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "no model named"})
	if err != nil {
		t.Fatal(err)
	}
	if c := srv.CallsForPrompt("no model named"); len(c) != 1 || c[0].Model != "gpt-image-2" || res.Usage.TotalTokens == 0 {
		t.Errorf("default model: calls %+v usage %s", c, res.Usage.RawJSON())
	}

	_, _, zero := start(t, dallesim.Config{})
	res, err = zero.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "still dall-e", Size: "256x256"})
	if err != nil || len(res.Data) != 1 || res.Data[0].URL == "" || res.JSON.Usage.Valid() {
		t.Fatalf("zero Config dall-e-2: %v %+v", err, res)
	}
	_, err = zero.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "x", Model: "gpt-image-1"})
	wantAPIError(t, err, 404, "invalid_request_error", "model_not_found", "model")

	// As it was: nothing retired, the 1.x family is served (standard sizes only).
	_, _, old := start(t, dallesim.Config{RetiredModels: []string{}})
	for _, model := range []string{"gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "chatgpt-image-latest"} {
		if _, err := old.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "as it was", Model: model, Quality: "low"}); err != nil {
			t.Errorf("%s with nothing retired: %v", model, err)
		}
	}
}

func TestParseRetiredModels(t *testing.T) {
	for in, want := range map[string]string{
		"today":                 "chatgpt-image-latest,dall-e-2,dall-e-3,gpt-image-1,gpt-image-1-mini,gpt-image-1.5",
		"none":                  "",
		"as-of:2026-11-01":      "dall-e-2,dall-e-3,gpt-image-1",
		"as-of:2026-01-01":      "",
		"dall-e-2, gpt-image-1": "dall-e-2,gpt-image-1",
	} {
		got, err := dallesim.ParseRetiredModels(in)
		if err != nil || got == nil || strings.Join(got, ",") != want {
			t.Errorf("ParseRetiredModels(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"as-of:tomorrow", "dall-e-4", "gpt-image-2,nope"} {
		if _, err := dallesim.ParseRetiredModels(bad); err == nil {
			t.Errorf("ParseRetiredModels(%q) accepted", bad)
		}
	}
	if d := dallesim.DefaultRetiredModels(); strings.Join(d, ",") != "chatgpt-image-latest,dall-e-3,gpt-image-1,gpt-image-1-mini,gpt-image-1.5" {
		t.Errorf("DefaultRetiredModels = %v", d)
	}
}

func TestModelLatency(t *testing.T) {
	t.Parallel()
	_, _, client := start(t, dallesim.Config{ModelLatency: map[string]dallesim.LatencyRange{
		// Long enough that "no latency" can be told from it on a loaded
		// 2-core machine without a tight timing bound.
		"gpt-image-2": {Min: 2 * time.Second, Max: 2 * time.Second},
	}})
	timed := func(model string) time.Duration {
		start := time.Now()
		if _, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
			Prompt: "timed", Model: model, Size: "1024x1024", Quality: "low"}); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	if d := timed("gpt-image-2"); d < 2*time.Second {
		t.Errorf("gpt-image-2 answered in %s, want >= 2s", d)
	}
	if d := timed("gpt-image-2.6-flare"); d >= 2*time.Second {
		t.Errorf("a model without latency took %s, as long as one with 2s", d)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := client.Images.Generate(ctx, openai.ImageGenerateParams{Prompt: "impatient", Model: "gpt-image-2"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("impatient client: %v", err)
	}
}

func TestParseModelLatency(t *testing.T) {
	got, err := dallesim.ParseModelLatency("gpt-image-2=30s,gpt-image-2.5-flare=5s..10s")
	if err != nil || len(got) != 2 || got["gpt-image-2"] != (dallesim.LatencyRange{Min: 30 * time.Second, Max: 30 * time.Second}) ||
		got["gpt-image-2.5-flare"] != (dallesim.LatencyRange{Min: 5 * time.Second, Max: 10 * time.Second}) {
		t.Errorf("list: %v %v", got, err)
	}
	got, err = dallesim.ParseModelLatency("realistic,gpt-image-2=1s")
	if err != nil || got["gpt-image-2"].Max != time.Second || got["gpt-image-2.6-flare"] != dallesim.RealisticModelLatency()["gpt-image-2.6-flare"] {
		t.Errorf("realistic with override: %v %v", got, err)
	}
	if r := dallesim.RealisticModelLatency()["gpt-image-2"]; r.Min != 20*time.Second || r.Max != 40*time.Second {
		t.Errorf("realistic gpt-image-2 = %v", r)
	}
	if got, err := dallesim.ParseModelLatency("none"); err != nil || got != nil {
		t.Errorf("none: %v %v", got, err)
	}
	for _, bad := range []string{"gpt-image-2", "gpt-image-2=fast", "gpt-image-2=10s..5s", "gpt-image-2=-1s", "nope=1s"} {
		if _, err := dallesim.ParseModelLatency(bad); err == nil {
			t.Errorf("ParseModelLatency(%q) accepted", bad)
		}
	}
}

func TestTokenTables(t *testing.T) {
	for _, tc := range []struct {
		quality string
		w, h    int
		want    int64
	}{
		{"low", 1024, 1024, 272}, {"medium", 1024, 1024, 1056}, {"high", 1024, 1024, 4160},
		{"low", 1536, 1024, 408}, {"medium", 1024, 1536, 1584}, {"high", 1536, 1024, 6240},
		{"xhigh", 1024, 1024, 8320}, {"max", 1024, 1024, 16640}, {"high", 3840, 2160, 32907},
	} {
		if got := dallesim.OutputTokens(tc.quality, tc.w, tc.h); got != tc.want {
			t.Errorf("OutputTokens(%s, %dx%d) = %d, want %d", tc.quality, tc.w, tc.h, got, tc.want)
		}
	}
	for _, tc := range []struct {
		w, h int
		want int64
	}{{64, 64, 194}, {1024, 1024, 194}, {1536, 1024, 323}, {4096, 2048, 323}, {4000, 4000, 194}} {
		if got := dallesim.InputImageTokens(tc.w, tc.h); got != tc.want {
			t.Errorf("InputImageTokens(%dx%d) = %d, want %d", tc.w, tc.h, got, tc.want)
		}
	}
	if dallesim.TextTokens("abcde") != 2 || dallesim.TextTokens("a") != 1 {
		t.Error("TextTokens is not ceil(runes/4)")
	}
}
