package mcp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/mcp"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// noisePNG is a square RGBA PNG of random pixels (some transparent), which
// does not compress: side 700 gives about 2 MB, under the 4 MB rule but
// over what the input Secret holds.
func noisePNG(t testing.TB, side int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	if _, err := rand.Read(img.Pix); err != nil {
		t.Fatal(err)
	}
	img.SetNRGBA(0, 0, color.NRGBA{A: 0})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestEditImageWithMask(t *testing.T) {
	s := agent(t)
	img := pngtest.PNG(256, 256, true, false)
	mask := pngtest.PNG(256, 256, true, true)
	prompt := uniquePrompt(t, "a window with a sea view")
	res := call(t, s, mcp.ToolEditImage, map[string]any{"prompt": prompt, "image": b64(img), "mask": b64(mask), "size": fastSize})
	if res.IsError {
		t.Fatal(text(res))
	}
	out := structured(t, res)
	if out["phase"] != "Succeeded" || len(out["images"].([]any)) != 1 {
		t.Fatalf("result %v", out)
	}
	url := out["images"].([]any)[0].(map[string]any)["url"].(string)
	if status, body := fetch(t, url); status != http.StatusOK || !bytes.HasPrefix(body, []byte("\x89PNG")) {
		t.Fatalf("GET %s: %d", url, status)
	}

	name := out["name"].(string)
	ir := getRequest(t, nsA, name)
	if ir.Spec.Operation != imagesv1alpha1.OperationEdit || ir.Spec.Image == nil || ir.Spec.Mask == nil ||
		ir.Spec.Image.SecretKeyRef == nil || ir.Spec.Mask.SecretKeyRef == nil || ir.Spec.Image.SecretKeyRef.Name != ir.Spec.Mask.SecretKeyRef.Name {
		t.Fatalf("spec = %+v", ir.Spec)
	}
	var secret corev1.Secret
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: nsA, Name: ir.Spec.Image.SecretKeyRef.Name}, &secret); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(secret.Data[ir.Spec.Image.SecretKeyRef.Key], img) || !bytes.Equal(secret.Data[ir.Spec.Mask.SecretKeyRef.Key], mask) {
		t.Error("the Secret does not hold the uploaded image and mask")
	}
	if len(secret.OwnerReferences) != 1 || secret.OwnerReferences[0].UID != ir.UID {
		t.Errorf("the Secret is not owned by the ImageRequest: %+v", secret.OwnerReferences)
	}
	calls := sim.CallsForPrompt(prompt)
	if len(calls) != 1 || calls[0].Endpoint != dallesim.EndpointEdits {
		t.Errorf("simulator calls = %+v", calls)
	}
}

func TestEditImageWithTransparencyOnly(t *testing.T) {
	s := agent(t)
	res := call(t, s, mcp.ToolEditImage, map[string]any{
		"prompt": uniquePrompt(t, "fill the hole"),
		// A data: URL, as some agents send it.
		"image": "data:image/png;base64," + b64(pngtest.PNG(64, 64, true, true)),
		"size":  fastSize,
	})
	if res.IsError || structured(t, res)["phase"] != "Succeeded" {
		t.Fatalf("%s", text(res))
	}
	ir := getRequest(t, nsA, structured(t, res)["name"].(string))
	if ir.Spec.Mask != nil || !strings.HasPrefix(ir.Name, "edit-") {
		t.Errorf("spec %+v name %s", ir.Spec, ir.Name)
	}
}

