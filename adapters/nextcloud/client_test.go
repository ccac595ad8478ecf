package nextcloud

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/contract"
	"github.com/notifypush/notify_push/internal/nextcloudtest"
	"github.com/notifypush/notify_push/ports"
)

const secret = "s3cret-app-password"

func newFake(t *testing.T) (*nextcloudtest.Server, *Client) {
	t.Helper()
	nc := nextcloudtest.New(t, false)
	nc.AddUser("alice", "alice", secret)
	nc.AddUser("alice@example.com", "alice", secret)
	c, err := NewClient(Options{URL: strings.TrimSuffix(nc.URL(), "/")})
	if err != nil {
		t.Fatal(err)
	}
	return nc, c
}

func TestAuthenticatorContract(t *testing.T) {
	contract.Authenticator(t, func(t *testing.T, accounts []contract.Account) ports.Authenticator {
		nc := nextcloudtest.New(t, false)
		for _, a := range accounts {
			nc.AddUser(a.Login, string(a.UID), a.Password)
		}
		c, err := NewClient(Options{URL: nc.URL()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	})
}

// TestAuthenticateRequest: what the uid request carries.
func TestAuthenticateRequest(t *testing.T) {
	nc, c := newFake(t)
	ctx := context.Background()
	for _, login := range []string{"alice", "alice@example.com"} {
		if _, err := c.Authenticate(ctx, login, secret, []string{"203.0.113.9", "127.0.0.1"}); err != nil {
			t.Fatalf("%s: %v", login, err)
		}
	}
	if _, err := c.Authenticate(ctx, "alice", "wrong", nil); !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	reqs := nc.Requests()
	if reqs[0].Path != "/index.php/apps/notify_push/uid" || reqs[0].ForwardedFor != "203.0.113.9, 127.0.0.1" || reqs[0].Login != "alice" {
		t.Fatalf("request %+v", reqs[0])
	}
	if reqs[2].ForwardedFor != "" {
		t.Fatalf("empty chain sent X-Forwarded-For %q", reqs[2].ForwardedFor)
	}
	if reqs[0].HasUserAgent {
		t.Fatalf("User-Agent %q sent without configuration", reqs[0].UserAgent)
	}
}

func TestStatusTexts(t *testing.T) {
	nc, c := newFake(t)
	tests := []struct {
		status int
		want   string
	}{
		{403, "Error while sending authentication request to nextcloud: Client error: 403 Forbidden"},
		{404, "Error while sending authentication request to nextcloud: Client error: 404 Not Found"},
		{500, "Error while sending authentication request to nextcloud: Server error: 500 Internal Server Error"},
		{503, "Error while sending authentication request to nextcloud: Server error: 503 Service Unavailable"},
		{302, "Error while sending authentication request to nextcloud: Unexpected status: 302 Found"},
	}
	for _, tt := range tests {
		nc.SetUIDStatus(tt.status)
		_, err := c.Authenticate(context.Background(), "alice", secret, nil)
		var ncErr *domain.NextcloudError
		if !errors.As(err, &ncErr) || domain.AuthFailureText(err) != tt.want {
			t.Errorf("%d: %v, want %q", tt.status, err, tt.want)
		}
	}
}

func TestUserAgentAndSubfolder(t *testing.T) {
	var gotUA, gotPath string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA, gotPath = r.Header.Get("User-Agent"), r.URL.Path
		w.Write([]byte(" bob\n"))
	}))
	defer ts.Close()
	c, err := NewClient(Options{URL: ts.URL + "/nextcloud", UserAgent: "notify_push/1.4"})
	if err != nil {
		t.Fatal(err)
	}
	uid, err := c.Authenticate(context.Background(), "bob", "pw", nil)
	if err != nil || uid != "bob" || gotUA != "notify_push/1.4" || gotPath != "/nextcloud/index.php/apps/notify_push/uid" {
		t.Fatalf("uid %q err %v ua %q path %q", uid, err, gotUA, gotPath)
	}
}

