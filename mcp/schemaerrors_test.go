package mcp

import (
	"strings"
	"testing"
)

func TestRewriteSchemaError(t *testing.T) {
	long := strings.Repeat("é", 1001)
	cases := map[string]string{
		`validating "arguments": validating root: validating /properties/n: maximum: 11/1 is greater than 10.000000`:                `invalid n (rule maximum): 11 is greater than 10 (see the tool's input schema)`,
		`validating "arguments": validating root: validating /properties/size: enum: 1x1 does not equal any of: [256x256 512x512]`:  `invalid size (rule enum): 1x1 is not one of [256x256 512x512] (see the tool's input schema)`,
		`validating "arguments": validating root: required: missing properties: ["prompt"]`:                                         `invalid prompt (rule required): is required`,
		`validating "arguments": validating root: unexpected additional properties ["extra"]`:                                       `invalid extra (rule additionalProperties): is not a parameter of this tool`,
		`validating "arguments": validating root: validating /properties/a/properties/b: type: 3 has type "integer", want "string"`: `invalid a.b (rule type): 3 has type "integer", want "string" (see the tool's input schema)`,
		`validating "arguments": something new`: `invalid arguments: something new`,
		`not a schema error`:                    `not a schema error`,
	}
	for in, want := range cases {
		if got := rewriteSchemaError(in); got != want {
			t.Errorf("rewriteSchemaError(%q)\n got %q\nwant %q", in, got, want)
		}
	}
	got := rewriteSchemaError(`validating "arguments": validating root: validating /properties/prompt: maxLength: "` + long + `" contains 1001 Unicode code points, more than 1000`)
	if strings.Count(got, "é") > 60 || !strings.Contains(got, "more than 1000") || !strings.HasPrefix(got, "invalid prompt (rule maxLength)") {
		t.Errorf("a long prompt is echoed: %q", got)
	}
}
