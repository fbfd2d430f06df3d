package imagerequests

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"image"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// shallowReader hands out copies that share their slices with the object
// it holds, as a cache read without a deep copy would: whatever a read
// path writes into status.images lands in the "cache".
type shallowReader struct{ shared *imagesv1alpha1.ImageRequest }

func (r shallowReader) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	*obj.(*imagesv1alpha1.ImageRequest) = *r.shared
	return nil
}

func (r shallowReader) List(_ context.Context, list client.ObjectList, _ ...client.ListOption) error {
	list.(*imagesv1alpha1.ImageRequestList).Items = []imagesv1alpha1.ImageRequest{*r.shared}
	return nil
}

// authorizer allows everything, or denies everything with deny set.
type authorizer struct{ deny bool }

func (a authorizer) Authorize(_ context.Context, _ *Caller, verb, namespace, name string) error {
	if a.deny {
		return &ForbiddenError{User: "u", Verb: verb, Namespace: namespace, Name: name}
	}
	return nil
}

const staleURL = "http://op.example/artifacts/stale"

// storedRequest opens a file:// store, writes one 4×4 PNG result into it and
// returns the store's access (operator URLs valid for ttl) and a Succeeded
// request whose status describes the image with a stale URL.
func storedRequest(t *testing.T, ttl time.Duration) (artifacts.Access, *imagesv1alpha1.ImageRequest, []byte) {
	t.Helper()
	ctx := context.Background()
	store, err := artifacts.Open(ctx, "file://"+filepath.ToSlash(t.TempDir()), artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	objs, err := store.PutResult(ctx, artifacts.Ref{Namespace: "team-a", Name: "generate-x", UID: "u1"}, 1, [][]byte{buf.Bytes()}, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	signer, err := artifacts.NewSigner(artifacts.SigningKey{ID: "k1", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	o := objs[0]
	old := metav1.NewTime(time.Now().Add(time.Minute).Truncate(time.Second))
	ir := &imagesv1alpha1.ImageRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "generate-x", UID: "u1"},
		Status: imagesv1alpha1.ImageRequestStatus{Phase: imagesv1alpha1.PhaseSucceeded, Images: []imagesv1alpha1.GeneratedImage{{
			URL: staleURL, ExpiresAt: &old, URI: o.URI, ContentType: o.ContentType, Bytes: o.Bytes, SHA256: o.SHA256, Width: 4, Height: 4,
		}}},
	}
	return artifacts.Access{Store: store, URLs: artifacts.OperatorURLs{Signer: signer, BaseURL: "http://op.example", TTL: ttl}}, ir, buf.Bytes()
}

// TestReadsHandOutFreshURLsOnACopy: Get, List and Await hand out a URL
// signed now for each stored image and leave the cached object's stale URL
// as it was.
func TestReadsHandOutFreshURLsOnACopy(t *testing.T) {
	access, cached, _ := storedRequest(t, time.Hour)
	s := &Service{reader: shallowReader{cached}, authz: authorizer{}, artifacts: access, hub: newHub()}
	ctx := context.Background()
	check := func(what string, ir *imagesv1alpha1.ImageRequest) {
		t.Helper()
		img := ir.Status.Images[0]
		if img.URL == staleURL || !strings.HasPrefix(img.URL, "http://op.example/artifacts/") {
			t.Errorf("%s: url %q, want a freshly signed operator URL", what, img.URL)
		}
		if img.ExpiresAt == nil || time.Until(img.ExpiresAt.Time) < time.Hour-5*time.Second {
			t.Errorf("%s: expiresAt %v, want about an hour from now", what, img.ExpiresAt)
		}
		if got := cached.Status.Images[0]; got.URL != staleURL || time.Until(got.ExpiresAt.Time) > 2*time.Minute {
			t.Fatalf("%s changed the cached object: %+v", what, got)
		}
	}
	ir, err := s.Get(ctx, &Caller{}, "team-a", "generate-x")
	if err != nil {
		t.Fatal(err)
	}
	check("Get", ir)
	items, err := s.List(ctx, &Caller{}, "team-a")
	if err != nil || len(items) != 1 {
		t.Fatalf("List = %d items, %v", len(items), err)
	}
	check("List", &items[0])
	out, err := s.Await(ctx, cached, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("Await", out.Request)
}

// TestReadsWithoutAStoreKeepStatusURLs: without a store the URL in status
// (the upstream's) is what callers get.
func TestReadsWithoutAStoreKeepStatusURLs(t *testing.T) {
	_, cached, _ := storedRequest(t, time.Hour)
	s := &Service{reader: shallowReader{cached}, authz: authorizer{}}
	ir, err := s.Get(context.Background(), &Caller{}, "team-a", "generate-x")
	if err != nil || ir.Status.Images[0].URL != staleURL {
		t.Fatalf("Get = %v, %v; want the status URL %s", ir, err, staleURL)
	}
}

// TestReadsRefuseWhatTheyCannotSign: a URL that cannot be signed fails the
// read with the image and request named, instead of handing out a stale URL.
func TestReadsRefuseWhatTheyCannotSign(t *testing.T) {
	access, cached, _ := storedRequest(t, 0) // OperatorURLs refuses a TTL of 0
	s := &Service{reader: shallowReader{cached}, authz: authorizer{}, artifacts: access}
	_, err := s.Get(context.Background(), &Caller{}, "team-a", "generate-x")
	if err == nil || !strings.Contains(err.Error(), "signing a URL for image 0 of ImageRequest team-a/generate-x") {
		t.Fatalf("Get error = %v, want the signing failure in context", err)
	}
}

// bigStore says every object is larger than ReadImage returns.
type bigStore struct{ ArtifactStore }

func (b bigStore) Stat(ctx context.Context, key string) (artifacts.Info, error) {
	info, err := b.ArtifactStore.Stat(ctx, key)
	info.Size = MaxImageReadBytes + 1
	return info, err
}

func (b bigStore) ReadAll(context.Context, string) ([]byte, error) {
	return nil, errors.New("ReadAll called for an object over the limit")
}

func TestReadImage(t *testing.T) {
	ctx := context.Background()
	access, cached, want := storedRequest(t, time.Hour)
	s := &Service{reader: shallowReader{cached}, authz: authorizer{}, artifacts: access}

	img, err := s.ReadImage(ctx, &Caller{}, "team-a", "generate-x", 0)
	if err != nil || !bytes.Equal(img.Data, want) || img.ContentType != "image/png" {
		t.Fatalf("ReadImage(0) = %+v, %v; want the stored PNG", img, err)
	}

	var ie *InputError
	if _, err := s.ReadImage(ctx, &Caller{}, "team-a", "generate-x", 7); !errors.As(err, &ie) || ie.Field != "index" || ie.Rule != rules.Maximum ||
		!strings.Contains(ie.Message, "has 1 image(s)") {
		t.Errorf("ReadImage(7) error = %v, want an index/maximum input error", err)
	}

	denied := &Service{reader: shallowReader{cached}, authz: authorizer{deny: true}}
	var fe *ForbiddenError
	if _, err := denied.ReadImage(ctx, &Caller{}, "team-a", "generate-x", 0); !errors.As(err, &fe) || fe.Verb != "get" {
		t.Errorf("ReadImage as a caller without get = %v, want forbidden before anything else", err)
	}

	noStore := &Service{reader: shallowReader{cached}, authz: authorizer{}}
	if _, err := noStore.ReadImage(ctx, &Caller{}, "team-a", "generate-x", 0); !errors.Is(err, ErrNoArtifactStore) {
		t.Errorf("ReadImage without a store = %v, want ErrNoArtifactStore", err)
	}

	running := cached.DeepCopy()
	running.Status.Phase, running.Status.Images = imagesv1alpha1.PhaseRunning, nil
	var nie *NoImagesError
	_, err = (&Service{reader: shallowReader{running}, authz: authorizer{}, artifacts: access}).ReadImage(ctx, &Caller{}, "team-a", "generate-x", 0)
	if !errors.As(err, &nie) || !strings.Contains(err.Error(), "is Running: it has no images yet") {
		t.Errorf("ReadImage of a running request = %v, want a NoImagesError", err)
	}

	unstored := cached.DeepCopy()
	unstored.Status.Images[0].URI = ""
	_, err = (&Service{reader: shallowReader{unstored}, authz: authorizer{}, artifacts: access}).ReadImage(ctx, &Caller{}, "team-a", "generate-x", 0)
	if !errors.As(err, &nie) || !nie.Unstored {
		t.Errorf("ReadImage of an image kept only upstream = %v, want an unstored NoImagesError", err)
	}

	big := &Service{reader: shallowReader{cached}, authz: authorizer{}, artifacts: bigStore{access}}
	if _, err := big.ReadImage(ctx, &Caller{}, "team-a", "generate-x", 0); err == nil || !strings.Contains(err.Error(), "download it from its URL") {
		t.Errorf("ReadImage of an image over the limit = %v, want a refusal pointing at the URL", err)
	}

	tampered := cached.DeepCopy()
	tampered.Status.Images[0].SHA256 = strings.Repeat("0", 64)
	_, err = (&Service{reader: shallowReader{tampered}, authz: authorizer{}, artifacts: access}).ReadImage(ctx, &Caller{}, "team-a", "generate-x", 0)
	if err == nil || !strings.Contains(err.Error(), "do not match the sha256") {
		t.Errorf("ReadImage of bytes status does not describe = %v, want a mismatch error", err)
	}
}
