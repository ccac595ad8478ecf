package nextcloud

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"

	"github.com/notifypush/notify_push/domain"
)

// ClassifyTransport sorts an HTTP or WebSocket transport error into the
// failures the self-test and test_client explain. url is the address as it
// may be shown; *url.Error's own copy of it is dropped from err.
func ClassifyTransport(url string, err error) *domain.ProbeError {
	err = stripURL(err)
	pe := &domain.ProbeError{URL: url, Err: err}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var header tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.As(err, &unknownCA):
		pe.Failure = domain.ProbeTLSUnknownAuthority
	case errors.As(err, &hostname):
		pe.Failure = domain.ProbeTLSHostname
	case errors.As(err, &invalid), errors.As(err, &verify), errors.As(err, &header),
		strings.Contains(err.Error(), "HTTP response to HTTPS client"):
		pe.Failure = domain.ProbeTLS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		pe.Failure = domain.ProbeTimeout
	default:
		pe.Failure = domain.ProbeUnreachable
	}
	return pe
}
