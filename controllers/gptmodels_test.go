package controllers_test

import (
	"bytes"
	"cmp"
	"fmt"
	"image"
	"image/color/palette"
	"image/gif"
	"net/http"
	"slices"
	"strings"
	"testing"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/internal/manager"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// TestGPTImageModels runs one operator as it is deployed for today's
// models (--default-model=gpt-image-2, dall-e-2 declared served, results in
// an artifact store) against the simulator, and checks that every current
// model generates and edits, in every output format, with several inputs
// and custom sizes, each paid exactly once and priced from its usage.
func TestGPTImageModels(t *testing.T) {
	begin(t)
	runManagerWithStore(t, fileBucket(t), artifacts.URLModeOperator, func(o *manager.Options) {
		o.DefaultModel = models.GPTImage2
		o.ServeRetiredModels = []string{models.DALLE2}
	})
	// A square PNG with a transparent centre: the one input every model's
	// edit takes (dall-e-2 needs square and transparent).
	createConfigMap(t, "gpt-input", map[string][]byte{"image.png": pngtest.PNG(1024, 1024, true, true)})
	const user = "team-a/alice"

	t.Run("every current model generates and edits", func(t *testing.T) {
		var created []*imagesv1alpha1.ImageRequest
		for i, model := range currentModels {
			gen := imagesv1alpha1.ImageRequestSpec{Prompt: "a harbour at dawn, as " + model, Model: model, Size: "1024x1024", User: user}
			edit := editOf("the harbour at dusk, as "+model, model, "1024x1024", cmRef("gpt-input", "image.png"))
			edit.User = user
			created = append(created,
				createRequest(t, fmt.Sprintf("gpt-gen-%d", i), gen),
				createRequest(t, fmt.Sprintf("gpt-edit-%d", i), edit))
		}
		for i, ir := range created {
			call := assertServedOnce(t, waitTerminal(t, ir), currentModels[i/2], "png", 1024, 1024)
			assertUserParam(t, call, currentModels[i/2], user)
		}
	})

	t.Run("no model named: the operator's default", func(t *testing.T) {
		ir := waitTerminal(t, createRequest(t, "gpt-default", imagesv1alpha1.ImageRequestSpec{Prompt: "a harbour, default model"}))
		// gpt-image-2's default size is auto, which the simulator renders
		// at 1024x1024 for a generation.
		assertServedOnce(t, ir, models.GPTImage2, "png", 1024, 1024)
	})

	t.Run("jpeg and webp results", func(t *testing.T) {
		jpegGen := createRequest(t, "gpt-jpeg", imagesv1alpha1.ImageRequestSpec{
			Prompt: "a harbour in jpeg", Model: models.GPTImage25Flare, Size: "1536x1024",
			Quality: "low", OutputFormat: "jpeg", OutputCompression: ptrTo(int32(60)),
		})
		webpGen := createRequest(t, "gpt-webp", imagesv1alpha1.ImageRequestSpec{
			Prompt: "a harbour in webp", Model: models.GPTImage26Sunburst, Size: "1024x1536",
			Quality: "medium", Background: "transparent", OutputFormat: "webp", Moderation: "low", User: user,
		})
		jpegEdit := editOf("the harbour edited to jpeg", models.GPTImage2, "1024x1024", cmRef("gpt-input", "image.png"))
		jpegEdit.Quality, jpegEdit.Background, jpegEdit.OutputFormat = "high", "opaque", "jpeg"
		jpegEditIR := createRequest(t, "gpt-jpeg-edit", jpegEdit)

		call := assertServedOnce(t, waitTerminal(t, jpegGen), models.GPTImage25Flare, "jpeg", 1536, 1024)
		if call.Quality != "low" || call.OutputFormat != "jpeg" || call.OutputCompression != 60 {
			t.Errorf("jpeg call: quality %q format %q compression %d, want low, jpeg, 60", call.Quality, call.OutputFormat, call.OutputCompression)
		}
		call = assertServedOnce(t, waitTerminal(t, webpGen), models.GPTImage26Sunburst, "webp", 1024, 1536)
		if call.Quality != "medium" || call.Background != "transparent" || call.OutputFormat != "webp" || call.Moderation != "low" {
			t.Errorf("webp call: quality %q background %q format %q moderation %q, want medium, transparent, webp, low",
				call.Quality, call.Background, call.OutputFormat, call.Moderation)
		}
		assertUserParam(t, call, models.GPTImage26Sunburst, user)
		call = assertServedOnce(t, waitTerminal(t, jpegEditIR), models.GPTImage2, "jpeg", 1024, 1024)
		if call.Quality != "high" || call.Background != "opaque" || call.OutputFormat != "jpeg" {
			t.Errorf("jpeg edit call: quality %q background %q format %q, want high, opaque, jpeg", call.Quality, call.Background, call.OutputFormat)
		}
		// Unset options are not sent: the upstream's defaults apply.
		for _, name := range []string{"moderation", "output_compression", "safety_identifier", "user"} {
			if slices.Contains(call.Params, name) {
				t.Errorf("jpeg edit sent %s, which its spec leaves unset: %v", name, call.Params)
			}
		}
	})

	t.Run("sixteen mixed inputs", func(t *testing.T) {
		// image: an opaque, non-square PNG (no transparency needed), with a
		// mask of its size; then 15 more of other shapes, in PNG, WebP and
		// JPEG, from a ConfigMap and a Secret.
		cm := map[string][]byte{"image.png": pngtest.PNG(96, 64, false, false), "mask.png": pngtest.PNG(96, 64, true, true)}
		secret := map[string][]byte{}
		var more []imagesv1alpha1.ImageSource
		for i := range 15 {
			var key string
			var data []byte
			switch i % 3 {
			case 0:
				key, data = fmt.Sprintf("%d.png", i), pngtest.PNG(64, 48, true, false)
			case 1:
				key, data = fmt.Sprintf("%d.webp", i), webpOf(t, 48, 80)
			default:
				key, data = fmt.Sprintf("%d.jpg", i), jpegOf(t, 80, 48)
			}
			if i%2 == 0 {
				cm[key] = data
				more = append(more, *cmRef("gpt-sixteen", key))
			} else {
				secret[key] = data
				more = append(more, *secretRef("gpt-sixteen", key))
			}
		}
		createConfigMap(t, "gpt-sixteen", cm)
		createSecret(t, "gpt-sixteen", secret)
		spec := editOf("sixteen pictures, one scene", models.GPTImage25Sunburst, "1536x1024", cmRef("gpt-sixteen", "image.png"))
		spec.Mask, spec.AdditionalImages = cmRef("gpt-sixteen", "mask.png"), more
		ir := waitTerminal(t, createRequest(t, "gpt-sixteen", spec))
		call := assertServedOnce(t, ir, models.GPTImage25Sunburst, "png", 1536, 1024)
		if call.InputImages != 16 || ir.Status.Usage.InputImageTokens <= 0 {
			t.Errorf("the upstream got %d input images, usage %+v; want 16 with image input tokens", call.InputImages, ir.Status.Usage)
		}
	})

	t.Run("custom size", func(t *testing.T) {
		ir := waitTerminal(t, createRequest(t, "gpt-custom", imagesv1alpha1.ImageRequestSpec{Prompt: "a wide harbour", Model: models.GPTImage2, Size: "2048x1152", Quality: "low"}))
		assertServedOnce(t, ir, models.GPTImage2, "png", 2048, 1152)
	})

	t.Run("results as inputs", func(t *testing.T) {
		// A webp result, edited further through its URI: as the image and
		// as an additional image.
		gen := waitTerminal(t, createRequest(t, "gpt-source", imagesv1alpha1.ImageRequestSpec{Prompt: "a boat to edit", Model: models.GPTImage2, Size: "1024x1024", Quality: "low", OutputFormat: "webp"}))
		assertServedOnce(t, gen, models.GPTImage2, "webp", 1024, 1024)
		uri := gen.Status.Images[0].URI
		spec := editOf("the boat, twice", models.GPTImage2, "1024x1024", artifactURI(uri))
		spec.AdditionalImages = []imagesv1alpha1.ImageSource{*artifactURI(uri)}
		call := assertServedOnce(t, waitTerminal(t, createRequest(t, "gpt-from-results", spec)), models.GPTImage2, "png", 1024, 1024)
		if call.InputImages != 2 {
			t.Errorf("the upstream got %d input images, want 2", call.InputImages)
		}
	})

	t.Run("an additional image that appears later wakes the request", func(t *testing.T) {
		spec := editOf("waiting for the second picture", models.GPTImage2, "1024x1024", cmRef("gpt-input", "image.png"))
		spec.AdditionalImages = []imagesv1alpha1.ImageSource{*cmRef("gpt-input", "image.png"), *secretRef("gpt-late", "late.webp")}
		created := createRequest(t, "gpt-late", spec)
		ir := waitFor(t, created, "WaitingForInput", func(ir *imagesv1alpha1.ImageRequest) bool {
			return ir.Status.Reason == imagesv1alpha1.ReasonWaitingForInput
		})
		if want := `spec.additionalImages[1]: Secret "gpt-late" not found`; !strings.Contains(ir.Status.Message, want) || ir.Status.Model != models.GPTImage2 {
			t.Fatalf("message %q, model %q; want it to contain %q, and gpt-image-2", ir.Status.Message, ir.Status.Model, want)
		}
		createSecret(t, "gpt-late", map[string][]byte{"late.webp": webpOf(t, 64, 64)})
		// Had the Secret's creation not woken it, the input deadline would
		// have failed it with InputNotFound.
		call := assertServedOnce(t, waitTerminal(t, created), models.GPTImage2, "png", 1024, 1024)
		if call.InputImages != 3 {
			t.Errorf("the upstream got %d input images, want 3", call.InputImages)
		}
	})

	t.Run("bad additional inputs are refused before any call", func(t *testing.T) {
		var gifBuf bytes.Buffer
		if err := gif.Encode(&gifBuf, image.NewPaletted(image.Rect(0, 0, 32, 32), palette.Plan9), nil); err != nil {
			t.Fatal(err)
		}
		if got := gifBuf.Bytes(); !bytes.HasPrefix(got, []byte("GIF8")) {
			t.Fatalf("gif fixture starts % x", got[:6])
		}
		createConfigMap(t, "gpt-bad", map[string][]byte{"a.gif": gifBuf.Bytes(), "small-mask.png": pngtest.PNG(32, 32, true, true)})
		input := cmRef("gpt-input", "image.png")
		cases := []struct {
			name   string
			more   []imagesv1alpha1.ImageSource
			mask   *imagesv1alpha1.ImageSource
			reason string
			want   []string
		}{
			{name: "gpt-bad-format", more: []imagesv1alpha1.ImageSource{*input, *input, *cmRef("gpt-bad", "a.gif")},
				reason: imagesv1alpha1.ReasonInvalidImage, want: []string{"spec.additionalImages[2]", "rule format"}},
			{name: "gpt-bad-mask", more: []imagesv1alpha1.ImageSource{*input}, mask: cmRef("gpt-bad", "small-mask.png"),
				reason: imagesv1alpha1.ReasonInvalidMask, want: []string{"spec.mask", "rule dimensions"}},
			{name: "gpt-bad-ref", more: []imagesv1alpha1.ImageSource{*artifactKey("results/other-namespace/x/y/attempt-1/0.png")},
				reason: imagesv1alpha1.ReasonInvalidImage, want: []string{"spec.additionalImages[0].artifactRef", "rule artifactKey"}},
		}
		for _, tc := range cases {
			spec := editOf("refused: "+tc.name, models.GPTImage2, "1024x1024", input)
			spec.AdditionalImages, spec.Mask = tc.more, tc.mask
			ir := waitTerminal(t, createRequest(t, tc.name, spec))
			wantRefused(t, ir, tc.reason, tc.want...)
			assertNoCall(t, ir)
		}
	})
}

// assertServedOnce checks that ir succeeded as model with one stored image
// of format and w×h, served at its URL with the bytes status describes,
// from exactly one billable upstream call, priced as the registry prices
// that call's usage (per-token models) or the image (dall-e-2). It returns
// the call's record.
func assertServedOnce(t *testing.T, ir *imagesv1alpha1.ImageRequest, model, format string, w, h int) dallesim.Call {
	t.Helper()
	st := ir.Status
	if st.Phase != imagesv1alpha1.PhaseSucceeded || len(st.Images) != 1 {
		t.Fatalf("%s: phase=%s images=%d (%s: %s), want Succeeded with 1", ir.Name, st.Phase, len(st.Images), st.Reason, st.Message)
	}
	if st.Model != model {
		t.Errorf("%s: status.model = %q, want %q", ir.Name, st.Model, model)
	}
	img := st.Images[0]
	if img.ContentType != contentTypes[format] || !strings.HasSuffix(img.URI, extensions[format]) || img.Width != int32(w) || img.Height != int32(h) {
		t.Errorf("%s: image %+v, want a %dx%d %s stored as *%s", ir.Name, img, w, h, contentTypes[format], extensions[format])
	}
	code, ctype, body := get(t, img.URL)
	if code != http.StatusOK || ctype != contentTypes[format] {
		t.Fatalf("%s: GET %s: %d %s: %.200s", ir.Name, img.URL, code, ctype, body)
	}
	assertImage(t, ir.Name+" served", body, format, w, h)
	if sha256Hex(body) != img.SHA256 || int64(len(body)) != img.Bytes {
		t.Errorf("%s: served %d bytes with sha256 %s, status says %d and %s", ir.Name, len(body), sha256Hex(body), img.Bytes, img.SHA256)
	}

	calls := sim.CallsForPrompt(ir.Spec.Prompt)
	if len(calls) != 1 || !calls[0].Billable || calls[0].Model != model || st.Attempts != 1 {
		t.Fatalf("%s: attempts %d, upstream calls %+v; want one billable call to %s", ir.Name, st.Attempts, calls, model)
	}
	call := calls[0]
	m, _ := models.Lookup(model)
	var want string
	if m.PriceModel == models.PricePerToken {
		u := call.Usage
		if u == nil || st.Usage == nil {
			t.Fatalf("%s: usage billed %+v, status.usage %+v; want both", ir.Name, u, st.Usage)
		}
		got := *st.Usage
		if got.InputTokens != u.InputTokens || got.InputTextTokens != u.InputTokensDetails.TextTokens || got.InputImageTokens != u.InputTokensDetails.ImageTokens ||
			got.OutputTokens != u.OutputTokens || got.TotalTokens != u.TotalTokens {
			t.Errorf("%s: status.usage %+v, the upstream billed %+v", ir.Name, got, *u)
		}
		want = costFromUsage(t, model, models.Usage{
			TextInputTokens:   u.InputTokensDetails.TextTokens,
			ImageInputTokens:  u.InputTokensDetails.ImageTokens,
			ImageOutputTokens: u.OutputTokensDetails.ImageTokens,
		})
	} else {
		if st.Usage != nil {
			t.Errorf("%s: status.usage %+v; %s reports none", ir.Name, st.Usage, model)
		}
		want = models.FormatUSD(m.EstimatedCostUSD(cmp.Or(ir.Spec.Size, m.DefaultSize), 1))
	}
	if st.EstimatedCostUSD != want {
		t.Errorf("%s: estimatedCostUSD = %q, the registry's prices make %s", ir.Name, st.EstimatedCostUSD, want)
	}
	return call
}

// assertUserParam checks how the call carried the end user and the
// response format: dall-e-2 takes user and response_format (b64_json, as
// the operator has a store); the GPT image models take safety_identifier
// and refuse response_format, so neither it nor user may be sent.
func assertUserParam(t *testing.T, call dallesim.Call, model, user string) {
	t.Helper()
	has := func(name string) bool { return slices.Contains(call.Params, name) }
	if model == models.DALLE2 {
		if !has("user") || has("safety_identifier") || call.User != user || !has("response_format") || call.ResponseFormat != "b64_json" {
			t.Errorf("%s call: params %v user %q response_format %q; want user %q and response_format b64_json", model, call.Params, call.User, call.ResponseFormat, user)
		}
		return
	}
	if has("user") || !has("safety_identifier") || call.SafetyIdentifier != user || has("response_format") {
		t.Errorf("%s call: params %v safety_identifier %q; want safety_identifier %q, no user, no response_format", model, call.Params, call.SafetyIdentifier, user)
	}
}

// assertNoCall checks that ir was refused before any upstream call.
func assertNoCall(t *testing.T, ir *imagesv1alpha1.ImageRequest) {
	t.Helper()
	if calls := sim.CallsForPrompt(ir.Spec.Prompt); len(calls) != 0 || ir.Status.Attempts != 0 {
		t.Errorf("%s: attempts %d, upstream calls %+v; want none", ir.Name, ir.Status.Attempts, calls)
	}
}
