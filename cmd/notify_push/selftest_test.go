package main

import (
	"context"
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
	"testing"

	"github.com/notifypush/notify_push/internal/testenv"
)

// selfTestWorld is a deployment for the self-test: the daemon running
// against the world, a reverse proxy in front of it at /push/, and the fake
// Nextcloud announcing the proxy's WebSocket URL and sharing the Redis.
type selfTestWorld struct {
	*world
	daemon *daemon
	proxy  *httptest.Server
}

func newSelfTestWorld(t *testing.T, stripUpgrade bool) *selfTestWorld {
	t.Helper()
	w := newWorld(t)
	w.nc.OnVersion(nil) // the fake writes the app version itself
	w.nc.UseRedis(w.rdb)
	d := startDaemon(t, w.env...)
	w.waitSubscribed(t)
	target, _ := url.Parse("http://" + d.addr)
	proxy := &httputil.ReverseProxy{Director: func(r *http.Request) {
		r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
		if stripUpgrade {
			// A proxy configured without WebSocket support.
			r.Header.Del("Upgrade")
			r.Header.Del("Connection")
		}
	}}
	ps := httptest.NewServer(proxy)
	t.Cleanup(ps.Close)
	w.nc.SetPushEndpoint("ws://" + strings.TrimPrefix(ps.URL, "http://") + "/push/ws")
	return &selfTestWorld{world: w, daemon: d, proxy: ps}
}

