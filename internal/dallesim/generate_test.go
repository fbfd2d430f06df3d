package dallesim_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

func TestGenerateURLs(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv, ts, client := start(t, dallesim.Config{Now: clock.Now})

	for _, tc := range []struct {
		size openai.ImageGenerateParamsSize
		side int
		n    int64
	}{
		{"256x256", 256, 3},
		{"512x512", 512, 1},
		{"", 1024, 2}, // default size
	} {
		t.Run(string(tc.size), func(t *testing.T) {
			var raw *http.Response
			res, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
				Prompt: "a lighthouse at dusk " + string(tc.size),
				N:      openai.Int(tc.n),
				Size:   tc.size,
				Model:  "dall-e-2",
			}, option.WithResponseInto(&raw))
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if res.Created != clock.Now().Unix() {
				t.Errorf("created = %d, want %d", res.Created, clock.Now().Unix())
			}
			if int64(len(res.Data)) != tc.n {
				t.Fatalf("got %d images, want %d", len(res.Data), tc.n)
			}
			for _, h := range []string{"x-request-id", "openai-version", "openai-processing-ms"} {
				if raw.Header.Get(h) == "" {
					t.Errorf("response lacks %s", h)
				}
			}
			if !strings.HasPrefix(raw.Header.Get("x-request-id"), "req_") {
				t.Errorf("x-request-id = %q", raw.Header.Get("x-request-id"))
			}
			for i, img := range res.Data {
				if img.B64JSON != "" || !strings.HasPrefix(img.URL, ts.URL+"/images/") {
					t.Fatalf("image %d = %+v, want only a URL under %s", i, img, ts.URL)
				}
				decoded := fetchPNG(t, ts.Client(), img.URL)
				if b := decoded.Bounds(); b.Dx() != tc.side || b.Dy() != tc.side {
					t.Errorf("image %d is %v, want %dx%d", i, b, tc.side, tc.side)
				}
			}
		})
	}
	if got := srv.Stats().ImageDownloads; got != 6 {
		t.Errorf("ImageDownloads = %d, want 6", got)
	}
}

func TestGenerateB64JSON(t *testing.T) {
	t.Parallel()
	_, _, client := start(t, dallesim.Config{})
	res, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
		Prompt:         "a red fox",
		N:              openai.Int(2),
		Size:           "256x256",
		ResponseFormat: openai.ImageGenerateParamsResponseFormatB64JSON,
		Quality:        "standard",
		User:           openai.String("user-1"), //nolint:staticcheck // SA1019: the simulator implements DALL-E 2's "user".
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if len(res.Data) != 2 {
		t.Fatalf("got %d images, want 2", len(res.Data))
	}
	for i, d := range res.Data {
		if d.URL != "" {
			t.Errorf("image %d has a URL in b64_json mode", i)
		}
		raw, err := base64.StdEncoding.DecodeString(d.B64JSON)
		if err != nil {
			t.Fatalf("image %d: bad base64: %v", i, err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("image %d: bad png: %v", i, err)
		}
		if img.Bounds().Dx() != 256 || img.Bounds().Dy() != 256 {
			t.Errorf("image %d is %v", i, img.Bounds())
		}
	}
}

// b64Images generates n images and returns their PNG bytes.
func b64Images(t *testing.T, client openai.Client, prompt string, n int64) [][]byte {
	t.Helper()
	res, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
		Prompt: prompt, N: openai.Int(n), Size: "256x256",
		ResponseFormat: openai.ImageGenerateParamsResponseFormatB64JSON,
	})
	if err != nil {
		t.Fatalf("Generate(%q): %v", prompt, err)
	}
	out := make([][]byte, len(res.Data))
	for i, d := range res.Data {
		out[i], err = base64.StdEncoding.DecodeString(d.B64JSON)
		if err != nil {
			t.Fatalf("bad base64: %v", err)
		}
	}
	return out
}

