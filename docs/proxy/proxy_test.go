package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/notifypush/notify_push/app"
	"github.com/notifypush/notify_push/app/wiring"
	"github.com/notifypush/notify_push/internal/process"
	"github.com/notifypush/notify_push/internal/testenv"
	"github.com/notifypush/notify_push/internal/testenv/wstest"
)

// What the committed snippets say, and what the test puts in their place.
const (
	snippetAddr   = "127.0.0.1:7867"
	snippetSocket = "/run/notify_push/notify_push.sock"
)

// The proxies' own idle timeouts are set to shortTimeout around the snippet,
// so that only the snippet's longer timeout can keep a socket idle for idleFor.
const (
	shortTimeout = time.Second
	idleFor      = 3 * shortTimeout
)

// clientIP is the address the test client connects from; the proxy connects
// to the server from 127.0.0.1, so seeing clientIP proves X-Forwarded-For.
var clientIP = net.ParseIP("127.0.0.2")

// harness is one reverse proxy as the test runs it.
type harness struct {
	name    string
	binary  string // looked up in PATH, then /usr/sbin
	install string
	// tcp and unix are the snippet files for the two upstream variants.
	tcp, unix string
	// shorten turns the snippet's idle timeout into shortTimeout (the
	// control run); nil when the proxy has no idle timeout on WebSockets.
	shorten []string
	// config writes the proxy's configuration around the snippet file and
	// returns the command line arguments.
	config func(t *testing.T, dir string, port int, snippet string) []string
}

var harnesses = []harness{
	{
		name: "nginx", binary: "nginx", install: "apt-get install nginx",
		tcp: "nginx.conf", unix: "nginx-unix.conf",
		shorten: []string{"proxy_read_timeout 1h;", "proxy_read_timeout 1s;", "proxy_send_timeout 1h;", "proxy_send_timeout 1s;"},
		config:  nginxConfig,
	},
	{
		name: "apache", binary: "apache2", install: "apt-get install apache2",
		tcp: "apache.conf", unix: "apache-unix.conf",
		shorten: []string{"timeout=3600", "timeout=1"},
		config:  apacheConfig,
	},
	{
		name: "caddy", binary: "caddy", install: "apt-get install caddy",
		tcp: "Caddyfile", unix: "Caddyfile-unix",
		config: caddyConfig,
	},
}

func nginxConfig(t *testing.T, dir string, port int, snippet string) []string {
	return nginxConfigWith(t, dir, port, snippet, "")
}

