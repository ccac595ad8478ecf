package redis

import (
	"strings"
	"testing"

	"github.com/notifypush/notify_push/internal/testenv"
)

func TestTLS(t *testing.T) {
	pki := testenv.NewPKI(t, "notify_push test CA")
	srv := startRedis(t, serverConfig{tls: &serverTLS{pki: pki, names: []string{"127.0.0.1", "localhost"}, authClients: "no"}})
	url := srv.url("", 0)

	t.Run("CA", func(t *testing.T) { checkWorks(t, Options{URLs: []string{url}, TLSCA: pki.CAFile}) })
	t.Run("by name", func(t *testing.T) {
		checkWorks(t, Options{URLs: []string{"rediss://localhost:" + port(srv)}, TLSCA: pki.CAFile})
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
	pki := testenv.NewPKI(t, "notify_push test CA")
	srv := startRedis(t, serverConfig{tls: &serverTLS{pki: pki, names: []string{"redis.example"}, authClients: "no"}})
	url := srv.url("", 0)
	t.Run("checked", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{url}, TLSCA: pki.CAFile}, "doesn't contain any IP SANs")
	})
	t.Run("checked by name", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{"rediss://localhost:" + port(srv)}, TLSCA: pki.CAFile},
			"valid for redis.example, not localhost")
	})
	t.Run("dont validate hostname", func(t *testing.T) {
		checkWorks(t, Options{URLs: []string{url}, TLSCA: pki.CAFile, TLSDontValidateHostname: true})
	})
	t.Run("dont validate hostname, untrusted", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{url}, TLSCA: otherCA(t), TLSDontValidateHostname: true},
			"certificate signed by unknown authority")
	})
}

func TestTLSClientCertificate(t *testing.T) {
	pki := testenv.NewPKI(t, "notify_push test CA")
	srv := startRedis(t, serverConfig{tls: &serverTLS{pki: pki, names: []string{"127.0.0.1"}, authClients: "yes"}})
	url := srv.url("", 0)
	client := pki.Issue("notify-push.example")
	t.Run("with", func(t *testing.T) {
		checkWorks(t, Options{URLs: []string{url}, TLSCA: pki.CAFile, TLSCert: client.CertFile, TLSKey: client.KeyFile})
	})
	t.Run("without", func(t *testing.T) {
		checkFails(t, Options{URLs: []string{url}, TLSCA: pki.CAFile}, "")
	})
}

func port(s *server) string {
	return s.addr[strings.LastIndexByte(s.addr, ':')+1:]
}

// otherCA is the certificate file of a CA that signed nothing of ours.
func otherCA(t testing.TB) string {
	return testenv.NewPKI(t, "someone else's CA").CAFile
}
