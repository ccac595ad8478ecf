package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/adapters/demo"
	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/internal/process"
	"github.com/notifypush/notify_push/internal/testenv"
)

// Issue 18: an admin replaces upstream's binary with ours and keeps the
// unit, the environment, the .env, the proxy and config.php. Each test here
// runs the real binary with what upstream 1.4.0 accepts.

// binaryRun is the binary started with args and env (plus PATH) in dir, its
// standard output and error kept apart.
type binaryRun struct {
	cmd            *exec.Cmd
	stdout, stderr *process.Buffer
	done           chan error
}

func startBinary(t *testing.T, dir string, args, env []string) *binaryRun {
	t.Helper()
	r := &binaryRun{stdout: &process.Buffer{}, stderr: &process.Buffer{}, done: make(chan error, 1)}
	r.cmd = exec.Command(binary, args...)
	r.cmd.Dir = dir
	r.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		<-r.done
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout.String(), r.stderr.String())
		}
	})
	return r
}

// waitFor polls cond until it holds, failing the test after 15 s or when the
// binary exits.
func (r *binaryRun) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("exited (%v) before %s:\nstdout:\n%s\nstderr:\n%s", err, what, r.stdout.String(), r.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 15 s:\nstdout:\n%s\nstderr:\n%s", what, r.stdout.String(), r.stderr.String())
		}
	}
}

func (r *binaryRun) logged(re string) bool {
	return regexp.MustCompile(re).MatchString(r.stdout.String())
}

