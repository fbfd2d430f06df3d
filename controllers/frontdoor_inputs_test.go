package controllers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/internal/localenv"
)

// bigInput is a 1024x1024 RGBA PNG of about 3.5 MB: over the 1 MiB a
// Secret holds, under DALL-E 2's 4 MB.
func bigInput(t *testing.T) []byte {
	t.Helper()
	b := pngtest.Noise(1024, 860, 10)
	h, err := pngtest.ReadHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) <= 3<<20 || len(b) >= 4<<20 || h.ColorType != pngtest.RGBA || h.Width != 1024 || h.Height != 1024 {
		t.Fatalf("fixture is %d bytes, colour type %d, %dx%d; want 3-4 MiB RGBA 1024x1024", len(b), h.ColorType, h.Width, h.Height)
	}
	return b
}

// mcpEdit calls edit_image on the manager's /mcp (no auth: loopback) and
// returns the tool result.
func mcpEdit(t *testing.T, base string, args map[string]any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
		"params": map[string]any{"name": "edit_image", "arguments": args}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp?namespace=default", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /mcp: HTTP %d: %.500s", resp.StatusCode, body)
	}
	payload := string(body)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		for _, line := range strings.Split(payload, "\n") {
			if data, ok := strings.CutPrefix(line, "data: "); ok && strings.Contains(data, `"id"`) {
				payload = data
			}
		}
	}
	var msg struct {
		Result map[string]any `json:"result"`
		Error  map[string]any `json:"error"`
	}
	if err := json.Unmarshal([]byte(payload), &msg); err != nil || msg.Result == nil {
		t.Fatalf("tools/call answer %.500s: %v", payload, err)
	}
	return msg.Result
}

// toolText is the text content of a tool result.
func toolText(res map[string]any) string {
	var sb strings.Builder
	content, _ := res["content"].([]any)
	for _, c := range content {
		if m, ok := c.(map[string]any); ok && m["type"] == "text" {
			sb.WriteString(m["text"].(string))
		}
	}
	return sb.String()
}

// restEdit posts a multipart edit to the manager's /edit_image and returns
// the status and the decoded answer.
func restEdit(t *testing.T, base string, fields map[string]string, files map[string][]byte) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for k, data := range files {
		fw, err := mw.CreateFormFile(k, k+".png")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/edit_image?namespace=default", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decoding the answer (HTTP %d): %v", resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

func secretsIn(t *testing.T, ns string) int {
	t.Helper()
	var list corev1.SecretList
	if err := k8sClient.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}

func requestsIn(t *testing.T, ns string) int {
	t.Helper()
	var list imagesv1alpha1.ImageRequestList
	if err := k8sClient.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}

// TestFrontDoorEditThroughStore: a 3.5 MB edit input (over the Secret's
// 1 MiB) sent to edit_image over MCP and to POST /edit_image is uploaded to
// the store, no Secret is written, and the request edits exactly it.
func TestFrontDoorEditThroughStore(t *testing.T) {
	for _, backend := range []string{"file", "s3"} {
		t.Run(backend, func(t *testing.T) {
			begin(t)
			bucket := ""
			if backend == "s3" {
				bucket = useS3(t).BucketURL()
			} else {
				bucket = fileBucket(t)
			}
			base := runManagerWithStore(t, bucket, artifacts.URLModeOperator)
			store := openStore(t, bucket)
			input := bigInput(t)
			secrets := secretsIn(t, "default")

			res := mcpEdit(t, base, map[string]any{"namespace": "default", "prompt": "mcp big edit", "image": base64.StdEncoding.EncodeToString(input), "size": "1024x1024", "wait_seconds": 60})
			out, _ := res["structuredContent"].(map[string]any)
			if res["isError"] == true || out == nil {
				t.Fatalf("MCP edit_image: %s", toolText(res))
			}
			checkStoredEdit(t, store, "default", out["name"].(string), input)

			code, body := restEdit(t, base, map[string]string{"prompt": "rest big edit", "size": "1024x1024", "wait_seconds": "60"}, map[string][]byte{"image_file": input})
			if code != http.StatusOK {
				t.Fatalf("REST /edit_image: HTTP %d %v", code, body)
			}
			checkStoredEdit(t, store, "default", body["name"].(string), input)

			if got := secretsIn(t, "default"); got != secrets {
				t.Errorf("Secrets in default went from %d to %d; stored inputs need none", secrets, got)
			}
		})
	}
}

// checkStoredEdit checks a request the front door created from input:
// Succeeded, its spec names an inputs/ key under its own name, deleted
// once the request finished, it carries the artifacts finalizer, and the
// upstream edited exactly input.
func checkStoredEdit(t *testing.T, store *artifacts.Store, ns, name string, input []byte) {
	t.Helper()
	forget(t, ns, name)
	var ir imagesv1alpha1.ImageRequest
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &ir); err != nil {
		t.Fatal(err)
	}
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded {
		t.Fatalf("%s: %s %s", name, ir.Status.Phase, ir.Status.Message)
	}
	src := ir.Spec.Image
	if src == nil || src.ArtifactRef == nil || src.SecretKeyRef != nil ||
		!strings.HasPrefix(src.ArtifactRef.Key, artifacts.InputsPrefix+ns+"/"+name+"/") {
		t.Fatalf("%s: spec.image %+v, want an artifactRef under inputs/%s/%s/", name, src, ns, name)
	}
	// The upload is deleted once the request finished (nobody reads it
	// again); that the upstream received exactly it is what assertEditOf
	// below shows, pixel by pixel.
	localenv.Eventually(t, "the finished edit's uploaded input is deleted", func() bool {
		_, err := store.Stat(context.Background(), src.ArtifactRef.Key)
		return errors.Is(err, artifacts.ErrNotFound)
	})
	if len(ir.Finalizers) != 1 || ir.Finalizers[0] != imagesv1alpha1.FinalizerArtifacts {
		t.Errorf("%s: finalizers %v, want [%s]", name, ir.Finalizers, imagesv1alpha1.FinalizerArtifacts)
	}
	assertEditOf(t, input, input, resultBytes(t, &ir, 0))
}

