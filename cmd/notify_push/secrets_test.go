package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/adapters/demo"
	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/internal/testenv"
)

// Recognisable secrets: none may appear in any output of the daemon, at
// any log level, nor in --dump-config.
const (
	secretDBPassword     = "dbpw-Zq8s1Jx"
	secretRedisPassword  = "redispw-Kx93Wd"
	secretWrongRedisPass = "wrongredispw-Tt77Ge"
	secretUserPassword   = "alicepw-Qm27Rv"
	secretWrongPassword  = "wrongpw-Hh41Ba"
	secretPreAuthToken   = "preauthtok-Vb55ccddeeff001122334"
	secretTestToken      = "testtok-Ln66Yc"
	secretBadTestToken   = "badtesttok-Pp12Xs"
)

var allSecrets = []string{secretDBPassword, secretRedisPassword, secretWrongRedisPass, secretUserPassword,
	secretWrongPassword, secretPreAuthToken, secretTestToken, secretBadTestToken}

// assertNoSecret fails for every secret, or a long part of one, in out.
func assertNoSecret(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range allSecrets {
		// The distinctive tail alone would also betray a secret, e.g. one
		// cut or escaped at its prefix.
		for _, part := range []string{s, s[len(s)-8:], url.QueryEscape(s), url.PathEscape(s)} {
			if i := strings.Index(out, part); i >= 0 {
				t.Errorf("%s shows the secret %q: …%s…", what, s, out[max(0, i-120):min(len(out), i+len(part)+40)])
			}
		}
	}
}

// passwordRedis is a private redis-server that requires a password, and can
// be restarted on its port.
type passwordRedis struct {
	t    *testing.T
	addr string
	args []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func startPasswordRedis(t *testing.T, password string) *passwordRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testenv.Unavailable(t, "redis-server", "apt-get install redis-server", err)
	}
	port := strconv.Itoa(testenv.FreePort(t))
	r := &passwordRedis{t: t, addr: "127.0.0.1:" + port,
		args: []string{bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no",
			"--dir", t.TempDir(), "--requirepass", password}}
	t.Cleanup(r.kill)
	r.start()
	return r
}

func (r *passwordRedis) start() {
	r.t.Helper()
	cmd := exec.Command(r.args[0], r.args[1:]...)
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.mu.Lock()
	r.cmd, r.done = cmd, done
	r.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", r.addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatal("redis-server not listening after 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *passwordRedis) kill() {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// secretsNextcloud answers the app's routes: alice's password, the test
// token's cookie, the forwarded address.
func secretsNextcloud(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /index.php/apps/notify_push/uid", func(w http.ResponseWriter, r *http.Request) {
		if login, pw, _ := r.BasicAuth(); login == "alice" && pw == secretUserPassword {
			_, _ = io.WriteString(w, "alice")
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	mux.HandleFunc("GET /index.php/apps/notify_push/test/cookie", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("token") != secretTestToken {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, "4242")
	})
	mux.HandleFunc("GET /index.php/apps/notify_push/test/remote", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("X-Forwarded-For"))
	})
	mux.HandleFunc("GET /index.php/apps/notify_push/test/version", func(http.ResponseWriter, *http.Request) {})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// secretPostgresURL is the machine's PostgreSQL test database with a
// password in the URL (ignored by its trust authentication) and tables of a
// prefix of this test's own, holding the demo mounts.
func secretPostgresURL(t *testing.T) (dbURL, prefix string) {
	t.Helper()
	u, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), secretDBPassword)
	dbURL = u.String()
	prefix = fmt.Sprintf("secrets%d_", time.Now().UnixNano()%1_000_000_000)
	ctx := context.Background()
	db, closeDB, err := gormdb.Open(ctx, dbURL, nil)
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		for _, table := range []string{"mounts", "filecache"} {
			_ = db.Exec("DROP TABLE IF EXISTS " + prefix + table).Error
		}
		closeDB()
	})
	if err := gormdb.CreateNextcloudSchema(ctx, db, prefix); err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, db, prefix, demo.Default()); err != nil {
		t.Fatal(err)
	}
	return dbURL, prefix
}