func dials(network, addr string) func() bool {
	return func() bool {
		c, err := net.Dial(network, addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
}

// get answers a GET through client.
func get(t *testing.T, client *http.Client, u string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// seedBarePrefix gives the world's SQLite database Nextcloud's tables
// without a prefix (mounts, filecache), holding the demo's mounts.
func seedBarePrefix(t *testing.T, w *world) string {
	t.Helper()
	dbPath := strings.TrimPrefix(w.env[0], "DATABASE_URL=sqlite://")
	ctx := context.Background()
	db, closeDB, err := gormdb.Open(ctx, "sqlite://"+dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB()
	if err := gormdb.CreateNextcloudSchema(ctx, db, ""); err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, db, "", demo.Default()); err != nil {
		t.Fatal(err)
	}
	// Empty the oc_ tables: an answer from them would pass for one from ours.
	for _, table := range []string{"oc_mounts", "oc_filecache"} {
		if err := db.Exec("DELETE FROM " + table).Error; err != nil {
			t.Fatal(err)
		}
	}
	return dbPath
}

// TestBinaryEmptyTablePrefix is item 1: an empty dbtableprefix in config.php
// and DATABASE_PREFIX set to the empty string both read the tables mounts
// and filecache.
func TestBinaryEmptyTablePrefix(t *testing.T) {
	w := newWorld(t)
	dbPath := seedBarePrefix(t, w)
	w.rdb.Set(context.Background(), "test-token", "tok", 0)

	d := startDaemon(t, append(w.env, "DATABASE_PREFIX=")...)
	w.waitSubscribed(t)
	if code, body := d.selfTest("GET", "/test/mapping/10", "tok"); code != 200 || body != "1" {
		t.Fatalf("DATABASE_PREFIX=\"\": /test/mapping/10 = %d %q, want the one mount of the bare tables", code, body)
	}
	bob := d.login("bob", "bob-pw")
	w.publish(t, "notify_storage_update", `{"storage":10,"path":"files/Team/notes.md","file_id":42}`)
	bob.Expect("notify_file")

	// The same from config.php.
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	for _, dir := range []string{dataDir, filepath.Join(root, "config")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(dbPath, filepath.Join(dataDir, "nc.db")); err != nil {
		t.Fatal(err)
	}
	host, redisPort, _ := net.SplitHostPort(w.redis.Addr)
	configPath := filepath.Join(root, "config", "config.php")
	config := fmt.Sprintf(`<?php
$CONFIG = array (
  'dbtype' => 'sqlite3',
  'dbname' => 'nc',
  'dbtableprefix' => '',
  'datadirectory' => '%s',
  'overwrite.cli.url' => '%s',
  'redis' => ['host' => '%s', 'port' => %s],
);
`, dataDir, strings.TrimSuffix(w.nc.URL(), "/"), host, redisPort)
	if err := os.WriteFile(configPath, []byte(config), 0o640); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(testenv.FreePort(t))
	fromPHP := runDaemon(t, port, []string{configPath, "--bind", "127.0.0.1", "--port", port}, nil)
	if code, body := fromPHP.selfTest("GET", "/test/mapping/10", "tok"); code != 200 || body != "1" {
		t.Fatalf("config.php dbtableprefix '': /test/mapping/10 = %d %q", code, body)
	}
}

// TestBinaryTakesUpstreamValues is item 2: values upstream takes start the
// server, with upstream's meaning, and a warning where the value probably
// says something else than what it does.
func TestBinaryTakesUpstreamValues(t *testing.T) {
	w := newWorld(t)
	env := withEnv(w.env,
		"MAX_DEBOUNCE_TIME=0",
		"DEBOUNCE_DISABLE=0", // set: debouncing is off, whatever the value
		"ALLOW_SELF_SIGNED=yes please",
		"NO_ANSI=sure",
		"LOG=notify_push=debug,sqlx=warn",
	)
	d := startDaemon(t, env...)
	w.waitSubscribed(t)
	bob := d.login("bob", "bob-pw")
	// With debouncing on, the second notification would wait for its slot.
	w.publish(t, "notify_notification", `{"user":"bob"}`)
	bob.Expect("notify_notification")
	w.publish(t, "notify_notification", `{"user":"bob"}`)
	if got, ok := bob.Next(500 * time.Millisecond); !ok || got != "notify_notification" {
		t.Fatalf("second notification: %q %v, want it at once (debouncing off)", got, ok)
	}
	logs := d.logs.String()
	for _, want := range []string{"DEBOUNCE_DISABLE=0 switches DEBOUNCE_DISABLE on", "ALLOW_SELF_SIGNED=yes please is not a boolean",
		"NO_ANSI=sure is not a boolean"} {
		if !strings.Contains(logs, want) {
			t.Errorf("no warning %q in:\n%s", want, logs)
		}
	}
	if !strings.Contains(logs, "Verifying credentials for bob") {
		t.Errorf("LOG=notify_push=debug,sqlx=warn: no debug line of ours:\n%s", logs)
	}
}

// TestBinaryFindsDotEnvInAParentFolder is item 3: dotenvy, with which
// upstream reads .env, looks in the working directory and then up.
func TestBinaryFindsDotEnvInAParentFolder(t *testing.T) {
	w := newWorld(t)
	root := t.TempDir()
	deep := filepath.Join(root, "srv", "push", "bin")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(testenv.FreePort(t))
	dotenv := strings.Join(append(w.env, "BIND=127.0.0.1", "PORT="+port), "\n") + "\n"
	if err := os.WriteFile(filepath.Join(root, "srv", ".env"), []byte(dotenv), 0o600); err != nil {
		t.Fatal(err)
	}
	d := runDaemonIn(t, deep, port, nil, nil)
	w.waitSubscribed(t)
	bob := d.login("bob", "bob-pw")
	w.publish(t, "notify_activity", `{"user":"bob"}`)
	bob.Expect("notify_activity")
}

// TestBinaryTLSAndTheOtherListeners is item 5: with TLS_CERT/TLS_KEY the
// metrics port speaks TLS too, and a unix socket ignores TLS with a
// warning, since the proxy in front speaks plain HTTP to it. The socket
// also takes SOCKET_PERMISSIONS with a fourth digit (item 2).
func TestBinaryTLSAndTheOtherListeners(t *testing.T) {
	w := newWorld(t)
	pki := testenv.NewPKI(t, "test CA")
	leaf := pki.Issue("127.0.0.1")
	tlsEnv := []string{"TLS_CERT=" + leaf.CertFile, "TLS_KEY=" + leaf.KeyFile}

	port, metrics := testenv.FreePort(t), testenv.FreePort(t)
	tcp := startBinary(t, t.TempDir(), nil, withEnv(w.env, append(tlsEnv, "BIND=127.0.0.1",
		"PORT="+strconv.Itoa(port), "METRICS_PORT="+strconv.Itoa(metrics))...))
	metricsAddr := "127.0.0.1:" + strconv.Itoa(metrics)
	tcp.waitFor(t, "the metrics listener", dials("tcp", metricsAddr))
	httpsClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool()}}}
	if code, body := get(t, httpsClient, "https://"+metricsAddr+"/metrics"); code != 200 || !strings.Contains(body, "event_count_total") {
		t.Fatalf("metrics over TLS: %d %.200q", code, body)
	}
	plain := &http.Client{Timeout: 5 * time.Second}
	if resp, err := plain.Get("http://" + metricsAddr + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("metrics served in plain HTTP although TLS is configured")
		}
	}

	dir := t.TempDir()
	sock := filepath.Join(dir, "push.sock")
	unix := startBinary(t, dir, nil, withEnv(w.env, append(tlsEnv, "SOCKET_PATH="+sock, "SOCKET_PERMISSIONS=1770")...))
	unix.waitFor(t, "the unix socket", dials("unix", sock))
	overSocket := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	if code, _ := get(t, overSocket, "http://push/test/cookie"); code != http.StatusBadRequest {
		t.Fatalf("plain HTTP over the socket: %d, want the route's 400 for a missing token", code)
	}
	unix.waitFor(t, "the warning about TLS on the socket", func() bool {
		return strings.Contains(unix.stdout.String(), "Serving with TLS over a unix socket is not supported")
	})
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&fs.ModeSticky == 0 || fi.Mode().Perm() != 0o770 {
		t.Fatalf("socket mode %v, want sticky and 0770 (SOCKET_PERMISSIONS=1770)", fi.Mode())
	}
}

