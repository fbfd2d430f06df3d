package mcp_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/rest"
)

// restBody is any answer of the REST endpoints.
type restBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
		Rule    string `json:"rule"`
	} `json:"error"`
	ImageURLs        []string `json:"image_urls"`
	Name             string   `json:"name"`
	Namespace        string   `json:"namespace"`
	EstimatedCostUSD string   `json:"estimated_cost_usd"`
	Phase            string   `json:"phase"`
	PollURL          string   `json:"poll_url"`
	header           http.Header
}

func doREST(t *testing.T, token string, req *http.Request) (int, restBody) {
	t.Helper()
	resp, err := httpClient(token).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body restBody
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s %s: HTTP %d, not JSON: %q", req.Method, req.URL, resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	body.header = resp.Header
	return resp.StatusCode, body
}

func postJSON(t *testing.T, token, path, body string) (int, restBody) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, baseURL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return doREST(t, token, req)
}

func getREST(t *testing.T, token, path string) (int, restBody) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, baseURL+path, nil)
	return doREST(t, token, req)
}

// multipartEdit builds a POST /edit_image with the given text fields and files.
func multipartEdit(t *testing.T, fields map[string]string, files map[string][]byte) *http.Request {
	t.Helper()
	var parts []filePart
	for k, data := range files {
		parts = append(parts, filePart{k, data})
	}
	return multipartEditParts(t, fields, parts...)
}

// filePart is one file of a multipart edit; a field may repeat.
type filePart struct {
	name string
	data []byte
}

