package nextcloud

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestReverseCookieNamesAnUntrustedDomain is issue 18 item 9: Nextcloud
// answers a request for a host outside trusted_domains with a 400 page
// linking to admin-trusted-domains; upstream turns it into the sentence the
// app prints to the admin.
func TestReverseCookieNamesAnUntrustedDomain(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`<html><body><p>Access through untrusted domain</p>` +
			`<a href="https://docs.example.com/admin-trusted-domains">see</a></body></html>`))
	}))
	defer ts.Close()
	c, err := NewClient(Options{URL: strings.Replace(ts.URL, "127.0.0.1", "localhost", 1) + "/nextcloud"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.TestCookie(context.Background(), "tok")
	if err == nil || err.Error() != "localhost is not configured as a trusted domain for the nextcloud server" {
		t.Fatalf("err = %v", err)
	}
}

// redirector sends every request through hops redirects, optionally to
// another port, before answering at /final; it records the Authorization
// each request carried.
type redirector struct {
	mu    sync.Mutex
	auths []string
}

func (r *redirector) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auths...)
}

// TestRedirectsFollowedLikeReqwest is issue 18 item 11: upstream's reqwest
// follows up to ten redirects and drops the credentials from the first hop
// that changes host or port on.
func TestRedirectsFollowedLikeReqwest(t *testing.T) {
	final := &redirector{}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		final.mu.Lock()
		final.auths = append(final.auths, req.Header.Get("Authorization"))
		final.mu.Unlock()
		if strings.HasSuffix(req.URL.Path, "/uid") {
			if req.Header.Get("Authorization") == "" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Write([]byte("alice"))
			return
		}
		w.Write([]byte("4242"))
	}))
	defer other.Close()

	same := &redirector{}
	var hops int
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		same.mu.Lock()
		same.auths = append(same.auths, req.Header.Get("Authorization"))
		n := len(same.auths)
		same.mu.Unlock()
		switch {
		case strings.HasPrefix(req.URL.Path, "/away/"):
			http.Redirect(w, req, other.URL+strings.TrimPrefix(req.URL.Path, "/away"), http.StatusFound)
		case n <= hops:
			http.Redirect(w, req, req.URL.Path+"?hop="+strings.Repeat("x", n), http.StatusMovedPermanently)
		case strings.HasSuffix(req.URL.Path, "/uid"):
			w.Write([]byte("alice"))
		default:
			w.Write([]byte("4242"))
		}
	}))
	defer ts.Close()
	ctx := context.Background()

	// Ten redirects on the same host: followed, credentials kept.
	hops = 10
	c, _ := NewClient(Options{URL: ts.URL})
	if uid, err := c.Authenticate(ctx, "alice", "pw", nil); err != nil || uid != "alice" {
		t.Fatalf("ten redirects: %q, %v", uid, err)
	}
	for i, a := range same.seen() {
		if a == "" {
			t.Fatalf("hop %d lost the credentials on the same host", i)
		}
	}

	// Eleven: an error, as reqwest's limit.
	same.auths, hops = nil, 11
	if _, err := c.TestCookie(ctx, "tok"); err == nil {
		t.Fatal("eleven redirects followed")
	}

	// To another port: followed, without the credentials.
	same.auths, hops = nil, 0
	away, _ := NewClient(Options{URL: ts.URL + "/away"})
	if _, err := away.Authenticate(ctx, "alice", "pw", nil); err == nil {
		t.Fatal("credentials reached another host:port")
	}
	if got := final.seen(); len(got) != 1 || got[0] != "" {
		t.Fatalf("the other host saw Authorization %q", got)
	}
	if v, err := away.TestCookie(ctx, "tok"); err != nil || v != 4242 {
		t.Fatalf("cookie through a redirect to another port: %d, %v", v, err)
	}
}
