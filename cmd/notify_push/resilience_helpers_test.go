package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/adapters/demo"
	"github.com/notifypush/notify_push/adapters/gormdb"
	"github.com/notifypush/notify_push/internal/testenv"
	"github.com/notifypush/notify_push/internal/testenv/wstest"
)

// pgWorld is the demo world in the machine's PostgreSQL under a table prefix
// of its own, reached through a proxy the test controls.
type pgWorld struct {
	proxy  *testenv.TCPProxy
	prefix string
	env    []string // DATABASE_URL and DATABASE_PREFIX through the proxy
}

func newPGWorld(t *testing.T) *pgWorld {
	t.Helper()
	raw := testenv.PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, closeDB, err := gormdb.Open(ctx, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	prefix := "e" + hex.EncodeToString(b) + "_"
	if err := gormdb.CreateNextcloudSchema(ctx, db, prefix); err != nil {
		closeDB()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, table := range []string{"mounts", "filecache"} {
			_ = db.Exec("DROP TABLE IF EXISTS " + prefix + table).Error
		}
		closeDB()
	})
	if err := demo.Seed(ctx, db, prefix, demo.Default()); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	w := &pgWorld{proxy: testenv.NewTCPProxy(t, u.Host), prefix: prefix}
	u.Host = w.proxy.Addr
	w.env = []string{"DATABASE_URL=" + u.String(), "DATABASE_PREFIX=" + prefix}
	return w
}

// withEnv replaces the variables of env named in over.
func withEnv(env []string, over ...string) []string {
	out := append([]string(nil), over...)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		replaced := false
		for _, o := range over {
			if strings.HasPrefix(o, name+"=") {
				replaced = true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// health is GET /health: the status and the body.
func (d *daemon) health() (int, string) {
	d.t.Helper()
	resp, err := http.Get("http://" + d.addr + "/health")
	if err != nil {
		d.t.Fatalf("/health: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// waitHealthContains polls /health until it answers status with a body
// containing part.
func (d *daemon) waitHealthContains(status int, part string) {
	d.t.Helper()
	waitUntil(d.t, 10*time.Second, "/health to say "+part, func() bool {
		code, body := d.health()
		return code == status && strings.Contains(body, part)
	})
}

// waitUntil polls cond every 50 ms for up to d.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loginReply sends credentials on a fresh connection and returns the first
// answer.
func (d *daemon) loginReply(user, password string) string {
	d.t.Helper()
	c := d.dial("/ws")
	c.SendCredentials(user, password)
	got, _ := c.Next(20 * time.Second)
	return got
}

// resyncText are the messages a client told to re-check receives.
var resyncText = map[string]bool{"notify_file": true, "notify_activity": true, "notify_notification": true}

// publishUntilReceived publishes payload on channel every 100 ms until c
// receives want, and returns how long that took. The messages a resync
// sends (notify_file, notify_activity, notify_notification) are skipped
// when want is none of them.
func (w *world) publishUntilReceived(t *testing.T, c *wstest.Client, channel, payload, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_ = w.rdb.Publish(context.Background(), channel, payload).Err()
		if got, ok := c.Next(100 * time.Millisecond); ok {
			if resyncText[got] && !resyncText[want] {
				continue
			}
			if got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
			return time.Since(start)
		}
		if c.Ended() {
			t.Fatalf("the client was disconnected: %v", c.Err())
		}
		if time.Since(start) > limit {
			t.Fatalf("%q not received within %s", want, limit)
		}
	}
}

// drainClient drops what c has received so far.
func drainClient(c *wstest.Client) {
	for {
		if _, ok := c.Next(200 * time.Millisecond); !ok {
			return
		}
	}
}
