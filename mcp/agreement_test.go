package mcp_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
	"github.com/imagegen/imagegen-operator/mcp"
)

// restToMCP maps the REST endpoints' field names to the tools' argument
// names.
var restToMCP = map[string]string{
	"params.n": "n", "params.size": "size", "params.model": "model",
	"image_file": "image", "mask_file": "mask",
}

var toolInputError = regexp.MustCompile(`invalid (\S+) \(rule (\S+)\)`)

// TestMCPAndRESTAgreeOnInvalidInputs sends each invalid input through a
// tool and through the REST endpoint that does the same, and checks that
// both name the same field and the same rule (issue 9: rules travel as
// data, in one vocabulary, internal/rules).
func TestMCPAndRESTAgreeOnInvalidInputs(t *testing.T) {
	png := pngtest.PNG(64, 64, true, true)
	opaque := pngtest.PNG(64, 64, true, false)
	noise := noisePNG(t, 700)
	gen := func(prompt, extra string) func(*testing.T) *http.Request {
		return func(*testing.T) *http.Request { return jsonReq(jsonBody(prompt, extra)) }
	}
	edit := func(fields map[string]string, files map[string][]byte) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return multipartEdit(t, fields, files) }
	}
	cases := []struct {
		name        string
		tool        string
		args        map[string]any
		rest        func(*testing.T) *http.Request
		field, rule string
	}{
		{"empty prompt", mcp.ToolGenerateImage, map[string]any{"prompt": ""}, gen("", ""), "prompt", "minLength"},
		{"prompt too long", mcp.ToolGenerateImage, map[string]any{"prompt": strings.Repeat("é", 1001)}, gen(strings.Repeat("é", 1001), ""), "prompt", "maxLength"},
		{"prompt with NUL", mcp.ToolGenerateImage, map[string]any{"prompt": "a cat\x00"}, gen("a cat\x00", ""), "prompt", "controlCharacters"},
		{"n 0", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "n": 0}, gen("x", `,"params":{"n":0}`), "n", "minimum"},
		{"n -1", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "n": -1}, gen("x", `,"params":{"n":-1}`), "n", "minimum"},
		{"n 11", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "n": 11}, gen("x", `,"params":{"n":11}`), "n", "maximum"},
		{"n not a number", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "n": "two"}, gen("x", `,"params":{"n":"two"}`), "n", "type"},
		{"size", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "size": "300x300"}, gen("x", `,"params":{"size":"300x300"}`), "size", "enum"},
		{"model", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "model": "dall-e-5"}, gen("x", `,"params":{"model":"dall-e-5"}`), "model", "enum"},
		{"namespace", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "namespace": "Team_A"}, gen("x", `,"namespace":"Team_A"`), "namespace", "pattern"},
		{"wait_seconds negative", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "wait_seconds": -1}, gen("x", `,"wait_seconds":-1`), "wait_seconds", "minimum"},
		{"wait_seconds too long", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "wait_seconds": 100000}, gen("x", `,"wait_seconds":100000`), "wait_seconds", "maximum"},
		{"edit n 11", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(png), "n": 11},
			edit(map[string]string{"prompt": "x", "n": "11"}, map[string][]byte{"image_file": png}), "n", "maximum"},
		{"edit prompt with DEL", mcp.ToolEditImage, map[string]any{"prompt": "a\x7fcat", "image": b64(png)},
			edit(map[string]string{"prompt": "a\x7fcat"}, map[string][]byte{"image_file": png}), "prompt", "controlCharacters"},
		{"image not PNG", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64([]byte("GIF89a not a png"))},
			edit(map[string]string{"prompt": "x"}, map[string][]byte{"image_file": []byte("GIF89a not a png")}), "image", "png"},
		{"image not square", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(pngtest.PNG(64, 32, true, true))},
			edit(map[string]string{"prompt": "x"}, map[string][]byte{"image_file": pngtest.PNG(64, 32, true, true)}), "image", "square"},
		{"image opaque without mask", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(opaque)},
			edit(map[string]string{"prompt": "x"}, map[string][]byte{"image_file": opaque}), "image", "transparency"},
		{"mask other size", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(opaque), "mask": b64(pngtest.PNG(32, 32, true, true))},
			edit(map[string]string{"prompt": "x"}, map[string][]byte{"image_file": opaque, "mask_file": pngtest.PNG(32, 32, true, true)}), "mask", "dimensions"},
		{"mask without alpha", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(opaque), "mask": b64(pngtest.PNG(64, 64, false, false))},
			edit(map[string]string{"prompt": "x"}, map[string][]byte{"image_file": opaque, "mask_file": pngtest.PNG(64, 64, false, false)}), "mask", "alpha"},
		{"unknown argument", mcp.ToolGenerateImage, map[string]any{"prompt": "x", "quality": "hd"}, gen("x", `,"quality":"hd"`), "quality", "additionalProperties"},
		{"edit unknown field", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(png), "style": "vivid"},
			edit(map[string]string{"prompt": "x", "style": "vivid"}, map[string][]byte{"image_file": png}), "style", "additionalProperties"},
		{"edit n not a number", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(png), "n": "lots"},
			edit(map[string]string{"prompt": "x", "n": "lots"}, map[string][]byte{"image_file": png}), "n", "type"},
		{"image over the Secret limit", mcp.ToolEditImage, map[string]any{"prompt": "x", "image": b64(noise)},
			edit(map[string]string{"prompt": "x"}, map[string][]byte{"image_file": noise}), "image", "inlineSize"},
	}
	s := agent(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := call(t, s, tc.tool, tc.args)
			m := toolInputError.FindStringSubmatch(text(res))
			if !res.IsError || m == nil {
				t.Fatalf("MCP: want an input error, got %s", text(res))
			}
			status, body := doREST(t, agentToken, tc.rest(t))
			restField := body.Error.Field
			if f, ok := restToMCP[restField]; ok {
				restField = f
			}
			if status != http.StatusBadRequest {
				t.Fatalf("REST: HTTP %d %+v, want 400", status, body.Error)
			}
			if m[1] != restField || m[2] != body.Error.Rule {
				t.Errorf("MCP says %s/%s, REST %s/%s", m[1], m[2], restField, body.Error.Rule)
			}
			if m[1] != tc.field || m[2] != tc.rule {
				t.Errorf("both say %s/%s, want %s/%s", m[1], m[2], tc.field, tc.rule)
			}
		})
	}
}
