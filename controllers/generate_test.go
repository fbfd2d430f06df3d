package controllers_test

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/localenv"
)

func fetchPNG(t *testing.T, url string) (int, []byte) {
	t.Helper()
	status, _, body := get(t, url)
	return status, body
}

func TestGenerate(t *testing.T) {
	begin(t)
	cases := map[string]struct {
		n        int32
		size     string
		pixels   int
		wantCost string
	}{
		"one 1024":  {n: 1, size: "1024x1024", pixels: 1024, wantCost: "0.020"},
		"three 512": {n: 3, size: "512x512", pixels: 512, wantCost: "0.054"},
		"ten 256":   {n: 10, size: "256x256", pixels: 256, wantCost: "0.160"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			prompt := "generate test: " + name
			created := createRequest(t, "gen-"+strings.ReplaceAll(name, " ", "-"), imagesv1alpha1.ImageRequestSpec{Prompt: prompt, N: tc.n, Size: tc.size, User: "team-a"})
			ir := waitTerminal(t, created)
			if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded {
				t.Fatalf("phase = %s (%s: %s), want Succeeded", ir.Status.Phase, ir.Status.Reason, ir.Status.Message)
			}
			if ir.Status.Attempts != 1 || ir.Status.EstimatedCostUSD != tc.wantCost || len(ir.Status.Images) != int(tc.n) {
				t.Fatalf("attempts=%d cost=%s images=%d, want 1, %s, %d", ir.Status.Attempts, ir.Status.EstimatedCostUSD, len(ir.Status.Images), tc.wantCost, tc.n)
			}
			if !meta.IsStatusConditionTrue(ir.Status.Conditions, string(imagesv1alpha1.ConditionComplete)) {
				t.Fatalf("Complete condition not True: %+v", ir.Status.Conditions)
			}
			if ir.Status.UpstreamRequestID == "" || ir.Status.StartTime == nil || ir.Status.CompletionTime == nil {
				t.Fatalf("status lacks request id or times: %+v", ir.Status)
			}
			calls := sim.CallsForPrompt(prompt)
			if len(calls) != 1 || !calls[0].Billable || calls[0].User != "team-a" || calls[0].ClientRequestID != fmt.Sprintf("%s/1", ir.UID) {
				t.Fatalf("simulator calls = %+v, want one billable call from team-a tagged %s/1", calls, ir.UID)
			}
			for i, img := range ir.Status.Images {
				if img.ExpiresAt == nil {
					t.Fatalf("image %d has no expiresAt", i)
				}
				if left := time.Until(img.ExpiresAt.Time); left < 59*time.Minute || left > 61*time.Minute {
					t.Fatalf("image %d expires in %s, want about 60m", i, left)
				}
				status, body := fetchPNG(t, img.URL)
				if status != http.StatusOK {
					t.Fatalf("GET image %d = %d", i, status)
				}
				cfg, err := png.DecodeConfig(bytes.NewReader(body))
				if err != nil || cfg.Width != tc.pixels || cfg.Height != tc.pixels {
					t.Fatalf("image %d: %dx%d (%v), want %dx%d", i, cfg.Width, cfg.Height, err, tc.pixels, tc.pixels)
				}
			}
			// An hour later the upstream's links are dead, as expiresAt said.
			simClockOffset.Store(int64(61 * time.Minute))
			defer simClockOffset.Store(0)
			if status, _ := fetchPNG(t, ir.Status.Images[0].URL); status != http.StatusForbidden {
				t.Fatalf("GET expired image = %d, want 403", status)
			}
		})
	}
}

// TestManyAtOnce: 100 requests against a 1 s upstream all succeed, each with
// exactly one paid call. Throughput is the benchmark's business, not this test's.
func TestManyAtOnce(t *testing.T) {
	begin(t)
	if err := sim.SetLatency(time.Second, 0); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sim.SetLatency(0, 0) }()
	const count = 100
	reqs := make([]*imagesv1alpha1.ImageRequest, count)
	for i := range reqs {
		reqs[i] = createRequest(t, fmt.Sprintf("many-%03d", i), imagesv1alpha1.ImageRequestSpec{Prompt: fmt.Sprintf("many at once %03d", i), Size: "256x256"})
	}
	for i, created := range reqs {
		ir := waitTerminal(t, created)
		if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || ir.Status.Attempts != 1 {
			t.Fatalf("request %d: phase %s attempts %d (%s)", i, ir.Status.Phase, ir.Status.Attempts, ir.Status.Message)
		}
		if calls := sim.CallsForPrompt(created.Spec.Prompt); len(calls) != 1 {
			t.Fatalf("request %d: %d upstream calls, want 1", i, len(calls))
		}
	}
}

func TestTTLAfterFinished(t *testing.T) {
	begin(t)
	ttl := int32(2)
	created := createRequest(t, "ttl", imagesv1alpha1.ImageRequestSpec{Prompt: "ttl test", Size: "256x256", TTLSecondsAfterFinished: &ttl})
	ir := waitTerminal(t, created)
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded {
		t.Fatalf("phase = %s", ir.Status.Phase)
	}
	finished := ir.Status.CompletionTime.Time
	localenv.Eventually(t, "the ImageRequest's deletion after its TTL", func() bool {
		return isNotFound(k8sClient.Get(t.Context(), clientKey(created), &imagesv1alpha1.ImageRequest{}))
	})
	// The controller counts the TTL from status.completionTime (second
	// precision), so the deletion cannot come before that plus the TTL.
	if gone := time.Since(finished); gone < time.Duration(ttl)*time.Second {
		t.Fatalf("deleted %s after completion, before its %ds TTL", gone, ttl)
	}
}

// TestExpiresAtComesFromTheUpstream: status.images[].expiresAt is what the
// upstream signed into the URL, not the model's documented 60 minutes.
func TestExpiresAtComesFromTheUpstream(t *testing.T) {
	begin(t)
	if err := sim.SetURLTTL(7 * time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.SetURLTTL(dallesim.DefaultURLTTL) })
	ir := waitTerminal(t, createRequest(t, "short-lived-urls", imagesv1alpha1.ImageRequestSpec{Prompt: "short-lived urls", N: 2, Size: "256x256"}))
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(ir.Status.Images) != 2 {
		t.Fatalf("phase=%s images=%d (%s), want Succeeded with 2", ir.Status.Phase, len(ir.Status.Images), ir.Status.Message)
	}
	for i, img := range ir.Status.Images {
		if img.ExpiresAt == nil {
			t.Fatalf("image %d has no expiresAt", i)
		}
		if left := time.Until(img.ExpiresAt.Time); left < 6*time.Minute || left > 7*time.Minute+time.Second {
			t.Fatalf("image %d expires in %s, want the upstream's 7m", i, left)
		}
	}
}
