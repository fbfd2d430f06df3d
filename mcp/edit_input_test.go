package mcp_test

import (
	"context"
	"strings"
	"testing"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/internal/manager"
	"github.com/imagegen/imagegen-operator/mcp"
)

// TestEditNeverWaitsForInput: the input Secret exists before the
// ImageRequest, so neither the call's progress nor any status the request
// ever had says WaitingForInput, and the Secret ends owned by the request
// (garbage-collected with it) and no longer marked pending.
func TestEditNeverWaitsForInput(t *testing.T) {
	wc, err := client.NewWithWatch(restConfig, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Every status from creation on: the watch starts before the call.
	w, err := wc.Watch(ctx, &imagesv1alpha1.ImageRequestList{}, client.InNamespace(nsA))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	s := agent(t)
	prompt := uniquePrompt(t, "a door in the wall")
	res, err := s.CallTool(ctx, &sdkmcp.CallToolParams{
		Name: mcp.ToolEditImage,
		Arguments: map[string]any{"prompt": prompt, "size": slowSize,
			"image": b64(pngtest.PNG(64, 64, true, true)), "mask": b64(pngtest.PNG(64, 64, true, true))},
		Meta: sdkmcp.Meta{"progressToken": "edit"},
	})
	if err != nil || res.IsError {
		t.Fatalf("%v %s", err, text(res))
	}
	out := structured(t, res)
	name := out["name"].(string)
	if out["phase"] != string(imagesv1alpha1.PhaseSucceeded) {
		t.Fatalf("result %v", out)
	}

	for _, p := range s.progressSeen() {
		if strings.Contains(p.Message, imagesv1alpha1.ReasonWaitingForInput) {
			t.Errorf("progress: %q", p.Message)
		}
	}
	var statuses int
	for succeeded := false; !succeeded; {
		select {
		case ev := <-w.ResultChan():
			ir, ok := ev.Object.(*imagesv1alpha1.ImageRequest)
			if !ok || ir.Name != name || ev.Type == watch.Deleted {
				continue
			}
			statuses++
			if ir.Status.Reason == imagesv1alpha1.ReasonWaitingForInput || strings.Contains(ir.Status.Message, "not found") {
				t.Errorf("status %s: %s", ir.Status.Reason, ir.Status.Message)
			}
			succeeded = ir.Status.Phase == imagesv1alpha1.PhaseSucceeded
		case <-ctx.Done():
			t.Fatalf("the watch never showed %s succeed (%d statuses seen)", name, statuses)
		}
	}

	ir := getRequest(t, nsA, name)
	var secret corev1.Secret
	if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: nsA, Name: ir.Spec.Image.SecretKeyRef.Name}, &secret); err != nil {
		t.Fatal(err)
	}
	if refs := secret.OwnerReferences; len(refs) != 1 || refs[0].UID != ir.UID || refs[0].Kind != "ImageRequest" || refs[0].Controller == nil || !*refs[0].Controller {
		t.Errorf("the Secret's owner references %+v, want the ImageRequest %s (uid %s) as controller", refs, name, ir.UID)
	}
	if _, pending := secret.Labels["images.imagegen.dev/input-pending"]; pending || secret.Labels["images.imagegen.dev/input-for"] != name {
		t.Errorf("the Secret's labels %v, want input-for %s and no input-pending", secret.Labels, name)
	}
	if secret.Immutable == nil || !*secret.Immutable {
		t.Error("the input Secret is not immutable")
	}
}
