package mcp_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/mcp"
)

// restToMCP maps the REST endpoints' field names to the tools' argument
// names; an indexed name (additional_image_file[2]) keeps its index.
var restToMCP = map[string]string{
	"params.n": "n", "params.size": "size", "params.model": "model", "params.quality": "quality", "params.background": "background",
	"params.output_format": "output_format", "params.output_compression": "output_compression", "params.moderation": "moderation",
	"image_file": "image", "mask_file": "mask", "additional_image_file": "additional_images",
}

func mcpNameOf(restField string) string {
	base, index, indexed := strings.Cut(restField, "[")
	if f, ok := restToMCP[base]; ok {
		if indexed {
			return f + "[" + index
		}
		return f
	}
	return restField
}

var toolInputError = regexp.MustCompile(`invalid (\S+) \(rule (\S+)\)`)

// TestMCPAndRESTAgreeOnInvalidInputs sends each invalid input through a
// tool and through the REST endpoint that does the same, and checks that
// both name the same field and the same rule (issue 9: rules travel as
// data, in one vocabulary, internal/rules).
func TestMCPAndRESTAgreeOnInvalidInputs(t *testing.T) {
	png := pngtest.PNG(64, 64, true, true)
	opaque := pngtest.PNG(64, 64, true, false)
	noise := noisePNG(t, 700)
	gen := func(prompt, extra string) func(*testing.T) *http.Request {
		return func(*testing.T) *http.Request { return jsonReq(jsonBody(prompt, extra)) }
	}
	edit := func(fields map[string]string, files map[string][]byte) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return multipartEdit(t, fields, files) }
	}
	editParts := func(fields map[string]string, files ...filePart) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return multipartEditParts(t, fields, files...) }
	}
	cases := []struct {
		name        string
		tool        string
		args        map[string]any
		rest        func(*testing.T) *http.Request
		field, rule string
	}{
		{"empty prompt", mcp.ToolGenerateImage, map[string]any{"prompt": ""}, gen("", ""), "prompt", "minLength"},
		{"prompt too long", mcp.ToolGenerateImage, map[string]any{"prompt": strings.Repeat("é", 1001)}, gen(strings.Repeat("é", 1001), ""), "prompt", "maxLength"},
		{"prompt with NUL", mcp.ToolGenerateImage, map[string]any{"prompt": "a cat\x00"}, gen("a cat\x00", ""), "prompt", "controlCharacters"},
		{"n 0", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "n": 0}, gen("x", `,"params":{"n":0}`), "n", "minimum"},
		{"n -1", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "n": -1}, gen("x", `,"params":{"n":-1}`), "n", "minimum"},
		{"n 11", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "n": 11}, gen("x", `,"params":{"n":11}`), "n", "maximum"},
		{"n not a number", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "n": "two"}, gen("x", `,"params":{"n":"two"}`), "n", "type"},
		{"size", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "size": "300x300"}, gen("x", `,"params":{"size":"300x300"}`), "size", "enum"},
		{"model", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "model": "dall-e-5"}, gen("x", `,"params":{"model":"dall-e-5"}`), "model", "enum"},
		{"namespace", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "namespace": "Team_A"}, gen("x", `,"namespace":"Team_A"`), "namespace", "pattern"},
		{"wait_seconds negative", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "wait_seconds": -1}, gen("x", `,"wait_seconds":-1`), "wait_seconds", "minimum"},
		{"wait_seconds too long", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "wait_seconds": 100000}, gen("x", `,"wait_seconds":100000`), "wait_seconds", "maximum"},
		{"edit n 11", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(png), "n": 11},
			edit(map[string]string{"prompt": "x", "n": "11"}, map[string][]byte{"image_file": png}), "n", "maximum"},
		{"edit prompt with DEL", mcp.ToolEditImage, map[string]any{"prompt": "a\x7fcat", "image": b64(png)},
			edit(map[string]string{"prompt": "a\x7fcat"}, map[string][]byte{"image_file": png}), "prompt", "controlCharacters"},
		{"image not PNG", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64([]byte("GIF89a not a png"))},
			edit(map[string]string{"prompt": "x"}, map[string][]byte{"image_file": []byte("GIF89a not a png")}), "image", "png"},
		{"image not square", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(pngtest.PNG(64, 32, true, true))},
			edit(map[string]string{"prompt": "x"}, map[string][]byte{"image_file": pngtest.PNG(64, 32, true, true)}), "image", "square"},
		{"image opaque without mask", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(opaque)},
			edit(map[string]string{"prompt": "x"}, map[string][]byte{"image_file": opaque}), "image", "transparency"},
		{"mask other size", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(opaque), "mask": b64(pngtest.PNG(32, 32, true, true))},
			edit(map[string]string{"prompt": "x"}, map[string][]byte{"image_file": opaque, "mask_file": pngtest.PNG(32, 32, true, true)}), "mask", "dimensions"},
		{"mask without alpha", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(opaque), "mask": b64(pngtest.PNG(64, 64, false, false))},
			edit(map[string]string{"prompt": "x"}, map[string][]byte{"image_file": opaque, "mask_file": pngtest.PNG(64, 64, false, false)}), "mask", "alpha"},
		{"unknown argument", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "style": "vivid"}, gen("x", `,"style":"vivid"`), "style", "additionalProperties"},
		{"edit unknown field", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(png), "style": "vivid"},
			edit(map[string]string{"prompt": "x", "style": "vivid"}, map[string][]byte{"image_file": png}), "style", "additionalProperties"},
		{"edit n not a number", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(png), "n": "lots"},
			edit(map[string]string{"prompt": "x", "n": "lots"}, map[string][]byte{"image_file": png}), "n", "type"},
		{"image over the Secret limit", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(noise)},
			edit(map[string]string{"prompt": "x"}, map[string][]byte{"image_file": noise}), "image", "inlineSize"},
		{"size not WxH", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "size": "huge"}, gen("x", `,"params":{"size":"huge"}`), "size", "pattern"},

		// The GPT image models' parameters (issue 11). The suite's operator
		// runs the reference policy (dall-e-2 by default) without an
		// artifact store.
		{"quality no model takes", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "quality": "ultra"}, gen("x", `,"params":{"quality":"ultra"}`), "quality", "enum"},
		{"quality dall-e-2 does not take", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "quality": "high"}, gen("x", `,"params":{"quality":"high"}`), "quality", "enum"},
		{"quality of 2.5 on gpt-image-2", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "model": "gpt-image-2", "quality": "xhigh"},
			gen("x", `,"params":{"model":"gpt-image-2","quality":"xhigh"}`), "quality", "enum"},
		{"background no model takes", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "background": "black"}, gen("x", `,"params":{"background":"black"}`), "background", "enum"},
		{"background on dall-e-2", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "background": "opaque"}, gen("x", `,"params":{"background":"opaque"}`), "background", "unsupported"},
		{"output format no model renders", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "output_format": "gif"}, gen("x", `,"params":{"output_format":"gif"}`), "output_format", "enum"},
		{"moderation no model takes", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "model": "gpt-image-2", "moderation": "none"},
			gen("x", `,"params":{"model":"gpt-image-2","moderation":"none"}`), "moderation", "enum"},
		{"compression over 100", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "output_compression": 101}, gen("x", `,"params":{"output_compression":101}`), "output_compression", "maximum"},
		{"compression not a number", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "output_compression": "high"}, gen("x", `,"params":{"output_compression":"high"}`), "output_compression", "type"},
		{"compression without jpeg or webp", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "model": "gpt-image-2", "output_compression": 50},
			gen("x", `,"params":{"model":"gpt-image-2","output_compression":50}`), "output_compression", "requires"},
		{"transparent jpeg", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "model": "gpt-image-2", "background": "transparent", "output_format": "jpeg"},
			gen("x", `,"params":{"model":"gpt-image-2","background":"transparent","output_format":"jpeg"}`), "background", "requires"},
		{"custom size on 2.6", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "model": "gpt-image-2.6-flare", "size": "2048x1152"},
			gen("x", `,"params":{"model":"gpt-image-2.6-flare","size":"2048x1152"}`), "size", "enum"},
		{"size not a multiple of 16", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "model": "gpt-image-2", "size": "1000x1000"},
			gen("x", `,"params":{"model":"gpt-image-2","size":"1000x1000"}`), "size", "multipleOf"},
		{"aspect ratio 4:1", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "model": "gpt-image-2", "size": "2048x512"},
			gen("x", `,"params":{"model":"gpt-image-2","size":"2048x512"}`), "size", "aspectRatio"},
		{"retired model", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "model": "gpt-image-1"}, gen("x", `,"params":{"model":"gpt-image-1"}`), "model", "retired"},
		{"GPT model without a store", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "model": "gpt-image-2"}, gen("x", `,"params":{"model":"gpt-image-2"}`), "model", "artifactStore"},
		{"moderation on edit", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(png), "moderation": "low"},
			edit(map[string]string{"prompt": "x", "moderation": "low"}, map[string][]byte{"image_file": png}), "moderation", "unsupported"},
		{"edit compression not a number", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(png), "output_compression": "lots"},
			edit(map[string]string{"prompt": "x", "output_compression": "lots"}, map[string][]byte{"image_file": png}), "output_compression", "type"},
		{"17 input images", mcp.ToolEditImage, map[string]any{"prompt": "x", "model": "gpt-image-2", "image": b64(png), "additional_images": slices.Repeat([]string{b64(png)}, 16)},
			editParts(map[string]string{"prompt": "x", "model": "gpt-image-2"}, append([]filePart{{"image_file", png}}, slices.Repeat([]filePart{{"additional_image_file", png}}, 16)...)...),
			"additional_images", "maxItems"},
		{"2 input images on dall-e-2", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(png), "additional_images": []string{b64(png)}},
			editParts(map[string]string{"prompt": "x"}, filePart{"image_file", png}, filePart{"additional_image_file", png}), "additional_images", "maxItems"},
	}
	// What the front door would write for a case, where admission can know
	// the rule too: kubectl (the API server) must then name the same one.
	// Admission does not know the registry's per-model rules beyond
	// dall-e-2's (custom sizes, qualities by model, retirement, the store,
	// the inputs' bytes), and refuses dall-e-2's additional images as
	// "unsupported" where the registry counts them (maxItems).
	dalle2 := "dall-e-2"
	editSpec := func(spec imagesv1alpha1.ImageRequestSpec) imagesv1alpha1.ImageRequestSpec {
		spec.Operation = imagesv1alpha1.OperationEdit
		spec.Image = &imagesv1alpha1.ImageSource{ConfigMapKeyRef: &imagesv1alpha1.KeyReference{Name: "in", Key: "image.png"}}
		return spec
	}
	admission := map[string]imagesv1alpha1.ImageRequestSpec{
		"empty prompt":                     {Model: dalle2},
		"prompt too long":                  {Model: dalle2, Prompt: strings.Repeat("é", 1001)},
		"prompt with NUL":                  {Model: dalle2, Prompt: "a cat\x00"},
		"n 11":                             {Model: dalle2, Prompt: "x", N: 11},
		"size":                             {Model: dalle2, Prompt: "x", Size: "300x300"},
		"size not WxH":                     {Model: dalle2, Prompt: "x", Size: "huge"},
		"model":                            {Model: "dall-e-5", Prompt: "x"},
		"quality no model takes":           {Model: dalle2, Prompt: "x", Quality: "ultra"},
		"background no model takes":        {Model: dalle2, Prompt: "x", Background: "black"},
		"background on dall-e-2":           {Model: dalle2, Prompt: "x", Background: "opaque"},
		"output format no model renders":   {Model: dalle2, Prompt: "x", OutputFormat: "gif"},
		"moderation no model takes":        {Model: "gpt-image-2", Prompt: "x", Moderation: "none"},
		"compression over 100":             {Model: dalle2, Prompt: "x", OutputCompression: ptr.To[int32](101)},
		"compression without jpeg or webp": {Model: "gpt-image-2", Prompt: "x", OutputCompression: ptr.To[int32](50)},
		"transparent jpeg":                 {Model: "gpt-image-2", Prompt: "x", Background: "transparent", OutputFormat: "jpeg"},
		"moderation on edit":               editSpec(imagesv1alpha1.ImageRequestSpec{Model: dalle2, Prompt: "x", Moderation: "low"}),
		"17 input images": editSpec(imagesv1alpha1.ImageRequestSpec{Model: "gpt-image-2", Prompt: "x",
			AdditionalImages: slices.Repeat([]imagesv1alpha1.ImageSource{{ConfigMapKeyRef: &imagesv1alpha1.KeyReference{Name: "in", Key: "more.png"}}}, 16)}),
	}
	s := agent(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if spec, ok := admission[tc.name]; ok {
				checkAdmissionAgrees(t, spec, tc.field, tc.rule)
			}
			res := call(t, s, tc.tool, tc.args)
			m := toolInputError.FindStringSubmatch(text(res))
			if !res.IsError || m == nil {
				t.Fatalf("MCP: want an input error, got %s", text(res))
			}
			if m[1] != tc.field || m[2] != tc.rule {
				t.Errorf("MCP says %s/%s, want %s/%s", m[1], m[2], tc.field, tc.rule)
			}
			status, body := doREST(t, agentToken, tc.rest(t))
			restField := mcpNameOf(body.Error.Field)
			if status != http.StatusBadRequest {
				t.Fatalf("REST: HTTP %d %+v, want 400", status, body.Error)
			}
			if m[1] != restField || m[2] != body.Error.Rule {
				t.Errorf("MCP says %s/%s, REST %s/%s", m[1], m[2], restField, body.Error.Rule)
			}
		})
	}
}

