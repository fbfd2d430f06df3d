package controllers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDownloadIsBounded: an upstream URL that answers with more than the
// limit (declared, chunked or endless) or a 4xx is refused at once, naming
// the limit, without reading past it or retrying; a 5xx is retried.
func TestDownloadIsBounded(t *testing.T) {
	const limit = 1 << 10
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...)
	cases := map[string]struct {
		handler   http.HandlerFunc
		wantErr   string
		permanent bool
		wantTries int32
	}{
		"within the limit, type sniffed": {handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(png)
		}, wantTries: 1},
		"declared over the limit": {handler: func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(bytes.Repeat([]byte{1}, limit+1))
		}, wantErr: "over the limit of 1024", permanent: true, wantTries: 1},
		"endless chunked body": {handler: func(w http.ResponseWriter, r *http.Request) {
			chunk := bytes.Repeat([]byte{1}, 512)
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}, wantErr: "over the limit of 1024 bytes", permanent: true, wantTries: 1},
		"404": {handler: func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) },
			wantErr: "answered 404", permanent: true, wantTries: 1},
		"503 every time": {handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) },
			wantErr: "answered 503", wantTries: downloadTries},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var tries atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tries.Add(1)
				tc.handler(w, r)
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			data, ctype, err := download(ctx, srv.Client(), srv.URL, limit)
			if got := tries.Load(); got != tc.wantTries {
				t.Errorf("tried %d times, want %d", got, tc.wantTries)
			}
			if tc.wantErr == "" {
				if err != nil || !bytes.Equal(data, png) || ctype != "image/png" {
					t.Fatalf("download() = %d bytes, %q, %v; want the PNG as image/png", len(data), ctype, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("download() error = %v, want %q", err, tc.wantErr)
			}
			var permanent *downloadError
			if errors.As(err, &permanent) != tc.permanent {
				t.Fatalf("permanent = %v, want %v (%v)", !tc.permanent, tc.permanent, err)
			}
		})
	}
}
