package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/testenv"
	"github.com/notifypush/notify_push/mocks"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func do(t *testing.T, h http.Handler, method, path, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if token != "" {
		req.Header.Set("token", token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func testRoutesMux(t *testing.T) (*http.ServeMux, *mocks.MockTestEndpoints) {
	ctrl := gomock.NewController(t)
	st := mocks.NewMockTestEndpoints(ctrl)
	mux := http.NewServeMux()
	NewTestRoutes(st, discard()).Register(mux)
	return mux, st
}

func TestTestRoutesAnswer(t *testing.T) {
	mux, st := testRoutesMux(t)
	st.EXPECT().Authorize(gomock.Any(), "tok").Return(nil).AnyTimes()
	st.EXPECT().Cookie().Return(uint32(123456)).Times(3)
	st.EXPECT().ReverseCookie(gomock.Any(), "tok").Return(uint32(99), nil)
	st.EXPECT().MappingCount(gomock.Any(), domain.StorageID(12)).Return(3, nil)
	st.EXPECT().MappingCount(gomock.Any(), domain.StorageID(13)).Return(0, errors.New("db down"))
	st.EXPECT().Remote(gomock.Any(), "1.2.3.4", "tok").Return("1.2.3.4", nil)
	st.EXPECT().Remote(gomock.Any(), "::1", "tok").Return("::1", nil)
	st.EXPECT().StoreVersion(gomock.Any()).Return(nil)
	st.EXPECT().StoreVersion(gomock.Any()).Return(errors.New("redis down"))
	tests := []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/test/cookie", 200, "123456"},
		{"GET", "/push/test/cookie", 200, "123456"},
		{"GET", "/test/reverse_cookie", 200, "99"},
		{"GET", "/test/mapping/12", 200, "3"},
		{"GET", "/push/test/mapping/13", 200, "0"},
		{"GET", "/test/mapping/-1", 404, ""},
		{"GET", "/test/mapping/4294967296", 404, ""},
		{"GET", "/test/remote/1.2.3.4", 200, "1.2.3.4"},
		{"GET", "/test/remote/not-an-ip", 404, ""},
		{"GET", "/test/remote/fe80::1%25eth0", 404, ""},
		// Any method but the version route's, as upstream (issue 18 item 9).
		{"POST", "/test/cookie", 200, "123456"},
		{"PUT", "/push/test/remote/0:0:0:0:0:0:0:1", 200, "::1"},
		{"POST", "/test/version", 200, "set"},
		{"POST", "/push/test/version", 200, "error"},
		{"GET", "/test/version", 405, ""},
	}
	for _, tt := range tests {
		code, body := do(t, mux, tt.method, tt.path, "tok")
		if code != tt.status || (tt.body != "" && body != tt.body) {
			t.Errorf("%s %s: %d %q, want %d %q", tt.method, tt.path, code, body, tt.status, tt.body)
		}
	}
}

// TestTestRoutesRefuseWrongToken: upstream's statuses, which the app's
// setup reports: 400 without the token header, 500 for a wrong token or
// when Redis cannot tell (issue 18 item 9).
func TestTestRoutesRefuseWrongToken(t *testing.T) {
	mux, st := testRoutesMux(t)
	st.EXPECT().Authorize(gomock.Any(), gomock.Any()).Return(domain.ErrInvalidToken).Times(5)
	// Nothing else may be called: gomock fails the test on any other call.
	for _, p := range []string{"/test/cookie", "/test/reverse_cookie", "/test/mapping/1", "/test/remote/1.2.3.4"} {
		if code, _ := do(t, mux, "GET", p, "wrong"); code != http.StatusInternalServerError {
			t.Errorf("%s: status %d", p, code)
		}
		if code, _ := do(t, mux, "GET", p, ""); code != http.StatusBadRequest {
			t.Errorf("%s without a token header: status %d", p, code)
		}
	}
	if code, _ := do(t, mux, "POST", "/test/version", "wrong"); code != http.StatusInternalServerError {
		t.Errorf("version: status %d", code)
	}
	if code, _ := do(t, mux, "POST", "/test/version", ""); code != http.StatusBadRequest {
		t.Errorf("version without a token header: status %d", code)
	}
	st.EXPECT().Authorize(gomock.Any(), gomock.Any()).Return(errors.New("redis down"))
	if code, _ := do(t, mux, "GET", "/test/cookie", "x"); code != http.StatusInternalServerError {
		t.Errorf("store failure: status %d", code)
	}
}

func serve(t *testing.T, opts ListenOptions) (*Server, context.CancelFunc, chan error) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hi") })
	srv := NewServer(opts, mux, discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("Run: %v", err)
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("not ready")
	}
	return srv, cancel, done
}

func TestServerTCPAndShutdown(t *testing.T) {
	srv, cancel, done := serve(t, ListenOptions{Bind: "127.0.0.1", Port: 0})
	resp, err := http.Get("http://" + srv.Addr().String() + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hi" {
		t.Fatalf("body %q", b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if _, err := net.Dial("tcp", srv.Addr().String()); err == nil {
		t.Fatal("still listening after shutdown")
	}
}

func TestServerOccupiedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	err = NewServer(ListenOptions{Bind: "127.0.0.1", Port: port}, http.NewServeMux(), discard()).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "listen on 127.0.0.1:") {
		t.Fatalf("occupied port: %v", err)
	}
}

func TestServerUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "npsock")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "push.sock")
	// A stale socket left by a crashed process is replaced.
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()

	_, cancel, done := serve(t, ListenOptions{SocketPath: path, SocketPermissions: 0o640})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != 0o640 {
		t.Fatalf("socket mode %v, want socket 0640", fi.Mode())
	}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", path)
	}}}
	resp, err := client.Get("http://unix/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A second server on the same live socket is refused.
	err = NewServer(ListenOptions{SocketPath: path}, http.NewServeMux(), discard()).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "another process") {
		t.Fatalf("live socket: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("socket file left behind: %v", err)
	}
	// A regular file is never removed.
	os.WriteFile(path, []byte("keep"), 0o600)
	if err := NewServer(ListenOptions{SocketPath: path}, http.NewServeMux(), discard()).Run(context.Background()); err == nil {
		t.Fatal("regular file replaced by a socket")
	}
}

func TestServerTLS(t *testing.T) {
	dir := t.TempDir()
	pki := testenv.NewPKI(t, "test CA")
	leaf := pki.Issue("127.0.0.1")
	srv, cancel, done := serve(t, ListenOptions{Bind: "127.0.0.1", TLSCert: leaf.CertFile, TLSKey: leaf.KeyFile})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool()}}}
	resp, err := client.Get("https://" + srv.Addr().String() + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	<-done

	err = NewServer(ListenOptions{Bind: "127.0.0.1", TLSCert: filepath.Join(dir, "missing.pem"), TLSKey: leaf.KeyFile}, http.NewServeMux(), discard()).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "load TLS certificate") {
		t.Fatalf("missing certificate: %v", err)
	}
}
