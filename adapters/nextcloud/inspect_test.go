package nextcloud

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/nextcloudtest"
)

func wantProbe(t *testing.T, err error, failure domain.ProbeFailure) *domain.ProbeError {
	t.Helper()
	pe, ok := domain.ProbeFailureOf(err)
	if !ok || pe.Failure != failure {
		t.Fatalf("error %v (%T), want probe failure %d", err, err, failure)
	}
	return pe
}

func TestStatus(t *testing.T) {
	nc, c := newFake(t)
	ctx := context.Background()
	st, err := c.Status(ctx)
	if err != nil || !st.Installed || st.Maintenance || st.Version != "30.0.4" || st.ProductName != "Nextcloud" {
		t.Fatalf("%+v %v", st, err)
	}
	nc.SetMaintenance(true)
	if st, err := c.Status(ctx); err != nil || !st.Maintenance {
		t.Fatalf("maintenance: %+v %v", st, err)
	}
	nc.SetRedirect("https://cloud.example.com/")
	_, err = c.Status(ctx)
	if pe := wantProbe(t, err, domain.ProbeRedirect); pe.Location != "https://cloud.example.com/status.php" || pe.Status != 301 {
		t.Fatalf("redirect %+v", pe)
	}

	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/status.php" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("<html>a web site</html>"))
	}))
	defer page.Close()
	other, _ := NewClient(Options{URL: page.URL})
	wantProbe(t, mustErr(other.Status(ctx)), domain.ProbeBadAnswer)
	sub, _ := NewClient(Options{URL: page.URL + "/nextcloud"})
	if pe := wantProbe(t, mustErr(sub.Status(ctx)), domain.ProbeStatus); pe.Status != 404 || !strings.Contains(pe.Error(), "404 Not Found") {
		t.Fatalf("404: %+v", pe)
	}
	nc.Close()
	wantProbe(t, mustErr(c.Status(ctx)), domain.ProbeUnreachable)
}

func mustErr[T any](_ T, err error) error { return err }

func TestAppRoute(t *testing.T) {
	nc, c := newFake(t)
	ctx := context.Background()
	nc.SetToken("tok")
	if body, err := c.AppRoute(ctx, "test/remote", "tok", "1.2.3.4"); err != nil || body != "1.2.3.4" {
		t.Fatalf("remote %q %v", body, err)
	}
	last := nc.Requests()[len(nc.Requests())-1]
	if last.Token != "tok" || last.ForwardedFor != "1.2.3.4" || last.Path != "/index.php/apps/notify_push/test/remote" {
		t.Fatalf("request %+v", last)
	}
	pe := wantProbe(t, mustErr(c.AppRoute(ctx, "test/cookie", "other", "")), domain.ProbeStatus)
	if pe.Status != 403 {
		t.Fatalf("wrong token: %+v", pe)
	}
	if pe := wantProbe(t, mustErr(c.AppRoute(ctx, "test/nope", "", "")), domain.ProbeStatus); pe.Status != 404 {
		t.Fatalf("missing route: %+v", pe)
	}

	tlsNC := nextcloudtest.New(t, true)
	strict, _ := NewClient(Options{URL: tlsNC.URL()})
	wantProbe(t, mustErr(strict.AppRoute(ctx, "test/version", "", "")), domain.ProbeTLSUnknownAuthority)
	lax, _ := NewClient(Options{URL: tlsNC.URL(), AllowSelfSigned: true})
	if _, err := lax.AppRoute(ctx, "test/version", "", ""); err != nil {
		t.Fatalf("self-signed allowed: %v", err)
	}
}