// multipartEditParts builds a POST /edit_image with the given text fields
// and file parts, in order.
func multipartEditParts(t *testing.T, fields map[string]string, files ...filePart) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range files {
		fw, err := mw.CreateFormFile(f.name, fmt.Sprintf("%s-%d", f.name, i))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(f.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, baseURL+rest.PathEdit, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

func jsonBody(prompt string, extra string) string {
	b, _ := json.Marshal(prompt)
	return `{"prompt":` + string(b) + extra + `}`
}

func TestRESTGenerate(t *testing.T) {
	prompt := uniquePrompt(t, "rest lighthouse")
	status, body := postJSON(t, agentToken, rest.PathGenerate, jsonBody(prompt, `,"params":{"n":2,"size":"256x256","model":"dall-e-2"}`))
	if status != http.StatusOK {
		t.Fatalf("HTTP %d: %+v", status, body)
	}
	if len(body.ImageURLs) != 2 || body.Namespace != nsA || body.Name == "" || body.EstimatedCostUSD != "0.032" {
		t.Fatalf("body = %+v", body)
	}
	for _, u := range body.ImageURLs {
		if s, data := fetch(t, u); s != http.StatusOK || !bytes.HasPrefix(data, []byte("\x89PNG")) {
			t.Errorf("GET %s: %d", u, s)
		}
	}
	ir := getRequest(t, nsA, body.Name)
	if ir.Annotations[imagesv1alpha1.AnnotationRequestedVia] != "rest/generate_image" || ir.Spec.N != 2 {
		t.Errorf("request %+v %+v", ir.Annotations, ir.Spec)
	}
	// Polling a finished request answers the same.
	status, again := getREST(t, agentToken, rest.PathImageRequests+nsA+"/"+body.Name)
	if status != http.StatusOK || strings.Join(again.ImageURLs, ",") != strings.Join(body.ImageURLs, ",") {
		t.Errorf("GET: %d %+v", status, again)
	}
}

func TestRESTEditMultipart(t *testing.T) {
	prompt := uniquePrompt(t, "rest edit")
	req := multipartEdit(t, map[string]string{"prompt": prompt, "n": "1", "size": "256x256"},
		map[string][]byte{"image_file": pngtest.PNG(128, 128, true, false), "mask_file": pngtest.PNG(128, 128, true, true)})
	status, body := doREST(t, agentToken, req)
	if status != http.StatusOK || len(body.ImageURLs) != 1 {
		t.Fatalf("HTTP %d: %+v", status, body)
	}
	ir := getRequest(t, nsA, body.Name)
	if ir.Spec.Operation != imagesv1alpha1.OperationEdit || ir.Spec.Mask == nil || ir.Annotations[imagesv1alpha1.AnnotationRequestedVia] != "rest/edit_image" {
		t.Errorf("request %+v", ir.Spec)
	}
	if calls := sim.CallsForPrompt(prompt); len(calls) != 1 || calls[0].Endpoint != dallesim.EndpointEdits {
		t.Errorf("simulator calls %+v", calls)
	}
}

func TestRESTValidationErrors(t *testing.T) {
	png := pngtest.PNG(64, 64, true, true)
	cases := []struct {
		name  string
		req   func(t *testing.T) *http.Request
		field string
		rule  string
	}{
		{"n over 10", func(t *testing.T) *http.Request { return jsonReq(jsonBody("x", `,"params":{"n":11}`)) }, "params.n", "maximum"},
		{"n 0 is refused, not charged as 1", func(t *testing.T) *http.Request { return jsonReq(jsonBody("x", `,"params":{"n":0}`)) }, "params.n", "minimum"},
		{"n negative", func(t *testing.T) *http.Request { return jsonReq(jsonBody("x", `,"params":{"n":-1}`)) }, "params.n", "minimum"},
		{"duplicate key", func(t *testing.T) *http.Request { return jsonReq(`{"prompt":"a","prompt":"b"}`) }, "prompt", "unique"},
		{"duplicate nested key", func(t *testing.T) *http.Request {
			return jsonReq(jsonBody("x", `,"params":{"n":1,"size":"256x256","n":2}`))
		}, "params.n", "unique"},
		{"bad size", func(t *testing.T) *http.Request { return jsonReq(jsonBody("x", `,"params":{"size":"1x1"}`)) }, "params.size", "enum"},
		{"empty prompt", func(t *testing.T) *http.Request { return jsonReq(jsonBody("", "")) }, "prompt", "minLength"}, // the schema's word, as MCP says (issue 9)
		{"prompt with NUL", func(t *testing.T) *http.Request { return jsonReq(jsonBody("a cat\x00", "")) }, "prompt", "controlCharacters"},
		{"prompt with ESC", func(t *testing.T) *http.Request { return jsonReq(jsonBody("\x1b[2Ja cat", "")) }, "prompt", "controlCharacters"},
		{"multipart prompt with DEL", func(t *testing.T) *http.Request {
			return multipartEdit(t, map[string]string{"prompt": "a\x7fcat"}, map[string][]byte{"image_file": png})
		}, "prompt", "controlCharacters"},
		{"n not a number", func(t *testing.T) *http.Request { return jsonReq(jsonBody("x", `,"params":{"n":"two"}`)) }, "params.n", "type"},
		{"unknown field", func(t *testing.T) *http.Request { return jsonReq(jsonBody("x", `,"quality":"hd"`)) }, "quality", "additionalProperties"},
		{"bad namespace", func(t *testing.T) *http.Request { return jsonReq(jsonBody("x", `,"namespace":"A_B"`)) }, "namespace", "pattern"},
		{"namespace in the query and another in the body", func(t *testing.T) *http.Request {
			req := jsonReq(jsonBody("x", `,"namespace":"`+nsA+`"`))
			req.URL.RawQuery = "namespace=" + nsB
			return req
		}, "namespace", "conflict"},
		{"wait_seconds", func(t *testing.T) *http.Request { return jsonReq(jsonBody("x", `,"wait_seconds":100000`)) }, "wait_seconds", "maximum"},
		{"multipart without image", func(t *testing.T) *http.Request {
			return multipartEdit(t, map[string]string{"prompt": "x"}, nil)
		}, "image_file", "required"},
		{"multipart image not PNG", func(t *testing.T) *http.Request {
			return multipartEdit(t, map[string]string{"prompt": "x"}, map[string][]byte{"image_file": []byte("GIF89a")})
		}, "image_file", "png"},
		{"multipart mask other size", func(t *testing.T) *http.Request {
			return multipartEdit(t, map[string]string{"prompt": "x"}, map[string][]byte{"image_file": png, "mask_file": pngtest.PNG(32, 32, true, true)})
		}, "mask_file", "dimensions"},
		{"multipart n 0", func(t *testing.T) *http.Request {
			return multipartEdit(t, map[string]string{"prompt": "x", "n": "0"}, map[string][]byte{"image_file": png})
		}, "n", "minimum"},
		{"multipart n 11", func(t *testing.T) *http.Request {
			return multipartEdit(t, map[string]string{"prompt": "x", "n": "11"}, map[string][]byte{"image_file": png})
		}, "n", "maximum"},
		{"multipart n not a number", func(t *testing.T) *http.Request {
			return multipartEdit(t, map[string]string{"prompt": "x", "n": "lots"}, map[string][]byte{"image_file": png})
		}, "n", "type"},
		{"multipart unknown field", func(t *testing.T) *http.Request {
			return multipartEdit(t, map[string]string{"prompt": "x", "image": "y"}, map[string][]byte{"image_file": png})
		}, "image", "additionalProperties"},
		{"multipart image over 4 MB, cut off while streaming", func(t *testing.T) *http.Request {
			return multipartEdit(t, map[string]string{"prompt": "x"}, map[string][]byte{"image_file": make([]byte, 5<<20)})
		}, "image_file", "size-bytes"},
		{"multipart image over the Secret limit", func(t *testing.T) *http.Request {
			return multipartEdit(t, map[string]string{"prompt": "x"}, map[string][]byte{"image_file": noisePNG(t, 700)})
		}, "image_file", "inlineSize"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, secrets := counts(t, nsA)
			status, body := doREST(t, agentToken, tc.req(t))
			if status != http.StatusBadRequest || body.Error.Code != "invalid_argument" || body.Error.Field != tc.field || body.Error.Rule != tc.rule {
				t.Errorf("HTTP %d %+v, want 400 field %s rule %s", status, body.Error, tc.field, tc.rule)
			}
			if after, s := counts(t, nsA); after != before || s != secrets {
				t.Error("a rejected call created something")
			}
		})
	}
}

func jsonReq(body string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, baseURL+rest.PathGenerate, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

func TestRESTUpstreamOutcomes(t *testing.T) {
	t.Run("content policy is 422", func(t *testing.T) {
		status, body := postJSON(t, agentToken, rest.PathGenerate, jsonBody(uniquePrompt(t, "a forbidden thing"), `,"params":{"size":"256x256"}`))
		if status != http.StatusUnprocessableEntity || body.Error.Code != "content_policy_violation" || !strings.Contains(body.Error.Message, "content_policy_violation") {
			t.Errorf("HTTP %d %+v", status, body.Error)
		}
	})
	t.Run("rate limit exhausted is 429 with Retry-After", func(t *testing.T) {
		prompt := uniquePrompt(t, "popular")
		for range 3 {
			if err := sim.AddFault(dallesim.Fault{Kind: dallesim.FaultRateLimit, Match: prompt, RetryAfterSeconds: 1}); err != nil {
				t.Fatal(err)
			}
		}
		status, body := postJSON(t, agentToken, rest.PathGenerate, jsonBody(prompt, `,"params":{"size":"256x256"}`))
		if status != http.StatusTooManyRequests || body.Error.Code != "rate_limited" {
			t.Fatalf("HTTP %d %+v", status, body.Error)
		}
		if ra, err := strconv.Atoi(body.header.Get("Retry-After")); err != nil || ra < 1 {
			t.Errorf("Retry-After = %q", body.header.Get("Retry-After"))
		}
	})
	t.Run("upstream failure is 502", func(t *testing.T) {
		prompt := uniquePrompt(t, "unpaid")
		if err := sim.AddFault(dallesim.Fault{Kind: dallesim.FaultBillingHardLimit, Match: prompt}); err != nil {
			t.Fatal(err)
		}
		status, body := postJSON(t, agentToken, rest.PathGenerate, jsonBody(prompt, `,"params":{"size":"256x256"}`))
		if status != http.StatusBadGateway || body.Error.Code != "upstream_error" || !strings.Contains(body.Error.Message, "billing_hard_limit") {
			t.Errorf("HTTP %d %+v", status, body.Error)
		}
	})
	t.Run("server errors until attempts run out are 502", func(t *testing.T) {
		prompt := uniquePrompt(t, "flaky")
		for range 3 {
			if err := sim.AddFault(dallesim.Fault{Kind: dallesim.FaultServerError, Match: prompt}); err != nil {
				t.Fatal(err)
			}
		}
		status, body := postJSON(t, agentToken, rest.PathGenerate, jsonBody(prompt, `,"params":{"size":"256x256"}`))
		if status != http.StatusBadGateway || !strings.Contains(body.Error.Message, imagesv1alpha1.ReasonAttemptsExhausted) {
			t.Errorf("HTTP %d %+v", status, body.Error)
		}
	})
}

func TestRESTWaitElapsedIs202ThenPoll(t *testing.T) {
	status, body := postJSON(t, agentToken, rest.PathGenerate, jsonBody(uniquePrompt(t, "later"), `,"params":{"size":"`+slowSize+`"},"wait_seconds":0`))
	if status != http.StatusAccepted || body.Name == "" || body.Error.Code != "wait_elapsed" {
		t.Fatalf("HTTP %d %+v", status, body)
	}
	want := rest.PathImageRequests + nsA + "/" + body.Name
	if body.PollURL != want || body.header.Get("Location") != want {
		t.Fatalf("poll URL %q, Location %q, want %q", body.PollURL, body.header.Get("Location"), want)
	}
	var got restBody
	localenv.Eventually(t, "the poll URL to answer 200", func() bool {
		var status int
		status, got = getREST(t, agentToken, body.PollURL)
		if status != http.StatusOK && status != http.StatusAccepted {
			t.Fatalf("poll: HTTP %d %+v", status, got)
		}
		return status == http.StatusOK
	}, func() string { return fmt.Sprintf("last answer %+v", got) })
	if len(got.ImageURLs) != 1 || got.Phase != "Succeeded" {
		t.Errorf("poll answer %+v", got)
	}
	if status, got := getREST(t, agentToken, rest.PathImageRequests+nsA+"/no-such-request"); status != http.StatusNotFound || got.Error.Code != "not_found" {
		t.Errorf("missing request: %d %+v", status, got)
	}
	if status, got := getREST(t, agentToken, rest.PathImageRequests+nsB+"/"+body.Name); status != http.StatusForbidden {
		t.Errorf("other namespace: %d %+v", status, got)
	}
}

func TestCrossOriginAndRebindingRefused(t *testing.T) {
	req := jsonReq(jsonBody("x", ""))
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := httpClient(agentToken).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST: HTTP %d, want 403", resp.StatusCode)
	}
	req = jsonReq(jsonBody("x", ""))
	req.Host = "rebound.example:8443"
	resp, err = httpClient(agentToken).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("non-loopback Host on a loopback listener: HTTP %d, want 403", resp.StatusCode)
	}
}