// TestBinaryLogsNoSecrets runs a whole session at LOG=trace — good and bad
// logins, pre-auth, every channel, the self-test routes, a Redis restart,
// Nextcloud going down — and finds no password or token in the output.
func TestBinaryLogsNoSecrets(t *testing.T) {
	dbURL, prefix := secretPostgresURL(t)
	rds := startPasswordRedis(t, secretRedisPassword)
	nc := secretsNextcloud(t)
	rdb := goredis.NewClient(&goredis.Options{Addr: rds.addr, Password: secretRedisPassword})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	publish := func(channel, payload string) {
		t.Helper()
		if err := rdb.Publish(ctx, channel, payload).Err(); err != nil {
			t.Fatalf("publish %s: %v", channel, err)
		}
	}
	waitSubscribed := func() {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			n, err := rdb.PubSubNumSub(ctx, "notify_config").Result()
			if err == nil && n["notify_config"] > 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("daemon not subscribed after 15 s: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	env := []string{
		"DATABASE_URL=" + dbURL,
		"DATABASE_PREFIX=" + prefix,
		"REDIS_URL=redis://default:" + secretRedisPassword + "@" + rds.addr + "/0",
		"NEXTCLOUD_URL=" + nc.URL,
		"DEBOUNCE_DISABLE=1",
	}
	port := strconv.Itoa(testenv.FreePort(t))
	d := runDaemon(t, port, nil, append([]string{"BIND=127.0.0.1", "PORT=" + port, "LOG=trace"}, env...))
	waitSubscribed()

	// Logins: right, wrong, empty login, pre-auth once and again.
	alice := d.login("alice", secretUserPassword)
	alice.Send("listen notify_file_id")
	for _, creds := range [][2]string{{"alice", secretWrongPassword}, {"", secretUserPassword}, {"bob", ""}} {
		c := d.dial("/ws")
		c.SendCredentials(creds[0], creds[1])
		c.Expect("err: Invalid credentials")
	}
	publish("notify_pre_auth", `{"user":"bob","token":"`+secretPreAuthToken+`"}`)
	time.Sleep(100 * time.Millisecond)
	d.login("", secretPreAuthToken)
	again := d.dial("/ws")
	again.SendCredentials("", secretPreAuthToken)
	again.Expect("err: Invalid credentials")

	// Every channel, well-formed and malformed around a secret.
	for _, ev := range [][2]string{
		{"notify_storage_update", `{"storage":10,"path":"files/Team/notes.md","file_id":42}`},
		{"notify_group_membership_update", `{"user":"alice","group":"team"}`},
		{"notify_user_share_created", `{"user":"alice"}`},
		{"notify_activity", `{"user":"alice"}`},
		{"notify_notification", `{"user":"alice"}`},
		{"notify_custom", `{"user":"alice","message":"my_type","body":{"x":1}}`},
		{"notify_pre_auth", `{"user":"carol","token":"` + secretPreAuthToken + `x"}`},
		{"notify_pre_auth", `{"user":"carol","token":"` + secretPreAuthToken},
		{"notify_pre_auth", `{"user":"carol","token":["` + secretPreAuthToken + `"]}`},
		{"notify_pre_auth", `["` + secretPreAuthToken + `"]`},
		{"notify_test_cookie", `98765`},
		{"notify_query", `"metrics"`},
		{"notify_query", `"` + secretTestToken + `"`},
		{"notify_signal", `"` + secretTestToken + `"`},
		{"notify_config", `"` + secretTestToken + `"`},
		{"notify_config", `{"log_spec":"notify_push=trace"}`},
	} {
		publish(ev[0], ev[1])
	}
	// The storage update may come last: its storage was not cached, so it
	// waited for its lookup while the other events went on.
	for custom, file := false, false; !custom || !file; {
		m, ok := alice.Next(5 * time.Second)
		if !ok {
			t.Fatal("alice did not receive every event")
		}
		custom = custom || m == `my_type {"x":1}`
		file = file || m == "notify_file_id [42]"
	}

	// The self-test routes, with the right token and a wrong one.
	if err := rdb.Set(ctx, "test-token", secretTestToken, 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/test/cookie", "/test/reverse_cookie", "/test/mapping/10", "/test/remote/1.2.3.4"} {
		if code, body := d.selfTest("GET", path, secretTestToken); code != http.StatusOK {
			t.Fatalf("%s: %d %q", path, code, body)
		}
		if code, _ := d.selfTest("GET", path, secretBadTestToken); code == http.StatusOK {
			t.Fatalf("%s accepted a wrong token", path)
		}
	}
	if code, body := d.selfTest("POST", "/test/version", secretTestToken); code != http.StatusOK || body != "set" {
		t.Fatalf("/test/version: %d %q", code, body)
	}

	// A Redis restart: the daemon reconnects with the password.
	rds.kill()
	time.Sleep(1500 * time.Millisecond) // a failed attempt or two, logged
	rds.start()
	waitSubscribed()
	// Events flow again; the resync's notify_file/activity/notification
	// (every client re-checks after the outage) may come first.
	publish("notify_custom", `{"user":"alice","message":"back"}`)
	for {
		got, ok := alice.Next(10 * time.Second)
		if !ok {
			t.Fatal("no event after the Redis restart")
		}
		if got == "back" {
			break
		}
		if !resyncText[got] {
			t.Fatalf("after the Redis restart: %q", got)
		}
	}

	// Nextcloud down: alice's check is still remembered (AUTH_CACHE_TTL);
	// other credentials and the probes fail with a reason.
	nc.Close()
	d.login("alice", secretUserPassword)
	c := d.dial("/ws")
	c.SendCredentials("alice", secretWrongPassword)
	if got, _ := c.Next(15 * time.Second); !strings.HasPrefix(got, "err: Error while sending authentication request to nextcloud: ") {
		t.Fatalf("login with Nextcloud down: %q", got)
	}
	d.selfTest("GET", "/test/reverse_cookie", secretTestToken)
	d.selfTest("GET", "/test/remote/1.2.3.4", secretTestToken)

	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		d.done <- nil
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15 s of SIGTERM")
	}
	out := d.logs.String()
	for _, want := range []string{"level=DEBUG", "login failed", "Redis subscription lost", "Redis subscription restored"} {
		if !strings.Contains(out, want) {
			t.Errorf("the session's log lacks %q: the test did not exercise what it claims", want)
		}
	}
	assertNoSecret(t, "the daemon's log", out)

	dump := runCommand(t, append(env, "LOG=trace"), "--dump-config")
	if !strings.Contains(dump, "database-url") || !strings.Contains(dump, "***") {
		t.Fatalf("--dump-config:\n%s", dump)
	}
	assertNoSecret(t, "--dump-config", dump)
}

