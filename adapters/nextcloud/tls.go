package nextcloud

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// tlsConfig trusts the system's CA pool plus the CAs of opts.CAFile, so that
// a Nextcloud with a private CA is checked rather than not checked at all;
// AllowSelfSigned still turns every check off.
func tlsConfig(opts Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.AllowSelfSigned} //nolint:gosec // the admin's explicit choice
	if opts.CAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(opts.CAFile)
	if err != nil {
		return nil, fmt.Errorf("NEXTCLOUD_CA_FILE: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool() // no system pool on this platform: the file alone
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("NEXTCLOUD_CA_FILE %s: no PEM certificate in it", opts.CAFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// explainUnknownCA adds to an untrusted-certificate error the settings that
// fix it, the CA file first and skipping the check as the last resort.
func explainUnknownCA(err error, caFile string) error {
	var unknown x509.UnknownAuthorityError
	if err == nil || !errors.As(err, &unknown) {
		return err
	}
	if caFile != "" {
		return fmt.Errorf("%w (its issuer is neither in NEXTCLOUD_CA_FILE %s nor in the system's CA pool; "+
			"add the CA to that file, or as a last resort set ALLOW_SELF_SIGNED=true)", err, caFile)
	}
	return fmt.Errorf("%w (trust Nextcloud's CA with NEXTCLOUD_CA_FILE or --nextcloud-ca-file; "+
		"as a last resort set ALLOW_SELF_SIGNED=true)", err)
}
