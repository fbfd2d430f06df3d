package artifacts

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// HTTPGet is get for the external test package (the export_test idiom),
// so both test packages share one helper.
var HTTPGet = get

func get(t *testing.T, u string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestHandler(t *testing.T) {
	ctx := context.Background()
	s, _ := openFileStore(t)
	data := paddedPNG(t, 16, 16, 4000)
	if _, err := s.PutResult(ctx, testRef, 1, [][]byte{data}, "image/png"); err != nil {
		t.Fatal(err)
	}
	input := paddedPNG(t, 8, 8, 100)
	if _, err := s.PutInput(ctx, testRef, FieldImage, bytes.NewReader(input), 1<<20); err != nil {
		t.Fatal(err)
	}
	signer := mustSigner(t, testKey("k1"))
	mux := http.NewServeMux()
	mux.Handle(HandlerPrefix, NewHandler(s, signer))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	key := ResultKey(testRef, 1, 0, "image/png")
	expires := time.Now().Add(time.Hour)
	u := signer.URL(srv.URL, key, expires)

	t.Run("exact bytes", func(t *testing.T) {
		resp, body := get(t, u, nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
			t.Fatalf("status %d, %d bytes, equal %v", resp.StatusCode, len(body), bytes.Equal(body, data))
		}
		for name, want := range map[string]string{
			"Content-Type":   "image/png",
			"ETag":           strconv.Quote(sha(data)),
			"Content-Length": strconv.Itoa(len(data)),
			"Accept-Ranges":  "bytes",
		} {
			if got := resp.Header.Get(name); got != want {
				t.Errorf("%s: %q, want %q", name, got, want)
			}
		}
		cc := resp.Header.Get("Cache-Control")
		maxAge, err := strconv.Atoi(strings.TrimPrefix(cc, "private, immutable, max-age="))
		if err != nil || maxAge < 3590 || maxAge > 3600 {
			t.Errorf("Cache-Control %q, want private, immutable, max-age≈3600", cc)
		}
	})
	t.Run("range", func(t *testing.T) {
		resp, body := get(t, u, http.Header{"Range": {"bytes=100-199"}})
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[100:200]) {
			t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
		}
		if got, want := resp.Header.Get("Content-Range"), "bytes 100-199/"+strconv.Itoa(len(data)); got != want {
			t.Errorf("Content-Range %q, want %q", got, want)
		}
		resp, body = get(t, u, http.Header{"Range": {"bytes=-10"}})
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[len(data)-10:]) {
			t.Fatalf("suffix range: status %d, %d bytes", resp.StatusCode, len(body))
		}
	})
	t.Run("not modified", func(t *testing.T) {
		resp, _ := get(t, u, http.Header{"If-None-Match": {strconv.Quote(sha(data))}})
		if resp.StatusCode != http.StatusNotModified {
			t.Fatalf("status %d, want 304", resp.StatusCode)
		}
	})
	t.Run("input without a recorded sha256", func(t *testing.T) {
		resp, body := get(t, signer.URL(srv.URL, InputKey(testRef, FieldImage), expires), nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, input) || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("status %d, type %q, equal %v", resp.StatusCode, resp.Header.Get("Content-Type"), bytes.Equal(body, input))
		}
	})

	refused := []struct {
		name, url  string
		status     int
		wantReason string
	}{
		{"expired", signer.URL(srv.URL, key, time.Now().Add(-time.Second)), http.StatusForbidden, "expired"},
		{"tampered expiry", strings.Replace(u, "exp=", "exp=9", 1), http.StatusForbidden, "bad-signature"},
		{"another key", strings.Replace(u, "/0.png?", "/1.png?", 1), http.StatusForbidden, "bad-signature"},
		{"unsigned", srv.URL + HandlerPrefix + key, http.StatusForbidden, "malformed"},
		{"not an artifact key", signer.URL(srv.URL, "secrets/x", expires), http.StatusNotFound, ""},
		{"signed but absent", signer.URL(srv.URL, ResultKey(testRef, 2, 0, "image/png"), expires), http.StatusNotFound, ""},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, tt.url, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tt.status)
			}
			if tt.wantReason != "" && (resp.Header.Get("X-Artifact-Error") != tt.wantReason || !strings.HasPrefix(string(body), tt.wantReason+": ")) {
				t.Fatalf("reason %q, body %q; want %q", resp.Header.Get("X-Artifact-Error"), body, tt.wantReason)
			}
			if bytes.Contains(body, data[:16]) {
				t.Fatal("a refused request got the artifact's bytes")
			}
		})
	}

	t.Run("POST", func(t *testing.T) {
		resp, err := http.Post(u, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("status %d, want 405", resp.StatusCode)
		}
	})
}
