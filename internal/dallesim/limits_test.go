package dallesim_test

import (
	"context"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

func TestImagesPerMinuteLimit(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv, _, client := start(t, dallesim.Config{Now: clock.Now, ImagesPerMinute: 5})
	gen := func(n int64) error {
		_, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
			Prompt: "ipm", N: openai.Int(n), Size: "256x256",
		})
		return err
	}
	if err := gen(3); err != nil {
		t.Fatalf("first 3 images: %v", err)
	}
	clock.Advance(20 * time.Second)
	if err := gen(2); err != nil {
		t.Fatalf("images 4-5: %v", err)
	}
	clock.Advance(10 * time.Second)
	e := asAPIError(t, gen(1), 429, "requests", "rate_limit_exceeded", "")
	// The first 3 images leave the window 60s after they were made: 30s from now.
	if got := e.Response.Header.Get("Retry-After"); got != "30" {
		t.Errorf("Retry-After = %q, want 30", got)
	}
	wantAPIError(t, gen(6), 429, "requests", "rate_limit_exceeded", "")

	clock.Advance(30 * time.Second)
	if err := gen(3); err != nil {
		t.Fatalf("after the window slid: %v", err)
	}
	if st := srv.Stats(); st.BillableImages != 8 || st.BillableRequests != 3 {
		t.Errorf("stats = %+v, want 3 billable requests / 8 images", st)
	}

	// The limit changes at run time; 0 lifts it.
	if err := srv.SetImagesPerMinute(0); err != nil {
		t.Fatal(err)
	}
	if err := gen(10); err != nil {
		t.Fatalf("unlimited: %v", err)
	}
	if err := srv.SetImagesPerMinute(-1); err == nil {
		t.Error("SetImagesPerMinute accepted a negative limit")
	}
}
