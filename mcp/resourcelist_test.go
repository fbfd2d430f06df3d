package mcp_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/mcp"
)

// listAll pages through resources/list and returns every resource and
// the pages' sizes, checking what every page must be.
func listAll(t *testing.T, s *session) (all []*sdkmcp.Resource, pages []int) {
	t.Helper()
	cursor := ""
	for range 100 {
		res, err := s.ListResources(context.Background(), &sdkmcp.ListResourcesParams{Cursor: cursor})
		if err != nil {
			t.Fatalf("resources/list (cursor %q): %v", cursor, err)
		}
		if res.CacheScope != "private" {
			t.Errorf("resources/list cacheScope %q, want private: it lists one caller's requests", res.CacheScope)
		}
		all = append(all, res.Resources...)
		pages = append(pages, len(res.Resources))
		if cursor = res.NextCursor; cursor == "" {
			return all, pages
		}
	}
	t.Fatal("resources/list never ended")
	return nil, nil
}

// TestResourcesListPagesTheCallersRequests: resources/list shows the
// ImageRequests of the caller's namespace, newest first, 50 a page with an
// opaque cursor, on every protocol.
func TestResourcesListPagesTheCallersRequests(t *testing.T) {
	ctx := context.Background()
	prompt := uniquePrompt(t, "listed")
	var created []string
	for i := range 55 {
		ir := &imagesv1alpha1.ImageRequest{
			ObjectMeta: metav1.ObjectMeta{Namespace: nsA, GenerateName: "listed-"},
			Spec: imagesv1alpha1.ImageRequestSpec{Prompt: fmt.Sprintf("%s %d", prompt, i), N: 1, Size: fastSize,
				TTLSecondsAfterFinished: ptr.To[int32](60)},
		}
		if err := k8sClient.Create(ctx, ir); err != nil {
			t.Fatal(err)
		}
		created = append(created, ir.Name)
		t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), ir) })
	}
	inB := &imagesv1alpha1.ImageRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: nsB, GenerateName: "not-listed-"},
		Spec:       imagesv1alpha1.ImageRequestSpec{Prompt: prompt, N: 1, Size: fastSize, TTLSecondsAfterFinished: ptr.To[int32](60)},
	}
	if err := k8sClient.Create(ctx, inB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), inB) })

	for _, protocol := range []string{"", "2025-11-25"} {
		t.Run("protocol "+protocol, func(t *testing.T) {
			s := connect(t, mcpURL, agentToken, protocol)
			// The list is read from the informer: wait until it has them all.
			var all []*sdkmcp.Resource
			var pages []int
			missing := 0
			localenv.Eventually(t, "every request created to be listed", func() bool {
				all, pages = listAll(t, s)
				seen := map[string]bool{}
				for _, r := range all {
					seen[r.Name] = true
				}
				missing = 0
				for _, n := range created {
					if !seen[n] {
						missing++
					}
				}
				return missing == 0
			}, func() string {
				return fmt.Sprintf("%d of the %d requests created are not listed", missing, len(created))
			})
			if len(pages) < 2 || pages[0] != 50 {
				t.Errorf("pages of %v, want pages of 50", pages)
			}
			var list imagesv1alpha1.ImageRequestList
			if err := k8sClient.List(ctx, &list, client.InNamespace(nsA)); err != nil {
				t.Fatal(err)
			}
			createdAt := map[string]time.Time{}
			for _, ir := range list.Items {
				createdAt[ir.Name] = ir.CreationTimestamp.Time
			}
			seen := map[string]bool{}
			for i, r := range all {
				if seen[r.URI] {
					t.Errorf("%s listed twice", r.URI)
				}
				seen[r.URI] = true
				if r.URI != "imagerequest://"+nsA+"/"+r.Name || r.MIMEType != "application/json" || r.Title == "" {
					t.Errorf("resource %+v", r)
				}
				if strings.HasPrefix(r.Name, "not-listed-") {
					t.Errorf("%s of another namespace is listed", r.URI)
				}
				if i > 0 && createdAt[r.Name].After(createdAt[all[i-1].Name]) {
					t.Errorf("%s (created %s) after %s (created %s): not newest first", r.Name, createdAt[r.Name], all[i-1].Name, createdAt[all[i-1].Name])
				}
			}
			// What is listed can be read.
			if _, err := s.ReadResource(ctx, &sdkmcp.ReadResourceParams{URI: all[0].URI}); err != nil {
				t.Errorf("reading the first listed resource: %v", err)
			}
		})
	}
}

// TestResourceReadIsPrivate: a read is authorised for one caller, so its
// result must not be cached for others (cacheScope private, not the
// SDK's default public), on every protocol.
func TestResourceReadIsPrivate(t *testing.T) {
	s := agent(t)
	uri := structured(t, call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "private"), "size": fastSize}))["uri"].(string)
	for _, protocol := range []string{"", "2025-11-25"} {
		c := connect(t, mcpURL, agentToken, protocol)
		res, err := c.ReadResource(context.Background(), &sdkmcp.ReadResourceParams{URI: uri})
		if err != nil {
			t.Fatal(err)
		}
		if res.CacheScope != "private" {
			t.Errorf("protocol %q: cacheScope %q, want private", c.InitializeResult().ProtocolVersion, res.CacheScope)
		}
	}
}
