package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/rules"
)

// TestDallE2WireUnchanged: a DALL-E 2 request, which sets none of the GPT
// image fields, carries exactly the keys it carried before they existed,
// and its image and mask go as the single PNG parts they always were.
func TestDallE2WireUnchanged(t *testing.T) {
	img, mask := pngFixture(t, 64, 64), pngFixture(t, 64, 64)
	genKeys := []string{"model", "n", "prompt", "response_format", "size"}
	editKeys := []string{"image", "model", "n", "prompt", "response_format", "size"}
	cases := map[string]struct {
		req      Request
		path     string
		keys     []string
		format   string
		wantUser bool
	}{
		"generate":             {req: Request{N: 2}, path: "/v1/images/generations", keys: genKeys, format: FormatURL},
		"generate b64 + user":  {req: Request{N: 1, ResponseFormat: FormatB64JSON, User: "u1"}, path: "/v1/images/generations", keys: append(slices.Clone(genKeys), "user"), format: FormatB64JSON, wantUser: true},
		"edit":                 {req: Request{N: 1, Image: img}, path: "/v1/images/edits", keys: editKeys, format: FormatURL},
		"edit with mask, user": {req: Request{N: 1, Image: img, Mask: mask, User: "u1", ResponseFormat: FormatB64JSON}, path: "/v1/images/edits", keys: append(slices.Clone(editKeys), "mask", "user"), format: FormatB64JSON, wantUser: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, captured := newCaptureClient(t)
			req := tc.req
			req.Model, req.Prompt, req.Size = "dall-e-2", "a red fox", "256x256"
			if _, err := c.Do(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			got := captured.only(t)
			slices.Sort(tc.keys)
			if got.path != tc.path || !slices.Equal(got.keys(), tc.keys) {
				t.Fatalf("%s with keys %v, want %s with exactly %v", got.path, got.keys(), tc.path, tc.keys)
			}
			want := map[string]any{"model": "dall-e-2", "prompt": "a red fox", "size": "256x256", "n": req.N, "response_format": tc.format}
			if tc.wantUser {
				want["user"] = "u1"
			}
			for k, v := range want {
				wantValue(t, got, k, v)
			}
			if req.Image == nil {
				return
			}
			wantParts(t, got.partsOf("image"), wirePart{field: "image", filename: "image.png", contentType: "image/png", data: img})
			if req.Mask != nil {
				wantParts(t, got.partsOf("mask"), wirePart{field: "mask", filename: "mask.png", contentType: "image/png", data: mask})
			}
		})
	}
}

// TestGPTFieldsOnTheWire: each GPT image field reaches the wire under its
// API name with its value, for a generation and an edit, and only when
// set: with one field set the request has the base keys plus that one.
func TestGPTFieldsOnTheWire(t *testing.T) {
	zero, seventy := 0, 70
	cases := map[string]struct {
		set      func(*Request)
		key      string // "" for none
		value    any
		generate bool // generations only
	}{
		"nothing set":          {set: func(*Request) {}},
		"quality":              {set: func(r *Request) { r.Quality = "high" }, key: "quality", value: "high"},
		"background":           {set: func(r *Request) { r.Background = "transparent" }, key: "background", value: "transparent"},
		"output_format":        {set: func(r *Request) { r.OutputFormat = "webp" }, key: "output_format", value: "webp"},
		"output_compression":   {set: func(r *Request) { r.OutputCompression = &seventy }, key: "output_compression", value: 70},
		"output_compression 0": {set: func(r *Request) { r.OutputCompression = &zero }, key: "output_compression", value: 0},
		"moderation":           {set: func(r *Request) { r.Moderation = "low" }, key: "moderation", value: "low", generate: true},
		"safety_identifier":    {set: func(r *Request) { r.SafetyIdentifier = "sid-1" }, key: "safety_identifier", value: "sid-1"},
		"user":                 {set: func(r *Request) { r.User = "u-1" }, key: "user", value: "u-1"},
	}
	img := pngFixture(t, 64, 64)
	for name, tc := range cases {
		for _, op := range []string{"generate", "edit"} {
			if op == "edit" && tc.generate {
				continue
			}
			t.Run(name+"/"+op, func(t *testing.T) {
				c, captured := newCaptureClient(t)
				req := Request{Model: "gpt-image-2", Prompt: "a lighthouse", N: 1, Size: "1024x1024", OmitResponseFormat: true}
				want := []string{"model", "n", "prompt", "size"}
				if op == "edit" {
					req.Image = img
					want = append(want, "image")
				}
				tc.set(&req)
				if tc.key != "" {
					want = append(want, tc.key)
				}
				slices.Sort(want)
				if _, err := c.Do(context.Background(), req); err != nil {
					t.Fatal(err)
				}
				got := captured.only(t)
				if !slices.Equal(got.keys(), want) {
					t.Fatalf("keys %v, want exactly %v", got.keys(), want)
				}
				if tc.key != "" {
					wantValue(t, got, tc.key, tc.value)
				}
			})
		}
	}
}

