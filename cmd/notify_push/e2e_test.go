package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/adapters/demo"
	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/internal/nextcloudtest"
	"github.com/notifypush/notify_push/internal/process"
	"github.com/notifypush/notify_push/internal/testenv"
	"github.com/notifypush/notify_push/internal/testenv/wstest"
)

// binary is the notify_push executable built once for the end-to-end tests.
var binary string

// commandTimeout bounds a run of the binary that is expected to end by itself.
const commandTimeout = 2 * time.Minute

// binaryCommand is the binary with args, killed if it outlives the test or
// commandTimeout.
func binaryCommand(t *testing.T, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	t.Cleanup(cancel)
	return exec.CommandContext(ctx, binary, args...)
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "notify_push-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "notify_push")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build notify_push: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// daemon is the real binary started with environment variables only.
type daemon struct {
	t    *testing.T
	addr string
	cmd  *exec.Cmd
	logs *process.Buffer
	done chan error
}

// startDaemon runs the binary with environment variables only.
func startDaemon(t *testing.T, env ...string) *daemon {
	t.Helper()
	port := strconv.Itoa(testenv.FreePort(t))
	return runDaemon(t, port, nil, append([]string{"BIND=127.0.0.1", "PORT=" + port, "LOG=debug"}, env...))
}

// runDaemon starts the binary with args and env (plus PATH) and waits until
// it listens on port.
func runDaemon(t *testing.T, port string, args, env []string) *daemon {
	t.Helper()
	return runDaemonIn(t, t.TempDir(), port, args, env) // no stray .env
}

// runDaemonIn is runDaemon in the working directory dir.
func runDaemonIn(t *testing.T, dir, port string, args, env []string) *daemon {
	t.Helper()
	d := &daemon{t: t, addr: "127.0.0.1:" + port, logs: &process.Buffer{}, done: make(chan error, 1)}
	d.cmd = exec.Command(binary, args...)
	d.cmd.Dir = dir
	d.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	d.cmd.Stdout, d.cmd.Stderr = d.logs, d.logs
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Kill()
		<-d.done
		if t.Failed() {
			t.Logf("daemon output:\n%s", d.logs.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if c, err := net.Dial("tcp", d.addr); err == nil {
			c.Close()
			return d
		}
		select {
		case err := <-d.done:
			t.Fatalf("daemon exited at start: %v\n%s", err, d.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon not listening after 15 s:\n%s", d.logs.String())
		}
	}
}

// dial opens a WebSocket to path on the daemon.
func (d *daemon) dial(path string) *wstest.Client {
	d.t.Helper()
	return wstest.Dial(d.t, "ws://"+d.addr+path)
}

// login logs in, retrying while the server refuses logins because it is
// still waiting for a dependency (it probes them with backoff after start).
func (d *daemon) login(user, password string) *wstest.Client {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := d.dial("/ws")
		c.SendCredentials(user, password)
		got, ok := c.Next(wstest.Wait)
		if ok && got == "authenticated" {
			return c
		}
		if !ok || !strings.HasPrefix(got, "err: Push server is starting") || time.Now().After(deadline) {
			d.t.Fatalf("login %s: got %q (open %v), want authenticated", user, got, ok)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// selfTest calls a /test route with the token header, as the app does.
func (d *daemon) selfTest(method, path, token string) (int, string) {
	d.t.Helper()
	req, _ := http.NewRequest(method, "http://"+d.addr+path, nil)
	req.Header.Set("token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitHealth polls /push/health until it answers status with body.
func (d *daemon) waitHealth(status int, body string) {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + d.addr + "/push/health")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == status && strings.TrimSpace(string(b)) == body {
				return
			}
			if time.Now().After(deadline) {
				d.t.Fatalf("/health: %d %s, want %d %s", resp.StatusCode, b, status, body)
			}
		} else if time.Now().After(deadline) {
			d.t.Fatalf("/health: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// world is everything the daemon runs against: a private Redis, an SQLite
// file holding the demo mounts, and the fake Nextcloud.
type world struct {
	redis *testenv.RedisServer
	rdb   *goredis.Client
	nc    *nextcloudtest.Server
	env   []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{redis: testenv.StartRedis(t), nc: nextcloudtest.New(t, false)}
	w.rdb = goredis.NewClient(&goredis.Options{Addr: w.redis.Addr})
	t.Cleanup(func() { w.rdb.Close() })
	w.nc.AddUser("alice", "alice", "alice-pw")
	w.nc.AddUser("alice@example.com", "alice", "alice-pw")
	w.nc.AddUser("bob", "bob", "bob-pw")
	w.nc.AddUser("carol", "carol", "carol-pw")
	w.nc.OnVersion(func() { w.rdb.Set(context.Background(), "notify_push_app_version", "1.4.2", 0) })

	dbPath := filepath.Join(t.TempDir(), "nextcloud.db")
	db, closeDB, err := gormdb.Open(ctx, "sqlite://"+dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := gormdb.CreateNextcloudSchema(ctx, db, "oc_"); err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, db, "oc_", demo.Default()); err != nil {
		t.Fatal(err)
	}
	closeDB()
	w.env = []string{
		"DATABASE_URL=sqlite://" + dbPath,
		"REDIS_URL=redis://" + w.redis.Addr,
		"NEXTCLOUD_URL=" + strings.TrimSuffix(w.nc.URL(), "/"),
		"DEBOUNCE_DISABLE=1",
	}
	return w
}

func (w *world) publish(t *testing.T, channel, payload string) {
	t.Helper()
	if err := w.rdb.Publish(context.Background(), channel, payload).Err(); err != nil {
		t.Fatal(err)
	}
}

// waitSubscribed waits until the daemon listens on every channel.
func (w *world) waitSubscribed(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := w.rdb.PubSubNumSub(context.Background(), "notify_storage_update", "notify_config").Result()
		if err == nil && n["notify_storage_update"] > 0 && n["notify_config"] > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon not subscribed after 10 s: %v %v", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBinaryNextToNextcloud(t *testing.T) {
	w := newWorld(t)
	d := startDaemon(t, w.env...)
	w.waitSubscribed(t)
	ctx := context.Background()

	// Logins: real, alternate login name, wrong.
	alice := d.login("alice", "alice-pw")
	alice.Send("listen notify_file_id")
	aliceByMail := d.login("alice@example.com", "alice-pw")
	bob := d.login("bob", "bob-pw")
	carol := d.login("carol", "carol-pw")
	wrong := d.dial("/push/ws")
	wrong.SendCredentials("bob", "nope")
	wrong.Expect("err: Invalid credentials")
	for _, r := range w.nc.Requests() {
		if strings.HasSuffix(r.Path, "/uid") && r.ForwardedFor != "127.0.0.1" {
			t.Fatalf("X-Forwarded-For sent to Nextcloud: %q", r.ForwardedFor)
		}
	}
	time.Sleep(100 * time.Millisecond) // the listen frame is read asynchronously

	// Storage 10: alice at "", bob at files/Team, carol at files/Team/Design.
	w.publish(t, "notify_storage_update", `{"storage":10,"path":"files/Team/notes.md","file_id":42}`)
	alice.Expect("notify_file_id [42]")
	aliceByMail.Expect("notify_file")
	bob.Expect("notify_file")
	carol.ExpectNothing(300 * time.Millisecond)

	w.publish(t, "notify_activity", `{"user":"carol"}`)
	carol.Expect("notify_activity")
	w.publish(t, "notify_notification", `{"user":"bob"}`)
	bob.Expect("notify_notification")
	w.publish(t, "notify_user_share_created", `{"user":"carol"}`)
	carol.Expect("notify_file")
	w.publish(t, "notify_group_membership_update", `{"user":"bob","group":"g"}`)
	bob.Expect("notify_file")
	w.publish(t, "notify_custom", `{"user":"carol","message":"my_type","body":{"x":[1, 2]}}`)
	carol.Expect(`my_type {"x":[1,2]}`)
	w.publish(t, "notify_custom", `{"user":"carol","message":"plain"}`)
	carol.Expect("plain")

	// Malformed payloads on every channel leave everything working.
	for _, ch := range []string{"notify_storage_update", "notify_activity", "notify_custom", "notify_pre_auth", "notify_test_cookie", "notify_query", "notify_signal", "notify_config"} {
		for _, p := range []string{"", "not json", `{"storage":-1}`, `[1,2]`, `"` + strings.Repeat("x", 100_000) + `"`} {
			w.publish(t, ch, p)
		}
	}
	w.publish(t, "notify_activity", `{"user":"carol"}`)
	carol.Expect("notify_activity")

	// Pre-auth token: once.
	w.publish(t, "notify_pre_auth", `{"user":"bob","token":"abcdefabcdefabcdefabcdefabcdef12"}`)
	time.Sleep(100 * time.Millisecond)
	d.login("", "abcdefabcdefabcdefabcdefabcdef12")
	again := d.dial("/ws")
	again.SendCredentials("", "abcdefabcdefabcdefabcdefabcdef12")
	again.Expect("err: Invalid credentials")

	// The self-test sequence of occ notify_push:setup.
	if code, _ := d.selfTest("GET", "/test/cookie", "no-token-yet"); code != http.StatusInternalServerError {
		t.Fatalf("cookie without test-token: %d", code)
	}
	w.rdb.Set(ctx, "test-token", "tok-123", 0)
	w.nc.SetToken("tok-123")
	w.publish(t, "notify_test_cookie", "98765")
	time.Sleep(100 * time.Millisecond)
	for _, step := range []struct {
		method, path, want string
	}{
		{"GET", "/test/cookie", "98765"},
		{"GET", "/push/test/cookie", "98765"},
		{"GET", "/test/mapping/10", "1"},
		{"GET", "/test/remote/1.2.3.4", "1.2.3.4"},
		{"POST", "/test/version", "set"},
	} {
		if code, body := d.selfTest(step.method, step.path, "tok-123"); code != 200 || body != step.want {
			t.Fatalf("%s %s: %d %q, want %q", step.method, step.path, code, body, step.want)
		}
	}
	w.nc.SetCookie(4242)
	if code, body := d.selfTest("GET", "/test/reverse_cookie", "tok-123"); code != 200 || body != "4242" {
		t.Fatalf("reverse cookie: %d %q", code, body)
	}
	// The app (1.4.2) is followed: its own version passes any cut the app makes.
	if v, _ := w.rdb.Get(ctx, "notify_push_version").Result(); v != "1.4.2" {
		t.Fatalf("notify_push_version %q", v)
	}
	if code, _ := d.selfTest("GET", "/test/cookie", "tok-12"); code != http.StatusInternalServerError {
		t.Fatalf("wrong token accepted: %d", code)
	}
	// The startup check asked the app for its version.
	if v, _ := w.rdb.Get(ctx, "notify_push_app_version").Result(); v != "1.4.2" {
		t.Fatalf("startup check did not call test/version: %q", v)
	}

	// Metrics on request.
	w.publish(t, "notify_query", `"metrics"`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, _ := w.rdb.Get(ctx, "notify_push_metrics").Result()
		if strings.Contains(m, `"active_user_count":3`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics %q", m)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Redis restart: clients stay connected and receive again; /health
	// says what is missing meanwhile.
	d.waitHealth(http.StatusOK, `{"status":"ok"}`)
	w.redis.Kill()
	d.waitHealth(http.StatusServiceUnavailable, `{"status":"unavailable","missing":["redis: not subscribed to the app's channels"]}`)
	w.redis.Start()
	w.waitSubscribed(t)
	d.waitHealth(http.StatusOK, `{"status":"ok"}`)
	// Events flow again (a custom message is not part of the resync that
	// tells every client to re-check after the outage).
	w.publishUntilReceived(t, alice, "notify_custom", `{"user":"alice","message":"back"}`, "back", 10*time.Second)

	// Reset closes every client.
	w.publish(t, "notify_signal", `"reset"`)
	for _, c := range []*wstest.Client{alice, bob, carol} {
		c.ExpectClose(websocket.CloseServiceRestart)
	}

	// SIGTERM: the client sees going away (1001), the process exits 0.
	last := d.login("bob", "bob-pw")
	d.cmd.Process.Signal(syscall.SIGTERM)
	last.ExpectClose(websocket.CloseGoingAway)
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
		d.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("no exit within 10 s of SIGTERM")
	}
}

func TestBinaryNextcloudDown(t *testing.T) {
	w := newWorld(t)
	d := startDaemon(t, w.env...)
	w.waitSubscribed(t)
	bob := d.login("bob", "bob-pw")
	w.nc.Close()
	c := d.dial("/ws")
	c.SendCredentials("alice", "alice-pw")
	got, _ := c.Next(15 * time.Second)
	if !strings.HasPrefix(got, "err: Error while sending authentication request to nextcloud: ") {
		t.Fatalf("got %q", got)
	}
	w.publish(t, "notify_activity", `{"user":"bob"}`)
	bob.Expect("notify_activity") // connected clients are untouched
}

func TestBinaryRefusesIncompleteConfiguration(t *testing.T) {
	cmd := binaryCommand(t)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DATABASE_URL=sqlite:///tmp/x.db"}
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 2 {
		t.Fatalf("exit %v, want 2", err)
	}
	for _, want := range []string{"REDIS_URL", "NEXTCLOUD_URL", "--embedded"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("message lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "DATABASE_URL (") {
		t.Errorf("names DATABASE_URL although it is set:\n%s", out)
	}
	v, err := binaryCommand(t, "--version").Output()
	if err != nil || !strings.HasPrefix(string(v), "notify_push 1.4.0") {
		t.Fatalf("--version: %q %v", v, err)
	}
}

// TestBinaryWithConfigPHPOnly starts the server with one argument, the path
// of Nextcloud's config.php, and no other setting.
func TestBinaryWithConfigPHPOnly(t *testing.T) {
	w := newWorld(t)
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	for _, dir := range []string{dataDir, filepath.Join(root, "config")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The SQLite database lives at {datadirectory}/{dbname}.db.
	dbPath := strings.TrimPrefix(w.env[0], "DATABASE_URL=sqlite://")
	if err := os.Rename(dbPath, filepath.Join(dataDir, "nc.db")); err != nil {
		t.Fatal(err)
	}
	host, redisPort, _ := net.SplitHostPort(w.redis.Addr)
	config := fmt.Sprintf(`<?php
$CONFIG = array (
  'instanceid' => 'oc1234567890',
  'dbtype' => 'sqlite3',
  'dbname' => 'nc',
  'datadirectory' => '%s',
  'overwrite.cli.url' => '%s',
  'memcache.locking' => '\\OC\\Memcache\\Redis',
  'redis' => [
    'host' => '%s',
    'port' => %s,
  ],
);
`, dataDir, strings.TrimSuffix(w.nc.URL(), "/"), host, redisPort)
	configPath := filepath.Join(root, "config", "config.php")
	if err := os.WriteFile(configPath, []byte(config), 0o640); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(testenv.FreePort(t))
	d := runDaemon(t, port, []string{configPath, "--bind", "127.0.0.1", "--port", port, "--debounce-disable"}, nil)
	w.waitSubscribed(t)
	bob := d.login("bob", "bob-pw")
	w.publish(t, "notify_storage_update", `{"storage":10,"path":"files/Team/x","file_id":1}`)
	bob.Expect("notify_file")

	out, err := binaryCommand(t, configPath, "--dump-config").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "config.php") || !strings.Contains(string(out), "sqlite://") {
		t.Fatalf("--dump-config: %v\n%s", err, out)
	}
}

// TestBinaryRuntimeLogLevel switches the level through notify_config and
// watches the daemon's own output change.
func TestBinaryRuntimeLogLevel(t *testing.T) {
	w := newWorld(t)
	d := startDaemon(t, append(w.env, "LOG=warn", "LOG_FORMAT=json")...)
	w.waitSubscribed(t)
	connected := func() int { return strings.Count(d.logs.String(), `"msg":"new websocket authenticated as bob"`) }

	d.login("bob", "bob-pw")
	time.Sleep(100 * time.Millisecond)
	if n := connected(); n != 0 {
		t.Fatalf("info line at warn level (%d)", n)
	}
	w.publish(t, "notify_config", `{"log_spec":"notify_push=debug"}`)
	deadline := time.Now().Add(5 * time.Second)
	for connected() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no debug output after log_spec:\n%s", d.logs.String())
		}
		d.login("bob", "bob-pw")
		time.Sleep(50 * time.Millisecond)
	}
	w.publish(t, "notify_config", `"log_restore"`)
	time.Sleep(200 * time.Millisecond)
	before := connected()
	d.login("bob", "bob-pw")
	time.Sleep(100 * time.Millisecond)
	if connected() != before {
		t.Fatalf("debug output after log_restore:\n%s", d.logs.String())
	}
}

// TestBinaryServesWSS runs the embedded demo with TLS_CERT/TLS_KEY and logs in
// over wss://.
func TestBinaryServesWSS(t *testing.T) {
	dir := t.TempDir()
	pki := testenv.NewPKI(t, "test CA")
	leaf := pki.Issue("127.0.0.1")
	port := strconv.Itoa(testenv.FreePort(t))
	d := runDaemon(t, port, []string{"--embedded", "--data-dir", filepath.Join(dir, "data")},
		[]string{"PORT=" + port, "TLS_CERT=" + leaf.CertFile, "TLS_KEY=" + leaf.KeyFile})
	dialer := &websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pki.Pool()}, HandshakeTimeout: 5 * time.Second}
	c := wstest.DialWith(t, dialer, "wss://"+d.addr+"/ws", nil)
	c.Login("alice", "alice")
	if _, _, err := websocket.DefaultDialer.Dial("ws://"+d.addr+"/ws", nil); err == nil {
		t.Fatal("plain ws:// accepted on the TLS listener")
	}
}

func runSend(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := binaryCommand(t, append([]string{"send"}, args...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func TestSendCommand(t *testing.T) {
	w := newWorld(t)
	d := startDaemon(t, w.env...)
	w.waitSubscribed(t)
	bob := d.login("bob", "bob-pw")

	code, out := runSend(t, "notify_activity", `{"user":"bob"}`, "--redis-url", "redis://"+w.redis.Addr)
	if code != 0 || out != "published on notify_activity\n" {
		t.Fatalf("send to Redis: %d %q", code, out)
	}
	bob.Expect("notify_activity")

	for _, bad := range [][]string{
		{"notify_activity", `{"user":5}`, "--redis-url", "redis://" + w.redis.Addr},
		{"notify_nope", `{}`, "--redis-url", "redis://" + w.redis.Addr},
		{"notify_activity"},
		{"notify_activity", `{"user":"bob"}`}, // no Redis configured
	} {
		code, out := runSend(t, bad...)
		if code != 2 || strings.Count(strings.TrimSpace(out), "\n") > 2 || strings.Contains(out, "goroutine") {
			t.Errorf("send %v: exit %d, output %q", bad, code, out)
		}
	}
	w.redis.Kill()
	if code, out := runSend(t, "notify_activity", `{"user":"bob"}`, "--redis-url", "redis://"+w.redis.Addr); code != 1 || !strings.Contains(out, "publish to Redis") {
		t.Errorf("Redis down: exit %d %q", code, out)
	}
}

func TestSendToEmbedded(t *testing.T) {
	port := strconv.Itoa(testenv.FreePort(t))
	d := runDaemon(t, port, []string{"--embedded", "--data-dir", t.TempDir(), "--port", port}, nil)
	alice := d.login("alice", "alice")
	code, out := runSend(t, "notify_custom", `{"user":"alice","message":"hello","body":[1]}`, "--embedded", "--port", port)
	if code != 0 {
		t.Fatalf("send to embedded: %d %q", code, out)
	}
	alice.Expect("hello [1]")
}