func TestBadURLs(t *testing.T) {
	for _, u := range []string{"", "cloud.example.com", "ftp://cloud", "https://", "::"} {
		if _, err := NewClient(Options{URL: u}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

func TestUnreachableSlowAndCancelled(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	c, _ := NewClient(Options{URL: "http://" + addr})
	_, err := c.Authenticate(context.Background(), "alice", secret, nil)
	if got := domain.AuthFailureText(err); got != "Error while sending authentication request to nextcloud: Nextcloud could not be reached" {
		t.Fatalf("unreachable: a client is told %q (%v)", got, err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatal("password in error")
	}

	nc, _ := newFake(t)
	nc.SetDelay(2 * time.Second)
	slow, _ := NewClient(Options{URL: nc.URL(), Timeout: 200 * time.Millisecond})
	start := time.Now()
	if _, err := slow.Authenticate(context.Background(), "alice", secret, nil); err == nil || time.Since(start) > time.Second {
		t.Fatalf("timeout not bounded: %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	fast, _ := NewClient(Options{URL: nc.URL()})
	if _, err := fast.Authenticate(ctx, "alice", secret, nil); err == nil {
		t.Fatal("cancelled request succeeded")
	}
}

func TestSelfSignedTLS(t *testing.T) {
	nc := nextcloudtest.New(t, true)
	nc.AddUser("alice", "alice", secret)
	strict, _ := NewClient(Options{URL: nc.URL()})
	if _, err := strict.Authenticate(context.Background(), "alice", secret, nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("self-signed accepted by default: %v", err)
	}
	lax, _ := NewClient(Options{URL: nc.URL(), AllowSelfSigned: true})
	if uid, err := lax.Authenticate(context.Background(), "alice", secret, nil); err != nil || uid != "alice" {
		t.Fatalf("AllowSelfSigned: %q %v", uid, err)
	}
}

func TestProbes(t *testing.T) {
	nc, c := newFake(t)
	ctx := context.Background()
	nc.SetToken("tok")
	nc.SetCookie(123456)
	if v, err := c.TestCookie(ctx, "tok"); v != 123456 || err != nil {
		t.Fatalf("cookie %d %v", v, err)
	}
	if _, err := c.TestCookie(ctx, "wrong"); err == nil || err.Error() != "Client error: 403 Forbidden" {
		t.Fatalf("wrong token: %v", err) // upstream's text, which the app shows the admin
	}
	if addr, err := c.TestRemote(ctx, "1.2.3.4", "tok"); addr != "1.2.3.4" || err != nil {
		t.Fatalf("remote %q %v", addr, err)
	}
	nc.SetTrustedProxy(false)
	if addr, _ := c.TestRemote(ctx, "1.2.3.4", "tok"); addr != "127.0.0.1" {
		t.Fatalf("untrusted proxy: %q", addr)
	}
	called := false
	nc.OnVersion(func() { called = true })
	if err := c.TestVersion(ctx); err != nil || !called {
		t.Fatalf("version %v %v", err, called)
	}

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	down, _ := NewClient(Options{URL: failing.URL})
	if err := down.TestVersion(ctx); err == nil {
		t.Fatal("version: a 503 accepted")
	} else if pe, ok := domain.ProbeFailureOf(err); !ok || pe.Failure != domain.ProbeStatus || pe.Status != 503 {
		t.Fatalf("an answer outside 2xx is not classified as one: %#v", err) // the startup gate relies on it
	}

	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("not a number")) }))
	defer ts.Close()
	odd, _ := NewClient(Options{URL: ts.URL})
	if _, err := odd.TestCookie(ctx, "tok"); err == nil || !strings.Contains(err.Error(), "not a number") {
		t.Fatalf("non-numeric cookie: %v", err)
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("alice")) }))
	defer ts.Close()
	c, _ := NewClient(Options{URL: ts.URL})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Authenticate(ctx, "alice", "pw", []string{"127.0.0.1"}); err != nil {
			b.Fatal(err)
		}
	}
}
