package localenv

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/manager"
	"github.com/imagegen/imagegen-operator/internal/models"
)

// TestControlPlaneSmoke proves the toolchain: the API server built from
// source starts, stores an object, and serves the ImageRequest CRD with its
// defaults applied.
func TestControlPlaneSmoke(t *testing.T) {
	cp, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Error(err)
		}
	})
	c, err := client.New(cp.Config, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "smoke", Namespace: "default"}, Data: map[string]string{"k": "v"}}
	if err := c.Create(ctx, cm); err != nil {
		t.Fatalf("creating ConfigMap: %v", err)
	}
	var got corev1.ConfigMap
	if err := c.Get(ctx, client.ObjectKeyFromObject(cm), &got); err != nil {
		t.Fatalf("reading ConfigMap: %v", err)
	}
	if got.Data["k"] != "v" {
		t.Fatalf("ConfigMap data = %v, want k=v", got.Data)
	}

	ir := &imagesv1alpha1.ImageRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "smoke", Namespace: "default"},
		Spec:       imagesv1alpha1.ImageRequestSpec{Prompt: "a lighthouse"},
	}
	if err := c.Create(ctx, ir); err != nil {
		t.Fatalf("creating ImageRequest: %v", err)
	}
	if ir.Spec.Operation != imagesv1alpha1.OperationGenerate || ir.Spec.N != 1 {
		t.Fatalf("defaults not applied: %+v", ir.Spec)
	}
	// No model or size default in the schema: an unset model means the
	// operator's --default-model, and the size that model's default.
	if ir.Spec.Model != "" || ir.Spec.Size != "" {
		t.Fatalf("model %q, size %q defaulted by the CRD; want both left to the operator", ir.Spec.Model, ir.Spec.Size)
	}
}

// TestDeployManifests: config/default renders with kustomize and every
// object in it is accepted by a real API server (server-side dry run), so
// `make deploy` cannot ship a manifest the cluster refuses.
func TestDeployManifests(t *testing.T) {
	cp, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop() })
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, cp.Env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	kubectl := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(AssetsDir(), "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
		cmd.Dir = RepoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// Namespaced objects can't be dry-run into a namespace that doesn't exist.
	kubectl("create", "namespace", "imagegen-system")
	out := kubectl("apply", "--server-side", "--force-conflicts", "--dry-run=server", "-k", "config/default")
	for _, want := range []string{"deployment.apps/imagegen-controller-manager", "service/imagegen-mcp", "clusterrole.rbac.authorization.k8s.io/imagegen-user "} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "imagegen-imagegen-") {
		t.Errorf("a name got the prefix twice:\n%s", out)
	}
	// The Deployment's arguments are flags the manager has, and its model
	// flags make a policy the manager starts with: gpt-image-2 by default,
	// no retired model declared served (api.openai.com serves none).
	opts := parseManagerArgs(t, kubectl("kustomize", "config/default"))
	if opts.DefaultModel != models.GPTImage2 || len(opts.ServeRetiredModels) != 0 {
		t.Errorf("config/default: --default-model %q, --serve-retired-models %v; want gpt-image-2 and none", opts.DefaultModel, opts.ServeRetiredModels)
	}
	if _, err := models.NewPolicy(opts.DefaultModel, opts.ServeRetiredModels); err != nil {
		t.Errorf("config/default: the manager would refuse to start: %v", err)
	}
	// The artifact-store overlay (config/default plus the component) is
	// accepted too, and its Deployment carries the store's flags, the
	// bucket from the ConfigMap and the signing keys as a directory.
	withStore := kubectl("apply", "--server-side", "--force-conflicts", "--dry-run=server", "-k", "config/overlays/artifact-store")
	for _, want := range []string{"deployment.apps/imagegen-controller-manager", "configmap/imagegen-artifacts "} {
		if !strings.Contains(withStore, want) {
			t.Errorf("artifact-store overlay dry run lacks %s:\n%s", want, withStore)
		}
	}
	rendered := kubectl("kustomize", "config/overlays/artifact-store")
	if withStoreOpts := parseManagerArgs(t, rendered); withStoreOpts.Artifacts.Bucket == "" || withStoreOpts.DefaultModel != models.GPTImage2 {
		t.Errorf("artifact-store overlay: bucket %q, default model %q; want a bucket (the GPT image models need it) and gpt-image-2",
			withStoreOpts.Artifacts.Bucket, withStoreOpts.DefaultModel)
	}
	for _, want := range []string{
		"--artifact-bucket=$(ARTIFACT_BUCKET)", "--artifact-signing-key-file=/var/run/secrets/artifact-signing",
		"secretName: imagegen-artifact-signing-key", "name: imagegen-artifact-s3",
	} {
		if !strings.Contains(rendered, want) {
			t.Errorf("artifact-store overlay lacks %q", want)
		}
	}

	// The sample user role applied alone has the name the docs tell admins
	// to bind.
	alone := kubectl("apply", "--server-side", "--dry-run=server", "-f", "config/rbac/user/imagegen_user_role.yaml")
	if !strings.Contains(alone, "clusterrole.rbac.authorization.k8s.io/imagegen-user ") {
		t.Errorf("config/rbac/user/imagegen_user_role.yaml applied alone: %s, want the ClusterRole imagegen-user", alone)
	}
}

// parseManagerArgs finds the manager container of the Deployment in a
// rendered kustomization and parses its arguments with the manager's own
// flags (as cmd/ does), so an unknown flag or a bad value fails here rather
// than in a crash-looping pod.
func parseManagerArgs(t *testing.T, rendered string) manager.Options {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(rendered), 4096)
	for {
		var obj unstructured.Unstructured
		if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding the rendered manifests: %v", err)
		}
		if obj.GetKind() != "Deployment" {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
		for _, c := range containers {
			container, _ := c.(map[string]any)
			if container["name"] != "manager" {
				continue
			}
			args, _, _ := unstructured.NestedStringSlice(container, "args")
			var opts manager.Options
			fs := flag.NewFlagSet("manager", flag.ContinueOnError)
			opts.BindFlags(fs)
			zapOpts := zap.Options{}
			zapOpts.BindFlags(fs)
			if err := fs.Parse(args); err != nil {
				t.Fatalf("the manager's arguments %q do not parse: %v", args, err)
			}
			return opts
		}
	}
	t.Fatalf("no Deployment with a manager container in:\n%s", rendered)
	return manager.Options{}
}