// TestBinaryLogsToStandardOutput is item 6: the app's setup wizard shows
// the admin what the binary printed on stdout when it fails to start.
func TestBinaryLogsToStandardOutput(t *testing.T) {
	w := newWorld(t)
	port := testenv.FreePort(t)
	r := startBinary(t, t.TempDir(), nil, withEnv(w.env, "LOG=info", "BIND=127.0.0.1", "PORT="+strconv.Itoa(port)))
	r.waitFor(t, "a log line on stdout", func() bool { return r.logged(`level=INFO msg=listening`) })
	if got := r.stderr.String(); got != "" {
		t.Fatalf("stderr holds %q; logs belong on stdout", got)
	}
}

// TestBinaryLogsLikeUpstream is item 8: each event received and each message
// sent at debug under upstream's targets, each login at info; notify_config
// pushes a spec per module and log_restore pops it.
func TestBinaryLogsLikeUpstream(t *testing.T) {
	w := newWorld(t)
	d := startDaemon(t, withEnv(w.env, "LOG=warn,notify_push::receive=debug,notify_push::connection=info")...)
	w.waitSubscribed(t)
	bob := d.login("bob", "bob-pw")
	w.publish(t, "notify_activity", `{"user":"bob"}`)
	bob.Expect("notify_activity")
	waitUntil(t, 5*time.Second, "the received event's line", func() bool {
		return strings.Contains(d.logs.String(), `msg="Received activity notification for user bob" target=notify_push::receive`)
	})
	// The login's line is written after bob is told "authenticated", so it
	// may come after the event's.
	waitUntil(t, 5*time.Second, "the login's line at info", func() bool {
		return strings.Contains(d.logs.String(), `msg="new websocket authenticated as bob"`)
	})
	logs := d.logs.String()
	if strings.Contains(logs, "Sending") {
		t.Fatalf("notify_push::send logged although LOG leaves it at warn:\n%s", logs)
	}

	// A pushed spec replaces LOG's for every target.
	w.publish(t, "notify_config", `{"log_spec":"warn,notify_push::send=debug"}`)
	waitUntil(t, 5*time.Second, "the pushed spec", func() bool {
		w.publish(t, "notify_activity", `{"user":"bob"}`)
		bob.Expect("notify_activity")
		return strings.Contains(d.logs.String(), `msg="Sending notify_activity to bob" target=notify_push::send`)
	})
	mark := len(d.logs.String())
	w.publish(t, "notify_activity", `{"user":"bob"}`)
	bob.Expect("notify_activity")
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(d.logs.String()[mark:], "Received") {
		t.Fatalf("notify_push::receive still at debug under the pushed spec:\n%s", d.logs.String()[mark:])
	}

	// log_restore pops it: LOG's spec is back.
	w.publish(t, "notify_config", `"log_restore"`)
	waitUntil(t, 5*time.Second, "LOG's spec back", func() bool {
		mark = len(d.logs.String())
		w.publish(t, "notify_activity", `{"user":"bob"}`)
		bob.Expect("notify_activity")
		time.Sleep(50 * time.Millisecond)
		tail := d.logs.String()[mark:]
		return strings.Contains(tail, "Received activity") && !strings.Contains(tail, "Sending")
	})
}

