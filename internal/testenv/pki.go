package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// PKI is a throw-away certificate authority for TLS tests: its certificate
// as a PEM file and a pool, and certificates it signs on demand. Every test
// certificate of the module comes from here; "untrusted" is another PKI's.
type PKI struct {
	t      testing.TB
	dir    string
	key    *ecdsa.PrivateKey
	cert   *x509.Certificate
	serial atomic.Int64
	// CAFile is the CA's certificate, PEM.
	CAFile string
}

// Leaf is a certificate the PKI signed, as PEM files and loaded.
type Leaf struct {
	CertFile, KeyFile string
	Certificate       tls.Certificate
}

// NewPKI creates a CA named name, valid for an hour, in a temporary folder.
func NewPKI(t testing.TB, name string) *PKI {
	t.Helper()
	p := &PKI{t: t, dir: t.TempDir()}
	p.key = newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.key.PublicKey, p.key)
	if err != nil {
		t.Fatalf("create CA: %v", err)
	}
	if p.cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatalf("parse CA: %v", err)
	}
	p.serial.Store(1)
	p.CAFile = p.writePEM("ca.crt", "CERTIFICATE", der)
	return p
}

// Pool is a certificate pool holding only this CA.
func (p *PKI) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.cert)
	return pool
}

// Issue signs a certificate for names (IP addresses or DNS names, at least
// one; the first is also its common name), good for a server and for a
// client alike.
func (p *PKI) Issue(names ...string) Leaf {
	p.t.Helper()
	if len(names) == 0 {
		p.t.Fatal("issue a certificate: no name")
	}
	key := newKey(p.t)
	serial := p.serial.Add(1)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		p.t.Fatalf("issue a certificate: %v", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		p.t.Fatal(err)
	}
	base := "leaf" + big.NewInt(serial).String()
	leaf := Leaf{
		CertFile: p.writePEM(base+".crt", "CERTIFICATE", der),
		KeyFile:  p.writePEM(base+".key", "PRIVATE KEY", pkcs8),
	}
	if leaf.Certificate, err = tls.LoadX509KeyPair(leaf.CertFile, leaf.KeyFile); err != nil {
		p.t.Fatal(err)
	}
	return leaf
}

func (p *PKI) writePEM(name, typ string, der []byte) string {
	p.t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
