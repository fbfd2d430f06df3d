package controllers_test

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

func createConfigMap(t *testing.T, name string, data map[string][]byte) {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, BinaryData: data}
	if err := k8sClient.Create(t.Context(), cm); err != nil {
		t.Fatalf("creating ConfigMap %s: %v", name, err)
	}
	deleteAtCleanup(t, cm)
}

func createSecret(t *testing.T, name string, data map[string][]byte) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Data: data}
	if err := k8sClient.Create(t.Context(), s); err != nil {
		t.Fatalf("creating Secret %s: %v", name, err)
	}
	deleteAtCleanup(t, s)
}

func cmRef(name, key string) *imagesv1alpha1.ImageSource {
	return &imagesv1alpha1.ImageSource{ConfigMapKeyRef: &imagesv1alpha1.KeyReference{Name: name, Key: key}}
}

func secretRef(name, key string) *imagesv1alpha1.ImageSource {
	return &imagesv1alpha1.ImageSource{SecretKeyRef: &imagesv1alpha1.KeyReference{Name: name, Key: key}}
}

func decodeNRGBA(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decoding PNG: %v", err)
	}
	return img
}

// TestEdit: the result keeps the input wherever the area marker (the mask,
// or without one the image itself) is opaque, and changes the rest.
func TestEdit(t *testing.T) {
	begin(t)
	const px = 256
	opaque := pngtest.PNG(px, px, true, false)
	withHole := pngtest.PNG(px, px, true, true)
	cases := map[string]struct {
		image, mask, marker []byte
		useSecret           bool
	}{
		"image and mask from a ConfigMap": {image: opaque, mask: withHole, marker: withHole},
		"image only from a Secret":        {image: withHole, marker: withHole, useSecret: true},
	}
	i := 0
	for name, tc := range cases {
		i++
		t.Run(name, func(t *testing.T) {
			objName := "edit-input-" + string(rune('a'+i))
			data := map[string][]byte{"image.png": tc.image}
			if tc.mask != nil {
				data["mask.png"] = tc.mask
			}
			spec := imagesv1alpha1.ImageRequestSpec{Operation: imagesv1alpha1.OperationEdit, Prompt: "edit test " + name, Size: "256x256"}
			ref := cmRef
			if tc.useSecret {
				ref = secretRef
				createSecret(t, objName, data)
			} else {
				createConfigMap(t, objName, data)
			}
			spec.Image = ref(objName, "image.png")
			if tc.mask != nil {
				spec.Mask = ref(objName, "mask.png")
			}
			ir := waitTerminal(t, createRequest(t, "edit-"+string(rune('a'+i)), spec))
			if ir.Status.Phase != imagesv1alpha1.PhaseSucceeded || len(ir.Status.Images) != 1 || ir.Status.EstimatedCostUSD != "0.016" {
				t.Fatalf("phase=%s images=%d cost=%s (%s)", ir.Status.Phase, len(ir.Status.Images), ir.Status.EstimatedCostUSD, ir.Status.Message)
			}
			status, body := fetchPNG(t, ir.Status.Images[0].URL)
			if status != http.StatusOK {
				t.Fatalf("GET result = %d", status)
			}
			in, out, marker := decodeNRGBA(t, tc.image), decodeNRGBA(t, body), decodeNRGBA(t, tc.marker)
			changedInside := 0
			for y := 0; y < px; y++ {
				for x := 0; x < px; x++ {
					_, _, _, a := marker.At(x, y).RGBA()
					ir, ig, ib, _ := in.At(x, y).RGBA()
					or, og, ob, _ := out.At(x, y).RGBA()
					same := ir == or && ig == og && ib == ob
					if a == 0xffff && !same {
						t.Fatalf("pixel (%d,%d) outside the edit area changed", x, y)
					}
					if a == 0 && !same {
						changedInside++
					}
				}
			}
			if changedInside == 0 {
				t.Fatal("nothing inside the edit area changed")
			}
		})
	}
}
