package httpserver

import (
	"encoding/base64"
	"flag"
	"net"
	"strings"
	"testing"
)

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"loopback, plain HTTP, no auth (make dev)", Options{BindAddress: "127.0.0.1:8443", Auth: AuthNone}, ""},
		{"localhost", Options{BindAddress: "localhost:8443", Auth: AuthNone}, ""},
		{"IPv6 loopback", Options{BindAddress: "[::1]:8443", Auth: AuthNone}, ""},
		{"all interfaces with TLS and tokens", Options{BindAddress: ":8443", CertDir: "/certs", Auth: AuthToken}, ""},
		{"default auth is token", Options{BindAddress: ":8443", CertDir: "/certs"}, ""},
		{"auth none on all interfaces", Options{BindAddress: ":8443", CertDir: "/certs", Auth: AuthNone}, "--mcp-auth=none is refused"},
		{"auth none on a pod IP", Options{BindAddress: "10.0.0.5:8443", CertDir: "/certs", Auth: AuthNone}, "--mcp-auth=none is refused"},
		{"no certificate on all interfaces (self-signed)", Options{BindAddress: ":8443", Auth: AuthToken}, ""},
		{"unknown auth", Options{BindAddress: "127.0.0.1:1", Auth: "basic"}, "--mcp-auth must be"},
		{"bad default namespace", Options{BindAddress: "127.0.0.1:1", DefaultNamespace: "Not_OK"}, "--mcp-default-namespace"},
		{"body limit below two 4 MB inputs in base64", Options{BindAddress: "127.0.0.1:1", MaxRequestBodyBytes: 8 << 20}, "--mcp-max-body-bytes"},
		{"body limit for 50 MB inputs", Options{BindAddress: "127.0.0.1:1", MaxRequestBodyBytes: MCPBodyBytesFor(50 << 20)}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestOptionsValidateUsesTheListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := (Options{Listener: ln, BindAddress: ":8443", Auth: AuthNone}).Validate(); err != nil {
		t.Errorf("a loopback listener: %v", err)
	}
}

func TestServesPlainHTTP(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want bool
	}{
		{Options{BindAddress: "127.0.0.1:8443"}, true},
		{Options{BindAddress: "127.0.0.1:8443", CertDir: "/c"}, false},
		{Options{BindAddress: ":8443"}, false},
		{Options{BindAddress: "0.0.0.0:8443"}, false},
	} {
		if got := tc.o.ServesPlainHTTP(); got != tc.want {
			t.Errorf("%+v: %v", tc.o, got)
		}
	}
}

func TestSelfSignedCertificate(t *testing.T) {
	cert, fp, err := selfSignedCertificate()
	if err != nil || len(fp) != 64 || len(cert.Certificate) != 1 {
		t.Fatalf("%v %q", err, fp)
	}
}

func TestEnabled(t *testing.T) {
	for addr, want := range map[string]bool{"": false, "0": false, ":8443": true, "127.0.0.1:8443": true} {
		if got := (Options{BindAddress: addr}).Enabled(); got != want {
			t.Errorf("Enabled(%q) = %v", addr, got)
		}
	}
}

func TestBindFlags(t *testing.T) {
	var o Options
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	o.BindFlags(fs)
	if o.BindAddress != ":8443" || o.Auth != AuthToken || o.DefaultNamespace != "default" || o.CertDir != "" {
		t.Errorf("defaults = %+v", o)
	}
	err := fs.Parse([]string{"--mcp-bind-address=127.0.0.1:9000", "--mcp-auth=none", "--mcp-token-audiences=a, b,,c", "--mcp-default-namespace=team", "--mcp-cert-dir=/x"})
	if err != nil {
		t.Fatal(err)
	}
	if o.BindAddress != "127.0.0.1:9000" || o.Auth != AuthNone || strings.Join(o.TokenAudiences, "|") != "a|b|c" || o.DefaultNamespace != "team" || o.CertDir != "/x" {
		t.Errorf("parsed = %+v", o)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8443": true, "127.1.2.3:1": true, "[::1]:8443": true, "localhost:8443": true, "localhost": true,
		":8443": false, "0.0.0.0:8443": false, "[::]:8443": false, "10.1.2.3:8443": false, "example.com:443": false, "": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestMCPBodyBytesFor: the default /mcp limit holds an edit_image call with
// a 4 MB image and a 4 MB mask (DALL-E 2's limit) in base64, and the
// formula scales to 50 MB inputs.
func TestMCPBodyBytesFor(t *testing.T) {
	need := MCPBodyBytesFor(4 << 20)
	if b64 := int64(2 * base64.StdEncoding.EncodedLen(4<<20)); need <= b64 || need > b64+1<<20 {
		t.Errorf("MCPBodyBytesFor(4 MiB) = %d, want just above the %d bytes of two inputs in base64", need, b64)
	}
	if need > DefaultMaxRequestBodyBytes {
		t.Errorf("the default limit %d is below the %d an edit at DALL-E 2's limit needs", DefaultMaxRequestBodyBytes, need)
	}
	if got, b64 := MCPBodyBytesFor(50<<20), int64(2*base64.StdEncoding.EncodedLen(50<<20)); got <= b64 {
		t.Errorf("MCPBodyBytesFor(50 MiB) = %d, below the %d bytes of two inputs in base64", got, b64)
	}
	var o Options
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	o.BindFlags(fs)
	if err := fs.Parse([]string{"--mcp-max-body-bytes=140000000"}); err != nil || o.MaxRequestBodyBytes != 140000000 {
		t.Errorf("--mcp-max-body-bytes: %v, %d", err, o.MaxRequestBodyBytes)
	}
}
