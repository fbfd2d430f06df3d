package storetest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/rest"
	"github.com/imagegen/imagegen-operator/mcp"
)

// storedRequest generates one image and returns the tool's result and the
// request as the API server has it.
func storedRequest(t *testing.T, s *sdkmcp.ClientSession) (*sdkmcp.CallToolResult, *imagesv1alpha1.ImageRequest) {
	t.Helper()
	res := call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "a kept lighthouse"), "size": fastSize})
	out := structured(t, res)
	if out.Phase != string(imagesv1alpha1.PhaseSucceeded) {
		t.Fatalf("generate_image ended %s", out.Phase)
	}
	var ir imagesv1alpha1.ImageRequest
	if err := k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: out.Name}, &ir); err != nil {
		t.Fatal(err)
	}
	if len(ir.Status.Images) != 1 || ir.Status.Images[0].URI == "" || len(ir.Status.Images[0].SHA256) != 64 {
		t.Fatalf("status images %+v, want one stored image", ir.Status.Images)
	}
	return res, &ir
}

// assertServes checks that url serves exactly the image status describes.
func assertServes(t *testing.T, what, url string, img imagesv1alpha1.GeneratedImage) {
	t.Helper()
	got := fetch(t, url)
	if got.status != http.StatusOK || got.contentType != img.ContentType || got.sha256 != img.SHA256 {
		t.Errorf("%s: GET %s = %d %s sha256 %s, want 200 %s sha256 %s", what, url, got.status, got.contentType, got.sha256, img.ContentType, img.SHA256)
	}
}

// TestGenerateLinksEachStoredImage: the creating tool's result describes
// the stored copy and links it as a resource with its type and size.
func TestGenerateLinksEachStoredImage(t *testing.T) {
	res, ir := storedRequest(t, connect(t, agentToken))
	st := ir.Status.Images[0]
	want := "imagerequest://" + ns + "/" + ir.Name + "/images/0"
	var link *sdkmcp.ResourceLink
	for _, c := range res.Content {
		if l, ok := c.(*sdkmcp.ResourceLink); ok && l.URI == want {
			link = l
		}
	}
	if link == nil || link.MIMEType != "image/png" || link.Size == nil || *link.Size != st.Bytes {
		t.Fatalf("resource_link of image 0 = %+v, want %s, image/png, %d bytes; content %+v", link, want, st.Bytes, res.Content)
	}
	img := structured(t, res).Images[0]
	if img.Resource != want || img.URI != st.URI || img.SHA256 != st.SHA256 || img.Bytes != st.Bytes || img.ContentType != "image/png" ||
		img.Width != int(st.Width) || img.Height != int(st.Height) || img.Width != 256 {
		t.Errorf("structured image %+v, want the stored copy %+v", img, st)
	}
	assertServes(t, "generate_image", img.URL, st)
}

