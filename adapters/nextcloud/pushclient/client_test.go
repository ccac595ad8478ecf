package pushclient

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/notifypush/notify_push/domain"
	"github.com/notifypush/notify_push/internal/nextcloudtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newClient(t *testing.T, opts Options) *Client {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func probeFailure(t *testing.T, err error, want domain.ProbeFailure) *domain.ProbeError {
	t.Helper()
	pe, ok := domain.ProbeFailureOf(err)
	if !ok || pe.Failure != want {
		t.Fatalf("error %v (%T), want probe failure %d", err, err, want)
	}
	return pe
}

func TestDiscover(t *testing.T) {
	nc := nextcloudtest.New(t, false)
	nc.AddUser("alice", "alice", "pw")
	nc.SetPushEndpoint("wss://cloud.example.com/push/ws")
	c := newClient(t, Options{})
	ctx := context.Background()

	got, err := c.Discover(ctx, nc.URL(), "alice", "pw")
	if err != nil || got.WebSocket != "wss://cloud.example.com/push/ws" || len(got.Types) != 3 ||
		!strings.HasSuffix(got.PreAuth, "/apps/notify_push/pre_auth") {
		t.Fatalf("%+v %v", got, err)
	}
	// Anonymous: real Nextcloud announces notify_push to users only.
	if _, err := c.Discover(ctx, nc.URL(), "", ""); !errors.Is(err, domain.ErrNoPushCapability) {
		t.Fatalf("anonymous: %v", err)
	}
	nc.SetAnonymousCapabilities(true)
	if got, err := c.Discover(ctx, strings.TrimSuffix(nc.URL(), "/"), "", ""); err != nil || got.WebSocket == "" {
		t.Fatalf("anonymous, announced: %+v %v", got, err)
	}
	pe := probeFailure(t, mustFail(c.Discover(ctx, nc.URL(), "alice", "wrong")), domain.ProbeStatus)
	if pe.Status != 401 || strings.Contains(pe.URL, "wrong") {
		t.Fatalf("wrong password: %+v", pe)
	}
	nc.SetPushEndpoint("")
	if _, err := c.Discover(ctx, nc.URL(), "alice", "pw"); !errors.Is(err, domain.ErrNoPushCapability) {
		t.Fatalf("no capability: %v", err)
	}
	nc.SetRedirect("https://cloud.example.com")
	pe = probeFailure(t, mustFail(c.Discover(ctx, nc.URL(), "alice", "pw")), domain.ProbeRedirect)
	if pe.Location != "https://cloud.example.com/ocs/v2.php/cloud/capabilities?format=json" {
		t.Fatalf("redirect to %q", pe.Location)
	}
	if _, err := c.Discover(ctx, "cloud.example.com", "", ""); err == nil || errors.As(err, new(*domain.ProbeError)) {
		t.Fatalf("URL without scheme: %v", err)
	}
}

func mustFail[T any](_ T, err error) error { return err }

func TestDiscoverOddAnswers(t *testing.T) {
	tests := []struct {
		name, body string
		want       error
		failure    domain.ProbeFailure
	}{
		{"PHP's empty capabilities", `{"ocs":{"data":{"capabilities":[]}}}`, domain.ErrNoPushCapability, 0},
		{"other apps only", `{"ocs":{"data":{"capabilities":{"core":{}}}}}`, domain.ErrNoPushCapability, 0},
		{"login page", `<html><body>Log in</body></html>`, nil, domain.ProbeBadAnswer},
		{"not OCS", `{"status":"ok"}`, nil, domain.ProbeBadAnswer},
		{"no websocket", `{"ocs":{"data":{"capabilities":{"notify_push":{"endpoints":{}}}}}}`, nil, domain.ProbeBadAnswer},
		{"http endpoint", `{"ocs":{"data":{"capabilities":{"notify_push":{"endpoints":{"websocket":"https://x/push"}}}}}}`, nil, domain.ProbeBadAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(tt.body)) }))
			defer srv.Close()
			c := newClient(t, Options{})
			_, err := c.Discover(context.Background(), srv.URL, "a", "b")
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("%v, want %v", err, tt.want)
				}
				return
			}
			probeFailure(t, err, tt.failure)
		})
	}
}

