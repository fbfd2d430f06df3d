package storetest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/rest"
	"github.com/imagegen/imagegen-operator/mcp"
)

// getIR reads an ImageRequest from the API server.
func getIR(t *testing.T, name string) *imagesv1alpha1.ImageRequest {
	t.Helper()
	var ir imagesv1alpha1.ImageRequest
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &ir); err != nil {
		t.Fatal(err)
	}
	return &ir
}

// TestGenerateGPTImageInWebP: generate_image with gpt-image-2 (which
// returns images inline) and output_format webp goes through the
// simulator, the operator keeps the image in its store, and the result's
// URL serves it as image/webp.
func TestGenerateGPTImageInWebP(t *testing.T) {
	prompt := uniquePrompt(t, "a lighthouse in fog")
	res := call(t, connect(t, agentToken), mcp.ToolGenerateImage, map[string]any{
		"prompt": prompt, "model": models.GPTImage2, "output_format": "webp", "quality": "low",
	})
	out := structured(t, res)
	if out.Phase != string(imagesv1alpha1.PhaseSucceeded) || len(out.Images) != 1 {
		t.Fatalf("generate_image: phase %s, %d images", out.Phase, len(out.Images))
	}
	ir := getIR(t, out.Name)
	if ir.Spec.Model != models.GPTImage2 || ir.Spec.OutputFormat != "webp" || ir.Spec.Quality != "low" {
		t.Errorf("spec model %q outputFormat %q quality %q, want what the call asked for", ir.Spec.Model, ir.Spec.OutputFormat, ir.Spec.Quality)
	}
	calls := sim.CallsForPrompt(prompt)
	if len(calls) != 1 || calls[0].Model != models.GPTImage2 || calls[0].OutputFormat != "webp" || calls[0].Quality != "low" {
		t.Fatalf("upstream calls %+v, want one gpt-image-2 call for webp at quality low", calls)
	}
	st := ir.Status.Images[0]
	img := out.Images[0]
	if st.ContentType != "image/webp" || img.ContentType != "image/webp" || !strings.HasSuffix(st.URI, ".webp") {
		t.Errorf("stored image %+v, result %+v: want image/webp under a .webp key", st, img)
	}
	assertServes(t, "generate_image", img.URL, st)
}

// restEditResponse is the part of POST /edit_image's answer checked here.
type restEditResponse struct {
	Error struct {
		Code, Message, Field, Rule string
	} `json:"error"`
	Name   string `json:"name"`
	Phase  string `json:"phase"`
	Images []struct {
		URL         string `json:"url"`
		ContentType string `json:"content_type"`
		SHA256      string `json:"sha256"`
	} `json:"images"`
}

// part is one field of a multipart edit; a name may repeat.
type part struct {
	name string
	data []byte
	file bool
}

