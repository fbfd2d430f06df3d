package imagerequests

import (
	"context"
	"errors"
	"testing"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// TestCreateEditWritesTheInputFirst drives create against a fake API
// server that can fail each step: the input Secret exists before the
// ImageRequest that refers to it, ends owned by it, and a request that
// cannot be created leaves no Secret.
func TestCreateEditWritesTheInputFirst(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := imagesv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	boom := apierrors.NewForbidden(schema.GroupResource{Group: imagesv1alpha1.GroupVersion.Group, Resource: "imagerequests"}, "", errors.New("denied by a policy"))
	cases := []struct {
		name         string
		failRequest  bool
		failPatch    bool
		wantErr      bool
		wantRequests int
		wantSecrets  int
		wantOwned    bool
		wantLogged   bool
	}{
		{name: "ok", wantRequests: 1, wantSecrets: 1, wantOwned: true},
		{name: "the request cannot be created", failRequest: true, wantErr: true},
		{name: "the owner cannot be set", failPatch: true, wantRequests: 1, wantSecrets: 1, wantLogged: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var secretBeforeRequest bool
			c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
				Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
					if ir, ok := obj.(*imagesv1alpha1.ImageRequest); ok {
						var s corev1.Secret
						ref := ir.Spec.Image.SecretKeyRef
						secretBeforeRequest = c.Get(ctx, client.ObjectKey{Namespace: ir.Namespace, Name: ref.Name}, &s) == nil && len(s.Data[ref.Key]) > 0
						if tc.failRequest {
							return boom
						}
					}
					return c.Create(ctx, obj, opts...)
				},
				Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
					if tc.failPatch {
						return apierrors.NewServiceUnavailable("the API server is restarting")
					}
					return c.Patch(ctx, obj, patch, opts...)
				},
			}).Build()
			var logged []string
			s := &Service{client: c, log: funcr.New(func(_, args string) { logged = append(logged, args) }, funcr.Options{})}
			ir, err := s.Create(context.Background(), &Prepared{
				caller: &Caller{Username: "system:serviceaccount:team-a:agent"}, namespace: "team-a", via: "mcp/edit_image",
				params: Params{Prompt: "x", Size: "256x256"}, image: []byte("image"), mask: []byte("mask"),
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("create: %v, want error %v", err, tc.wantErr)
			}
			if !secretBeforeRequest {
				t.Error("the ImageRequest was created before its input Secret")
			}
			var irs imagesv1alpha1.ImageRequestList
			var secrets corev1.SecretList
			if err := c.List(context.Background(), &irs); err != nil {
				t.Fatal(err)
			}
			if err := c.List(context.Background(), &secrets); err != nil {
				t.Fatal(err)
			}
			if len(irs.Items) != tc.wantRequests || len(secrets.Items) != tc.wantSecrets {
				t.Fatalf("%d ImageRequests and %d Secrets left, want %d and %d", len(irs.Items), len(secrets.Items), tc.wantRequests, tc.wantSecrets)
			}
			if tc.wantSecrets == 0 {
				return
			}
			secret := secrets.Items[0]
			if ir == nil || ir.Spec.Image.SecretKeyRef.Name != secret.Name || ir.Spec.Mask.SecretKeyRef.Name != secret.Name {
				t.Fatalf("request %+v does not refer to Secret %s", ir, secret.Name)
			}
			if secret.Immutable == nil || !*secret.Immutable || string(secret.Data[secretKeyImage]) != "image" || string(secret.Data[secretKeyMask]) != "mask" {
				t.Errorf("Secret %+v", secret)
			}
			owned := len(secret.OwnerReferences) == 1 && secret.OwnerReferences[0].UID == ir.UID &&
				secret.OwnerReferences[0].Name == ir.Name && secret.OwnerReferences[0].Kind == "ImageRequest" &&
				secret.OwnerReferences[0].Controller != nil && *secret.OwnerReferences[0].Controller
			if owned != tc.wantOwned {
				t.Errorf("owner references %+v, want owned by %s: %v", secret.OwnerReferences, ir.Name, tc.wantOwned)
			}
			_, pending := secret.Labels[labelInputPending]
			if tc.wantOwned && (pending || secret.Labels[labelInputFor] != ir.Name) {
				t.Errorf("labels %v, want %s=%s and no %s", secret.Labels, labelInputFor, ir.Name, labelInputPending)
			}
			if !tc.wantOwned && !pending {
				t.Errorf("labels %v: an unowned Secret must keep %s so it can be found", secret.Labels, labelInputPending)
			}
			if got := len(logged) > 0; got != tc.wantLogged {
				t.Errorf("logged %q, want a log: %v", logged, tc.wantLogged)
			}
		})
	}
}