// TestRESTParamAtTopLevelSaysWhereItGoes: n, size or model next to prompt
// (the commonest slip with POST /generate_image) is refused like any
// unknown field, and the message says they go under params.
func TestRESTParamAtTopLevelSaysWhereItGoes(t *testing.T) {
	status, body := doREST(t, agentToken, jsonReq(jsonBody("x", `,"size":"256x256"`)))
	if status != http.StatusBadRequest || body.Error.Field != "size" || body.Error.Rule != "additionalProperties" ||
		!strings.Contains(body.Error.Message, `"params": {"size"`) {
		t.Errorf("HTTP %d %+v, want 400 size/additionalProperties with a hint to put it under params", status, body.Error)
	}
	status, body = doREST(t, agentToken, jsonReq(jsonBody("x", `,"quality":"hd"`)))
	if status != http.StatusBadRequest || body.Error.Field != "quality" || !strings.Contains(body.Error.Message, `"params": {"quality"`) {
		t.Errorf("HTTP %d %+v, want 400 quality/additionalProperties with a hint to put it under params", status, body.Error)
	}
	status, body = doREST(t, agentToken, jsonReq(jsonBody("x", `,"style":"vivid"`)))
	if status != http.StatusBadRequest || strings.Contains(body.Error.Message, "params") {
		t.Errorf("HTTP %d %+v: a field params does not have must not be pointed there", status, body.Error)
	}
}

