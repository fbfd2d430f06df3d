package artifacts

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseKeyMarkers(t *testing.T) {
	upload := Ref{Namespace: "team-a", Name: "cat", UID: "upload-1"}
	for _, tt := range []struct {
		key  string
		want KeyInfo
	}{
		{KeepMarkerKey(RequestPrefix(ResultsPrefix, testRef)), KeyInfo{Kind: ResultsPrefix, Ref: testRef, Name: KeepMarkerName, Marker: true}},
		{KeepMarkerKey(RequestPrefix(InputsPrefix, upload)), KeyInfo{Kind: InputsPrefix, Ref: upload, Name: KeepMarkerName, Marker: true}},
	} {
		got, err := ParseKey(tt.key)
		if err != nil || got != tt.want {
			t.Errorf("ParseKey(%q) = %+v, %v; want %+v", tt.key, got, err, tt.want)
		}
		if got.Prefix()+KeepMarkerName != tt.key {
			t.Errorf("Prefix() of %q is %q", tt.key, got.Prefix())
		}
	}
	for _, key := range []string{"results/ns/n/u/attempt-1/keep.json/x", "other/ns/n/u/keep.json", "results/ns/../u/keep.json", "results/ns/n/keep.json"} {
		if info, err := ParseKey(key); err == nil {
			t.Errorf("ParseKey(%q) = %+v, want an error", key, info)
		}
	}
	// A result's own attempt directory may still hold a file named keep.json: it is a result, not a marker.
	if info, err := ParseKey("results/ns/n/u/attempt-1/keep.json"); err != nil || info.Marker {
		t.Errorf("a keep.json inside an attempt: %+v, %v; want a result object", info, err)
	}
}

func TestKeepMarkerRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openFileStore(t)
	prefix := RequestPrefix(ResultsPrefix, testRef)
	if ok, err := s.HasKeepMarker(ctx, prefix); err != nil || ok {
		t.Fatalf("before: %v, %v; want no marker", ok, err)
	}
	m := KeepMarker{Namespace: testRef.Namespace, Name: testRef.Name, UID: testRef.UID, KeptAt: time.Now().UTC(), Reason: "test"}
	if err := s.PutKeepMarker(ctx, prefix, m); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.HasKeepMarker(ctx, prefix); err != nil || !ok {
		t.Fatalf("after: %v, %v; want a marker", ok, err)
	}
	data, err := s.ReadAll(ctx, KeepMarkerKey(prefix))
	if err != nil || !bytes.Contains(data, []byte(`"uid":"`+testRef.UID+`"`)) {
		t.Fatalf("marker content %s, %v", data, err)
	}
	for _, bad := range []string{"results/", "results/ns/n/", "results/ns/n/u", "results/ns/n/u/attempt-1/", "secrets/ns/n/u/"} {
		if err := s.PutKeepMarker(ctx, bad, m); err == nil {
			t.Errorf("PutKeepMarker(%q) succeeded", bad)
		}
	}
}

func TestHandlerDoesNotServeMarkers(t *testing.T) {
	ctx := context.Background()
	s, _ := openFileStore(t)
	prefix := RequestPrefix(ResultsPrefix, testRef)
	if err := s.PutKeepMarker(ctx, prefix, KeepMarker{}); err != nil {
		t.Fatal(err)
	}
	signer := mustSigner(t, testKey("k1"))
	srv := httptest.NewServer(NewHandler(s, signer))
	defer srv.Close()
	resp, _ := get(t, signer.URL(srv.URL, KeepMarkerKey(prefix), time.Now().Add(time.Hour)), nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("signed URL of a keep marker: %d, want 404", resp.StatusCode)
	}
}

func TestListPageWithModTimes(t *testing.T) {
	ctx := context.Background()
	s, dir := openFileStore(t)
	var want []string
	for i := range 5 {
		ref := Ref{Namespace: "ns", Name: "n", UID: "u" + string(rune('a'+i))}
		obj, err := s.PutInput(ctx, ref, FieldImage, bytes.NewReader(paddedPNG(t, 4, 4, i)), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, obj.Key)
	}
	old := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(want[1])), old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutResult(ctx, testRef, 1, [][]byte{paddedPNG(t, 4, 4, 1)}, "image/png"); err != nil {
		t.Fatal(err)
	}

	var got []Info
	var token []byte
	pages := 0
	for {
		infos, next, err := s.ListPage(ctx, InputsPrefix, token, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) > 2 {
			t.Fatalf("page of %d, want at most 2", len(infos))
		}
		got = append(got, infos...)
		pages++
		if next == nil {
			break
		}
		token = next
	}
	keys := make([]string, len(got))
	for i, info := range got {
		keys[i] = info.Key
		if info.Size <= 0 || info.ModTime.IsZero() {
			t.Errorf("%s: size %d modTime %v, want both", info.Key, info.Size, info.ModTime)
		}
	}
	if !slices.Equal(keys, want) || pages != 3 {
		t.Fatalf("listed %v in %d pages, want %v in 3", keys, pages, want)
	}
	if !got[1].ModTime.Equal(old) || time.Since(got[0].ModTime) > time.Minute {
		t.Errorf("mod times %v and %v, want %v and about now", got[1].ModTime, got[0].ModTime, old)
	}

	if err := s.DeleteObject(ctx, want[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteObject(ctx, want[0]); err != nil {
		t.Errorf("deleting a missing object: %v", err)
	}
	if err := s.DeleteObject(ctx, "inputs/"); err == nil || !strings.Contains(err.Error(), "not a key") {
		t.Errorf("DeleteObject of a prefix: %v, want refused", err)
	}
	left, err := s.List(ctx, InputsPrefix)
	if err != nil || slices.Contains(left, want[0]) || len(left) != 4 {
		t.Errorf("after delete: %v, %v", left, err)
	}
}