// fakeNextcloudPages answers the app's routes as a Nextcloud that does not
// trust the host it is reached by (a 400 page linking to the trusted-domains
// documentation) and whose remote route answers a page, not an address.
func fakeNextcloudPages(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/test/cookie"):
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `<p>Access through untrusted domain</p><a href="https://docs.nextcloud.com/admin-trusted-domains">docs</a>`)
		case strings.HasSuffix(r.URL.Path, "/test/remote"):
			io.WriteString(w, "<html>Maintenance mode</html>")
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://localhost:" + port
}

// TestBinaryTestRoutesLikeUpstream is item 9: the routes the app's setup
// calls answer any method (version: POST), with upstream's statuses and
// texts, and /test/mapping answers 0 while the database is down.
func TestBinaryTestRoutesLikeUpstream(t *testing.T) {
	w := newWorld(t)
	pg := newPGWorld(t)
	pg.proxy.Forward()
	d := startDaemon(t, withEnv(w.env, append(pg.env, "NEXTCLOUD_URL="+fakeNextcloudPages(t))...)...)
	w.waitSubscribed(t)
	ctx := context.Background()
	w.rdb.Set(ctx, "test-token", "tok", 0)
	w.publish(t, "notify_test_cookie", "31337")
	time.Sleep(100 * time.Millisecond)

	for _, step := range []struct {
		method, path, token string
		status              int
		body                string
	}{
		{"GET", "/test/cookie", "tok", 200, "31337"},
		{"POST", "/test/cookie", "tok", 200, "31337"},
		{"PUT", "/push/test/mapping/10", "tok", 200, "1"},
		{"GET", "/test/cookie", "", 500, ""}, // present and empty: a wrong token
		{"GET", "/test/cookie", "wrong", 500, ""},
		{"GET", "/test/mapping/storage", "tok", 404, ""},
		{"GET", "/test/remote/not-an-address", "tok", 404, ""},
		{"GET", "/test/version", "tok", 405, ""},
		{"GET", "/test/reverse_cookie", "tok", 200, "localhost is not configured as a trusted domain for the nextcloud server"},
	} {
		code, body := d.selfTest(step.method, step.path, step.token)
		if code != step.status || (step.body != "" && body != step.body) {
			t.Errorf("%s %s (token %q): %d %q, want %d %q", step.method, step.path, step.token, code, body, step.status, step.body)
		}
	}
	if code, _ := get(t, http.DefaultClient, "http://"+d.addr+"/test/cookie"); code != http.StatusBadRequest {
		t.Errorf("no token header: %d, want 400", code)
	}
	if code, body := d.selfTest("GET", "/test/remote/1.2.3.4", "tok"); code != 200 ||
		!strings.HasPrefix(body, "Invalid response when testing if the push server is a trusted proxy") {
		t.Errorf("/test/remote with a page for an answer: %d %q", code, body)
	}

	// The database down: 0, never a count from the cache, so that the
	// app's self-test fails as upstream's does.
	pg.proxy.Refuse()
	waitUntil(t, 15*time.Second, "/test/mapping answering 0", func() bool {
		code, body := d.selfTest("GET", "/test/mapping/10", "tok")
		return code == 200 && body == "0"
	})
}

// sameHostRedirector serves /old/... as a 301 to /new/... on its own host
// and port, and /new/... from next: NEXTCLOUD_URL moved within one server.
func sameHostRedirector(t *testing.T, next string) string {
	t.Helper()
	target, err := url.Parse(next)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/old/"); ok {
			http.Redirect(w, r, "/new/"+rest, http.StatusMovedPermanently)
			return
		}
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/new")
		proxy.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// TestBinaryFollowsRedirectsLikeUpstream is item 11: a NEXTCLOUD_URL that
// Nextcloud's web server redirects is followed, with the credentials while
// the redirect stays on the same host and port, without them (as reqwest)
// once it leaves.
func TestBinaryFollowsRedirectsLikeUpstream(t *testing.T) {
	w := newWorld(t)
	w.nc.SetToken("tok")
	w.nc.SetCookie(777)
	w.rdb.Set(context.Background(), "test-token", "tok", 0)
	moved := sameHostRedirector(t, strings.TrimSuffix(w.nc.URL(), "/"))

	d := startDaemon(t, withEnv(w.env, "NEXTCLOUD_URL="+moved+"/old")...)
	w.waitSubscribed(t)
	d.login("bob", "bob-pw")
	if code, body := d.selfTest("GET", "/test/reverse_cookie", "tok"); code != 200 || body != "777" {
		t.Fatalf("reverse cookie through a redirect: %d %q", code, body)
	}

	// Redirected to another port: the routes without credentials still work;
	// a credential check reaches Nextcloud without them, as upstream's does.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ncURL := strings.TrimSuffix(w.nc.URL(), "/")
	awaySrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, ncURL+r.URL.Path, http.StatusFound)
	})}
	go awaySrv.Serve(ln)
	t.Cleanup(func() { awaySrv.Close() })
	other := startDaemon(t, withEnv(w.env, "NEXTCLOUD_URL=http://"+ln.Addr().String())...)
	if code, body := other.selfTest("GET", "/test/reverse_cookie", "tok"); code != 200 || body != "777" {
		t.Fatalf("reverse cookie through a redirect to another port: %d %q", code, body)
	}
	var reply string
	waitUntil(t, 10*time.Second, "the login's answer", func() bool {
		reply = other.loginReply("bob", "bob-pw")
		return !strings.HasPrefix(reply, "err: Push server is starting")
	})
	if reply != "err: Invalid credentials" {
		t.Fatalf("login through a redirect to another port: %q, want upstream's err: Invalid credentials", reply)
	}
}