// postEdit sends POST /edit_image with parts, in order, as the agent.
func postEdit(t *testing.T, parts ...part) (int, restEditResponse) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i, p := range parts {
		var w io.Writer
		var err error
		if p.file {
			w, err = mw.CreateFormFile(p.name, fmt.Sprintf("%s-%d", p.name, i))
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(p.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, baseURL+rest.PathEdit, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := (&http.Client{Transport: bearer{agentToken}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body restEditResponse
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("POST %s: HTTP %d, not JSON: %q", rest.PathEdit, resp.StatusCode, raw)
	}
	return resp.StatusCode, body
}

func field(name, value string) part { return part{name: name, data: []byte(value)} }
func file(name string, data []byte) part {
	return part{name: name, data: data, file: true}
}

// TestRESTEditWithMixedFormats: a REST edit of a PNG with a WebP and a
// JPEG as additional images (repeated additional_image_file parts) stores
// each input under a key with its format's extension, names them in
// spec.additionalImages in order, sends all three upstream, and answers
// with a stored URL serving the result.
func TestRESTEditWithMixedFormats(t *testing.T) {
	webp, jpeg := pngtest.WebP(96, 64), pngtest.JPEG(64, 96)
	prompt := uniquePrompt(t, "the three of them on a beach")
	status, body := postEdit(t, field("prompt", prompt), field("model", models.GPTImage2), field("output_format", "jpeg"),
		file("image_file", pngtest.PNG(64, 64, true, false)), file("additional_image_file", webp), file("additional_image_file", jpeg))
	if status != http.StatusOK || body.Phase != string(imagesv1alpha1.PhaseSucceeded) || len(body.Images) != 1 {
		t.Fatalf("HTTP %d %+v", status, body)
	}
	ir := getIR(t, body.Name)
	if ir.Spec.Image == nil || ir.Spec.Image.ArtifactRef == nil || !strings.HasSuffix(ir.Spec.Image.ArtifactRef.Key, "/image.png") {
		t.Errorf("spec.image %+v, want the PNG's artifactRef", ir.Spec.Image)
	}
	if got := len(ir.Spec.AdditionalImages); got != 2 {
		t.Fatalf("spec.additionalImages has %d entries, want 2", got)
	}
	for i, ext := range []string{"/image-1.webp", "/image-2.jpg"} {
		if ref := ir.Spec.AdditionalImages[i].ArtifactRef; ref == nil || !strings.HasSuffix(ref.Key, ext) {
			t.Errorf("spec.additionalImages[%d] = %+v, want an artifactRef ending in %s", i, ir.Spec.AdditionalImages[i], ext)
		}
	}
	calls := sim.CallsForPrompt(prompt)
	if len(calls) != 1 || calls[0].Endpoint != dallesim.EndpointEdits || calls[0].InputImages != 3 {
		t.Fatalf("upstream calls %+v, want one edit with 3 input images", calls)
	}
	st := ir.Status.Images[0]
	if st.ContentType != "image/jpeg" || body.Images[0].ContentType != "image/jpeg" || body.Images[0].SHA256 != st.SHA256 {
		t.Errorf("stored %+v, answered %+v: want the JPEG asked for", st, body.Images[0])
	}
	assertServes(t, "POST /edit_image", body.Images[0].URL, st)
}

var toolInputError = regexp.MustCompile(`invalid (\S+) \(rule (\S+)\)`)

// TestAdditionalImagesAgreeOnInvalidInputs: with a store, an edit's
// additional images are checked as the image is, and MCP and REST name the
// same input and the same rule (the REST name is additional_image_file[i]
// for the tools' additional_images[i]); nothing is created.
func TestAdditionalImagesAgreeOnInvalidInputs(t *testing.T) {
	png := pngtest.PNG(64, 64, true, false)
	b64 := base64.StdEncoding.EncodeToString
	gif := []byte("GIF89a not an image")
	cases := []struct {
		name        string
		args        map[string]any
		parts       []part
		field, rule string
	}{
		{"GIF among them",
			map[string]any{"additional_images": []string{b64(pngtest.JPEG(32, 32)), b64(gif)}},
			[]part{file("image_file", png), file("additional_image_file", pngtest.JPEG(32, 32)), file("additional_image_file", gif)},
			"additional_images[1]", "format"},
		{"mask not the size of the first image",
			map[string]any{"additional_images": []string{b64(png)}, "mask": b64(pngtest.PNG(32, 32, true, true))},
			[]part{file("image_file", png), file("additional_image_file", png), file("mask_file", pngtest.PNG(32, 32, true, true))},
			"mask", "dimensions"},
		{"additional images on dall-e-2",
			map[string]any{"model": models.DALLE2, "additional_images": []string{b64(png)}},
			[]part{field("model", models.DALLE2), file("image_file", png), file("additional_image_file", png)},
			"additional_images", "maxItems"},
	}
	s := connect(t, agentToken)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := countRequests(t)
			args := map[string]any{"prompt": "x", "model": models.GPTImage2, "image": b64(png)}
			for k, v := range tc.args {
				args[k] = v
			}
			res, err := s.CallTool(context.Background(), &sdkmcp.CallToolParams{Name: mcp.ToolEditImage, Arguments: args})
			if err != nil {
				t.Fatal(err)
			}
			m := toolInputError.FindStringSubmatch(textOf(res))
			if !res.IsError || m == nil || m[1] != tc.field || m[2] != tc.rule {
				t.Errorf("MCP: %q, want %s/%s", textOf(res), tc.field, tc.rule)
			}
			parts := append([]part{field("prompt", "x")}, tc.parts...)
			if _, ok := tc.args["model"]; !ok {
				parts = append(parts, field("model", models.GPTImage2))
			}
			status, body := postEdit(t, parts...)
			restField := strings.Replace(strings.Replace(strings.Replace(body.Error.Field, "additional_image_file", "additional_images", 1), "mask_file", "mask", 1), "image_file", "image", 1)
			if status != http.StatusBadRequest || restField != tc.field || body.Error.Rule != tc.rule {
				t.Errorf("REST: HTTP %d %+v, want %s/%s", status, body.Error, tc.field, tc.rule)
			}
			if after := countRequests(t); after != before {
				t.Errorf("a refused edit created a request: %d -> %d", before, after)
			}
		})
	}
}

func countRequests(t *testing.T) int {
	t.Helper()
	var irs imagesv1alpha1.ImageRequestList
	if err := k8sClient.List(context.Background(), &irs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return len(irs.Items)
}

func textOf(res *sdkmcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*sdkmcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}
