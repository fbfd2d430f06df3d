package dallesim_test

import (
	"context"
	"slices"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

// The call log records which parameters went on the wire and the GPT
// options a client sent, so callers' tests can assert what reached the
// upstream: response_format absent for a GPT model, safety_identifier
// instead of user, moderation and compression as sent.
func TestCallLogRecordsParameters(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})

	gptPrompt := "a lighthouse, logged"
	if _, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
		Prompt: gptPrompt, Model: "gpt-image-2", Quality: "low", OutputFormat: "jpeg",
		OutputCompression: openai.Int(40), Moderation: "low", SafetyIdentifier: openai.String("user-7"),
	}); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	calls := srv.CallsForPrompt(gptPrompt)
	if len(calls) != 1 {
		t.Fatalf("calls = %+v, want one", calls)
	}
	c := calls[0]
	want := []string{"model", "moderation", "output_compression", "output_format", "prompt", "quality", "safety_identifier"}
	if !slices.Equal(c.Params, want) {
		t.Errorf("params = %v, want %v", c.Params, want)
	}
	if c.Moderation != "low" || c.OutputCompression != 40 || c.SafetyIdentifier != "user-7" || c.User != "user-7" {
		t.Errorf("moderation %q compression %d safety_identifier %q user %q, want low, 40, user-7, user-7",
			c.Moderation, c.OutputCompression, c.SafetyIdentifier, c.User)
	}

	dallePrompt := "a lighthouse, logged for dall-e-2"
	if _, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
		Prompt: dallePrompt, Model: "dall-e-2", Size: "256x256", ResponseFormat: "url",
		User: openai.String("user-8"), //nolint:staticcheck // SA1019: DALL-E 2 takes "user".
	}); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	calls = srv.CallsForPrompt(dallePrompt)
	if len(calls) != 1 {
		t.Fatalf("calls = %+v, want one", calls)
	}
	if c := calls[0]; !slices.Equal(c.Params, []string{"model", "prompt", "response_format", "size", "user"}) || c.SafetyIdentifier != "" || c.User != "user-8" {
		t.Errorf("dall-e-2 call: params %v safety_identifier %q user %q", c.Params, c.SafetyIdentifier, c.User)
	}
}
