package imagerequests

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// TestCreateWithStore: with a store, an edit's inputs are uploaded before
// the request, which names them and carries the artifacts finalizer (so do
// generate requests), additional images each under a key with their own
// format's extension; a request that cannot be created leaves nothing in
// the bucket. Without a store no finalizer is set.
func TestCreateWithStore(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := imagesv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	store, err := artifacts.Open(context.Background(), "file://"+filepath.ToSlash(t.TempDir()), artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	image, mask := pngtest.PNG(64, 64, true, false), pngtest.PNG(64, 64, true, true)
	additional := [][]byte{pngtest.WebP(32, 48), pngtest.JPEG(40, 40)}
	boom := apierrors.NewForbidden(schema.GroupResource{Group: imagesv1alpha1.GroupVersion.Group, Resource: "imagerequests"}, "", errors.New("denied by a policy"))

	for _, fail := range []bool{false, true} {
		var seen *imagesv1alpha1.ImageRequest
		c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
			Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
				ir := obj.(*imagesv1alpha1.ImageRequest)
				// The inputs are in the store before the request exists.
				for _, src := range inputSources(ir) {
					if _, err := store.Stat(ctx, src.ArtifactRef.Key); err != nil {
						t.Errorf("creating the request before its input: %v", err)
					}
				}
				seen = ir.DeepCopy()
				if fail {
					return boom
				}
				return c.Create(ctx, obj, opts...)
			},
		}).Build()
		s := New(Config{Client: c, Artifacts: artifacts.Access{Store: store}, Log: logr.Discard()})
		_, err := s.Create(context.Background(), &Prepared{caller: &Caller{Username: "alice"}, namespace: "team-a", params: Params{Prompt: "x", Model: "gpt-image-2"}, image: image, mask: mask, additional: additional})
		if fail != (err != nil) {
			t.Fatalf("fail=%v: err %v", fail, err)
		}
		if !strings.HasPrefix(seen.Name, "edit-") || seen.GenerateName != "" || len(seen.Finalizers) != 1 || seen.Finalizers[0] != imagesv1alpha1.FinalizerArtifacts {
			t.Errorf("request %q (generateName %q) finalizers %v", seen.Name, seen.GenerateName, seen.Finalizers)
		}
		for _, src := range inputSources(seen) {
			if k := src.ArtifactRef.Key; !strings.HasPrefix(k, "inputs/team-a/"+seen.Name+"/") {
				t.Errorf("input key %q is not under inputs/team-a/%s/", k, seen.Name)
			}
		}
		if got := len(seen.Spec.AdditionalImages); got != 2 {
			t.Fatalf("spec.additionalImages has %d entries, want 2", got)
		}
		for i, want := range []string{"/image-1.webp", "/image-2.jpg"} {
			k := seen.Spec.AdditionalImages[i].ArtifactRef.Key
			if !strings.HasSuffix(k, want) {
				t.Errorf("additional image %d key %q, want one ending in %s", i, k, want)
			}
			if got, err := store.ReadAll(context.Background(), k); !fail && (err != nil || !bytes.Equal(got, additional[i])) {
				t.Errorf("additional image %d read back: %v, equal %v", i, err, bytes.Equal(got, additional[i]))
			}
		}
		keys, err := store.List(context.Background(), "inputs/team-a/"+seen.Name+"/")
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 4, true: 0}[fail]; len(keys) != want {
			t.Errorf("fail=%v: %d objects stored (%v), want %d", fail, len(keys), keys, want)
		}
	}

	for _, withStore := range []bool{true, false} {
		c := fake.NewClientBuilder().WithScheme(scheme).Build()
		cfg := Config{Client: c, Log: logr.Discard()}
		if withStore {
			cfg.Artifacts = artifacts.Access{Store: store}
		}
		ir, err := New(cfg).Create(context.Background(), &Prepared{caller: &Caller{Username: "alice"}, namespace: "team-a", params: Params{Prompt: "x", Model: "dall-e-2"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(ir.Finalizers) == 1 && ir.Finalizers[0] == imagesv1alpha1.FinalizerArtifacts; got != withStore {
			t.Errorf("generate with store=%v: finalizers %v", withStore, ir.Finalizers)
		}
	}
}

// inputSources are the artifact sources of an edit: image, mask and the
// additional images.
func inputSources(ir *imagesv1alpha1.ImageRequest) []*imagesv1alpha1.ImageSource {
	out := []*imagesv1alpha1.ImageSource{ir.Spec.Image, ir.Spec.Mask}
	for i := range ir.Spec.AdditionalImages {
		out = append(out, &ir.Spec.AdditionalImages[i])
	}
	return out
}
