package upstream

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// wireRequest is one request as it reached a capturing server: what the
// simulator cannot tell (it records user and safety_identifier alike, and
// does not look at a part's filename or content type).
type wireRequest struct {
	path string
	// body is a generation's JSON body, by key.
	body map[string]json.RawMessage
	// fields are an edit's text fields; parts its file parts, in order.
	fields map[string]string
	parts  []wirePart
}

// wirePart is one file part of a multipart body.
type wirePart struct {
	field, filename, contentType string
	data                         []byte
}

// keys are the request's parameter names, sorted: the JSON body's keys, or
// the form's field names (file fields once each).
func (r wireRequest) keys() []string {
	var out []string
	for k := range r.body {
		out = append(out, k)
	}
	for k := range r.fields {
		out = append(out, k)
	}
	for _, p := range r.parts {
		if !slices.Contains(out, p.field) {
			out = append(out, p.field)
		}
	}
	slices.Sort(out)
	return out
}

// partsOf are the file parts sent as field.
func (r wireRequest) partsOf(field string) []wirePart {
	var out []wirePart
	for _, p := range r.parts {
		if p.field == field {
			out = append(out, p)
		}
	}
	return out
}

// capture records the requests a capturing server received.
type capture struct {
	mu   sync.Mutex
	reqs []wireRequest
}

// requests returns what was received so far.
func (c *capture) requests() []wireRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.reqs)
}

// only returns the one request received, failing unless there was exactly one.
func (c *capture) only(t *testing.T) wireRequest {
	t.Helper()
	reqs := c.requests()
	if len(reqs) != 1 {
		t.Fatalf("server received %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// newCaptureClient is a Client against a server that records each request
// and answers with one image carrying both a URL and base64, which
// satisfies every response format.
func newCaptureClient(t *testing.T) (*Client, *capture) {
	t.Helper()
	c := &capture{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := readWireRequest(r)
		if err != nil {
			t.Errorf("capturing server: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		c.reqs = append(c.reqs, req)
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"created":1700000000,"data":[{"url":"https://example.invalid/img.png","b64_json":"aW1n"}]}`)
	}))
	t.Cleanup(ts.Close)
	return New(Config{BaseURL: ts.URL + "/v1/", Keys: StaticKey("sk-test"), Timeout: 5 * time.Second}), c
}

// readWireRequest parses a JSON or multipart request body.
func readWireRequest(r *http.Request) (wireRequest, error) {
	out := wireRequest{path: r.URL.Path}
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return out, err
	}
	if mediaType == "application/json" {
		err := json.NewDecoder(r.Body).Decode(&out.body)
		return out, err
	}
	if mediaType != "multipart/form-data" {
		return out, errors.New("unexpected content type " + mediaType)
	}
	out.fields = map[string]string{}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return out, err
		}
		if part.FileName() == "" {
			if _, dup := out.fields[part.FormName()]; dup {
				return out, errors.New("text field " + part.FormName() + " sent twice")
			}
			out.fields[part.FormName()] = string(data)
			continue
		}
		out.parts = append(out.parts, wirePart{field: part.FormName(), filename: part.FileName(),
			contentType: part.Header.Get("Content-Type"), data: data})
	}
}
