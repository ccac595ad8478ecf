package demo

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/notifypush/notify_push/adapters/httpapi"
)

func consoleMux(t *testing.T) *http.ServeMux {
	t.Helper()
	c, err := NewConsoleRoute()
	if err != nil {
		t.Fatalf("NewConsoleRoute: %v", err)
	}
	mux := http.NewServeMux()
	c.Register(mux, httpapi.LocalOnly)
	return mux
}

func getFrom(mux http.Handler, remote, method, path string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = remote
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

func TestConsoleServesThePageAndItsAssetsToLoopback(t *testing.T) {
	mux := consoleMux(t)
	for _, remote := range []string{"127.0.0.1:40000", "127.8.9.10:1", "[::1]:40000", "@"} {
		rec := getFrom(mux, remote, "GET", "/", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET / from %s: status %d", remote, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET / from %s: Content-Type %q", remote, ct)
		}
	}
	rec := getFrom(mux, "127.0.0.1:40000", "GET", "/", nil)
	page := rec.Body.String()
	for _, id := range []string{"ws-url", "login", "password", "connect", "disconnect", "listen-ids", "state", "log",
		"log-clear", "publish-storage", "publish-group", "publish-share", "publish-activity", "publish-notification",
		"publish-custom", "publish-preauth", "login-preauth", "publish-reset"} {
		if !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("page has no element with id %q", id)
		}
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}

	// Every asset the page references is served, with its type.
	refs := regexp.MustCompile(`(?:src|href)="(/console/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 2 {
		t.Fatalf("page references %d assets, want the script and the style sheet", len(refs))
	}
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	for _, ref := range refs {
		rec := getFrom(mux, "127.0.0.1:40000", "GET", ref[1], nil)
		if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
			t.Errorf("GET %s: status %d, %d bytes", ref[1], rec.Code, rec.Body.Len())
			continue
		}
		ext := ref[1][strings.LastIndex(ref[1], "."):]
		if got := rec.Header().Get("Content-Type"); got != types[ext] {
			t.Errorf("GET %s: Content-Type %q, want %q", ref[1], got, types[ext])
		}
		etag := rec.Header().Get("ETag")
		if again := getFrom(mux, "127.0.0.1:40000", "GET", ref[1], http.Header{"If-None-Match": {etag}}); etag == "" ||
			again.Code != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match %q: status %d, want 304", ref[1], etag, again.Code)
		}
	}
}

func TestConsoleRefusesOtherClients(t *testing.T) {
	mux := consoleMux(t)
	for _, remote := range []string{"203.0.113.7:5555", "[2001:db8::1]:443", "192.168.1.2:80", "garbage"} {
		for _, path := range []string{"/", "/console/console.js", "/console/console.css"} {
			rec := getFrom(mux, remote, "GET", path, nil)
			if rec.Code != http.StatusForbidden {
				t.Errorf("GET %s from %s: status %d, want 403", path, remote, rec.Code)
			}
			if strings.Contains(rec.Body.String(), "<html") || strings.Contains(rec.Body.String(), "WebSocket") {
				t.Errorf("GET %s from %s: the refusal leaks the page", path, remote)
			}
		}
	}
}

func TestConsoleServesNothingElse(t *testing.T) {
	mux := consoleMux(t)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/console/index.html", http.StatusNotFound}, // the page lives at / only
		{"GET", "/console/", http.StatusNotFound},           // no listing
		{"GET", "/console/nope.js", http.StatusNotFound},
		{"GET", "/console/..%2fconsole.go", http.StatusNotFound},
		{"GET", "/index.html", http.StatusNotFound},
		{"POST", "/", http.StatusMethodNotAllowed},
	} {
		if rec := getFrom(mux, "127.0.0.1:1", tc.method, tc.path, nil); rec.Code != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, rec.Code, tc.status)
		}
	}
}
