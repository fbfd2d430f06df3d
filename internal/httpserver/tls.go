package httpserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
)

// Certificate file names in --mcp-cert-dir, as a kubernetes.io/tls Secret
// mounts them.
const (
	certFile = "tls.crt"
	keyFile  = "tls.key"
)

// newCertWatcher loads the serving certificate now, so a bad --mcp-cert-dir
// fails start-up, and keeps it fresh when the files change (a rotated
// Secret or cert-manager renewal).
func newCertWatcher(certDir string) (*certwatcher.CertWatcher, error) {
	cw, err := certwatcher.New(filepath.Join(certDir, certFile), filepath.Join(certDir, keyFile))
	if err != nil {
		return nil, fmt.Errorf("loading the MCP serving certificate from %s (%s, %s): %w", certDir, certFile, keyFile, err)
	}
	return cw, nil
}

// selfSignedCertificate makes the certificate of a listener off loopback
// that was given no --mcp-cert-dir: plain HTTP is never served there.
// Clients must pin it (its SHA-256 is logged) or skip verification, so a
// real deployment mounts a certificate instead.
func selfSignedCertificate() (*tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("generating a key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, "", fmt.Errorf("generating a serial number: %w", err)
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "imagegen-operator MCP (self-signed)"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, "", fmt.Errorf("creating a self-signed certificate: %w", err)
	}
	sum := sha256.Sum256(der)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, hex.EncodeToString(sum[:]), nil
}

// tlsConfig serves whatever certificate the watcher holds now. HTTP/2 is
// left off, as for controller-runtime's webhook and metrics servers
// (HTTP/2 stream-reset attacks); MCP's streams work over HTTP/1.1.
func tlsConfig(getCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: getCertificate,
		NextProtos:     []string{"http/1.1"},
	}
}

// listen opens the listener: the one given in Options, or BindAddress.
func (o Options) listen(ctx context.Context) (net.Listener, error) {
	if o.Listener != nil {
		return o.Listener, nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.BindAddress)
	if err != nil {
		return nil, fmt.Errorf("listening on %s for MCP: %w", o.BindAddress, err)
	}
	return ln, nil
}