// TestBinaryStartupErrorsShowNoSecrets: unreachable databases, a refused
// Redis password and config.php's secrets, at LOG=trace and in --dump-config.
func TestBinaryStartupErrorsShowNoSecrets(t *testing.T) {
	rds := startPasswordRedis(t, secretRedisPassword)
	closed := strconv.Itoa(testenv.FreePort(t))
	sqlite := "sqlite://" + filepath.Join(t.TempDir(), "nc.db")
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"PostgreSQL unreachable", []string{"DATABASE_URL=postgres://nextcloud:" + secretDBPassword + "@127.0.0.1:" + closed + "/nc?sslmode=disable",
			"REDIS_URL=redis://:" + secretRedisPassword + "@" + rds.addr}},
		{"PostgreSQL password in the query", []string{"DATABASE_URL=postgres://127.0.0.1:" + closed + "/nc?user=nc&password=" + secretDBPassword,
			"REDIS_URL=redis://" + rds.addr + "?password=" + secretRedisPassword}},
		{"MySQL unreachable", []string{"DATABASE_URL=mysql://nextcloud:" + secretDBPassword + "@127.0.0.1:" + closed + "/nc",
			"REDIS_URL=redis://:" + secretRedisPassword + "@" + rds.addr}},
		{"MySQL over a missing socket", []string{"DATABASE_URL=mysql://nextcloud:" + secretDBPassword + "@localhost/nc?socket=/nonexistent/mysqld.sock",
			"REDIS_URL=redis://:" + secretRedisPassword + "@" + rds.addr}},
		{"Redis refuses the password", []string{"DATABASE_URL=" + sqlite,
			"REDIS_URL=redis://default:" + secretWrongRedisPass + "@" + rds.addr}},
		{"Redis unreachable", []string{"DATABASE_URL=" + sqlite,
			"REDIS_URL=redis://:" + secretRedisPassword + "@127.0.0.1:" + closed}},
		{"Redis cluster unreachable", []string{"DATABASE_URL=" + sqlite,
			"REDIS_URL=redis://:" + secretRedisPassword + "@127.0.0.1:" + closed + ",redis://:" + secretWrongRedisPass + "@127.0.0.2:" + closed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := append([]string{"NEXTCLOUD_URL=http://127.0.0.1:" + closed, "LOG=trace", "BIND=127.0.0.1", "PORT=0"}, tc.env...)
			out := runCommandFor(t, env, 3*time.Second)
			if !strings.Contains(out, "level=DEBUG") && !strings.Contains(out, "notify_push: ") {
				t.Fatalf("neither debug output nor an error line:\n%s", out)
			}
			assertNoSecret(t, "output", out)
			assertNoSecret(t, "--dump-config", runCommand(t, env, "--dump-config"))
		})
	}

	t.Run("config.php", func(t *testing.T) {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "config"), 0o755); err != nil {
			t.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(rds.addr)
		php := fmt.Sprintf(`<?php
$CONFIG = array (
  'dbtype' => 'pgsql',
  'dbhost' => '127.0.0.1:%s',
  'dbname' => 'nc',
  'dbuser' => 'nextcloud',
  'dbpassword' => '%s',
  'overwrite.cli.url' => 'http://127.0.0.1:%s',
  'redis' => ['host' => '%s', 'port' => %s, 'password' => '%s'],
  'notify_push_redis' => ['host' => '%s', 'port' => %s, 'user' => 'push', 'password' => '%s'],
);
`, closed, secretDBPassword, closed, host, port, secretWrongRedisPass, host, port, secretRedisPassword)
		configPath := filepath.Join(root, "config", "config.php")
		if err := os.WriteFile(configPath, []byte(php), 0o600); err != nil {
			t.Fatal(err)
		}
		env := []string{"LOG=trace", "BIND=127.0.0.1", "PORT=0"}
		assertNoSecret(t, "output", runCommandFor(t, env, 3*time.Second, configPath))
		dump := runCommand(t, env, configPath, "--dump-config")
		if !strings.Contains(dump, "config.php") {
			t.Fatalf("--dump-config:\n%s", dump)
		}
		assertNoSecret(t, "--dump-config", dump)
	})
}

// runCommand runs the binary to its end (bounded) and returns its output.
func runCommand(t *testing.T, env []string, args ...string) string {
	t.Helper()
	return runCommandFor(t, env, 20*time.Second, args...)
}

// runCommandFor runs the binary for at most d, then stops it with SIGTERM
// (and SIGKILL 10 s later), and returns everything it wrote.
func runCommandFor(t *testing.T, env []string, d time.Duration, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("%v did not stop within 10 s of SIGTERM", args)
		}
	}
	return out.String()
}
