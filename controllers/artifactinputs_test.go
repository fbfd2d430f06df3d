package controllers_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// putObject stores data as an input of a made-up request in namespace and
// returns its key.
func putObject(t *testing.T, s *artifacts.Store, namespace string, data []byte) string {
	t.Helper()
	ref := artifacts.Ref{Namespace: namespace, Name: "uploaded-by-hand", UID: string(uuid.NewUUID())}
	obj, err := s.PutInput(context.Background(), ref, artifacts.FieldImage, bytes.NewReader(data), 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	return obj.Key
}

func artifactKey(key string) *imagesv1alpha1.ImageSource {
	return &imagesv1alpha1.ImageSource{ArtifactRef: &imagesv1alpha1.ArtifactReference{Key: key}}
}

func artifactURI(uri string) *imagesv1alpha1.ImageSource {
	return &imagesv1alpha1.ImageSource{ArtifactRef: &imagesv1alpha1.ArtifactReference{URI: uri}}
}

func editSpec(prompt string, image, mask *imagesv1alpha1.ImageSource) imagesv1alpha1.ImageRequestSpec {
	return imagesv1alpha1.ImageRequestSpec{Operation: imagesv1alpha1.OperationEdit, Prompt: prompt, Size: "256x256", Image: image, Mask: mask}
}

func editCalls() int64 { return sim.Stats().Requests[dallesim.EndpointEdits] }

// assertEditOf checks that result is an edit of input: every pixel the
// marker (the mask, or the input itself) has fully opaque, outside the edit
// area, is unchanged, which only holds if the upstream received input.
func assertEditOf(t *testing.T, input, marker, result []byte) {
	t.Helper()
	in, out, mk := decodeNRGBA(t, input), decodeNRGBA(t, result), decodeNRGBA(t, marker)
	if in.Bounds() != out.Bounds() {
		t.Fatalf("result is %v, input %v", out.Bounds(), in.Bounds())
	}
	kept := 0
	b := in.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := mk.At(x, y).RGBA(); a != 0xffff {
				continue
			}
			ir, ig, ib, _ := in.At(x, y).RGBA()
			or, og, ob, _ := out.At(x, y).RGBA()
			if ir != or || ig != og || ib != ob {
				t.Fatalf("opaque pixel (%d,%d) differs: the upstream did not edit this input", x, y)
			}
			kept++
		}
	}
	if kept == 0 {
		t.Fatal("the input has no opaque pixel to compare")
	}
}

// resultBytes downloads image i of a succeeded request.
func resultBytes(t *testing.T, ir *imagesv1alpha1.ImageRequest, i int) []byte {
	t.Helper()
	code, _, body := get(t, ir.Status.Images[i].URL)
	if code != 200 {
		t.Fatalf("GET result %d: HTTP %d", i, code)
	}
	return body
}

