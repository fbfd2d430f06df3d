package upstream

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

// newSimClient is a Client against a simulator started with cfg.
func newSimClient(t *testing.T, cfg dallesim.Config) (*Client, *dallesim.Server) {
	t.Helper()
	cfg.APIKey = "sk-right"
	sim, ts := dallesim.NewTestServer(t, cfg)
	return New(Config{BaseURL: ts.URL + "/v1/", Keys: StaticKey("sk-right"), Timeout: 5 * time.Second}), sim
}

// doErr makes req and wants an *Error after exactly one upstream call.
func doErr(t *testing.T, c *Client, sim *dallesim.Server, req Request) *Error {
	t.Helper()
	_, err := c.Do(context.Background(), req)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Do() = %v, want *Error", err)
	}
	if got := len(sim.Calls()); got != 1 {
		t.Fatalf("simulator received %d calls, want exactly 1", got)
	}
	if e.RequestID == "" || e.Transient() {
		t.Fatalf("error %+v: want a request id and a permanent kind", e)
	}
	return e
}

// TestClassifyModelNotFound: a retired model's 404 model_not_found is its
// own permanent kind, ModelUnavailable, naming the model.
func TestClassifyModelNotFound(t *testing.T) {
	retired, err := dallesim.ParseRetiredModels("today")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(retired, "dall-e-2") {
		t.Fatalf("ParseRetiredModels(today) = %v, want dall-e-2 among them", retired)
	}
	c, sim := newSimClient(t, dallesim.Config{RetiredModels: retired})
	e := doErr(t, c, sim, Request{Model: "dall-e-2", Prompt: "a cat", N: 1, Size: "256x256"})
	if e.Kind != KindModelUnavailable || e.StatusCode != 404 || e.Code != "model_not_found" || !strings.Contains(e.Message, "dall-e-2") {
		t.Fatalf("got %+v, want 404 ModelUnavailable model_not_found naming dall-e-2", e)
	}
}

// TestClassifyModerationBlocked: a GPT image model's moderation_blocked is
// ContentPolicy carrying the categories that fired.
func TestClassifyModerationBlocked(t *testing.T) {
	c, sim := newSimClient(t, dallesim.Config{})
	e := doErr(t, c, sim, Request{Model: "gpt-image-2", Prompt: "something forbidden", N: 1, Size: "1024x1024", OmitResponseFormat: true})
	if e.Kind != KindContentPolicy || e.StatusCode != 400 || e.Code != "moderation_blocked" || e.Type != "image_generation_user_error" {
		t.Fatalf("got %+v, want 400 ContentPolicy moderation_blocked", e)
	}
	if !slices.Equal(e.SafetyCategories, dallesim.DefaultModerationCategories) {
		t.Fatalf("SafetyCategories = %v, want %v", e.SafetyCategories, dallesim.DefaultModerationCategories)
	}
}

// TestClassifyDallE2ContentPolicyNamesNoCategories: DALL-E 2's refusal
// names no categories; none are made up.
func TestClassifyDallE2ContentPolicyNamesNoCategories(t *testing.T) {
	c, sim := newSimClient(t, dallesim.Config{})
	e := doErr(t, c, sim, Request{Model: "dall-e-2", Prompt: "something forbidden", N: 1, Size: "256x256"})
	if e.Kind != KindContentPolicy || e.Code != "content_policy_violation" || e.SafetyCategories != nil {
		t.Fatalf("got %+v, want ContentPolicy without categories", e)
	}
}

// TestClassifyUnknownParameter: response_format sent to a GPT image model
// is a permanent InvalidRequest naming the parameter.
func TestClassifyUnknownParameter(t *testing.T) {
	c, sim := newSimClient(t, dallesim.Config{})
	e := doErr(t, c, sim, Request{Model: "gpt-image-2", Prompt: "a cat", N: 1, Size: "1024x1024", ResponseFormat: FormatB64JSON})
	if e.Kind != KindInvalidRequest || e.StatusCode != 400 || e.Code != "unknown_parameter" || e.Param != "response_format" {
		t.Fatalf("got %+v, want 400 InvalidRequest unknown_parameter param=response_format", e)
	}
	if !strings.Contains(e.Error(), "param=response_format") {
		t.Fatalf("Error() = %q does not name the parameter", e.Error())
	}
}

func TestParseSafetyViolations(t *testing.T) {
	cases := map[string][]string{
		"rejected. safety_violations=[violence].":                     {"violence"},
		"x safety_violations=[violence, sexual/minors].":              {"violence", "sexual/minors"},
		"safety_violations=[].":                                       nil,
		"Your request was rejected as a result of our safety system.": nil,
	}
	for msg, want := range cases {
		if got := parseSafetyViolations(msg); !slices.Equal(got, want) {
			t.Errorf("parseSafetyViolations(%q) = %v, want %v", msg, got, want)
		}
	}
}

// TestUsageFromGPTImageResponse: a GPT image response's usage block lands
// in Result.Usage exactly as the simulator billed it; DALL-E 2's response
// has none.
func TestUsageFromGPTImageResponse(t *testing.T) {
	c, sim := newSimClient(t, dallesim.Config{})
	res, err := c.Do(context.Background(), Request{Model: "gpt-image-2", Prompt: "a lighthouse at dusk", N: 2, Size: "1024x1024", OmitResponseFormat: true})
	if err != nil {
		t.Fatal(err)
	}
	calls := sim.Calls()
	if len(calls) != 1 || calls[0].Usage == nil {
		t.Fatalf("simulator calls = %+v, want one billed call", calls)
	}
	billed := calls[0].Usage
	want := Usage{
		InputTokens: billed.InputTokens, InputTextTokens: billed.InputTokensDetails.TextTokens,
		InputImageTokens: billed.InputTokensDetails.ImageTokens, OutputTokens: billed.OutputTokens,
		OutputImageTokens: billed.OutputTokensDetails.ImageTokens, OutputTextTokens: billed.OutputTokensDetails.TextTokens,
		TotalTokens: billed.TotalTokens,
	}
	if res.Usage == nil || *res.Usage != want {
		t.Fatalf("Usage = %+v, want %+v", res.Usage, want)
	}
	if want.OutputTokens == 0 || want.InputTextTokens == 0 || len(res.Images) != 2 || res.Images[0].B64JSON == "" {
		t.Fatalf("fixture: usage %+v, images %d; want non-zero tokens and two base64 images", want, len(res.Images))
	}

	res, err = c.Do(context.Background(), Request{Model: "dall-e-2", Prompt: "a cat", N: 1, Size: "256x256"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Usage != nil {
		t.Fatalf("dall-e-2 Usage = %+v, want nil", res.Usage)
	}
}