func TestTLSChoices(t *testing.T) {
	nc := nextcloudtest.New(t, true)
	nc.AddUser("alice", "alice", "pw")
	nc.SetPushEndpoint("wss://cloud.example.com/push/ws")
	ctx := context.Background()

	probeFailure(t, mustFail(newClient(t, Options{}).Discover(ctx, nc.URL(), "alice", "pw")), domain.ProbeTLSUnknownAuthority)
	if _, err := newClient(t, Options{Insecure: true}).Discover(ctx, nc.URL(), "alice", "pw"); err != nil {
		t.Fatalf("insecure: %v", err)
	}
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: nc.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	trusting := newClient(t, Options{CAFile: caFile})
	if _, err := trusting.Discover(ctx, nc.URL(), "alice", "pw"); err != nil {
		t.Fatalf("CA file: %v", err)
	}
	// The test certificate is for 127.0.0.1 and example.com, not localhost.
	byName := strings.Replace(nc.URL(), "127.0.0.1", "localhost", 1)
	probeFailure(t, mustFail(trusting.Discover(ctx, byName, "alice", "pw")), domain.ProbeTLSHostname)
	// https to a plain HTTP port.
	plain := nextcloudtest.New(t, false)
	probeFailure(t, mustFail(trusting.Discover(ctx, strings.Replace(plain.URL(), "http:", "https:", 1), "", "")), domain.ProbeTLS)

	if _, err := New(Options{CAFile: filepath.Join(dir, "missing.pem")}); err == nil {
		t.Fatal("missing CA file accepted")
	}
	junk := filepath.Join(dir, "junk.pem")
	_ = os.WriteFile(junk, []byte("not a certificate"), 0o600)
	if _, err := New(Options{CAFile: junk}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("junk CA file: %v", err)
	}
}

// wsServer answers the login with answer (none when empty) and then closes
// with closeCode (none when 0).
func wsServer(t *testing.T, answer string, closeCode int) string {
	t.Helper()
	upgrader := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/refuse" {
			http.Error(w, `expected a WebSocket upgrade: missing header "Upgrade: websocket"`, http.StatusBadRequest)
			return
		}
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for i := 0; i < 2; i++ {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
		if answer != "" {
			_ = ws.WriteMessage(websocket.TextMessage, []byte(answer))
		}
		if closeCode != 0 {
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(closeCode, "bye"), time.Now().Add(time.Second))
		}
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestLoginAnswers(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, Options{Timeout: 500 * time.Millisecond})

	ok := wsServer(t, "authenticated", 0)
	for _, u := range []string{"ws" + strings.TrimPrefix(ok, "http"), ok} { // http:// means ws://
		if err := c.Handshake(ctx, u+"/ws", "alice", "pw"); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
	}
	var refusal *domain.PushRefusal
	if err := c.Handshake(ctx, wsServer(t, "err: Invalid credentials", 0), "alice", "pw"); !errors.As(err, &refusal) ||
		refusal.Text != "Invalid credentials" {
		t.Fatalf("refusal: %v", err)
	}
	if err := c.Handshake(ctx, wsServer(t, "hello", 0), "alice", "pw"); err == nil || !strings.Contains(err.Error(), `"hello"`) {
		t.Fatalf("odd answer: %v", err)
	}
	if err := c.Handshake(ctx, wsServer(t, "", 0), "alice", "pw"); err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("silence: %v", err)
	}
	var closed *domain.PushClosed
	if err := c.Handshake(ctx, wsServer(t, "", 4000), "alice", "pw"); !errors.As(err, &closed) || closed.Code != 4000 || closed.Reason != "bye" {
		t.Fatalf("closed: %v", err)
	}
	pe := probeFailure(t, c.Handshake(ctx, ok+"/refuse", "", ""), domain.ProbeStatus)
	if pe.Status != 400 || !strings.Contains(pe.Body, "Upgrade") {
		t.Fatalf("refused: %+v", pe)
	}
	if err := c.Handshake(ctx, "ftp://x/ws", "", ""); err == nil {
		t.Fatal("ftp:// accepted")
	}
}

func TestReadAndClose(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, Options{Timeout: time.Second})
	conn, err := c.Connect(ctx, wsServer(t, "authenticated", 1001))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Login(ctx, "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	var closed *domain.PushClosed
	if _, err := conn.Read(ctx); !errors.As(err, &closed) || closed.Code != 1001 ||
		!strings.Contains(closed.Error(), "going away") {
		t.Fatalf("read after close: %v", err)
	}
	conn.Abort()

	// A read abandoned by its context leaves the connection usable for Close.
	conn, err = c.Connect(ctx, wsServer(t, "authenticated", 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Login(ctx, "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := conn.Read(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read: %v", err)
	}
	if err := conn.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// The reader ended on the server's answering close frame, not on Abort.
	if !errors.As(conn.err, &closed) || closed.Code != websocket.CloseNormalClosure {
		t.Fatalf("reader ended with %v", conn.err)
	}
}