// TestEditFromArtifactStore: a kubectl user edits an object already in the
// bucket, named by key or by the uri an earlier generate's status shows;
// an object that appears after the request is found without any watch.
func TestEditFromArtifactStore(t *testing.T) {
	begin(t)
	bucket := fileBucket(t)
	runManagerWithStore(t, bucket, artifacts.URLModeOperator)
	store := openStore(t, bucket)

	gen := waitTerminal(t, createRequest(t, "art-in-gen", imagesv1alpha1.ImageRequestSpec{Prompt: "a harbour at dawn", Size: "256x256"}))
	if gen.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(gen.Status.Images) != 1 {
		t.Fatalf("generate: %s %s", gen.Status.Phase, gen.Status.Message)
	}

	t.Run("uri of an earlier result", func(t *testing.T) {
		// The generated image is opaque: a mask from a ConfigMap marks the area.
		mask := pngtest.PNG(256, 256, true, true)
		createConfigMap(t, "art-in-mask", map[string][]byte{"mask.png": mask})
		before := editCalls()
		ir := waitTerminal(t, createRequest(t, "art-in-by-uri", editSpec("add a boat", artifactURI(gen.Status.Images[0].URI), cmRef("art-in-mask", "mask.png"))))
		if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded {
			t.Fatalf("phase %s: %s", ir.Status.Phase, ir.Status.Message)
		}
		if got := editCalls() - before; got != 1 {
			t.Errorf("%d edit calls, want 1", got)
		}
		assertEditOf(t, resultBytes(t, gen, 0), mask, resultBytes(t, ir, 0))
	})

	t.Run("key of an uploaded object", func(t *testing.T) {
		input := pngtest.PNG(256, 256, true, true)
		key := putObject(t, store, "default", input)
		ir := waitTerminal(t, createRequest(t, "art-in-by-key", editSpec("add a lighthouse", artifactKey(key), nil)))
		if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded {
			t.Fatalf("phase %s: %s", ir.Status.Phase, ir.Status.Message)
		}
		assertEditOf(t, input, input, resultBytes(t, ir, 0))
	})

	t.Run("object that appears after the request", func(t *testing.T) {
		input := pngtest.PNG(256, 256, true, true)
		ref := artifacts.Ref{Namespace: "default", Name: "art-in-late", UID: string(uuid.NewUUID())}
		key := artifacts.InputKey(ref, artifacts.FieldImage)
		ir := createRequest(t, "art-in-late", editSpec("add a crane", artifactKey(key), nil))
		waitFor(t, ir, "WaitingForInput", func(ir *imagesv1alpha1.ImageRequest) bool {
			return ir.Status.Reason == imagesv1alpha1.ReasonWaitingForInput && strings.Contains(ir.Status.Message, key)
		})
		if _, err := store.PutInput(context.Background(), ref, artifacts.FieldImage, bytes.NewReader(input), 1<<20); err != nil {
			t.Fatal(err)
		}
		if got := waitTerminal(t, ir); got.Status.Phase != imagesv1alpha1.PhaseSucceeded {
			t.Fatalf("phase %s: %s", got.Status.Phase, got.Status.Message)
		}
	})

	t.Run("object that never appears", func(t *testing.T) {
		before := editCalls()
		key := "uploads/default/never/image.png"
		ir := waitTerminal(t, createRequest(t, "art-in-never", editSpec("add a crane", artifactKey(key), nil)))
		if ir.Status.Phase != imagesv1alpha1.PhaseFailed || ir.Status.Reason != imagesv1alpha1.ReasonInputNotFound || !strings.Contains(ir.Status.Message, key) {
			t.Fatalf("%s %s: %s, want Failed InputNotFound naming the key", ir.Status.Phase, ir.Status.Reason, ir.Status.Message)
		}
		if got := editCalls() - before; got != 0 {
			t.Errorf("%d edit calls, want 0", got)
		}
	})

	refusals(t, store, gen)
}

// refusals: references a request may never read fail before any call,
// naming the field and the rule.
func refusals(t *testing.T, store *artifacts.Store, gen *imagesv1alpha1.ImageRequest) {
	otherNS := putObject(t, store, "kube-system", pngtest.PNG(256, 256, true, true))
	genKey, err := store.KeyFromURI(gen.Status.Images[0].URI)
	if err != nil {
		t.Fatal(err)
	}
	// Over the model's 4 MB limit: refused by its attributes, so the
	// message gives the exact size Stat reported.
	oversized := putObject(t, store, "default", append(pngtest.PNG(256, 256, true, true), make([]byte, 5<<20)...))
	info, err := store.Stat(context.Background(), oversized)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		image, mask *imagesv1alpha1.ImageSource
		reason      string
		want        []string
	}{
		{"another namespace's object", artifactKey(otherNS), nil, imagesv1alpha1.ReasonInvalidImage,
			[]string{"spec.image.artifactRef", "rule artifactKey", `namespace "kube-system"`}},
		{"traversal out of the namespace", artifactKey("inputs/default/../kube-system/x/y/image.png"), nil, imagesv1alpha1.ReasonInvalidImage,
			[]string{"spec.image.artifactRef", "rule artifactKey"}},
		{"unknown prefix", artifactKey("secrets/default/x/image.png"), nil, imagesv1alpha1.ReasonInvalidImage,
			[]string{"spec.image.artifactRef", "rule artifactKey", "results/, inputs/ or uploads/"}},
		{"uri of another bucket", artifactURI("s3://elsewhere/" + genKey), nil, imagesv1alpha1.ReasonInvalidImage,
			[]string{"spec.image.artifactRef", "rule artifactKey", "s3://elsewhere/"}},
		{"mask in another namespace", artifactURI(gen.Status.Images[0].URI), artifactKey(otherNS), imagesv1alpha1.ReasonInvalidMask,
			[]string{"spec.mask.artifactRef", "rule artifactKey"}},
		{"object over the model's limit", artifactKey(oversized), nil, imagesv1alpha1.ReasonInvalidImage,
			[]string{"spec.image.artifactRef", "rule size-bytes", fmt.Sprintf("is %d bytes", info.Size)}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := sim.Stats()
			ir := waitTerminal(t, createRequest(t, fmt.Sprintf("art-in-refused-%d", i), editSpec("refused", tc.image, tc.mask)))
			if ir.Status.Phase != imagesv1alpha1.PhaseFailed || ir.Status.Reason != tc.reason || ir.Status.Attempts != 0 {
				t.Fatalf("%s %s after %d attempts: %s, want Failed %s", ir.Status.Phase, ir.Status.Reason, ir.Status.Attempts, ir.Status.Message, tc.reason)
			}
			for _, w := range tc.want {
				if !strings.Contains(ir.Status.Message, w) {
					t.Errorf("message %q lacks %q", ir.Status.Message, w)
				}
			}
			if after := sim.Stats(); after.Requests[dallesim.EndpointEdits] != before.Requests[dallesim.EndpointEdits] {
				t.Error("an upstream call was made")
			}
		})
	}
}