func TestGenerateDeterministicAndDistinct(t *testing.T) {
	t.Parallel()
	_, ts, client := start(t, dallesim.Config{Seed: 42})
	first := b64Images(t, client, "a castle", 2)
	again := b64Images(t, client, "a castle", 2)
	other := b64Images(t, client, "a submarine", 1)

	if !bytes.Equal(first[0], again[0]) || !bytes.Equal(first[1], again[1]) {
		t.Error("the same prompt, index and seed rendered different bytes")
	}
	decode := func(b []byte) *bytes.Reader { return bytes.NewReader(b) }
	a, _ := png.Decode(decode(first[0]))
	b, _ := png.Decode(decode(first[1]))
	c, _ := png.Decode(decode(other[0]))
	if d := pixelDifference(a, b); d < 0.2 {
		t.Errorf("images 0 and 1 of one prompt differ in only %.0f%% of pixels", d*100)
	}
	if d := pixelDifference(a, c); d < 0.2 {
		t.Errorf("two prompts' images differ in only %.0f%% of pixels", d*100)
	}

	// Another seed changes the picture; the URL form renders the same bytes as b64_json.
	_, ts2, client2 := start(t, dallesim.Config{Seed: 43})
	if reseeded := b64Images(t, client2, "a castle", 1); bytes.Equal(reseeded[0], first[0]) {
		t.Error("a different seed rendered the same image")
	}
	_ = ts2
	res, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
		Prompt: "a castle", Size: "256x256",
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	viaURL := fetchPNG(t, ts.Client(), res.Data[0].URL)
	if pixelDifference(viaURL, a) != 0 {
		t.Error("URL and b64_json forms of one image differ")
	}
}

func TestGenerateValidation(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	long := strings.Repeat("é", dallesim.MaxPromptLength+1)
	ok := strings.Repeat("é", dallesim.MaxPromptLength)
	tests := []struct {
		name   string
		params openai.ImageGenerateParams
		opts   []option.RequestOption
		status int
		code   string
		param  string
	}{
		{"empty prompt", openai.ImageGenerateParams{Prompt: ""}, nil, 400, "empty_string", "prompt"},
		{"missing prompt", openai.ImageGenerateParams{Prompt: "x"}, []option.RequestOption{option.WithJSONDel("prompt")}, 400, "missing_required_parameter", "prompt"},
		{"prompt too long", openai.ImageGenerateParams{Prompt: long}, nil, 400, "string_above_max_length", "prompt"},
		{"n zero", openai.ImageGenerateParams{Prompt: "x", N: openai.Int(0)}, nil, 400, "integer_below_min_value", "n"},
		{"n eleven", openai.ImageGenerateParams{Prompt: "x", N: openai.Int(11)}, nil, 400, "integer_above_max_value", "n"},
		{"n string", openai.ImageGenerateParams{Prompt: "x"}, []option.RequestOption{option.WithJSONSet("n", "2")}, 400, "invalid_type", "n"},
		{"n decimal", openai.ImageGenerateParams{Prompt: "x"}, []option.RequestOption{option.WithJSONSet("n", 1.5)}, 400, "invalid_type", "n"},
		{"bad size", openai.ImageGenerateParams{Prompt: "x", Size: "1792x1024"}, nil, 400, "invalid_value", "size"},
		{"auto size", openai.ImageGenerateParams{Prompt: "x", Size: openai.ImageGenerateParamsSizeAuto}, nil, 400, "invalid_value", "size"},
		{"bad response_format", openai.ImageGenerateParams{Prompt: "x", ResponseFormat: "png"}, nil, 400, "invalid_value", "response_format"},
		{"hd quality", openai.ImageGenerateParams{Prompt: "x", Quality: "hd"}, nil, 400, "invalid_value", "quality"},
		{"gpt-image-only param", openai.ImageGenerateParams{Prompt: "x", OutputFormat: openai.ImageGenerateParamsOutputFormatWebP}, nil, 400, "unsupported_parameter", "output_format"},
		{"unknown param", openai.ImageGenerateParams{Prompt: "x"}, []option.RequestOption{option.WithJSONSet("colour", "red")}, 400, "unknown_parameter", "colour"},
		{"unknown model", openai.ImageGenerateParams{Prompt: "x", Model: "dall-e-3"}, nil, 404, "model_not_found", "model"},
		{"other model", openai.ImageGenerateParams{Prompt: "x", Model: "gpt-image-1"}, nil, 404, "model_not_found", "model"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.Images.Generate(context.Background(), tc.params, tc.opts...)
			wantAPIError(t, err, tc.status, "invalid_request_error", tc.code, tc.param)
		})
	}

	// The limits themselves are accepted.
	if _, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
		Prompt: ok, N: openai.Int(dallesim.MaxImages), Size: "256x256",
		Style: openai.ImageGenerateParamsStyleVivid,
	}); err != nil {
		t.Fatalf("Generate at the limits: %v", err)
	}
	st := srv.Stats()
	if st.BillableRequests != 1 || st.BillableImages != dallesim.MaxImages {
		t.Errorf("billable = %d requests / %d images, want 1 / %d (rejected calls are not billable)",
			st.BillableRequests, st.BillableImages, dallesim.MaxImages)
	}
	if got := st.Requests[dallesim.EndpointGenerations]; got != int64(len(tests)+1) {
		t.Errorf("requests = %d, want %d", got, len(tests)+1)
	}
}

