package mcp

import (
	"context"
	"regexp"
	"strings"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// schemaErrorPrefix starts the SDK's message for arguments that fail the
// input schema.
const schemaErrorPrefix = `validating "arguments": `

var (
	schemaPropertyError = regexp.MustCompile(`^validating (/properties/[^:]+): (\w+): (.*)$`)
	schemaRequired      = regexp.MustCompile(`^required: missing properties: \[(.*)\]$`)
	schemaAdditional    = regexp.MustCompile(`^unexpected additional properties \[(.*)\]$`)
	rationalInteger     = regexp.MustCompile(`\b(\d+)/1\b`)
	floatInteger        = regexp.MustCompile(`\b(\d+)\.0+\b`)
	longQuoted          = regexp.MustCompile(`"([^"]{60})[^"]+"`)
)

// rewriteSchemaError turns the SDK's schema validation message into the
// form of our own input errors: "invalid <field> (rule <rule>): <detail>".
// Anything it does not recognise is returned unchanged.
func rewriteSchemaError(msg string) string {
	rest, ok := strings.CutPrefix(msg, schemaErrorPrefix)
	if !ok {
		return msg
	}
	rest = strings.TrimPrefix(rest, "validating root: ")
	rest = rationalInteger.ReplaceAllString(rest, "$1")
	rest = floatInteger.ReplaceAllString(rest, "$1")
	// Do not echo a whole prompt back.
	rest = longQuoted.ReplaceAllString(rest, `"$1…"`)
	if m := schemaPropertyError.FindStringSubmatch(rest); m != nil {
		field := strings.ReplaceAll(strings.TrimPrefix(m[1], "/properties/"), "/properties/", ".")
		detail := m[3]
		if m[2] == "enum" {
			detail = strings.Replace(detail, " does not equal any of: ", " is not one of ", 1)
		}
		return (&imagerequests.InputError{Field: field, Rule: m[2], Message: detail + " (see the tool's input schema)"}).Error()
	}
	if m := schemaRequired.FindStringSubmatch(rest); m != nil {
		fields := strings.ReplaceAll(m[1], `"`, "")
		return (&imagerequests.InputError{Field: fields, Rule: rules.Required, Message: "is required"}).Error()
	}
	if m := schemaAdditional.FindStringSubmatch(rest); m != nil {
		fields := strings.ReplaceAll(m[1], `"`, "")
		return (&imagerequests.InputError{Field: fields, Rule: rules.AdditionalProperties, Message: "is not a parameter of this tool"}).Error()
	}
	return "invalid arguments: " + rest
}

// schemaErrorMiddleware rewrites the tool errors the SDK produces for
// arguments that fail the input schema, so every validation error an agent
// sees names the field and the rule the same way. (callsMiddleware counts
// them as invalid.)
func schemaErrorMiddleware(next sdkmcp.MethodHandler) sdkmcp.MethodHandler {
	return func(ctx context.Context, method string, req sdkmcp.Request) (sdkmcp.Result, error) {
		res, err := next(ctx, method, req)
		if method != "tools/call" || err != nil {
			return res, err
		}
		if ctr, ok := res.(*sdkmcp.CallToolResult); ok && ctr.IsError && len(ctr.Content) == 1 {
			if tc, ok := ctr.Content[0].(*sdkmcp.TextContent); ok && strings.HasPrefix(tc.Text, schemaErrorPrefix) {
				tc.Text = rewriteSchemaError(tc.Text)
			}
		}
		return res, err
	}
}
