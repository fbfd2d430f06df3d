package dallesim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

var requestIDPattern = regexp.MustCompile(`^req_[0-9a-f]{32}$`)

// rawResponse is an HTTP answer with its OpenAI error fields decoded.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
	err    struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	}
}

func do(t *testing.T, client *http.Client, method, url, contentType string, body io.Reader, header http.Header) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	out := rawResponse{status: resp.StatusCode, header: resp.Header}
	out.body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		var e struct {
			Error *json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(out.body, &e); err != nil || e.Error == nil {
			t.Fatalf("error body is not OpenAI's shape: %s", out.body)
		}
		// All four keys are always present, null or not.
		var keys map[string]json.RawMessage
		_ = json.Unmarshal(*e.Error, &keys)
		for _, k := range []string{"message", "type", "param", "code"} {
			if _, ok := keys[k]; !ok {
				t.Fatalf("error lacks %q: %s", k, out.body)
			}
		}
		_ = json.Unmarshal(*e.Error, &out.err)
	}
	return out
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

func TestRawHTTP(t *testing.T) {
	t.Parallel()
	_, ts := dallesim.NewTestServer(t, dallesim.Config{APIKey: testKey})
	c := ts.Client()
	gen := ts.URL + "/v1/images/generations"
	edits := ts.URL + "/v1/images/edits"

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	_ = mw.WriteField("prompt", "no image")
	_ = mw.Close()

	tests := []struct {
		name        string
		method, url string
		contentType string
		body        string
		header      http.Header
		status      int
		typ         string
		code        string // "" = null
		param       string // "" = null
	}{
		{"missing Authorization", "POST", gen, "application/json", `{"prompt":"x"}`, nil, 401, "invalid_request_error", "", ""},
		{"non-bearer Authorization", "POST", gen, "application/json", `{"prompt":"x"}`, http.Header{"Authorization": {"Basic abc"}}, 401, "invalid_request_error", "", ""},
		{"empty bearer", "POST", gen, "application/json", `{"prompt":"x"}`, bearer(""), 401, "invalid_request_error", "", ""},
		{"wrong key", "POST", gen, "application/json", `{"prompt":"x"}`, bearer("sk-nope-nope-nope"), 401, "invalid_request_error", "invalid_api_key", ""},
		{"malformed JSON", "POST", gen, "application/json", `{"prompt":`, bearer(testKey), 400, "invalid_request_error", "", ""},
		{"JSON array", "POST", gen, "application/json", `["prompt"]`, bearer(testKey), 400, "invalid_request_error", "", ""},
		{"trailing data", "POST", gen, "application/json", `{"prompt":"x"} {}`, bearer(testKey), 400, "invalid_request_error", "", ""},
		{"wrong content type", "POST", gen, "text/plain", `{"prompt":"x"}`, bearer(testKey), 400, "invalid_request_error", "", ""},
		{"prompt not a string", "POST", gen, "application/json", `{"prompt":42}`, bearer(testKey), 400, "invalid_request_error", "invalid_type", "prompt"},
		{"null prompt", "POST", gen, "application/json", `{"prompt":null}`, bearer(testKey), 400, "invalid_request_error", "missing_required_parameter", "prompt"},
		{"edit missing image", "POST", edits, mw.FormDataContentType(), form.String(), bearer(testKey), 400, "invalid_request_error", "missing_required_parameter", "image"},
		{"edit as JSON", "POST", edits, "application/json", `{"prompt":"x"}`, bearer(testKey), 400, "invalid_request_error", "", ""},
		{"edit multipart without boundary", "POST", edits, "multipart/form-data", "x", bearer(testKey), 400, "invalid_request_error", "", ""},
		{"unknown route", "GET", ts.URL + "/v1/models", "", "", bearer(testKey), 404, "invalid_request_error", "", ""},
		{"wrong method", "GET", gen, "", "", bearer(testKey), 404, "invalid_request_error", "", ""},
		{"unknown admin route", "GET", ts.URL + "/sim/nothing", "", "", nil, 404, "invalid_request_error", "", ""},
		{"root", "GET", ts.URL + "/", "", "", nil, 404, "invalid_request_error", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, c, tc.method, tc.url, tc.contentType, strings.NewReader(tc.body), tc.header)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if id := r.header.Get("x-request-id"); !requestIDPattern.MatchString(id) {
				t.Errorf("x-request-id = %q", id)
			}
			if r.header.Get("openai-version") == "" || r.header.Get("openai-processing-ms") == "" {
				t.Errorf("missing openai-* headers: %v", r.header)
			}
			if r.err.Type != tc.typ || deref(r.err.Code) != tc.code || deref(r.err.Param) != tc.param || r.err.Message == "" {
				t.Errorf("error = %s", r.body)
			}
			if tc.code == "" && r.err.Code != nil || tc.param == "" && r.err.Param != nil {
				t.Errorf("want null code/param: %s", r.body)
			}
		})
	}

	// Successful answers carry the same headers, and request IDs are unique.
	ok1 := do(t, c, "POST", gen, "application/json", strings.NewReader(`{"prompt":"hi","size":"256x256"}`), bearer(testKey))
	ok2 := do(t, c, "POST", gen, "application/json", strings.NewReader(`{"prompt":"hi","size":"256x256","n":null}`), bearer(testKey))
	if ok1.status != 200 || ok2.status != 200 {
		t.Fatalf("statuses %d %d: %s %s", ok1.status, ok2.status, ok1.body, ok2.body)
	}
	if ok1.header.Get("x-request-id") == ok2.header.Get("x-request-id") || ok1.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers: %v / %v", ok1.header, ok2.header)
	}
	var body struct {
		Created int64            `json:"created"`
		Data    []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(ok1.body, &body); err != nil || body.Created == 0 || len(body.Data) != 1 || len(body.Data[0]) != 1 {
		t.Errorf("success body %s (%v)", ok1.body, err)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestClientRequestIDIsLogged(t *testing.T) {
	t.Parallel()
	srv, ts := dallesim.NewTestServer(t, dallesim.Config{})
	h := bearer("k")
	h.Set("X-Client-Request-Id", "client-123")
	r := do(t, ts.Client(), "POST", ts.URL+"/v1/images/generations", "application/json",
		strings.NewReader(`{"prompt":"tagged","size":"256x256","user":"u-9"}`), h)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	calls := srv.CallsForPrompt("tagged")
	if len(calls) != 1 {
		t.Fatalf("calls = %+v", calls)
	}
	c := calls[0]
	if c.ClientRequestID != "client-123" || c.User != "u-9" || c.Model != "dall-e-2" || c.Size != "256x256" || c.N != 1 ||
		c.RequestID != r.header.Get("x-request-id") || c.Status != 200 || !c.Billable || c.Time.IsZero() {
		t.Errorf("call = %+v", c)
	}
}