// nginxConfigWith also includes httpSnippet in the http { } context.
func nginxConfigWith(t *testing.T, dir string, port int, snippet, httpSnippet string) []string {
	include := ""
	if httpSnippet != "" {
		include = "include " + httpSnippet + ";"
	}
	writeFile(t, dir, "nginx.conf", fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    proxy_read_timeout %[3]ds;
    proxy_send_timeout %[3]ds;
    %[5]s
    server {
        listen 127.0.0.1:%[2]d;
        server_name cloud.example.com;
        include %[4]s;
    }
}
`, dir, port, int(shortTimeout.Seconds()), snippet, include))
	return []string{"-e", filepath.Join(dir, "error.log"), "-p", dir + "/", "-c", filepath.Join(dir, "nginx.conf")}
}

func apacheConfig(t *testing.T, dir string, port int, snippet string) []string {
	user := ""
	if os.Geteuid() == 0 {
		user = "User nobody\nGroup nogroup\n" // httpd refuses to serve as root
	}
	mods := ""
	for _, m := range []string{"mpm_event", "authz_core", "proxy", "proxy_http", "proxy_wstunnel", "headers"} {
		mods += fmt.Sprintf("LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n", m, m)
	}
	writeFile(t, dir, "httpd.conf", fmt.Sprintf(`ServerRoot %[1]s
ServerName 127.0.0.1
Listen 127.0.0.1:%[2]d
PidFile %[1]s/httpd.pid
DefaultRuntimeDir %[1]s
Mutex file:%[1]s default
ErrorLog %[1]s/error.log
LogLevel warn
%[5]s%[6]sStartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 32
Timeout %[3]d
<VirtualHost 127.0.0.1:%[2]d>
    ServerName cloud.example.com
    Include %[4]s
</VirtualHost>
`, dir, port, int(shortTimeout.Seconds()), snippet, mods, user))
	return []string{"-f", filepath.Join(dir, "httpd.conf"), "-DFOREGROUND"}
}

func caddyConfig(t *testing.T, dir string, port int, snippet string) []string {
	s := fmt.Sprintf("%ds", int(shortTimeout.Seconds()))
	writeFile(t, dir, "Caddyfile.test", fmt.Sprintf(`{
	admin off
	auto_https off
	storage file_system %[1]s/data
	servers {
		timeouts {
			read_body %[3]s
			read_header %[3]s
			write %[3]s
			idle %[3]s
		}
	}
}
http://127.0.0.1:%[2]d {
	bind 127.0.0.1
	import %[4]s
}
`, dir, port, s, snippet))
	return []string{"run", "--config", filepath.Join(dir, "Caddyfile.test"), "--adapter", "caddyfile"}
}

func TestProxies(t *testing.T) {
	for _, h := range harnesses {
		t.Run(h.name, func(t *testing.T) {
			t.Parallel()
			bin := lookBinary(t, h)
			t.Run("tcp", func(t *testing.T) {
				t.Parallel()
				srv := startServer(t, false)
				p := startProxy(t, h, bin, h.tcp, substitute(t, h.tcp, snippetAddr, srv.addr))
				checkThroughProxy(t, srv, p)
			})
			t.Run("unix", func(t *testing.T) {
				t.Parallel()
				srv := startServer(t, true)
				p := startProxy(t, h, bin, h.unix, substitute(t, h.unix, snippetSocket, srv.socket))
				checkThroughProxy(t, srv, p)
			})
			t.Run("idle", func(t *testing.T) {
				t.Parallel()
				srv := startServer(t, false)
				p := startProxy(t, h, bin, h.tcp, substitute(t, h.tcp, snippetAddr, srv.addr))
				c := login(t, p)
				if m, ok := c.Next(idleFor); ok {
					t.Fatalf("idle socket got %q", m)
				}
				if c.Ended() {
					t.Fatalf("the proxy closed an idle WebSocket within %v (%v): the snippet's timeout does not apply", idleFor, c.Err())
				}
				srv.publish(t, "notify_custom", `{"user":"alice","message":"after_idle"}`)
				c.Expect("after_idle")
			})
			if h.shorten == nil {
				return
			}
			// The control: with the snippet's timeout shortened, the same idle
			// socket is cut, so the test above can fail.
			t.Run("idle-shortened", func(t *testing.T) {
				t.Parallel()
				srv := startServer(t, false)
				text := substitute(t, h.tcp, append([]string{snippetAddr, srv.addr}, h.shorten...)...)
				p := startProxy(t, h, bin, h.tcp, text)
				c := login(t, p)
				if m, ok := c.Next(idleFor + 5*time.Second); ok {
					t.Fatalf("idle socket got %q", m)
				}
				if !c.Ended() {
					t.Fatalf("with a %v timeout the proxy kept an idle WebSocket for %v", shortTimeout, idleFor+5*time.Second)
				}
			})
		})
	}
}

// TestNginxUpstream proves nginx-upstream.conf: connections are spread over
// the instances, and when one stops its clients are told to go (1001) while
// new logins reach the other.
func TestNginxUpstream(t *testing.T) {
	h := harnessNamed(t, "nginx")
	bin := lookBinary(t, h)
	a, b := startServer(t, false), startServer(t, false)
	upstream := substitute(t, "nginx-upstream.conf", "127.0.0.1:7867", a.addr, "127.0.0.1:7868", b.addr)
	h.config = func(t *testing.T, dir string, port int, snippet string) []string {
		writeFile(t, dir, "upstream.conf", upstream)
		return nginxConfigWith(t, dir, port, snippet, filepath.Join(dir, "upstream.conf"))
	}
	p := startProxy(t, h, bin, h.tcp, substitute(t, h.tcp, "proxy_pass http://127.0.0.1:7867/;", "proxy_pass http://notify_push/;"))

	clients := []*wstest.Client{login(t, p), login(t, p)}
	waitFor(t, "one connection on each instance", func() bool { return a.logs.connections() == 1 && b.logs.connections() == 1 })

	a.stop()
	var closed, open int
	for _, c := range clients {
		if _, ok := c.Next(2 * time.Second); ok {
			t.Fatal("unexpected message")
		}
		switch {
		case !c.Ended():
			open++
		case c.CloseCode() == websocket.CloseGoingAway:
			closed++
		default:
			t.Errorf("a client of the stopped instance ended with %v, want close 1001", c.Err())
		}
	}
	if closed != 1 || open != 1 {
		t.Fatalf("after one instance stopped: %d clients told to go, %d open; want 1 and 1", closed, open)
	}
	for range 2 {
		login(t, p)
	}
	waitFor(t, "new logins on the remaining instance", func() bool { return b.logs.connections() == 3 })
}

func harnessNamed(t *testing.T, name string) harness {
	t.Helper()
	for _, h := range harnesses {
		if h.name == name {
			return h
		}
	}
	t.Fatalf("no harness %q", name)
	return harness{}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkThroughProxy is what every snippet must do: health at /push/health, a
// login at /push/ws seen from the client's own address, events delivered.
func checkThroughProxy(t *testing.T, srv *server, p *runningProxy) {
	t.Helper()
	status, body := p.get(t, "/push/health")
	if status != http.StatusOK || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Fatalf("/push/health through the proxy: %d %q", status, body)
	}
	c := login(t, p)
	if got := srv.logs.waitConnected(t); got != clientIP.String() {
		t.Errorf("the server saw the client as %q, want %s (X-Forwarded-For not passed on)", got, clientIP)
	}
	srv.publish(t, "notify_activity", `{"user":"alice"}`)
	c.Expect("notify_activity")
	srv.publish(t, "notify_custom", `{"user":"alice","message":"my_app_event","body":{"id":7}}`)
	c.Expect(`my_app_event {"id":7}`)
}

func lookBinary(t *testing.T, h harness) string {
	t.Helper()
	bin, err := exec.LookPath(h.binary)
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/" + h.binary); serr == nil {
			return "/usr/sbin/" + h.binary
		}
		// .ci/run installs every proxy of this table: missing in CI is a failure.
		testenv.Unavailable(t, h.name, h.install, err)
	}
	return bin
}

// substitute reads a committed snippet and replaces old/new pairs, each of
// which must occur, so that a snippet edit cannot silently bypass the test.
func substitute(t *testing.T, file string, pairs ...string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			t.Fatalf("%s no longer contains %q, which the test replaces", file, pairs[i])
		}
		text = strings.ReplaceAll(text, pairs[i], pairs[i+1])
	}
	return text
}

// server is the embedded push server, run in-process.
type server struct {
	addr   string // TCP host:port, or "" on a socket
	socket string
	base   string // URL of the server itself, past the proxy
	logs   *recorder
	http   *http.Client
	stop   func() // as on SIGTERM: clients get 1001, then it exits
}

func startServer(t *testing.T, unix bool) *server {
	t.Helper()
	s := &server{logs: &recorder{}}
	cfg := app.Config{
		Embedded:       true,
		DataDir:        t.TempDir(),
		DatabasePrefix: "oc_",
		Bind:           "127.0.0.1",
		LogLevel:       "debug",
		EmbeddedUsers:  []app.StaticUser{{Login: "alice", UID: "alice", Password: "alice"}},
	}
	dial := (&net.Dialer{}).DialContext
	if unix {
		dir, err := os.MkdirTemp("", "notify_push-proxy")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		// The proxy may run as another user (Apache's children do).
		if err := os.Chmod(dir, 0o711); err != nil {
			t.Fatal(err)
		}
		s.socket = filepath.Join(dir, "notify_push.sock")
		cfg.SocketPath, cfg.SocketPermissions = s.socket, 0o666
		dial = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", s.socket)
		}
	}
	s.http = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}

	ctx, cancel := context.WithCancel(context.Background())
	proc, cleanup, err := wiring.InitializeEmbedded(ctx, cfg, slog.New(s.logs), nil)
	if err != nil {
		cancel()
		t.Fatalf("start the embedded server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- proc.Daemon.Run(ctx) }()
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("server: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("server did not stop within 10 s")
			}
			cleanup()
		})
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs.text())
		}
	})
	select {
	case <-proc.HTTP.Ready():
	case err := <-done:
		t.Fatalf("server stopped before listening: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server not listening after 10 s")
	}
	s.base = "http://notify-push" // any host: the transport dials the socket
	if !unix {
		s.addr = proc.HTTP.Addr().String()
		s.base = "http://" + s.addr
	}
	return s
}

// publish posts an event to the embedded publish route, past the proxy.
func (s *server) publish(t *testing.T, channel, payload string) {
	t.Helper()
	resp, err := s.http.Post(s.base+"/embedded/publish/"+channel, "application/json", strings.NewReader(payload))
	if err != nil {
		t.Fatalf("publish %s: %v", channel, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("publish %s: status %d", channel, resp.StatusCode)
	}
}

// recorder is the server's log: every line as text, and the client address
// of each login's record.
type recorder struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	connected []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(&r.buf, "%s %s %s", rec.Time.Format("15:04:05.000"), rec.Level, rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&r.buf, " %s=%v", a.Key, a.Value)
		if strings.HasPrefix(rec.Message, "new websocket authenticated as ") && a.Key == "client" {
			r.connected = append(r.connected, a.Value.String())
		}
		return true
	})
	r.buf.WriteByte('\n')
	return nil
}

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// connections is how many logins were logged.
func (r *recorder) connections() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.connected)
}

// waitConnected is the client address logged for the first connection.
func (r *recorder) waitConnected(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		if len(r.connected) > 0 {
			c := r.connected[0]
			r.mu.Unlock()
			return c
		}
		r.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal(`no login logged within 5 s`)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runningProxy is a proxy process serving on a loopback port.
type runningProxy struct {
	addr   string
	dir    string
	client *http.Client
	dialer *websocket.Dialer
}

// startProxy runs the proxy with snippet on a free loopback port until the
// test ends, and waits until it serves /push/health.
func startProxy(t *testing.T, h harness, bin, file, snippet string) *runningProxy {
	t.Helper()
	dir := t.TempDir()
	snippetPath := filepath.Join(dir, "push-"+filepath.Base(file))
	writeFile(t, dir, filepath.Base(snippetPath), snippet)
	// A free port can be taken by another process before the proxy binds it.
	for attempt := 1; ; attempt++ {
		p, inUse := launchProxy(t, h, bin, dir, snippet, snippetPath)
		if p != nil {
			return p
		}
		if !inUse || attempt == 3 {
			t.Fatalf("%s did not start (attempt %d)", h.name, attempt)
		}
	}
}

// launchProxy is one start; inUse reports that it failed because its port
// was taken meanwhile.
func launchProxy(t *testing.T, h harness, bin, dir, snippet, snippetPath string) (p *runningProxy, inUse bool) {
	t.Helper()
	_ = os.Remove(filepath.Join(dir, "error.log")) // a previous attempt's
	port := testenv.FreePort(t)
	args := h.config(t, dir, port, snippetPath)

	var out process.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir}
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Apache forks: stop the whole group
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", h.name, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("%s configuration (snippet):\n%s\n%s output:\n%s\n%s", h.name, snippet, h.name, out.String(), readLogs(dir))
		}
	})

	local := &net.Dialer{LocalAddr: &net.TCPAddr{IP: clientIP}, Timeout: 5 * time.Second}
	p = &runningProxy{
		addr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		dir:    dir,
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: local.DialContext, DisableKeepAlives: true}},
		dialer: &websocket.Dialer{NetDialContext: local.DialContext, HandshakeTimeout: 5 * time.Second},
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := p.client.Get("http://" + p.addr + "/push/health")
		last := fmt.Sprint(err)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, false
			}
			last = resp.Status
		}
		select {
		case <-exited:
			if strings.Contains(out.String()+readLogs(dir), "already in use") {
				t.Logf("%s: port %d was taken meanwhile; trying another", h.name, port)
				return nil, true
			}
			t.Errorf("%s exited at start: %v", h.name, waitErr)
			return nil, false
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Errorf("%s not serving /push/health after 10 s (last: %s)", h.name, last)
			return nil, false
		}
	}
}

func (p *runningProxy) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := p.client.Get("http://" + p.addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// login opens a WebSocket at /push/ws through the proxy, from clientIP, and
// logs alice in.
func login(t *testing.T, p *runningProxy) *wstest.Client {
	t.Helper()
	c := wstest.DialWith(t, p.dialer, "ws://"+p.addr+"/push/ws", nil)
	c.Login("alice", "alice")
	return c
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readLogs(dir string) string {
	var b strings.Builder
	for _, name := range []string{"error.log", "access.log"} {
		if data, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			fmt.Fprintf(&b, "--- %s\n%s", name, data)
		} else if !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(&b, "--- %s: %v\n", name, err)
		}
	}
	return b.String()
}
