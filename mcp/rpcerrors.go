package mcp

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// CodeForbidden is the JSON-RPC error code of a request the caller's RBAC
// denies (resources/read, resources/list, resources/subscribe and
// subscriptions/listen; tools answer a denial as a tool error). It lies in
// the range JSON-RPC leaves to implementations (-32000 to -32099), away
// from the codes the MCP SDKs already use (-32000 to -32005, -32020 to
// -32022, -32042), and is documented in docs/mcp.md.
const CodeForbidden = -32010

// rpcErrorData is the data of an error we code: enough for a client to act
// on without parsing the message.
type rpcErrorData struct {
	Field string `json:"field,omitempty"`
	Rule  string `json:"rule,omitempty"`
}

// rpcError gives a handler's error the JSON-RPC code it should go out
// with. The SDK sends an error that carries no *jsonrpc.Error with code 0,
// which clients show as "MCP error 0": the caller's mistakes become invalid
// params (-32602) naming the field and rule, a denial CodeForbidden, and
// anything else an internal error (-32603). Errors already coded (by the
// SDK or by us) keep their code.
func rpcError(err error) error {
	var coded *jsonrpc.Error
	if err == nil || (errors.As(err, &coded) && coded.Code != 0) {
		return err
	}
	var fe *imagerequests.ForbiddenError
	switch ies := imagerequests.AsInputErrors(err); {
	case ies != nil:
		data, _ := json.Marshal(rpcErrorData{Field: ies[0].Field, Rule: ies[0].Rule})
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: err.Error(), Data: data}
	case errors.As(err, &fe):
		return &jsonrpc.Error{Code: CodeForbidden, Message: err.Error()}
	}
	return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: err.Error()}
}

// codedMethods are the methods whose handlers are ours and answer errors as
// JSON-RPC errors. Tool handlers' errors become results with isError, and
// the SDK's own methods are left as the SDK answers them.
var codedMethods = map[string]bool{
	"resources/read":        true,
	"resources/list":        true,
	"resources/subscribe":   true,
	"resources/unsubscribe": true,
	"subscriptions/listen":  true,
}

// rpcErrorMiddleware codes the errors of codedMethods; see rpcError.
func rpcErrorMiddleware(next sdkmcp.MethodHandler) sdkmcp.MethodHandler {
	return func(ctx context.Context, method string, req sdkmcp.Request) (sdkmcp.Result, error) {
		res, err := next(ctx, method, req)
		if err != nil && codedMethods[method] {
			err = rpcError(err)
		}
		return res, err
	}
}