func TestContentPolicy(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	_, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "a FORBIDDEN garden"})
	e := asAPIError(t, err, 400, "invalid_request_error", "content_policy_violation", "")
	if !strings.Contains(e.Message, "safety system") {
		t.Errorf("message = %q", e.Message)
	}

	// The word is configurable at run time, and "" turns the check off.
	srv.SetContentPolicyWord("kraken")
	if _, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "a forbidden garden", Size: "256x256"}); err != nil {
		t.Fatalf("old word still rejected: %v", err)
	}
	_, err = client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "release the Kraken"})
	wantAPIError(t, err, 400, "invalid_request_error", "content_policy_violation", "")
	srv.SetContentPolicyWord("")
	if _, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "kraken", Size: "256x256"}); err != nil {
		t.Fatalf("disabled policy still rejects: %v", err)
	}

	_, _, noPolicy := start(t, dallesim.Config{NoContentPolicy: true})
	if _, err := noPolicy.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "forbidden", Size: "256x256"}); err != nil {
		t.Fatalf("NoContentPolicy still rejects: %v", err)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	_, ts, client := start(t, dallesim.Config{APIKey: testKey})
	params := openai.ImageGenerateParams{Prompt: "x", Size: "256x256"}
	if _, err := client.Images.Generate(context.Background(), params); err != nil {
		t.Fatalf("right key rejected: %v", err)
	}

	wrong := newClient(ts, option.WithAPIKey("sk-wrong-key-123456"))
	_, err := wrong.Images.Generate(context.Background(), params)
	e := asAPIError(t, err, 401, "invalid_request_error", "invalid_api_key", "")
	if strings.Contains(e.Message, "sk-wrong-key-123456") {
		t.Errorf("401 message leaks the key: %q", e.Message)
	}

	none := newClient(ts, option.WithHeaderDel("Authorization"), option.WithAPIKey(""))
	_, err = none.Images.Generate(context.Background(), params)
	e = asAPIError(t, err, 401, "invalid_request_error", "", "")
	if !strings.HasPrefix(e.Message, "You didn't provide an API key") {
		t.Errorf("message = %q", e.Message)
	}

	// Without a configured key any bearer token is accepted.
	_, open := dallesim.NewTestServer(t, dallesim.Config{})
	anyKey := newClient(open, option.WithAPIKey("whatever"))
	if _, err := anyKey.Images.Generate(context.Background(), params); err != nil {
		t.Fatalf("any key rejected: %v", err)
	}
}

func TestLatencyHonoursCancellation(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	begin := time.Now()
	_, err := client.Images.Generate(ctx, openai.ImageGenerateParams{Prompt: "slow", Size: "256x256"})
	if err == nil || time.Since(begin) > 5*time.Second {
		t.Fatalf("err = %v after %v, want a client timeout", err, time.Since(begin))
	}
	// The server notices the client left, logs it as such and bills nothing.
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.CallsForPrompt("slow")) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	calls := srv.CallsForPrompt("slow")
	if len(calls) != 1 || calls[0].Status != dallesim.StatusClientClosedRequest || calls[0].Billable {
		t.Fatalf("calls = %+v, want one abandoned, unbilled call", calls)
	}
}

func TestLatencyBySize(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{Latency: 300 * time.Millisecond,
		LatencyBySize: map[string]time.Duration{dallesim.Size256: 0}})
	timeIt := func(size openai.ImageGenerateParamsSize) time.Duration {
		begin := time.Now()
		if _, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "t", Size: size}); err != nil {
			t.Fatalf("Generate: %v", err)
		}
		return time.Since(begin)
	}
	if d := timeIt("512x512"); d < 300*time.Millisecond {
		t.Errorf("512x512 took %v, want ≥ 300ms", d)
	}
	if d := timeIt("256x256"); d > 250*time.Millisecond {
		t.Errorf("256x256 took %v, want its 0 override", d)
	}
	if err := srv.SetLatency(0, 0); err != nil {
		t.Fatal(err)
	}
	if d := timeIt("512x512"); d > 250*time.Millisecond {
		t.Errorf("512x512 took %v after SetLatency(0, 0)", d)
	}
	if err := srv.SetLatencyForSize("640x480", time.Second); err == nil {
		t.Error("SetLatencyForSize accepted an unsupported size")
	}
}
