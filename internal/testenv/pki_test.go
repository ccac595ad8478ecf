package testenv

import (
	"crypto/x509"
	"os"
	"testing"
)

func TestPKIIssuesCertificatesItsPoolTrusts(t *testing.T) {
	pki := NewPKI(t, "test CA")
	leaf := pki.Issue("127.0.0.1", "cache.example")
	cert, err := x509.ParseCertificate(leaf.Certificate.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"127.0.0.1", "cache.example"} {
		for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			opts := x509.VerifyOptions{Roots: pki.Pool(), DNSName: name, KeyUsages: []x509.ExtKeyUsage{usage}}
			if _, err := cert.Verify(opts); err != nil {
				t.Errorf("%s, usage %v: %v", name, usage, err)
			}
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pki.Pool(), DNSName: "other.example"}); err == nil {
		t.Error("valid for a name it was not issued for")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: NewPKI(t, "other CA").Pool()}); err == nil {
		t.Error("trusted by another CA")
	}

	// The CA file holds the same CA as the pool, as a program would load it.
	pem, err := os.ReadFile(pki.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	fromFile := x509.NewCertPool()
	if !fromFile.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in the CA file")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: fromFile, DNSName: "cache.example"}); err != nil {
		t.Errorf("CA file: %v", err)
	}
	if a, b := pki.Issue("a.example"), pki.Issue("b.example"); a.CertFile == b.CertFile || a.KeyFile == b.KeyFile {
		t.Error("two certificates share a file")
	}
}