// metricValue reads one series of the Prometheus text.
func metricValue(t *testing.T, body, series string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\d+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in:\n%s", series, body)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestBinaryCountsMalformedEvents is item 12: upstream's event_count_total
// counts every pub/sub message, malformed ones too.
func TestBinaryCountsMalformedEvents(t *testing.T) {
	w := newWorld(t)
	metrics := testenv.FreePort(t)
	d := startDaemon(t, withEnv(w.env, "METRICS_PORT="+strconv.Itoa(metrics))...)
	w.waitSubscribed(t)
	bob := d.login("bob", "bob-pw")
	metricsURL := "http://127.0.0.1:" + strconv.Itoa(metrics) + "/metrics"
	_, body := get(t, http.DefaultClient, metricsURL)
	before := metricValue(t, body, "event_count_total")
	for _, p := range []string{"not json", `{"usr":"bob"}`, `[1]`} {
		w.publish(t, "notify_activity", p)
	}
	w.publish(t, "notify_activity", `{"user":"bob"}`)
	bob.Expect("notify_activity")
	_, body = get(t, http.DefaultClient, metricsURL)
	if got := metricValue(t, body, "event_count_total") - before; got != 4 {
		t.Fatalf("event_count_total grew by %d for 3 malformed and 1 good message, want 4", got)
	}
}

// TestBinaryMySQLURLWithoutSSLModeTriesTLS is item 4: upstream's sqlx
// prefers TLS when DATABASE_URL has no ssl-mode, so a MariaDB with
// require_secure_transport=ON accepts it; the binary asks for TLS first too.
func TestBinaryMySQLURLWithoutSSLModeTriesTLS(t *testing.T) {
	w := newWorld(t)
	addr, askedTLS := testenv.FakeMySQL(t)
	port := testenv.FreePort(t)
	startBinary(t, t.TempDir(), nil, withEnv(w.env, "DATABASE_URL=mysql://nextcloud:secret@"+addr+"/nextcloud",
		"BIND=127.0.0.1", "PORT="+strconv.Itoa(port)))
	select {
	case asked := <-askedTLS:
		if !asked {
			t.Fatal("the server's first answer to MySQL did not ask for TLS")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server never connected to the database")
	}
}

// TestBinaryTakesAnyLogSpecFlexiLoggerTakes is item 2: an empty LOG and one
// naming only other modules start the server (upstream: nothing of ours is
// logged then), where ours used to exit 2.
func TestBinaryTakesAnyLogSpecFlexiLoggerTakes(t *testing.T) {
	w := newWorld(t)
	for _, spec := range []string{"", "sqlx=warn", "tokio=trace,hyper=off"} {
		port := testenv.FreePort(t)
		addr := "127.0.0.1:" + strconv.Itoa(port)
		r := startBinary(t, t.TempDir(), nil, withEnv(w.env, "LOG="+spec, "BIND=127.0.0.1", "PORT="+strconv.Itoa(port),
			"ALLOW_SELF_SIGNED=maybe")) // a warning, were anything of ours logged
		r.waitFor(t, "LOG="+spec+": the listener", dials("tcp", addr))
		if code, _ := get(t, http.DefaultClient, "http://"+addr+"/test/cookie", "token", "none"); code != 500 {
			t.Fatalf("LOG=%s: /test/cookie answered %d", spec, code)
		}
		time.Sleep(200 * time.Millisecond)
		if out := r.stdout.String() + r.stderr.String(); out != "" {
			t.Fatalf("LOG=%q logged lines of ours:\n%s", spec, out)
		}
	}
}
