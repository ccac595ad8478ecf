package redis

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// tlsSet is a throw-away PKI: a CA, a server certificate it signed for the
// given names, and a client certificate.
type tlsSet struct {
	caCert                string
	serverCert, serverKey string
	clientCert, clientKey string
	authClients           string // redis-server --tls-auth-clients: yes, no or optional
}

// newTLSSet writes the PEM files into a temporary folder. The server
// certificate is valid for names (DNS names or IP addresses).
func newTLSSet(t testing.TB, names ...string) *tlsSet {
	t.Helper()
	dir := t.TempDir()
	caKey, caCert := newCA(t, "notify_push test CA")
	s := &tlsSet{
		caCert:      writePEM(t, dir, "ca.crt", "CERTIFICATE", caCert.Raw),
		authClients: "no",
	}
	s.serverCert, s.serverKey = issue(t, dir, "server", caKey, caCert, x509.ExtKeyUsageServerAuth, names)
	s.clientCert, s.clientKey = issue(t, dir, "client", caKey, caCert, x509.ExtKeyUsageClientAuth, nil)
	return s
}

// otherCA writes the certificate of a CA that signed nothing of ours.
func otherCA(t testing.TB) string {
	t.Helper()
	_, cert := newCA(t, "someone else's CA")
	return writePEM(t, t.TempDir(), "other.crt", "CERTIFICATE", cert.Raw)
}

func newCA(t testing.TB, name string) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func issue(t testing.TB, dir, name string, caKey *ecdsa.PrivateKey, ca *x509.Certificate,
	usage x509.ExtKeyUsage, names []string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return writePEM(t, dir, name+".crt", "CERTIFICATE", der), writePEM(t, dir, name+".key", "PRIVATE KEY", pkcs8)
}

func writePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
