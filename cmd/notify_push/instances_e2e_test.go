package main

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notifypush/notify_push/domain"
)

// TestBinaryThreeInstancesActAsOneService: three servers on one Redis, as
// behind a load-balancing proxy. A client of each receives the same storage
// update; a pre-auth token, which all three receive, logs in on exactly one;
// the app's metrics query is answered with the sum over all three.
func TestBinaryThreeInstancesActAsOneService(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var servers []*daemon
	for _, id := range []string{"push-a", "push-b", "push-c"} {
		servers = append(servers, startDaemon(t, withEnv(w.env, "NOTIFY_PUSH_INSTANCE_ID="+id)...))
	}
	waitUntil(t, 10*time.Second, "all three subscribed", func() bool {
		n, err := w.rdb.PubSubNumSub(context.Background(), "notify_storage_update").Result()
		return err == nil && n["notify_storage_update"] == 3
	})

	// bob on every instance: the update reaches each of his connections.
	for _, d := range servers {
		bob := d.login("bob", "bob-pw")
		bob.Send("listen notify_file_id")
		time.Sleep(50 * time.Millisecond) // the listen command ahead of the update
		w.publish(t, "notify_storage_update", `{"storage":10,"path":"files/Team/notes.md","file_id":15}`)
		bob.Expect("notify_file_id [15]")
	}

	// One token, tried on all three at once: exactly one login succeeds.
	token := strings.Repeat("k", 32)
	w.publish(t, "notify_pre_auth", `{"user":"carol","token":"`+token+`"}`)
	time.Sleep(200 * time.Millisecond) // every instance has it
	replies := make([]string, len(servers))
	var wg sync.WaitGroup
	for i, d := range servers {
		wg.Go(func() { replies[i] = d.loginReply("", token) })
	}
	wg.Wait()
	won := 0
	for _, r := range replies {
		switch r {
		case "authenticated":
			won++
		case "err: Invalid credentials":
		default:
			t.Fatalf("a login with the token got %q", r)
		}
	}
	if won != 1 {
		t.Fatalf("the token logged in %d times over three instances (%q), want once", won, replies)
	}

	// The app asks for metrics: the answer is the service's, whichever
	// instance writes it: bob on each of the three, and carol where her
	// token won (the others closed theirs).
	ctx := context.Background()
	var m domain.MetricsSnapshot
	waitUntil(t, 10*time.Second, "the sum of the three", func() bool {
		w.rdb.Del(ctx, "notify_push_metrics")
		w.publish(t, "notify_query", `"metrics"`)
		time.Sleep(200 * time.Millisecond)
		v, err := w.rdb.Get(ctx, "notify_push_metrics").Result()
		return err == nil && json.Unmarshal([]byte(v), &m) == nil && m.ActiveConnectionCount == 4 &&
			m.EventsReceived >= 3*4
	})
	if m.TotalConnectionCount < 4 || m.MessagesSentFile < 3 {
		t.Fatalf("service metrics %+v, want the three instances' sum", m)
	}
}
