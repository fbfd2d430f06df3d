package controllers_test

import (
	"runtime"
	"strings"
	"testing"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// hostileAllocBound is what handling a hostile input may cost the whole
// test process (manager, clients, informers). Decoding the grey bomb
// allocates 900 MB, the palette one 1.8 GB; under the Deployment's 512Mi
// limit either kills the manager.
const hostileAllocBound = 256 << 20

// totalAlloc is the bytes this process has allocated so far.
func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// TestHostileEditInputs: an edit whose input is a decompression bomb fails
// InvalidImage naming the rule, an RGB mask without alpha fails
// InvalidMask, both without an upstream call and without the manager
// allocating the decoded image, and the manager keeps serving.
func TestHostileEditInputs(t *testing.T) {
	begin(t)
	opaque := pngtest.PNG(64, 64, true, false)
	cases := map[string]struct {
		image, mask []byte
		wantReason  string
		wantIn      []string
	}{
		"grey bomb": {image: pngtest.Bomb(pngtest.BombSide), wantReason: imagesv1alpha1.ReasonInvalidImage,
			wantIn: []string{"spec.image:", "dimensions-max", "30000x30000", "4096x4096"}},
		"palette+tRNS bomb": {image: pngtest.PaletteBomb(pngtest.BombSide), wantReason: imagesv1alpha1.ReasonInvalidImage,
			wantIn: []string{"spec.image:", "dimensions-max", "30000x30000", "4096x4096"}},
		"palette+tRNS bomb as mask": {image: opaque, mask: pngtest.PaletteBomb(pngtest.BombSide), wantReason: imagesv1alpha1.ReasonInvalidMask,
			wantIn: []string{"spec.mask:", "dimensions-max", "30000x30000"}},
		"RGB mask without alpha": {image: opaque, mask: pngtest.PNG(64, 64, false, false), wantReason: imagesv1alpha1.ReasonInvalidMask,
			wantIn: []string{"spec.mask:", "no alpha channel"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			objName := "hostile-" + strings.NewReplacer(" ", "-", "+", "-").Replace(strings.ToLower(name))
			data := map[string][]byte{"image.png": tc.image}
			spec := imagesv1alpha1.ImageRequestSpec{Operation: imagesv1alpha1.OperationEdit, Prompt: "hostile input: " + name, Size: "256x256",
				Image: secretRef(objName, "image.png")}
			if tc.mask != nil {
				data["mask.png"] = tc.mask
				spec.Mask = secretRef(objName, "mask.png")
			}
			before := totalAlloc()
			createSecret(t, objName, data)
			ir := waitTerminal(t, createRequest(t, objName, spec))
			if n := totalAlloc() - before; n > hostileAllocBound {
				t.Errorf("the process allocated %d MiB handling it, want at most %d MiB", n>>20, hostileAllocBound>>20)
			}
			wantRefused(t, ir, tc.wantReason, tc.wantIn...)
		})
	}
	wantServing(t, "hostile-after")
}

// TestHostileInputAtStartup: a bomb stored while the manager was down (the
// crash-loop case: the manager met it again on every start) is refused
// by the next manager, which goes on serving.
func TestHostileInputAtStartup(t *testing.T) {
	begin(t)
	stopManager()
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			if err := startManager(); err != nil {
				t.Errorf("restarting the manager: %v", err)
			}
		}
	})
	const name = "hostile-at-startup"
	createSecret(t, name, map[string][]byte{"image.png": pngtest.PaletteBomb(pngtest.BombSide)})
	created := createRequest(t, name, imagesv1alpha1.ImageRequestSpec{Operation: imagesv1alpha1.OperationEdit,
		Prompt: "hostile input at startup", Size: "256x256", Image: secretRef(name, "image.png")})
	before := totalAlloc()
	if err := startManager(); err != nil {
		t.Fatalf("starting the manager: %v", err)
	}
	restarted = true
	ir := waitTerminal(t, created)
	if n := totalAlloc() - before; n > hostileAllocBound {
		t.Errorf("the process allocated %d MiB starting with the bomb stored, want at most %d MiB", n>>20, hostileAllocBound>>20)
	}
	wantRefused(t, ir, imagesv1alpha1.ReasonInvalidImage, "spec.image:", "dimensions-max", "30000x30000")
	wantServing(t, "hostile-after-startup")
}

// wantRefused checks ir failed with reason before any attempt or upstream call.
func wantRefused(t *testing.T, ir *imagesv1alpha1.ImageRequest, reason string, inMessage ...string) {
	t.Helper()
	if ir.Status.Phase != imagesv1alpha1.PhaseFailed || ir.Status.Reason != reason {
		t.Fatalf("phase=%s reason=%s (%s), want Failed %s", ir.Status.Phase, ir.Status.Reason, ir.Status.Message, reason)
	}
	for _, want := range inMessage {
		if !strings.Contains(ir.Status.Message, want) {
			t.Errorf("message %q does not contain %q", ir.Status.Message, want)
		}
	}
	if calls := sim.CallsForPrompt(ir.Spec.Prompt); ir.Status.Attempts != 0 || len(calls) != 0 {
		t.Fatalf("attempts=%d upstream calls=%d, want no call", ir.Status.Attempts, len(calls))
	}
}

// wantServing checks a plain generate still succeeds.
func wantServing(t *testing.T, name string) {
	t.Helper()
	prompt := "still serving: " + name
	ir := waitTerminal(t, createRequest(t, name, imagesv1alpha1.ImageRequestSpec{Prompt: prompt, Size: "256x256"}))
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(sim.CallsForPrompt(prompt)) != 1 {
		t.Fatalf("generate after hostile inputs: phase=%s (%s), %d upstream calls", ir.Status.Phase, ir.Status.Message, len(sim.CallsForPrompt(prompt)))
	}
}