// TestRESTTakesTheLongestPrompt: a prompt as long as any model takes
// (32000 characters for the GPT image models), in characters of several
// bytes and escaped in JSON, reaches the service on both endpoints (which
// here refuses the model for want of a store, by name) rather than being
// cut off by a body or field limit; one character more is maxLength.
func TestRESTTakesTheLongestPrompt(t *testing.T) {
	var longest int
	for _, m := range models.All() {
		longest = max(longest, m.MaxPromptChars)
	}
	prompt := strings.Repeat("😀", longest) // 4 bytes in UTF-8, 12 as a JSON surrogate pair
	escaped := strings.Repeat(`\ud83d\ude00`, longest)
	png := pngtest.PNG(64, 64, true, true)
	for _, tc := range []struct {
		name        string
		req         func(*testing.T) *http.Request
		field, rule string
	}{
		{"generate, escaped", func(*testing.T) *http.Request {
			return jsonReq(`{"prompt":"` + escaped + `","params":{"model":"gpt-image-2"}}`)
		}, "params.model", "artifactStore"},
		{"edit", func(t *testing.T) *http.Request {
			return multipartEdit(t, map[string]string{"prompt": prompt, "model": "gpt-image-2"}, map[string][]byte{"image_file": png})
		}, "model", "artifactStore"},
		{"edit, one character more", func(t *testing.T) *http.Request {
			return multipartEdit(t, map[string]string{"prompt": prompt + "😀", "model": "gpt-image-2"}, map[string][]byte{"image_file": png})
		}, "prompt", "maxLength"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := doREST(t, agentToken, tc.req(t))
			if status != http.StatusBadRequest || body.Error.Field != tc.field || body.Error.Rule != tc.rule {
				t.Errorf("HTTP %d %+v, want 400 %s/%s", status, body.Error, tc.field, tc.rule)
			}
		})
	}
}
