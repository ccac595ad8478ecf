package main

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/internal/testenv"
)

// TestBinaryTrustsAPrivateCAThroughTheCAFile: Nextcloud over HTTPS with a
// certificate from a CA made here. Without NEXTCLOUD_CA_FILE the server says
// what to set (in /health and its log); with it, everything works.
func TestBinaryTrustsAPrivateCAThroughTheCAFile(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pki := testenv.NewPKI(t, "private Nextcloud CA")
	backend, err := url.Parse(w.nc.URL())
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(backend))
	front.TLS = &tls.Config{Certificates: []tls.Certificate{pki.Issue("127.0.0.1").Certificate}}
	front.StartTLS()
	t.Cleanup(front.Close)
	env := withEnv(w.env, "NEXTCLOUD_URL="+front.URL)

	untrusting := startDaemon(t, env...)
	untrusting.waitHealthContains(http.StatusServiceUnavailable, "NEXTCLOUD_CA_FILE")
	_, body := untrusting.health()
	if !strings.Contains(body, "unknown authority") || !strings.Contains(body, "ALLOW_SELF_SIGNED=true") {
		t.Errorf("/health without the CA: %s", body)
	}
	waitUntil(t, 10*time.Second, "the warning", func() bool {
		for _, line := range strings.Split(untrusting.logs.String(), "\n") {
			if strings.Contains(line, "level=WARN") && strings.Contains(line, "NEXTCLOUD_CA_FILE") {
				return true
			}
		}
		return false
	})

	trusting := startDaemon(t, append(env, "NEXTCLOUD_CA_FILE="+pki.CAFile)...)
	w.waitSubscribed(t)
	alice := trusting.login("alice", "alice-pw")
	w.publish(t, "notify_activity", `{"user":"alice"}`)
	alice.Expect("notify_activity")
	trusting.waitHealth(http.StatusOK, `{"status":"ok"}`)
}
