package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// TestArtifactsInlineResults: with a store, the controller asks the
// upstream for b64_json and stores the images it sent inline: the
// simulator saw response_format=b64_json and served no image URL, and the
// stored images are exactly the bytes the upstream renders for the prompt.
func TestArtifactsInlineResults(t *testing.T) {
	begin(t)
	bucket := fileBucket(t)
	base := runManagerWithStore(t, bucket, artifacts.URLModeOperator)

	created := createRequest(t, "store-inline", imagesv1alpha1.ImageRequestSpec{Prompt: "kept without a download", N: 2, Size: "256x256"})
	ir := waitTerminal(t, created)
	assertStoredImages(t, ir, 2, 256, bucket+"/", base+artifacts.HandlerPrefix)
	calls := sim.CallsForPrompt(created.Spec.Prompt)
	if len(calls) != 1 || calls[0].ResponseFormat != upstream.FormatB64JSON || ir.Status.Attempts != 1 {
		t.Fatalf("upstream calls %+v, attempts %d; want one b64_json call", calls, ir.Status.Attempts)
	}
	if got := sim.Stats().ImageDownloads; got != 0 {
		t.Errorf("the simulator served %d image downloads, want none", got)
	}

	// What the upstream renders for this prompt, asked for again directly.
	client := upstream.New(upstream.Config{BaseURL: simServer.URL + "/v1/", Keys: upstream.StaticKey("sk-test"), Timeout: 30 * time.Second})
	again, err := client.Do(context.Background(), upstream.Request{Model: "dall-e-2", Prompt: created.Spec.Prompt, N: 2, Size: "256x256", ResponseFormat: upstream.FormatB64JSON})
	if err != nil {
		t.Fatal(err)
	}
	for i, img := range again.Images {
		data, err := img.Decode(1 << 24)
		if err != nil {
			t.Fatal(err)
		}
		if got := ir.Status.Images[i].SHA256; got != sha256Hex(data) {
			t.Errorf("image %d: stored sha256 %s, the upstream's image has %s", i, got, sha256Hex(data))
		}
	}
}

// TestNoStoreAsksForURLs: without a store nothing changes: the controller
// asks for URLs and status carries the upstream's.
func TestNoStoreAsksForURLs(t *testing.T) {
	begin(t)
	created := createRequest(t, "no-store-urls", imagesv1alpha1.ImageRequestSpec{Prompt: "upstream URLs as before", Size: "256x256"})
	ir := waitTerminal(t, created)
	calls := sim.CallsForPrompt(created.Spec.Prompt)
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(calls) != 1 || calls[0].ResponseFormat != upstream.FormatURL {
		t.Fatalf("phase %s, calls %+v; want Succeeded after one url call", ir.Status.Phase, calls)
	}
	if img := ir.Status.Images[0]; img.URI != "" || img.SHA256 != "" || !strings.HasPrefix(img.URL, simServer.URL) {
		t.Errorf("image %+v, want the simulator's URL and nothing stored", img)
	}
}
