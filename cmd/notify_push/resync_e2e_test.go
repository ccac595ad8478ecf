package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifypush/notify_push/internal/testenv/wstest"
)

// No change goes unnoticed (issue 17), against real processes: after
// anything that may have lost events while a client stayed connected, the
// client is told to re-check.

// expectRecheck waits for the three messages of a resync, each once and in
// any order, and then for nothing more for a moment.
func expectRecheck(t *testing.T, who string, c *wstest.Client, within time.Duration) {
	t.Helper()
	want := []string{"notify_activity", "notify_file", "notify_notification"}
	var got []string
	deadline := time.Now().Add(within)
	for len(got) < len(want) && time.Now().Before(deadline) {
		if text, ok := c.Next(time.Until(deadline)); ok {
			got = append(got, text)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("%s got %q within %s, want each of %q once", who, got, within, want)
	}
	c.ExpectNothing(500 * time.Millisecond)
}

// TestBinaryResyncAfterRedisRestart: Redis killed and restarted while
// clients stay connected; what was published meanwhile is gone, so every
// client re-checks once the subscription is back.
func TestBinaryResyncAfterRedisRestart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := startDaemon(t, withEnv(w.env, "RESYNC_SPREAD=1")...)
	w.waitSubscribed(t)
	alice := d.login("alice", "alice-pw")
	bob := d.login("bob", "bob-pw")
	bob.Send("listen notify_file_id")

	w.redis.Kill()
	time.Sleep(1500 * time.Millisecond)
	w.redis.Start()
	w.waitSubscribed(t)
	expectRecheck(t, "alice", alice, 5*time.Second)
	expectRecheck(t, "bob", bob, 5*time.Second)
	waitUntil(t, 5*time.Second, "the resync's log line", func() bool {
		return strings.Contains(d.logs.String(), "every client told to re-check") && strings.Contains(d.logs.String(), "clients=2")
	})
}

// TestBinaryResyncAfterRedisFrozen: Redis frozen (SIGSTOP) past the
// subscription's silence watch, then let go on: the subscription was given
// up and is back, and the client re-checks.
func TestBinaryResyncAfterRedisFrozen(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := startDaemon(t, withEnv(w.env, "RESYNC_SPREAD=1")...)
	w.waitSubscribed(t)
	alice := d.login("alice", "alice-pw")

	w.redis.Freeze()
	waitUntil(t, 20*time.Second, "the frozen subscription to be given up", func() bool {
		return strings.Contains(d.logs.String(), "Redis subscription lost")
	})
	w.redis.Thaw()
	expectRecheck(t, "alice", alice, 10*time.Second)
}

// TestBinaryResyncAfterDatabaseOutage: an update on a storage that is not
// cached arrives while PostgreSQL is unreachable: it cannot be mapped, and is
// dropped; once the database answers, the users of that storage re-check
// their files. A storage in backoff is served again as soon as any query
// succeeds.
func TestBinaryResyncAfterDatabaseOutage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pg := newPGWorld(t)
	pg.proxy.Forward()
	d := startDaemon(t, withEnv(w.env, append(pg.env, "RESYNC_SPREAD=0")...)...)
	w.waitSubscribed(t)
	bob := d.login("bob", "bob-pw")
	carol := d.login("carol", "carol-pw")
	carol.Send("listen notify_file_id")

	pg.proxy.Refuse()
	d.waitHealthContains(503, `"database: `)
	// carol's home (storage 3) is not cached: dropped, and remembered.
	w.publish(t, "notify_storage_update", `{"storage":3,"path":"files/a.txt","file_id":6}`)
	waitUntil(t, 10*time.Second, "the dropped update's warning", func() bool {
		return strings.Contains(d.logs.String(), "storage updates dropped")
	})
	carol.ExpectNothing(500 * time.Millisecond)

	pg.proxy.Forward()
	// Without any further event, the server finds the database back and
	// tells carol (its probe runs every 5 s).
	if got, ok := carol.Next(10 * time.Second); !ok || got != "notify_file" {
		t.Fatalf("carol after the database came back: %q %v, want notify_file within 10 s", got, ok)
	}
	if !strings.Contains(d.logs.String(), "users told to re-check their files") {
		t.Errorf("the database resync is not logged:\n%s", d.logs.String())
	}
	bob.ExpectNothing(200 * time.Millisecond)

	// A second outage: storage 2 (bob's home, uncached) backs off after a
	// failed lookup; once another storage's query succeeds, bob's next
	// update is looked up at once instead of waiting out the backoff.
	pg.proxy.Refuse()
	d.waitHealthContains(503, `"database: `)
	w.publish(t, "notify_storage_update", `{"storage":2,"path":"files/b.txt","file_id":4}`)
	waitUntil(t, 10*time.Second, "storage 2's dropped update", func() bool {
		return strings.Count(d.logs.String(), "storage updates dropped") >= 2
	})
	pg.proxy.Forward()
	d.waitHealthContains(200, `"ok"`)
	w.publish(t, "notify_storage_update", `{"storage":10,"path":"files/other.txt","file_id":16}`) // a query that succeeds
	w.publish(t, "notify_storage_update", `{"storage":2,"path":"files/c.txt","file_id":4}`)
	got, ok := bob.Next(3 * time.Second)
	if !ok || got != "notify_file" {
		t.Fatalf("bob, in backoff before the database answered: %q %v, want notify_file within 3 s", got, ok)
	}
}
