package redis

import (
	"strings"
	"testing"
)

func TestTLS(t *testing.T) {
	pki := newTLSSet(t, "127.0.0.1", "localhost")
	srv := startRedis(t, serverConfig{tls: pki})
	url := srv.url("", 0)

	t.Run("CA", func(t *testing.T) { checkWorks(t, Options{URLs: []string{url}, TLSCA: pki.caCert}) })
	t.Run("by name", func(t *testing.T) {
		checkWorks(t, Options{URLs: []string{"rediss://localhost:" + port(srv)}, TLSCA: pki.caCert})
	})
	t.Run("untrusted", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{url}, TLSCA: otherCA(t)}, "certificate signed by unknown authority")
	})
	t.Run("system roots", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{url}}, "certificate signed by unknown authority")
	})
	t.Run("insecure", func(t *testing.T) {
		checkWorks(t, Options{URLs: []string{url}, TLSCA: otherCA(t), TLSInsecure: true})
	})
	t.Run("#insecure", func(t *testing.T) { checkWorks(t, Options{URLs: []string{url + "#insecure"}}) })
	t.Run("plain to TLS", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{"redis://" + srv.addr}}, "")
	})
}

func TestTLSHostnameMismatch(t *testing.T) {
	pki := newTLSSet(t, "redis.example")
	srv := startRedis(t, serverConfig{tls: pki})
	url := srv.url("", 0)
	t.Run("checked", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{url}, TLSCA: pki.caCert}, "doesn't contain any IP SANs")
	})
	t.Run("checked by name", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{"rediss://localhost:" + port(srv)}, TLSCA: pki.caCert},
			"valid for redis.example, not localhost")
	})
	t.Run("dont validate hostname", func(t *testing.T) {
		checkWorks(t, Options{URLs: []string{url}, TLSCA: pki.caCert, TLSDontValidateHostname: true})
	})
	t.Run("dont validate hostname, untrusted", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{url}, TLSCA: otherCA(t), TLSDontValidateHostname: true},
			"certificate signed by unknown authority")
	})
}

func TestTLSClientCertificate(t *testing.T) {
	pki := newTLSSet(t, "127.0.0.1")
	pki.authClients = "yes"
	srv := startRedis(t, serverConfig{tls: pki})
	url := srv.url("", 0)
	t.Run("with", func(t *testing.T) {
		checkWorks(t, Options{URLs: []string{url}, TLSCA: pki.caCert, TLSCert: pki.clientCert, TLSKey: pki.clientKey})
	})
	t.Run("without", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{url}, TLSCA: pki.caCert}, "")
	})
}

func port(s *server) string {
	return s.addr[strings.LastIndexByte(s.addr, ':')+1:]
}
