package controllers_test

import (
	"testing"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

// TestArtifactsGenerateAndEditEveryMode: a generate and an edit end with
// URLs that serve the exact bytes (sha256 and size as status says, Content-Type
// image/png) on every backend and URL mode the store supports: file:// with
// operator URLs, S3 with operator URLs and S3 with its own presigned URLs
// (fileblob cannot presign). Each request is paid once.
func TestArtifactsGenerateAndEditEveryMode(t *testing.T) {
	// Each case its own names: a deleted request lingers until the
	// finalizer has cleaned up after it.
	cases := map[string]struct {
		s3      bool
		urlMode string
		id      string
	}{
		"file operator": {urlMode: artifacts.URLModeOperator, id: "fo"},
		"s3 operator":   {s3: true, urlMode: artifacts.URLModeOperator, id: "so"},
		"s3 presigned":  {s3: true, urlMode: artifacts.URLModePresigned, id: "sp"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			begin(t)
			bucket, uriPrefix := fileBucket(t), ""
			var endpoint string
			if tc.s3 {
				srv := useS3(t)
				bucket, uriPrefix, endpoint = srv.BucketURL(), "s3://"+srv.Bucket+"/", srv.Endpoint+"/"
			} else {
				uriPrefix = bucket + "/"
			}
			base := runManagerWithStore(t, bucket, tc.urlMode)
			urlPrefix := base + artifacts.HandlerPrefix
			if tc.urlMode == artifacts.URLModePresigned {
				urlPrefix = endpoint
			}

			gen := waitTerminal(t, createRequest(t, "matrix-gen-"+tc.id, imagesv1alpha1.ImageRequestSpec{Prompt: "matrix generate " + name, N: 2, Size: "256x256"}))
			assertStoredImages(t, gen, 2, 256, uriPrefix, urlPrefix)

			input := pngtest.PNG(256, 256, true, true)
			createConfigMap(t, "matrix-input-"+tc.id, map[string][]byte{"image.png": input})
			edit := waitTerminal(t, createRequest(t, "matrix-edit-"+tc.id, imagesv1alpha1.ImageRequestSpec{
				Operation: imagesv1alpha1.OperationEdit, Prompt: "matrix edit " + name, Size: "256x256", Image: cmRef("matrix-input-"+tc.id, "image.png"),
			}))
			assertStoredImages(t, edit, 1, 256, uriPrefix, urlPrefix)

			for _, ir := range []*imagesv1alpha1.ImageRequest{gen, edit} {
				if calls := sim.CallsForPrompt(ir.Spec.Prompt); len(calls) != 1 || ir.Status.Attempts != 1 {
					t.Errorf("%s: upstream calls %d, attempts %d, want 1 and 1", ir.Name, len(calls), ir.Status.Attempts)
				}
			}
		})
	}
}
