package artifacts_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/internal/localenv"
)

// TestS3 runs the store against a real, SigV4-enforcing S3 server
// (SeaweedFS from localenv): results, manifest, ranged reads, a streamed
// input over the multipart threshold, a refused input that leaves nothing,
// presigned URLs fetched over HTTP (and refused when tampered), the
// operator's handler, and deletion.
func TestS3(t *testing.T) {
	srv := localenv.StartS3(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx := context.Background()
	// S3's smallest part, so the 6 MB input below is a multipart upload and
	// the refused one is aborted after its first part.
	s, err := artifacts.Open(ctx, srv.BucketURL(), artifacts.Options{CheckAccess: true, WriteBufferSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ref := artifacts.Ref{Namespace: "team-a", Name: "cat", UID: "0f8fad5b-d9cb-469f-a165-70867728950e"}

	images := [][]byte{padded(t, 1024, 1024, 3<<20), padded(t, 256, 128, 1000)}
	objs, err := s.PutResult(ctx, ref, 1, images, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range objs {
		want := "s3://" + srv.Bucket + "/" + artifacts.ResultKey(ref, 1, i, "image/png")
		if o.URI != want || o.SHA256 != sha(images[i]) || o.Bytes != int64(len(images[i])) {
			t.Errorf("object %d: %+v, want URI %s and the bytes' size and sha256", i, o, want)
		}
	}
	if objs[0].Width != 1024 || objs[1].Height != 128 {
		t.Errorf("dimensions %dx%d and %dx%d", objs[0].Width, objs[0].Height, objs[1].Width, objs[1].Height)
	}
	m, err := s.ReadManifest(ctx, ref, 1)
	if err != nil || len(m.Images) != 2 {
		t.Fatalf("manifest %+v, %v", m, err)
	}
	if _, err := s.ReadManifest(ctx, ref, 2); !errors.Is(err, artifacts.ErrIncomplete) {
		t.Fatalf("manifest of an unwritten attempt: %v, want ErrIncomplete", err)
	}
	key := objs[0].Key
	got, err := s.ReadAll(ctx, key)
	if err != nil || !bytes.Equal(got, images[0]) {
		t.Fatalf("read back: %v, equal %v", err, bytes.Equal(got, images[0]))
	}
	info, err := s.Stat(ctx, key)
	if err != nil || info.SHA256 != objs[0].SHA256 || info.ContentType != "image/png" {
		t.Fatalf("Stat: %+v, %v", info, err)
	}

	t.Run("presigned URL", func(t *testing.T) {
		u, expires, err := s.PresignedURL(ctx, key, 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Until(expires); d < 9*time.Minute || d > 10*time.Minute {
			t.Errorf("expires in %s, want about 10 min", d)
		}
		resp, body := artifacts.HTTPGet(t, u, nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, images[0]) {
			t.Fatalf("presigned GET: status %d, %d bytes, equal %v", resp.StatusCode, len(body), bytes.Equal(body, images[0]))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
			t.Errorf("Content-Type %q", ct)
		}
		parsed, _ := url.Parse(u)
		q := parsed.Query()
		sig := q.Get("X-Amz-Signature")
		q.Set("X-Amz-Signature", strings.Repeat("0", len(sig)))
		parsed.RawQuery = q.Encode()
		if resp, _ := artifacts.HTTPGet(t, parsed.String(), nil); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("tampered presigned GET: status %d, want 403", resp.StatusCode)
		}
	})

	t.Run("operator URL", func(t *testing.T) {
		signer, err := artifacts.NewSigner(artifacts.SigningKey{ID: "k1", Secret: bytes.Repeat([]byte("s"), 32)})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(artifacts.NewHandler(s, signer))
		defer hs.Close()
		u := signer.URL(hs.URL, key, time.Now().Add(time.Hour))
		resp, body := artifacts.HTTPGet(t, u, nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, images[0]) || resp.Header.Get("ETag") != `"`+sha(images[0])+`"` {
			t.Fatalf("status %d, ETag %q, equal %v", resp.StatusCode, resp.Header.Get("ETag"), bytes.Equal(body, images[0]))
		}
		resp, body = artifacts.HTTPGet(t, u, http.Header{"Range": {"bytes=1000000-1000099"}})
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, images[0][1000000:1000100]) {
			t.Fatalf("range: status %d, %d bytes", resp.StatusCode, len(body))
		}
	})

	t.Run("inputs", func(t *testing.T) {
		input := padded(t, 1024, 1024, 6_000_000)
		obj, err := s.PutInput(ctx, ref, artifacts.FieldImage, bytes.NewReader(input), 8<<20)
		if err != nil {
			t.Fatal(err)
		}
		if obj.SHA256 != sha(input) || obj.Bytes != int64(len(input)) || obj.Width != 1024 {
			t.Fatalf("input %+v", obj)
		}
		if got, err := s.ReadAll(ctx, obj.Key); err != nil || !bytes.Equal(got, input) {
			t.Fatalf("input read back: %v, equal %v", err, bytes.Equal(got, input))
		}
		const limit = 5<<20 + 1000
		_, err = s.PutInput(ctx, ref, artifacts.FieldMask, bytes.NewReader(input), limit)
		var tooLarge *artifacts.TooLargeError
		if !errors.As(err, &tooLarge) || tooLarge.Limit != limit {
			t.Fatalf("a 6 MB mask under a 5 MiB limit: %v, want TooLargeError", err)
		}
		if _, err := s.Stat(ctx, artifacts.InputKey(ref, artifacts.FieldMask)); !errors.Is(err, artifacts.ErrNotFound) {
			t.Fatalf("the refused mask: %v, want ErrNotFound", err)
		}
	})

	n, err := s.DeleteRequest(ctx, ref)
	if err != nil || n != 4 {
		t.Fatalf("DeleteRequest: %d, %v; want 4 (2 images, manifest, input)", n, err)
	}
	if left, err := s.List(ctx, ""); err != nil || len(left) != 0 {
		t.Fatalf("after DeleteRequest: %q, %v", left, err)
	}
}

func padded(t *testing.T, w, h, n int) []byte {
	t.Helper()
	pad := make([]byte, n)
	if _, err := rand.Read(pad); err != nil {
		t.Fatal(err)
	}
	return append(pngtest.PNG(w, h, false, false), pad...)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
