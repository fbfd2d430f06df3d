package httpserver

import (
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