// specFields are the spec's names of the tools' arguments where they differ.
var specFields = map[string]string{"output_format": "outputFormat", "output_compression": "outputCompression", "additional_images": "additionalImages"}

// admissionSays is how the API server words each rule: its own words for
// the OpenAPI schema's keywords, the rule word in parentheses for the CRD's
// CEL rules (whose messages name the rule, see api/v1alpha1).
var admissionSays = map[string]string{
	"enum": "Unsupported value", "pattern": "should match", "maximum": "less than or equal to",
	"minLength": "should be at least", "maxItems": "must have at most",
}

// checkAdmissionAgrees creates spec in a dry run and checks that the API
// server refuses it naming the field and the rule MCP and REST named.
func checkAdmissionAgrees(t *testing.T, spec imagesv1alpha1.ImageRequestSpec, field, rule string) {
	t.Helper()
	ir := &imagesv1alpha1.ImageRequest{ObjectMeta: metav1.ObjectMeta{GenerateName: "agree-", Namespace: nsA}, Spec: spec}
	err := k8sClient.Create(context.Background(), ir, client.DryRunAll)
	if err == nil {
		t.Fatalf("admission accepted %+v", spec)
	}
	msg := err.Error()
	specField := field
	if f, ok := specFields[field]; ok {
		specField = f
	}
	says := "(rule " + rule + ")"
	if w, ok := admissionSays[rule]; ok && !strings.Contains(msg, says) {
		says = w
	}
	if !strings.Contains(msg, specField) || !strings.Contains(msg, says) {
		t.Errorf("kubectl says %q; want it to name %s and %q (rule %s)", msg, specField, says, rule)
	}
}
