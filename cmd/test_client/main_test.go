package main

import (
	"context"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/app/wiring"
	"github.com/notifypush/notify_push/internal/nextcloudtest"
	"github.com/notifypush/notify_push/internal/process"
	"github.com/notifypush/notify_push/internal/testenv"
)

// waitFor polls buf until it matches re.
func waitFor(t *testing.T, buf *process.Buffer, re string) {
	t.Helper()
	r := regexp.MustCompile(re)
	deadline := time.Now().Add(10 * time.Second)
	for !r.MatchString(buf.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in:\n%s", re, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pushServer is the embedded server (its own users, in-process events) on a
// free loopback port; it returns host:port.
func pushServer(t *testing.T) string {
	t.Helper()
	cfg := app.Config{
		Embedded: true, DataDir: t.TempDir(), DatabasePrefix: "oc_", Bind: "127.0.0.1", Port: 0, LogLevel: "warn",
		EmbeddedUsers:   []app.StaticUser{{Login: "alice", UID: "alice", Password: "alice-pw"}},
		DebounceDisable: true,
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	proc, cleanup, err := wiring.InitializeEmbedded(ctx, cfg, log, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- proc.Daemon.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		cleanup()
	})
	select {
	case <-proc.HTTP.Ready():
	case err := <-done:
		t.Fatalf("push server stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("push server not listening after 10 s")
	}
	return proc.HTTP.Addr().String()
}

func publish(t *testing.T, addr, channel, payload string) {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/embedded/publish/"+channel, "application/json", strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("publish %s: %s", channel, resp.Status)
	}
}

// nextcloud is the fake with alice, announcing ws.
func nextcloud(t *testing.T, tls bool, ws string) *nextcloudtest.Server {
	nc := nextcloudtest.New(t, tls)
	nc.AddUser("alice", "alice", "alice-pw")
	nc.SetPushEndpoint(ws)
	return nc
}

// session is one run of test_client in-process.
type session struct {
	stdout, stderr *process.Buffer
	cancel         context.CancelFunc
	code           chan int
}

func start(argv ...string) *session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{stdout: &process.Buffer{}, stderr: &process.Buffer{}, cancel: cancel, code: make(chan int, 1)}
	go func() { s.code <- run(ctx, argv, func(string) (string, bool) { return "", false }, s.stdout, s.stderr) }()
	return s
}

func (s *session) exit(t *testing.T) int {
	t.Helper()
	select {
	case c := <-s.code:
		return c
	case <-time.After(20 * time.Second):
		t.Fatalf("test_client did not exit; stderr:\n%s", s.stderr.String())
		return -1
	}
}

// runToEnd runs test_client until it exits by itself.
func runToEnd(t *testing.T, argv ...string) (int, string) {
	t.Helper()
	s := start(argv...)
	defer s.cancel()
	code := s.exit(t)
	return code, s.stderr.String()
}

const stamp = `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} `

func TestPrintsEveryMessage(t *testing.T) {
	push := pushServer(t)
	nc := nextcloud(t, false, "ws://"+push+"/ws")
	s := start(nc.URL(), "alice", "alice-pw")
	waitFor(t, s.stdout, `(?m)^`+stamp+`authenticated$`)
	waitFor(t, s.stderr, `logged in as alice`)
	if !strings.Contains(s.stderr.String(), "Nextcloud announces the push server at ws://"+push+"/ws") {
		t.Fatalf("discovery not reported:\n%s", s.stderr.String())
	}
	// The listen frame races the first event: publish until ids arrive.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.stdout.String(), "notify_file_id [42]") {
		if time.Now().After(deadline) {
			t.Fatalf("no file id:\n%s", s.stdout.String())
		}
		publish(t, push, "notify_storage_update", `{"storage":10,"path":"files/Team/notes.md","file_id":42}`)
		time.Sleep(50 * time.Millisecond)
	}
	publish(t, push, "notify_activity", `{"user":"alice"}`)
	publish(t, push, "notify_custom", `{"user":"alice","message":"my_app","body":{"id":7}}`)
	waitFor(t, s.stdout, `(?m)^`+stamp+`notify_activity$`)
	waitFor(t, s.stdout, `(?m)^`+stamp+`my_app \{"id":7\}$`)
	s.cancel()
	if code := s.exit(t); code != 0 {
		t.Fatalf("exit %d after interrupt:\n%s", code, s.stderr.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(s.stdout.String()), "\n") {
		if !regexp.MustCompile(`^` + stamp + `\S`).MatchString(line) {
			t.Errorf("line without timestamp: %q", line)
		}
	}
	var caps *nextcloudtest.Request
	for _, r := range nc.Requests() {
		if r.Path == "/ocs/v2.php/cloud/capabilities" {
			caps = &r
		}
	}
	if caps == nil || caps.Login != "alice" || caps.OCSAPIRequest != "true" || caps.Accept != "application/json" {
		t.Fatalf("capabilities request %+v", caps)
	}
}

// TestInterruptSendsCloseFrame runs the built binary against a minimal push
// server and interrupts it: the server sees a normal close frame.
func TestInterruptSendsCloseFrame(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "test_client")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	closeCode := make(chan int, 1)
	upgrader := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		var frames []string
		for len(frames) < 3 {
			_, m, err := ws.ReadMessage()
			if err != nil {
				return
			}
			frames = append(frames, string(m))
			if len(frames) == 2 {
				_ = ws.WriteMessage(websocket.TextMessage, []byte("authenticated"))
			}
		}
		if frames[0] != "alice" || frames[1] != "pw" || frames[2] != "listen notify_file_id" {
			t.Errorf("frames %q", frames)
		}
		_ = ws.WriteMessage(websocket.TextMessage, []byte("notify_notification"))
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				if ce, ok := err.(*websocket.CloseError); ok {
					closeCode <- ce.Code
				} else {
					closeCode <- 0
				}
				return
			}
		}
	}))
	defer srv.Close()

	stdout := &process.Buffer{}
	// It reads until a signal: a failed wait below must not leave it running.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--websocket", "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", "alice", "pw")
	cmd.Stdout, cmd.Stderr = stdout, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, stdout, `(?m)^`+stamp+`notify_notification$`)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v", err)
	}
	select {
	case code := <-closeCode:
		if code != websocket.CloseNormalClosure {
			t.Fatalf("close code %d, want 1000", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server saw no close")
	}
}

func TestFailures(t *testing.T) {
	push := pushServer(t)
	ws := "ws://" + push + "/ws"
	nc := nextcloud(t, false, ws)

	closed := "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	noCapability := nextcloud(t, false, "")
	status := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer status.Close()
	moved := nextcloud(t, false, ws)
	moved.SetRedirect("https://cloud.example.com")
	// The capability accepts alice-pw; the push server's users do not know this one.
	otherPassword := nextcloudtest.New(t, false)
	otherPassword.AddUser("alice", "alice", "other-pw")
	otherPassword.SetPushEndpoint(ws)

	stripping := proxy(t, push, true)
	down := proxy(t, closed, false)

	tests := []struct {
		name string
		argv []string
		want []string
	}{
		{"Nextcloud unreachable", []string{"http://" + closed, "alice", "alice-pw"},
			[]string{"cannot reach Nextcloud at " + closed, "connection refused"}},
		{"no capability", []string{noCapability.URL(), "alice", "alice-pw"},
			[]string{"announces no push server", "not installed or not enabled", "occ notify_push:setup"}},
		{"wrong password", []string{nc.URL(), "alice", "nope"},
			[]string{"refused the login of alice (401)", "app password"}},
		{"other status", []string{status.URL, "alice", "alice-pw"},
			[]string{"answered 503 Service Unavailable for its capabilities"}},
		{"redirect", []string{moved.URL(), "alice", "alice-pw"},
			[]string{"redirects to https://cloud.example.com/ocs/v2.php/cloud/capabilities?format=json"}},
		{"proxy drops Upgrade", []string{"--websocket", "ws://" + stripping + "/push/ws", "alice", "alice-pw"},
			[]string{"(400 Bad Request)", "does not forward the Upgrade and Connection headers"}},
		{"no such path", []string{"--websocket", "ws://" + push + "/nope", "alice", "alice-pw"},
			[]string{"(404 Not Found)", "does not send it to the push server"}},
		{"push server down behind the proxy", []string{"--websocket", "ws://" + down + "/push/ws", "alice", "alice-pw"},
			[]string{"(502 Bad Gateway)", "cannot reach the push server"}},
		{"push server unreachable", []string{"--websocket", "ws://" + closed + "/ws", "alice", "alice-pw"},
			[]string{"cannot reach the push server at " + closed}},
		{"err from the server", []string{otherPassword.URL(), "alice", "other-pw"},
			[]string{"the push server refused the login: err: Invalid credentials"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stderr := runToEnd(t, append(tt.argv, "--timeout", "5s")...)
			if code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, stderr)
			}
			last := lastLine(stderr)
			for _, w := range tt.want {
				if !strings.Contains(last, w) {
					t.Errorf("last line lacks %q: %s", w, last)
				}
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "alice-pw") {
				t.Errorf("stack trace or password in output:\n%s", stderr)
			}
		})
	}

	t.Run("server closes", func(t *testing.T) {
		s := start(nc.URL(), "alice", "alice-pw")
		defer s.cancel()
		waitFor(t, s.stderr, "logged in as alice")
		publish(t, push, "notify_signal", `"reset"`)
		if code := s.exit(t); code != 1 {
			t.Fatalf("exit %d:\n%s", code, s.stderr.String())
		}
		if last := lastLine(s.stderr.String()); !strings.Contains(last, "the push server closed the connection") {
			t.Fatalf("last line: %s", last)
		}
	})
}