// TestEditFromS3Store: the same with the real S3 server: a result's uri is
// edited, another namespace's key refused.
func TestEditFromS3Store(t *testing.T) {
	begin(t)
	srv := useS3(t)
	bucket := srv.BucketURL()
	runManagerWithStore(t, bucket, artifacts.URLModeOperator)
	store := openStore(t, bucket)

	gen := waitTerminal(t, createRequest(t, "art-s3-gen", imagesv1alpha1.ImageRequestSpec{Prompt: "a harbour at dusk", Size: "256x256"}))
	if gen.Status.Phase != imagesv1alpha1.PhaseSucceeded || !strings.HasPrefix(gen.Status.Images[0].URI, "s3://") {
		t.Fatalf("generate: %s %s %+v", gen.Status.Phase, gen.Status.Message, gen.Status.Images)
	}
	mask := pngtest.PNG(256, 256, true, true)
	createConfigMap(t, "art-s3-mask", map[string][]byte{"mask.png": mask})
	ir := waitTerminal(t, createRequest(t, "art-s3-by-uri", editSpec("add a boat", artifactURI(gen.Status.Images[0].URI), cmRef("art-s3-mask", "mask.png"))))
	if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded {
		t.Fatalf("phase %s: %s", ir.Status.Phase, ir.Status.Message)
	}
	assertEditOf(t, resultBytes(t, gen, 0), mask, resultBytes(t, ir, 0))

	before := editCalls()
	other := putObject(t, store, "kube-system", pngtest.PNG(256, 256, true, true))
	refused := waitTerminal(t, createRequest(t, "art-s3-refused", editSpec("refused", artifactKey(other), nil)))
	if refused.Status.Phase != imagesv1alpha1.PhaseFailed || !strings.Contains(refused.Status.Message, "rule artifactKey") {
		t.Fatalf("%s: %s", refused.Status.Phase, refused.Status.Message)
	}
	if got := editCalls() - before; got != 0 {
		t.Errorf("%d edit calls, want 0", got)
	}
}

// TestArtifactRefWithoutStore: the suite's manager has no store; an
// artifactRef fails at once, saying what it needs, with no call.
func TestArtifactRefWithoutStore(t *testing.T) {
	begin(t)
	ir := waitTerminal(t, createRequest(t, "art-in-no-store", editSpec("no store", artifactKey("inputs/default/x/y/image.png"), nil)))
	if ir.Status.Phase != imagesv1alpha1.PhaseFailed || ir.Status.Reason != imagesv1alpha1.ReasonInvalidImage ||
		!strings.Contains(ir.Status.Message, "--artifact-bucket") || !strings.Contains(ir.Status.Message, "rule artifactStore") {
		t.Fatalf("%s %s: %s", ir.Status.Phase, ir.Status.Reason, ir.Status.Message)
	}
	if s := sim.Stats(); s.Requests[dallesim.EndpointEdits] != 0 || s.BillableRequests != 0 {
		t.Errorf("upstream calls: %+v", s)
	}
}

// forget removes a request the front door created, finalizer and all (no
// cleanup controller runs in these tests).
func forget(t *testing.T, namespace, name string) {
	t.Cleanup(func() {
		ctx := context.Background()
		ir := &imagesv1alpha1.ImageRequest{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
		_ = k8sClient.Patch(ctx, ir, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`)))
		_ = k8sClient.Delete(ctx, ir)
	})
}
