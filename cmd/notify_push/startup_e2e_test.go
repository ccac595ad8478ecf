package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/notifypush/notify_push/internal/nextcloudtest"
	"github.com/notifypush/notify_push/internal/testenv"
)

// TestBinaryStartsWithoutItsDependencies starts the real binary with
// PostgreSQL, Redis and Nextcloud all unreachable (closed ports), brings each
// up in turn and expects a working server without a restart; logins wait
// for Redis only, and pre-auth tokens work while Nextcloud is still down.
func TestBinaryStartsWithoutItsDependencies(t *testing.T) {
	t.Parallel()
	pg := newPGWorld(t)                   // refusing until Forward
	redis := testenv.NewRedis(t)          // started later, on this port
	ncProxy := testenv.NewTCPProxy(t, "") // the fake Nextcloud's port, refusing
	nc := nextcloudtest.New(t, false)
	nc.AddUser("alice", "alice", "alice-pw")
	nc.AddUser("bob", "bob", "bob-pw")
	rdb := goredis.NewClient(&goredis.Options{Addr: redis.Addr})
	t.Cleanup(func() { rdb.Close() })
	nc.OnVersion(func() { rdb.Set(context.Background(), "notify_push_app_version", "1.4.2", 0) })
	w := &world{redis: redis, rdb: rdb, nc: nc}

	port := strconv.Itoa(testenv.FreePort(t))
	env := append([]string{"BIND=127.0.0.1", "PORT=" + port, "LOG=info", "DEBOUNCE_DISABLE=1",
		"REDIS_URL=redis://" + redis.Addr, "NEXTCLOUD_URL=http://" + ncProxy.Addr}, pg.env...)
	d := runDaemon(t, port, nil, env) // returns once it listens

	// Logins wait for the subscription only (issue 18: each kind of login
	// is gated on what it needs); /health names everything missing.
	const noRedis = "err: Push server is starting: redis unreachable"
	waitUntil(t, 10*time.Second, "a login to be refused for Redis", func() bool { return d.loginReply("alice", "alice-pw") == noRedis })
	code, body := d.health()
	if code != http.StatusServiceUnavailable {
		t.Fatalf("/health %d %s", code, body)
	}
	for _, want := range []string{`"listener`, `"redis: not subscribed`, `"database: `, `"nextcloud: `} {
		if want == `"listener` {
			if strings.Contains(body, want) {
				t.Errorf("/health says the listener is missing: %s", body)
			}
			continue
		}
		if !strings.Contains(body, want) {
			t.Errorf("/health lacks %s: %s", want, body)
		}
	}
	waitUntil(t, 10*time.Second, "a warning per dependency", func() bool {
		logs := d.logs.String()
		return strings.Contains(logs, "waiting for database") && strings.Contains(logs, "waiting for redis") &&
			strings.Contains(logs, "waiting for nextcloud")
	})
	if logs := d.logs.String(); strings.Count(logs, "waiting for database") != 1 {
		t.Errorf("the database's absence is logged more than once a minute:\n%s", logs)
	}

	// One by one: the database alone does not open the gate.
	pg.proxy.Forward()
	time.Sleep(200 * time.Millisecond)
	if got := d.loginReply("alice", "alice-pw"); got != noRedis {
		t.Fatalf("with the database back: %q", got)
	}
	redis.Start()
	w.waitSubscribed(t)
	// Nextcloud is still unreachable: a pre-auth token logs in (it needs
	// only Redis), a password gets Nextcloud's failure, not "starting".
	token := strings.Repeat("t", 32)
	w.publish(t, "notify_pre_auth", `{"user":"alice","token":"`+token+`"}`)
	waitUntil(t, 10*time.Second, "a pre-auth login with Nextcloud down", func() bool {
		return d.loginReply("", token) == "authenticated"
	})
	if got := d.loginReply("bob", "bob-pw"); !strings.HasPrefix(got, "err: ") || strings.Contains(got, "starting") {
		t.Fatalf("a password login with Nextcloud down: %q", got)
	}
	ncProxy.SetTarget(strings.TrimSuffix(strings.TrimPrefix(nc.URL(), "http://"), "/"))
	ncProxy.Forward()

	// Working, without a restart: logins, events, the storage mapping.
	alice := d.login("alice", "alice-pw")
	bob := d.login("bob", "bob-pw")
	d.waitHealth(http.StatusOK, `{"status":"ok"}`)
	w.publish(t, "notify_activity", `{"user":"alice"}`)
	alice.Expect("notify_activity")
	w.publish(t, "notify_storage_update", `{"storage":10,"path":"files/Team/notes.md","file_id":15}`)
	bob.Expect("notify_file")
	alice.Expect("notify_file")
	if logs := d.logs.String(); !strings.Contains(logs, "accepting logins") || !strings.Contains(logs, "every dependency answers") {
		t.Errorf("the recovery is not logged:\n%s", d.logs.String())
	}
	select {
	case err := <-d.done:
		t.Fatalf("the daemon exited: %v", err)
	default:
	}
}

// TestBinaryExitsOnAConfigurationThatCannotWork: an unsupported database
// type is no outage to wait out.
func TestBinaryExitsOnAConfigurationThatCannotWork(t *testing.T) {
	t.Parallel()
	for name, env := range map[string][]string{
		"oracle":       {"DATABASE_URL=oracle://u:secret@db/nc"},
		"bad postgres": {"DATABASE_URL=postgres://u:secret@db:notaport/nc"},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(binary)
			cmd.Dir = t.TempDir()
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "REDIS_URL=redis://127.0.0.1:1",
				"NEXTCLOUD_URL=http://127.0.0.1:1", "PORT=0", "BIND=127.0.0.1"}, env...)
			done := make(chan struct{})
			var out []byte
			var err error
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatal("still running with a database URL that can never work")
			}
			exit, ok := err.(*exec.ExitError)
			if !ok || exit.ExitCode() != 2 || strings.Contains(string(out), "secret") ||
				strings.Count(strings.TrimSpace(string(out)), "\n") > 2 {
				t.Fatalf("exit %v (want 2, a configuration error), output:\n%s", err, out)
			}
		})
	}
}