// TestInvalidInputsCreateNothing sends every kind of bad input and checks
// the tool error names the field and the rule, and that no ImageRequest and
// no Secret appeared.
func TestInvalidInputsCreateNothing(t *testing.T) {
	good := b64(pngtest.PNG(64, 64, true, true))
	opaque := b64(pngtest.PNG(64, 64, true, false))
	grey := b64(pngtest.PNG(64, 64, false, false))
	tooBig := b64(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 4<<20)...))
	noise := b64(noisePNG(t, 700))
	cases := []struct {
		name  string
		tool  string
		args  map[string]any
		field string
		rule  string
	}{
		{"empty prompt", mcp.ToolGenerateImage, map[string]any{"prompt": ""}, "prompt", "minLength"},
		{"no prompt", mcp.ToolGenerateImage, map[string]any{"n": 1}, "prompt", "required"},
		{"prompt too long", mcp.ToolGenerateImage, map[string]any{"prompt": strings.Repeat("é", 1001)}, "prompt", "maxLength"},
		{"n zero", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "n": 0}, "n", "minimum"},
		{"prompt with NUL", mcp.ToolGenerateImage, map[string]any{"prompt": "a cat\x00"}, "prompt", "controlCharacters"},
		{"prompt with ESC", mcp.ToolGenerateImage, map[string]any{"prompt": "\x1b[2Ja cat"}, "prompt", "controlCharacters"},
		{"edit prompt with DEL", mcp.ToolEditImage, map[string]any{"prompt": "a\x7fcat", "image": good}, "prompt", "controlCharacters"},
		{"n eleven", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "n": 11}, "n", "maximum"},
		{"n not a number", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "n": "two"}, "n", "type"},
		{"size", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "size": "300x300"}, "size", "enum"},
		{"model", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "model": "dall-e-5"}, "model", "enum"},
		{"namespace", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "namespace": "Team_A"}, "namespace", "pattern"},
		{"wait_seconds", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "wait_seconds": -1}, "wait_seconds", "minimum"},
		{"unknown parameter", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "style": "vivid"}, "style", "additionalProperties"},
		{"no image", mcp.ToolEditImage, map[string]any{"prompt": "x"}, "image", "required"},
		{"image not base64", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": "not base64!"}, "image", "base64"},
		{"mask not base64", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": good, "mask": "%%%"}, "mask", "base64"},
		{"image not PNG", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64([]byte("GIF89a not a png"))}, "image", "png"},
		{"image not square", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(pngtest.PNG(64, 32, true, true))}, "image", "square"},
		{"image 4 MB", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": tooBig}, "image", "size-bytes"},
		{"image opaque without mask", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": opaque}, "image", "transparency"},
		{"mask other size", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": opaque, "mask": b64(pngtest.PNG(32, 32, true, true))}, "mask", "dimensions"},
		{"mask without alpha", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": opaque, "mask": grey}, "mask", "alpha"},
		{"image over the Secret limit", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": noise}, "image", "inlineSize"},
		{"edit n eleven", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": good, "n": 11}, "n", "maximum"},
	}
	s := agent(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			irsBefore, secretsBefore := counts(t, nsA)
			res := call(t, s, tc.tool, tc.args)
			if !res.IsError {
				t.Fatalf("want a tool error, got %s", text(res))
			}
			msg := text(res)
			t.Log(msg)
			if want := "invalid " + tc.field + " (rule " + tc.rule + ")"; !strings.Contains(msg, want) {
				t.Errorf("error %q does not contain %q", msg, want)
			}
			if irs, secrets := counts(t, nsA); irs != irsBefore || secrets != secretsBefore {
				t.Errorf("a rejected call left objects behind: ImageRequests %d -> %d, Secrets %d -> %d", irsBefore, irs, secretsBefore, secrets)
			}
		})
	}
	t.Run("the Secret limit error gives the size", func(t *testing.T) {
		res := call(t, s, mcp.ToolEditImage, map[string]any{"prompt": "x", "image": noise})
		raw, _ := base64.StdEncoding.DecodeString(noise)
		if msg := text(res); !strings.Contains(msg, "Secret") || !strings.Contains(msg, strconv.Itoa(len(raw))) {
			t.Errorf("message %q does not say why and give the size %d", msg, len(raw))
		}
	})
}
