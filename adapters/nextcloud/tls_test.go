package nextcloud

import (
	"context"
	"crypto/tls"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifypush/notify_push/internal/nextcloudtest"
	"github.com/notifypush/notify_push/internal/testenv"
)

// tlsNextcloud serves the fake Nextcloud over HTTPS with a certificate for
// 127.0.0.1 signed by pki, and returns its base URL.
func tlsNextcloud(t *testing.T, pki *testenv.PKI) string {
	t.Helper()
	nc := nextcloudtest.New(t, false)
	nc.AddUser("alice", "alice", secret)
	backend, err := url.Parse(nc.URL())
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(backend))
	front.TLS = &tls.Config{Certificates: []tls.Certificate{pki.Issue("127.0.0.1").Certificate}}
	front.StartTLS()
	t.Cleanup(front.Close)
	return front.URL
}

func TestPrivateCATrustedThroughTheCAFile(t *testing.T) {
	pki := testenv.NewPKI(t, "private Nextcloud CA")
	base := tlsNextcloud(t, pki)
	ctx := context.Background()

	// Without the CA: refused, and the message says what to set.
	strict, err := NewClient(Options{URL: base})
	if err != nil {
		t.Fatal(err)
	}
	_, err = strict.Authenticate(ctx, "alice", secret, nil)
	for _, want := range []string{"unknown authority", "NEXTCLOUD_CA_FILE", "--nextcloud-ca-file", "ALLOW_SELF_SIGNED=true"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("login without the CA: %v; want %q in it", err, want)
		}
	}
	if err := strict.TestVersion(ctx); err == nil || !strings.Contains(err.Error(), "NEXTCLOUD_CA_FILE") {
		t.Errorf("probe without the CA: %v", err)
	}

	// With it: checked and trusted.
	trusting, err := NewClient(Options{URL: base, CAFile: pki.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	if uid, err := trusting.Authenticate(ctx, "alice", secret, nil); err != nil || uid != "alice" {
		t.Fatalf("login with the CA file: %q %v", uid, err)
	}

	// Another CA in the file: refused, naming the file.
	other := testenv.NewPKI(t, "someone else's CA")
	wrong, err := NewClient(Options{URL: base, CAFile: other.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Authenticate(ctx, "alice", secret, nil); err == nil || !strings.Contains(err.Error(), "neither in NEXTCLOUD_CA_FILE "+other.CAFile) {
		t.Errorf("login with another CA: %v", err)
	}

	// The last resort still works.
	lax, err := NewClient(Options{URL: base, AllowSelfSigned: true})
	if err != nil {
		t.Fatal(err)
	}
	if uid, err := lax.Authenticate(ctx, "alice", secret, nil); err != nil || uid != "alice" {
		t.Fatalf("AllowSelfSigned: %q %v", uid, err)
	}
}

func TestBadCAFile(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		empty:                            "no PEM certificate",
		filepath.Join(t.TempDir(), "no"): "no such file",
	} {
		if _, err := NewClient(Options{URL: "https://cloud.example.com", CAFile: file}); err == nil ||
			!strings.Contains(err.Error(), "NEXTCLOUD_CA_FILE") || !strings.Contains(err.Error(), want) {
			t.Errorf("CA file %s: %v", file, err)
		}
	}
}