// TestEveryReadSignsAFreshURL: two reads a second apart (get_image_request,
// then REST GET) hand out different URLs expiring later, both serving the
// exact bytes status describes.
func TestEveryReadSignsAFreshURL(t *testing.T) {
	s := connect(t, agentToken)
	_, ir := storedRequest(t, s)
	st := ir.Status.Images[0]

	get := func() imageOut {
		out := structured(t, call(t, s, mcp.ToolGetImageRequest, map[string]any{"name": ir.Name}))
		if len(out.Images) != 1 {
			t.Fatalf("get_image_request images %+v", out.Images)
		}
		return out.Images[0]
	}
	first := get()
	time.Sleep(1100 * time.Millisecond) // URLs expire on whole seconds
	second := get()
	if first.URL == second.URL || !parseTime(t, "expiresAt", second.ExpiresAt).After(parseTime(t, "expiresAt", first.ExpiresAt)) {
		t.Errorf("get_image_request twice: %s (expires %s) then %s (expires %s), want a fresh URL expiring later",
			first.URL, first.ExpiresAt, second.URL, second.ExpiresAt)
	}
	assertServes(t, "first get_image_request", first.URL, st)
	assertServes(t, "second get_image_request", second.URL, st)

	type restImage struct {
		URL         string `json:"url"`
		ExpiresAt   string `json:"expires_at"`
		URI         string `json:"uri"`
		ContentType string `json:"content_type"`
		Bytes       int64  `json:"bytes"`
		SHA256      string `json:"sha256"`
		Width       int32  `json:"width"`
		Height      int32  `json:"height"`
	}
	restGet := func() restImage {
		var body struct {
			ImageURLs []string    `json:"image_urls"`
			Images    []restImage `json:"images"`
		}
		if code := getREST(t, agentToken, rest.PathImageRequests+ns+"/"+ir.Name, &body); code != http.StatusOK || len(body.Images) != 1 ||
			body.ImageURLs[0] != body.Images[0].URL {
			t.Fatalf("REST GET = %d %+v", code, body)
		}
		return body.Images[0]
	}
	r1 := restGet()
	time.Sleep(1100 * time.Millisecond)
	r2 := restGet()
	if r1.URL == r2.URL || !parseTime(t, "expires_at", r2.ExpiresAt).After(parseTime(t, "expires_at", r1.ExpiresAt)) {
		t.Errorf("REST GET twice: %s (expires %s) then %s (expires %s), want a fresh URL expiring later", r1.URL, r1.ExpiresAt, r2.URL, r2.ExpiresAt)
	}
	if r2.URI != st.URI || r2.SHA256 != st.SHA256 || r2.Bytes != st.Bytes || r2.ContentType != st.ContentType || r2.Width != st.Width || r2.Height != st.Height {
		t.Errorf("REST image %+v, want the stored copy %+v", r2, st)
	}
	assertServes(t, "first REST GET", r1.URL, st)
	assertServes(t, "second REST GET", r2.URL, st)
}

// TestReadImageResource: resources/read of an image returns its bytes as a
// blob; an index past the images, a caller without rights and a request
// still running are refused, each saying why.
func TestReadImageResource(t *testing.T) {
	s := connect(t, agentToken)
	_, ir := storedRequest(t, s)
	st := ir.Status.Images[0]
	ctx := context.Background()
	uri := "imagerequest://" + ns + "/" + ir.Name + "/images/0"

	res, err := s.ReadResource(ctx, &sdkmcp.ReadResourceParams{URI: uri})
	if err != nil {
		t.Fatalf("reading %s: %v", uri, err)
	}
	if len(res.Contents) != 1 || res.Contents[0].URI != uri || res.Contents[0].MIMEType != "image/png" || sha256Hex(res.Contents[0].Blob) != st.SHA256 {
		t.Fatalf("contents of %s: %d items, first %s %s, want one image/png blob with sha256 %s", uri, len(res.Contents), res.Contents[0].URI, res.Contents[0].MIMEType, st.SHA256)
	}

	past := "imagerequest://" + ns + "/" + ir.Name + "/images/7"
	_, err = s.ReadResource(ctx, &sdkmcp.ReadResourceParams{URI: past})
	var rpcErr *jsonrpc.Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != jsonrpc.CodeInvalidParams || !strings.Contains(rpcErr.Message, "image 7 does not exist") ||
		!strings.Contains(string(rpcErr.Data), `"field":"index"`) || !strings.Contains(string(rpcErr.Data), `"rule":"maximum"`) {
		t.Errorf("reading %s: %v (data %s), want invalid params naming index and rule maximum", past, err, dataOf(rpcErr))
	}

	if _, err := connect(t, nobodyToken).ReadResource(ctx, &sdkmcp.ReadResourceParams{URI: uri}); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("reading %s without get rights: %v, want forbidden", uri, err)
	}

	running := structured(t, call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "still painting"), "size": slowSize, "wait_seconds": 0}))
	early := running.URI + "/images/0"
	if _, err := s.ReadResource(ctx, &sdkmcp.ReadResourceParams{URI: early}); err == nil || !strings.Contains(err.Error(), "it has no images yet") {
		t.Errorf("reading %s before it succeeded: %v, want a no-images-yet refusal", early, err)
	}
}

func dataOf(e *jsonrpc.Error) string {
	if e == nil {
		return ""
	}
	return string(e.Data)
}
