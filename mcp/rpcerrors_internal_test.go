package mcp

import (
	"errors"
	"fmt"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

func TestRPCError(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		wantCode int64
		wantData string
	}{
		{"input error", fmt.Errorf("reading: %w", &imagerequests.InputError{Field: "name", Rule: "pattern", Message: "bad"}), jsonrpc.CodeInvalidParams, `{"field":"name","rule":"pattern"}`},
		{"input errors", imagerequests.InputErrors{{Field: "cursor", Rule: "cursor", Message: "bad"}}, jsonrpc.CodeInvalidParams, `{"field":"cursor","rule":"cursor"}`},
		{"forbidden", &imagerequests.ForbiddenError{User: "u", Verb: "get", Namespace: "ns"}, CodeForbidden, ""},
		{"server fault", errors.New("reading ImageRequest a/b: etcd is down"), jsonrpc.CodeInternalError, ""},
		{"already coded", sdkmcp.ResourceNotFoundError("imagerequest://a/b"), jsonrpc.CodeInvalidParams, `{"uri":"imagerequest://a/b"}`},
		{"coded and wrapped", fmt.Errorf("x: %w", &jsonrpc.Error{Code: -32022, Message: "old"}), -32022, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var werr *jsonrpc.Error
			got := rpcError(tc.err)
			if !errors.As(got, &werr) || werr.Code != tc.wantCode {
				t.Fatalf("rpcError(%v) = %#v, want code %d", tc.err, got, tc.wantCode)
			}
			if werr.Message == "" || string(werr.Data) != tc.wantData {
				t.Errorf("message %q data %s, want data %s", werr.Message, werr.Data, tc.wantData)
			}
		})
	}
	if rpcError(nil) != nil {
		t.Error("rpcError(nil) != nil")
	}
}