// TestMultiImageEditParts: several inputs go as repeated image[] parts
// (openai-go's encoding of a file array) in the caller's order, each named
// and typed by its own format; one input in Images goes as the single
// image part, named by its format.
func TestMultiImageEditParts(t *testing.T) {
	png, jpg, webp := pngFixture(t, 64, 64), jpegFixture(t, 48, 32), webpFixture(t, 40, 40)
	mask := pngFixture(t, 64, 64)

	c, captured := newCaptureClient(t)
	req := Request{Model: "gpt-image-2", Prompt: "combine", N: 1, Size: "auto", OmitResponseFormat: true,
		Images: [][]byte{png, jpg, webp}, Mask: mask}
	if _, err := c.Do(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := captured.only(t)
	if len(got.partsOf("image")) != 0 {
		t.Fatalf("a multi-image edit also sent an image part: %+v", got.partsOf("image"))
	}
	wantParts(t, got.partsOf("image[]"),
		wirePart{field: "image[]", filename: "image.png", contentType: "image/png", data: png},
		wirePart{field: "image[]", filename: "image-1.jpg", contentType: "image/jpeg", data: jpg},
		wirePart{field: "image[]", filename: "image-2.webp", contentType: "image/webp", data: webp},
	)
	wantParts(t, got.partsOf("mask"), wirePart{field: "mask", filename: "mask.png", contentType: "image/png", data: mask})

	c, captured = newCaptureClient(t)
	req.Images, req.Mask = [][]byte{jpg}, nil
	if _, err := c.Do(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got = captured.only(t)
	if len(got.partsOf("image[]")) != 0 {
		t.Fatalf("a one-image edit sent image[] parts: %+v", got.partsOf("image[]"))
	}
	wantParts(t, got.partsOf("image"), wirePart{field: "image", filename: "image.jpg", contentType: "image/jpeg", data: jpg})
}

// TestEditRequestsRefusedBeforeSending: a request that is a caller bug
// fails as KindConfig naming the field and the rule, and nothing is sent.
func TestEditRequestsRefusedBeforeSending(t *testing.T) {
	img := pngFixture(t, 64, 64)
	notAnImage := []byte("GIF89a, which the API does not take")
	cases := map[string]struct {
		req   Request
		field string
		rule  string
	}{
		"moderation on an edit":   {req: Request{Image: img, Moderation: "low"}, field: "moderation", rule: rules.Unsupported},
		"Image and Images":        {req: Request{Image: img, Images: [][]byte{img}}, field: "images", rule: rules.Unsupported},
		"unknown format (Image)":  {req: Request{Image: notAnImage}, field: "image", rule: rules.Enum},
		"unknown format (Images)": {req: Request{Images: [][]byte{img, notAnImage}}, field: "images[1]", rule: rules.Enum},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, captured := newCaptureClient(t)
			req := tc.req
			req.Model, req.Prompt, req.N = "gpt-image-2", "p", 1
			_, err := c.Do(context.Background(), req)
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindConfig || e.Param != tc.field ||
				!strings.Contains(e.Error(), tc.field+": "+tc.rule+": ") {
				t.Fatalf("Do() = %v, want a %s error on %s naming rule %q", err, KindConfig, tc.field, tc.rule)
			}
			if n := len(captured.requests()); n != 0 {
				t.Fatalf("%d requests sent, want none", n)
			}
		})
	}
}

// wantValue asserts the request's key has value: in a JSON body as the
// JSON encoding of value, in a form as its text.
func wantValue(t *testing.T, got wireRequest, key string, value any) {
	t.Helper()
	if got.body != nil {
		want, err := json.Marshal(value)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.body[key]) != string(want) {
			t.Fatalf("%s = %s, want %s", key, got.body[key], want)
		}
		return
	}
	if v, ok := got.fields[key]; !ok || v != fmt.Sprint(value) {
		t.Fatalf("form field %s = %q (present %v), want %q", key, v, ok, fmt.Sprint(value))
	}
}

// wantParts asserts the file parts are exactly want, in order.
func wantParts(t *testing.T, got []wirePart, want ...wirePart) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d parts, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.field != w.field || g.filename != w.filename || g.contentType != w.contentType || !bytes.Equal(g.data, w.data) {
			t.Fatalf("part %d = %s %q %s (%d bytes), want %s %q %s (%d bytes, same content)",
				i, g.field, g.filename, g.contentType, len(g.data), w.field, w.filename, w.contentType, len(w.data))
		}
	}
}
