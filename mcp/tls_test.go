package mcp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/imagegen/imagegen-operator/internal/httpserver"
	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/manager"
	"github.com/imagegen/imagegen-operator/mcp"
)

// writeCert writes a self-signed certificate for 127.0.0.1 into dir as
// tls.crt and tls.key and returns it.
func writeCert(t *testing.T, dir string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "imagegen-mcp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func trusting(cert *x509.Certificate, token string) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &http.Client{Transport: bearer{token: token, next: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
}

// TestHTTPSWithCertificateReload serves MCP over HTTPS from --mcp-cert-dir
// and picks up a new certificate written there without a restart.
func TestHTTPSWithCertificateReload(t *testing.T) {
	dir := t.TempDir()
	first := writeCert(t, dir, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := managerOptions(ln)
	opts.LeaderElect = true
	opts.MCP.CertDir = dir
	startManager(t, opts)
	base := "https://" + ln.Addr().String()

	var lastErr error
	localenv.Eventually(t, "HTTPS to be ready", func() bool {
		resp, err := trusting(first, "").Get(base + "/readyz")
		if lastErr = err; err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, func() string { return fmt.Sprintf("last error: %v", lastErr) })
	c := sdkmcp.NewClient(&sdkmcp.Implementation{Name: "tls-test"}, nil)
	cs, err := c.Connect(context.Background(), &sdkmcp.StreamableClientTransport{Endpoint: base + httpserver.MCPPath, HTTPClient: trusting(first, agentToken), MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(context.Background(), &sdkmcp.CallToolParams{Name: mcp.ToolListImageRequests, Arguments: map[string]any{"limit": 1}})
	if err != nil || res.IsError {
		t.Fatalf("over HTTPS: %v %v", err, res)
	}
	// Plain HTTP to the TLS port does not reach the handlers.
	if resp, err := http.Get("http://" + ln.Addr().String() + "/readyz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP was served on the TLS listener")
		}
	}

	second := writeCert(t, dir, 2)
	localenv.Eventually(t, "the new certificate to be served", func() bool {
		resp, err := trusting(second, "").Get(base + "/healthz")
		if lastErr = err; err != nil {
			return false
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64() == 2
	}, func() string { return fmt.Sprintf("last error: %v", lastErr) })
}

func TestMisconfigurationFailsStartUp(t *testing.T) {
	for name, tc := range map[string]struct {
		mcp  httpserver.Options
		want string
	}{
		"missing certificate":   {httpserver.Options{BindAddress: "127.0.0.1:0", CertDir: t.TempDir()}, "tls.crt"},
		"auth none in the open": {httpserver.Options{BindAddress: ":0", CertDir: "x", Auth: httpserver.AuthNone}, "--mcp-auth=none is refused"},
	} {
		t.Run(name, func(t *testing.T) {
			opts := managerOptions(nil)
			opts.MCP = tc.mcp
			_, err := manager.New(restConfig, opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("manager.New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestNoPlainHTTPOffLoopback: a listener on all interfaces without
// --mcp-cert-dir serves HTTPS with a self-signed certificate.
func TestNoPlainHTTPOffLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	opts := managerOptions(ln)
	opts.LeaderElect = true
	startManager(t, opts)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	var lastErr error
	localenv.Eventually(t, "HTTPS with a self-signed certificate", func() bool {
		resp, err := insecure.Get("https://127.0.0.1:" + port + "/readyz")
		if lastErr = err; err != nil {
			return false
		}
		resp.Body.Close()
		if resp.TLS == nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d, TLS %v", resp.StatusCode, resp.TLS)
		}
		if cn := resp.TLS.PeerCertificates[0].Subject.CommonName; !strings.Contains(cn, "self-signed") {
			t.Errorf("certificate %q", cn)
		}
		return true
	}, func() string { return fmt.Sprintf("last error: %v", lastErr) })
	if resp, err := http.Get("http://127.0.0.1:" + port + "/readyz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP served off loopback")
		}
	}
}

// TestAuthNoneOnLoopback is what `make dev` runs: no token needed, the
// caller recorded as anonymous, plain HTTP on 127.0.0.1.
func TestAuthNoneOnLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := managerOptions(ln)
	opts.LeaderElect = true
	opts.MCP.Auth = httpserver.AuthNone
	startManager(t, opts)
	base := "http://" + ln.Addr().String()
	if err := waitReady(base); err != nil {
		t.Fatal(err)
	}
	s := connect(t, base+httpserver.MCPPath, "", "")
	out := structured(t, call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": uniquePrompt(t, "dev"), "size": fastSize}))
	if out["phase"] != "Succeeded" || out["namespace"] != "default" {
		t.Fatalf("result %v", out)
	}
	ir := getRequest(t, "default", out["name"].(string))
	if got := ir.Annotations["images.imagegen.dev/requested-by"]; got != httpserver.AnonymousUser {
		t.Errorf("requested-by = %q", got)
	}
	res := call(t, s, mcp.ToolGenerateImage, map[string]any{"prompt": "x", "namespace": "no-such-namespace"})
	if !res.IsError || !strings.Contains(text(res), "invalid namespace (rule exists)") {
		t.Errorf("a namespace that does not exist: %s", text(res))
	}
}