var toolInputError = regexp.MustCompile(`invalid (\S+) \(rule (\S+)\)`)

// TestFrontDoorRefusesOverLimit: an upload over the model's limit gets the
// same field and rule from MCP and REST, and nothing is left in the bucket
// or the namespace.
func TestFrontDoorRefusesOverLimit(t *testing.T) {
	begin(t)
	bucket := fileBucket(t)
	base := runManagerWithStore(t, bucket, artifacts.URLModeOperator)
	store := openStore(t, bucket)
	tooBig := pngtest.Noise(1024, 1024, 11)
	if len(tooBig) < 4<<20 {
		t.Fatalf("fixture is %d bytes, want at least 4 MiB", len(tooBig))
	}
	requests, secrets := requestsIn(t, "default"), secretsIn(t, "default")

	res := mcpEdit(t, base, map[string]any{"namespace": "default", "prompt": "too big", "image": base64.StdEncoding.EncodeToString(tooBig), "size": "1024x1024"})
	m := toolInputError.FindStringSubmatch(toolText(res))
	if res["isError"] != true || m == nil {
		t.Fatalf("MCP: want an input error, got %s", toolText(res))
	}
	code, body := restEdit(t, base, map[string]string{"prompt": "too big", "size": "1024x1024"}, map[string][]byte{"image_file": tooBig})
	restErr, _ := body["error"].(map[string]any)
	if code != http.StatusBadRequest || restErr == nil {
		t.Fatalf("REST: HTTP %d %v, want 400", code, body)
	}
	if m[1] != "image" || m[2] != "size-bytes" || restErr["field"] != "image_file" || restErr["rule"] != "size-bytes" {
		t.Errorf("MCP says %s/%s, REST %v/%v; want image(_file)/size-bytes from both", m[1], m[2], restErr["field"], restErr["rule"])
	}
	// Uploaded, then the create fails (no such namespace): the uploads
	// are deleted again.
	res = mcpEdit(t, base, map[string]any{"namespace": "no-such-namespace", "prompt": "nowhere", "image": base64.StdEncoding.EncodeToString(pngtest.PNG(64, 64, true, true))})
	if m := toolInputError.FindStringSubmatch(toolText(res)); res["isError"] != true || m == nil || m[1] != "namespace" || m[2] != "exists" {
		t.Errorf("MCP into a missing namespace: %s, want namespace/exists", toolText(res))
	}
	keys, err := store.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("the bucket holds %v after refused uploads", keys)
	}
	if r, s := requestsIn(t, "default"), secretsIn(t, "default"); r != requests || s != secrets {
		t.Errorf("refused uploads left objects: ImageRequests %d -> %d, Secrets %d -> %d", requests, r, secrets, s)
	}
	if n := editCalls(); n != 0 {
		t.Errorf("%d upstream edit calls", n)
	}
}