// selfTest runs `notify_push self-test` with env only (and PATH).
func runSelfTest(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := binaryCommand(t, append([]string{"self-test"}, args...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// line returns the output line of check, which must start with mark.
func checkLine(t *testing.T, out, mark, check string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^(.) ` + regexp.QuoteMeta(check) + `: (.*)$`)
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no line for %q in:\n%s", check, out)
	}
	if m[1] != mark {
		t.Fatalf("%s: %s %s, want %s, in:\n%s", check, m[1], m[2], mark, out)
	}
	return m[0]
}

var allChecks = []string{"database", "redis", "nextcloud", "test token", "shared redis", "trusted proxy", "version", "push endpoint", "reverse proxy"}

func TestSelfTestPasses(t *testing.T) {
	w := newSelfTestWorld(t, false)
	code, out := runSelfTest(t, w.env, w.nc.URL(), "--user", "alice", "--password", "alice-pw")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, c := range allChecks {
		checkLine(t, out, "✓", c)
	}
	if line := checkLine(t, out, "✓", "reverse proxy"); !strings.Contains(line, "alice logs in") {
		t.Fatalf("no login through the proxy: %s", line)
	}
	if !strings.HasSuffix(out, "self-test: every check passed\n") {
		t.Fatalf("no closing line:\n%s", out)
	}
	// The token the run stored is gone again: there was none before.
	if v, _ := w.rdb.Get(context.Background(), "test-token").Result(); v != "" {
		t.Fatalf("test-token left behind: %q", v)
	}
	if v, _ := w.rdb.Get(context.Background(), "notify_push_app_version").Result(); v != "1.4.2" {
		t.Fatalf("app version %q", v)
	}

	// Without a login the capability is not announced: those checks are
	// skipped, which does not fail the run; --websocket tests the proxy anyway.
	code, out = runSelfTest(t, w.env, w.nc.URL())
	if code != 0 || !strings.Contains(checkLine(t, out, "-", "push endpoint"), "--user") {
		t.Fatalf("anonymous: exit %d:\n%s", code, out)
	}
	checkLine(t, out, "-", "reverse proxy")
	code, out = runSelfTest(t, w.env, "--websocket", strings.Replace(w.proxy.URL, "http", "ws", 1)+"/push/ws")
	if code != 0 {
		t.Fatalf("--websocket: exit %d:\n%s", code, out)
	}
	checkLine(t, out, "✓", "reverse proxy")

	// A test-token the app had stored is put back.
	w.rdb.Set(context.Background(), "test-token", "the-apps-token", 0)
	if code, out := runSelfTest(t, w.env); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if v, _ := w.rdb.Get(context.Background(), "test-token").Result(); v != "the-apps-token" {
		t.Fatalf("test-token not restored: %q", v)
	}
}

func TestSelfTestRedisNotShared(t *testing.T) {
	w := newSelfTestWorld(t, false)
	// Same server, another database index than the app's (db 0).
	env := replaceEnv(w.env, "REDIS_URL", "redis://"+w.redis.Addr+"/3")
	code, out := runSelfTest(t, env, w.nc.URL(), "--user", "alice", "--password", "alice-pw")
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	checkLine(t, out, "✓", "redis")
	checkLine(t, out, "✗", "test token")
	checkLine(t, out, "✗", "shared redis")
	checkLine(t, out, "-", "trusted proxy")
	checkLine(t, out, "-", "version")
	for _, want := range []string{"another database of it (dbindex)", "redis://host:6379/<dbindex>"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "notify_push: self-test: 2 of 9 checks failed") {
		t.Errorf("no closing line:\n%s", out)
	}
}

func TestSelfTestUntrustedProxyAndVersion(t *testing.T) {
	w := newSelfTestWorld(t, false)
	w.nc.SetTrustedProxy(false)
	w.nc.SetAppVersion("2.0.0") // 1.5.0 would pass: the server follows the app within its supported series
	code, out := runSelfTest(t, w.env, w.nc.URL(), "--user", "alice", "--password", "alice-pw")
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if line := checkLine(t, out, "✗", "trusted proxy"); !strings.Contains(line, `"127.0.0.1"`) {
		t.Fatalf("resolved address not named: %s", line)
	}
	if !strings.Contains(out, "occ config:system:set trusted_proxies 0 --value=127.0.0.1") {
		t.Errorf("no trusted_proxies fix:\n%s", out)
	}
	if !strings.Contains(out, "Nextcloud saw the request come from 127.0.0.1 with X-Forwarded-For: 1.2.3.4") {
		t.Errorf("no note of what Nextcloud saw:\n%s", out)
	}
	if line := checkLine(t, out, "✗", "version"); !strings.Contains(line, "2.0.0") || !strings.Contains(line, ">= 0.6 and < 2.0") {
		t.Fatalf("version line: %s", line)
	}
	checkLine(t, out, "✓", "reverse proxy")
}

func TestSelfTestProxyDropsUpgrade(t *testing.T) {
	w := newSelfTestWorld(t, true)
	code, out := runSelfTest(t, w.env, w.nc.URL(), "--user", "alice", "--password", "alice-pw")
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	checkLine(t, out, "✓", "push endpoint")
	checkLine(t, out, "✗", "reverse proxy")
	for _, want := range []string{"does not forward them", "proxy_set_header Upgrade $http_upgrade", "deployment.md#reverse-proxy"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSelfTestDatabaseDown(t *testing.T) {
	w := newSelfTestWorld(t, false)
	env := replaceEnv(w.env, "DATABASE_URL",
		"postgres://postgres:pw@127.0.0.1:"+strconv.Itoa(testenv.FreePort(t))+"/nextcloud?sslmode=disable")
	code, out := runSelfTest(t, env, w.nc.URL(), "--user", "alice", "--password", "alice-pw")
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	line := checkLine(t, out, "✗", "database")
	if !strings.Contains(line, "connection refused") || strings.Contains(out, ":pw@") {
		t.Fatalf("database line: %s", line)
	}
	for _, c := range allChecks[1:] {
		checkLine(t, out, "✓", c)
	}

	// The tables are missing: another hint.
	env = replaceEnv(w.env, "DATABASE_PREFIX", "nc_")
	code, out = runSelfTest(t, env)
	if code != 1 || !strings.Contains(out, "DATABASE_PREFIX") {
		t.Fatalf("wrong prefix: exit %d:\n%s", code, out)
	}
}

func TestSelfTestNextcloudProblems(t *testing.T) {
	w := newSelfTestWorld(t, false)

	// No capability: the app is disabled or setup never ran.
	w.nc.SetPushEndpoint("")
	code, out := runSelfTest(t, w.env, w.nc.URL(), "--user", "alice", "--password", "alice-pw")
	if code != 1 || !strings.Contains(out, "occ notify_push:setup "+strings.TrimSuffix(w.nc.URL(), "/")+"/push") {
		t.Fatalf("no capability: exit %d:\n%s", code, out)
	}
	checkLine(t, out, "✗", "push endpoint")
	checkLine(t, out, "-", "reverse proxy")

	// Wrong app password.
	code, out = runSelfTest(t, w.env, w.nc.URL(), "--user", "alice", "--password", "nope")
	if code != 1 || !strings.Contains(checkLine(t, out, "✗", "push endpoint"), "401") {
		t.Fatalf("wrong password: exit %d:\n%s", code, out)
	}

	// Nextcloud moved (to https, say): NEXTCLOUD_URL must follow.
	w.nc.SetRedirect("https://cloud.example.com")
	code, out = runSelfTest(t, w.env)
	if code != 1 || !strings.Contains(out, "set NEXTCLOUD_URL to https://cloud.example.com/") {
		t.Fatalf("redirect: exit %d:\n%s", code, out)
	}
	w.nc.SetRedirect("")

	// Nextcloud down: what needs it is skipped.
	w.nc.Close()
	code, out = runSelfTest(t, w.env, "--timeout", "3s")
	if code != 1 {
		t.Fatalf("down: exit %d:\n%s", code, out)
	}
	checkLine(t, out, "✗", "nextcloud")
	for _, c := range []string{"test token", "shared redis", "trusted proxy", "version"} {
		checkLine(t, out, "-", c)
	}

	// Redis down.
	w.redis.Kill()
	code, out = runSelfTest(t, w.env, "--timeout", "3s")
	if code != 1 || !strings.Contains(checkLine(t, out, "✗", "redis"), "connection refused") {
		t.Fatalf("redis down: exit %d:\n%s", code, out)
	}
}

func TestSelfTestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},                                  // nothing configured
		{"https://cloud.example.com"},       // no database, no Redis
		{"--user", "alice"},                 // no password
		{"--timeout", "soon"},               // bad duration
		{"--websocket"},                     // no value
		{"--no-such-flag"},                  // unknown setting
		{"--embedded"},                      // nothing to check
		{"--password-file", "/nonexistent"}, // unreadable
	} {
		code, out := runSelfTest(t, nil, args...)
		if code != 2 || strings.Count(strings.TrimSpace(out), "\n") > 2 || strings.Contains(out, "goroutine") {
			t.Errorf("%v: exit %d, output %q", args, code, out)
		}
	}
	code, out := runSelfTest(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "usage: notify_push self-test") {
		t.Errorf("--help: %d %q", code, out)
	}

	// A password file instead of --password.
	w := newSelfTestWorld(t, false)
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("alice-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runSelfTest(t, w.env, w.nc.URL(), "--user", "alice", "--password-file", pw); code != 0 {
		t.Fatalf("--password-file: exit %d:\n%s", code, out)
	}
}

func replaceEnv(env []string, key, value string) []string {
	out := []string{key + "=" + value}
	for _, e := range env {
		if !strings.HasPrefix(e, key+"=") {
			out = append(out, e)
		}
	}
	return out
}