func TestTLS(t *testing.T) {
	push := pushServer(t)
	nc := nextcloud(t, true, "ws://"+push+"/ws")
	code, stderr := runToEnd(t, nc.URL(), "alice", "alice-pw")
	last := lastLine(stderr)
	if code != 1 || !strings.Contains(last, "signed by an unknown authority") || !strings.Contains(last, "--ca-file") ||
		!strings.Contains(last, "--insecure") {
		t.Fatalf("exit %d: %s", code, last)
	}

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: nc.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, flags := range [][]string{{"--insecure"}, {"--ca-file", caFile}} {
		s := start(append([]string{nc.URL(), "alice", "alice-pw"}, flags...)...)
		waitFor(t, s.stdout, `(?m)^`+stamp+`authenticated$`)
		s.cancel()
		if code := s.exit(t); code != 0 {
			t.Fatalf("%v: exit %d:\n%s", flags, code, s.stderr.String())
		}
	}

	code, stderr = runToEnd(t, nc.URL(), "alice", "alice-pw", "--ca-file", filepath.Join(t.TempDir(), "missing.pem"))
	if code != 2 || !strings.Contains(stderr, "read CA file") {
		t.Fatalf("missing CA file: %d %s", code, stderr)
	}
}

func TestUsage(t *testing.T) {
	for _, argv := range [][]string{
		{},
		{"https://cloud.example.com", "alice"},
		{"cloud.example.com", "alice", "pw"},
		{"https://cloud.example.com", "alice", "pw", "--timeout", "soon"},
		{"https://cloud.example.com", "alice", "pw", "--nope"},
		{"--websocket", "wss://cloud.example.com/push/ws", "alice"},
	} {
		code, stderr := runToEnd(t, argv...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "--help") {
			t.Errorf("%v: exit %d, stderr %q", argv, code, stderr)
		}
	}
	s := start("--help")
	if code := s.exit(t); code != 0 || !strings.Contains(s.stdout.String(), "usage: test_client <nextcloud url> <username> <password>") {
		t.Errorf("--help: %d %q", code, s.stdout.String())
	}
}

// proxy is a reverse proxy to target at /push/; strip drops the WebSocket
// headers as a proxy without WebSocket support does.
func proxy(t *testing.T, target string, strip bool) string {
	t.Helper()
	u, _ := url.Parse("http://" + target)
	rp := &httputil.ReverseProxy{
		Director: func(r *http.Request) {
			r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
			if strip {
				r.Header.Del("Upgrade")
				r.Header.Del("Connection")
			}
		},
	}
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
