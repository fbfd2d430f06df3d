package mcp

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Error codes of the HTTP error body {"error": {"code", "message", "field"}}.
const (
	codeInvalidArgument = "invalid_argument"
	codeUnauthenticated = "unauthenticated"
	codeForbidden       = "forbidden"
	codeNotFound        = "not_found"
	codeContentPolicy   = "content_policy_violation"
	codeRateLimited     = "rate_limited"
	codeUpstream        = "upstream_error"
	codeWaitElapsed     = "wait_elapsed"
	codeUnavailable     = "unavailable"
	codeInternal        = "internal"
	codeTooLarge        = "request_too_large"
)

// apiError is the error object of the HTTP endpoints.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Rule names the broken rule of a validation error.
	Rule string `json:"rule,omitempty"`
}

type errorBody struct {
	Error apiError `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, e apiError) {
	writeJSON(w, status, errorBody{Error: e})
}

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
		return (&InputError{Field: field, Rule: m[2], Message: detail + " (see the tool's input schema)"}).Error()
	}
	if m := schemaRequired.FindStringSubmatch(rest); m != nil {
		fields := strings.ReplaceAll(m[1], `"`, "")
		return (&InputError{Field: fields, Rule: "required", Message: "is required"}).Error()
	}
	if m := schemaAdditional.FindStringSubmatch(rest); m != nil {
		fields := strings.ReplaceAll(m[1], `"`, "")
		return (&InputError{Field: fields, Rule: "additionalProperties", Message: "is not a parameter of this tool"}).Error()
	}
	return "invalid arguments: " + rest
}

// schemaErrorMiddleware rewrites the tool errors the SDK produces for
// arguments that fail the input schema, so every validation error an agent
// sees names the field and the rule the same way.
func schemaErrorMiddleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		if method != "tools/call" || err != nil {
			return res, err
		}
		if ctr, ok := res.(*mcp.CallToolResult); ok && ctr.IsError && len(ctr.Content) == 1 {
			if tc, ok := ctr.Content[0].(*mcp.TextContent); ok && strings.HasPrefix(tc.Text, schemaErrorPrefix) {
				tc.Text = rewriteSchemaError(tc.Text)
				calls.WithLabelValues("mcp", toolName(req), outcomeInvalid).Inc()
			}
		}
		return res, err
	}
}

func toolName(req mcp.Request) string {
	if p, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok && p != nil {
		return p.Name
	}
	return "unknown"
}
