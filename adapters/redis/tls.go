package redis

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// tlsConfig builds the TLS settings of rediss:// connections. ServerName
// stays empty so that each connection checks the name of the host it dials,
// which matters for the nodes of a cluster.
func (o Options) tlsConfig(insecure bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, errors.New("redis TLS: a client certificate needs both a certificate and a key file")
	}
	if o.TLSCert != "" {
		pair, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("redis TLS: load client certificate %s: %w", o.TLSCert, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if o.TLSCA != "" {
		pem, err := os.ReadFile(o.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("redis TLS: read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("redis TLS: no PEM certificate in CA file %s", o.TLSCA)
		}
		cfg.RootCAs = pool
	}
	switch {
	case insecure || o.TLSInsecure:
		cfg.InsecureSkipVerify = true
	case o.TLSDontValidateHostname:
		// Go checks the chain and the name together; skip both and check the
		// chain alone.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = verifyChain(cfg.RootCAs)
	}
	return cfg, nil
}

// verifyChain checks that the server's certificate chains to roots (the
// system's when nil), whatever name it was issued for.
func verifyChain(roots *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("redis TLS: the server sent no certificate")
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
			return fmt.Errorf("redis TLS: %w", err)
		}
		return nil
	}
}
